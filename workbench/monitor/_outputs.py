"""The model's output that prediction drift compares, per task.

Binary: the positive-class probability (the log's ``probability``); multiclass: the predicted
class, compared as categories; regression: the predicted number. The reference side is the
logged model version scored on (a sample of) the training data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from workbench.monitor._scorers import label_text

__all__ = ["OUTPUTS", "ModelOutput", "model_outputs"]

REFERENCE_ROWS = 20_000


@dataclasses.dataclass(frozen=True)
class ModelOutput:
    """One task's model output: the log column that holds it, and how to read and recompute it."""

    column: str
    logged: Callable[[pd.DataFrame], np.ndarray | None]
    scored: Callable[[Any, pd.DataFrame], np.ndarray]


def _logged_probability(log: pd.DataFrame) -> np.ndarray | None:
    values = log["probability"].to_numpy(dtype=np.float64, na_value=np.nan)
    return None if np.isnan(values).all() else values


def _positive_probability(model: Any, rows: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict_proba(rows), dtype=np.float64)[:, -1]


def _logged_classes(log: pd.DataFrame) -> np.ndarray:
    return label_text(log["prediction"]).astype(object)


def _predicted_classes(model: Any, rows: pd.DataFrame) -> np.ndarray:
    return label_text(pd.Series(np.asarray(model.predict(rows)))).astype(object)


def _logged_numbers(log: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(log["prediction"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _predicted_numbers(model: Any, rows: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict(rows), dtype=np.float64)


OUTPUTS: dict[str, ModelOutput] = {
    "binary": ModelOutput("probability", _logged_probability, _positive_probability),
    "multiclass": ModelOutput("prediction", _logged_classes, _predicted_classes),
    "regression": ModelOutput("prediction", _logged_numbers, _predicted_numbers),
}


def model_outputs(project: Any, task: str, reference: pd.DataFrame, log: pd.DataFrame,
                  notes: list[str]) -> tuple[str, np.ndarray, np.ndarray] | None:
    """``(column, reference values, logged values)`` of the task's model output, or None (with a note).

    Reference rows beyond :data:`REFERENCE_ROWS` are left unscored (missing), so a large
    training set costs one sample's predictions.
    """
    output = OUTPUTS[task]
    current = output.logged(log)
    if current is None:
        return None
    latest = log.iloc[-1]
    name, version = latest["model_name"], latest["model_version"]
    if not name or not version:
        notes.append("The log does not name a registered model version: no prediction drift.")
        return None
    try:
        model = _load_model(project, name, version)
        sample = reference.sample(REFERENCE_ROWS, random_state=0) if len(reference) > REFERENCE_ROWS else reference
        scored = output.scored(model, sample)
    except Exception as err:  # a missing or unloadable model only costs the prediction drift
        notes.append(f"Could not score the reference with models:/{name}/{version} ({type(err).__name__}): "
                     "no prediction drift.")
        return None
    values = np.full(len(reference), None if scored.dtype == object else np.nan, dtype=scored.dtype)
    values[reference.index.get_indexer(sample.index)] = scored
    return output.column, values, current


def _load_model(project: Any, name: str, version: str) -> Any:
    from workbench.evaluate.model_code import load_logged_model
    from workbench.tracking import Tracker

    Tracker(project)  # points MLflow at the project's store
    return load_logged_model(f"models:/{name}/{version}")

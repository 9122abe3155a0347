"""The rows a prediction log holds, built from a scored frame (no database here).

Each row keeps ``prediction`` (the class label or the number) and ``probability`` (binary: the
positive class's; multiclass: the predicted class's; regression: NULL); a multiclass row also
keeps every class's probability (``probabilities``, JSON keyed by class label). Each request
records its model's task and classes, so labels posted later are read as that model's classes
(:mod:`workbench.deploy.labels`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from workbench.develop.answers import Scored, answer_format
from workbench.exceptions import DataError


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def json_lines(frame: pd.DataFrame) -> list[str]:
    """One JSON object per row of ``frame`` (missing values as null, times as ISO 8601), vectorised."""
    if frame.empty:
        return ["{}"] * len(frame)
    text = frame.to_json(orient="records", lines=True, date_format="iso", date_unit="us", double_precision=15)
    return text.splitlines()


def _json_values(values: Any) -> list[str]:
    series = pd.Series(np.asarray(values))
    if series.empty:
        return []
    if series.dtype.kind in "biufcmM":
        return series.to_json(orient="records", lines=True, double_precision=15).splitlines()
    # Text labels: pandas writes a string Series as one comma-separated line, not one per value.
    return [json.dumps(v, default=str) for v in series.astype(object).where(series.notna(), None).tolist()]


def answer_kind(result: Any = None, *, task: str | None = None,
                classes: Sequence[Any] | None = None) -> tuple[str | None, list[Any] | None]:
    """``(task, classes)`` of a scored result: as given, else the result's own, else read from its shape.

    Probabilities of two columns without a task read as binary (positive class last), of more
    as multiclass; without its classes a multiclass row logs the highest probability and no
    per-class probabilities. Without probabilities or classes the task is unknown (None).
    """
    classes = list(classes) if classes is not None else getattr(result, "classes", None)
    task = task or getattr(result, "task", None)
    probabilities = getattr(result, "probabilities", None)
    if task is None and classes is not None:
        task = "binary" if len(classes) <= 2 else "multiclass"
    if task is None and probabilities is not None:
        task = "binary" if np.asarray(probabilities).shape[-1] <= 2 else "multiclass"
    return task, None if classes is None else [_jsonable(c) for c in classes]


def log_rows(frame: pd.DataFrame, predictions: Any, probabilities: Any, *, request_ids: Sequence[str],
             rows: Sequence[int], timestamps: Sequence[str], model_name: str | None, model_version: str | None,
             variant: str, task: str | None = None, classes: Sequence[Any] | None = None) -> list[tuple]:
    """Rows for the ``predictions`` table, one per row of ``frame`` (several requests at once).

    ``task`` and ``classes`` decide ``probability`` and ``probabilities`` (:func:`answer_kind`
    when not given).
    """
    n = len(frame)
    if len(predictions) != n:
        raise DataError(f"{n} input rows but {len(predictions)} predictions")
    scored = Scored(np.asarray(predictions), probabilities, None)
    task, classes = answer_kind(scored, task=task, classes=classes)
    probability, texts = answer_format(task or "binary").logged(Scored(scored.predictions, probabilities, classes))
    version = None if model_version is None else str(model_version)
    return list(zip(request_ids, rows, timestamps, [model_name] * n, [version] * n, [variant] * n,
                    _json_values(predictions), probability, json_lines(frame), texts, strict=True))


def prediction_rows(frame: pd.DataFrame, result: Any, *, request_id: str, timestamp: str,
                    model_name: str | None, model_version: str | None, variant: str) -> list[tuple]:
    """Rows for the ``predictions`` table from an input frame and a prediction result."""
    n = len(frame)
    task, classes = answer_kind(result)
    return log_rows(frame, np.asarray(result.predictions), getattr(result, "probabilities", None),
                    request_ids=[request_id] * n, rows=range(n), timestamps=[timestamp] * n,
                    model_name=model_name, model_version=model_version, variant=variant, task=task,
                    classes=classes)


def classes_text(classes: Sequence[Any] | None) -> str | None:
    """The ``classes`` column of the request log: the classes as a JSON list (None for a regressor)."""
    return None if classes is None else json.dumps([_jsonable(c) for c in classes])




def now() -> str:
    """The current time in UTC as the log writes it (ISO 8601, microseconds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def utc_text(value: Any) -> str:
    """Any time ``pandas.Timestamp`` reads, as UTC ISO 8601 text (naive times are UTC)."""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return stamp.isoformat()

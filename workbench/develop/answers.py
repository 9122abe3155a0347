"""What a model's answers look like, per task: one table of formats, looked up by task name.

Every place that hands predictions to someone (``RobustModel.predict``, the bundle's pyfunc,
``/v1/predict`` and ``/invocations``, batch scoring, the prediction log) asks
:func:`answer_format` for the model's task and uses the same three renderings:

* **binary** — the predicted class and the probability of the positive (last) class;
* **multiclass** — the predicted class, a probability for every class keyed by the class label
  (in the model's ``classes_`` order) and the predicted class's probability;
* **regression** — the predicted number, no probabilities.

Class labels are plain Python values (``int`` stays ``int``, ``str`` stays ``str``); where a
label has to be a JSON object key or a column name it is written as :func:`class_key` (its JSON
text, without quotes for a string), e.g. ``{"0": 0.1, "1": 0.9}``.

Examples
--------
>>> fmt = answer_format("multiclass")
>>> scored = Scored(np.array([2]), np.array([[0.1, 0.2, 0.7]]), [0, 1, 2])
>>> fmt.fields(scored)["probabilities"]
[{'0': 0.1, '1': 0.2, '2': 0.7}]
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ANSWERS",
    "AnswerFormat",
    "Scored",
    "answer_format",
    "class_key",
    "model_classes",
    "model_task",
    "plain",
]

DIGITS = 6  # probabilities in JSON answers are rounded to this many decimals


@dataclasses.dataclass(frozen=True)
class Scored:
    """A scored batch: predictions, class probabilities (``(n, len(classes))``, or None) and classes."""

    predictions: np.ndarray
    probabilities: np.ndarray | None
    classes: list[Any] | None

    def __len__(self) -> int:
        return len(self.predictions)


@dataclasses.dataclass(frozen=True)
class AnswerFormat:
    """The three renderings of one task's answers.

    ``fields`` gives the JSON answer's per-row lists (``{"predictions": [...], ...}``);
    ``columns`` the table columns of batch output and of the pyfunc; ``logged`` the prediction
    log's ``probability`` (a float or None per row) and ``probabilities`` (JSON text or None).
    """

    task: str
    fields: Callable[[Scored], dict[str, list[Any]]]
    columns: Callable[[Scored], dict[str, Any]]
    logged: Callable[[Scored], tuple[list[float | None], list[str | None]]]

    def column_names(self, classes: Sequence[Any] | None, *, probabilistic: bool = True) -> list[str]:
        """The table columns for a model with ``classes`` (probability columns only if ``probabilistic``)."""
        width = len(classes) if classes is not None and probabilistic else 0
        empty = Scored(np.empty(0), np.empty((0, width)) if width else None, list(classes) if classes else None)
        return list(self.columns(empty))


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON writes (``np.int64(1)`` → ``1``)."""
    return value.item() if isinstance(value, np.generic) else value


def class_key(label: Any) -> str:
    """A class label as a JSON object key or column suffix: its JSON text, a string unquoted."""
    label = plain(label)
    return label if isinstance(label, str) else json.dumps(label)


def model_classes(model: Any) -> list[Any] | None:
    """The classes of a fitted classifier as plain Python values (None for a regressor)."""
    classes = getattr(model, "classes_", None)
    return None if classes is None else [plain(c) for c in np.asarray(classes).tolist()]


def model_task(model: Any) -> str:
    """The task a fitted model answers: ``"binary"``, ``"multiclass"`` or ``"regression"``.

    A model with ``classes_`` is a classifier (two classes: binary); anything else predicts numbers.
    """
    classes = getattr(model, "classes_", None)
    if classes is None:
        return "regression"
    return "binary" if len(classes) <= 2 else "multiclass"


def _nothing(scored: Scored) -> tuple[list[float | None], list[str | None]]:
    return [None] * len(scored), [None] * len(scored)


def _predictions(scored: Scored) -> list[Any]:
    return np.asarray(scored.predictions).tolist()


def _positive(scored: Scored) -> np.ndarray | None:
    return None if scored.probabilities is None else np.asarray(scored.probabilities, dtype=float)[:, -1]


def _binary_fields(scored: Scored) -> dict[str, list[Any]]:
    fields: dict[str, list[Any]] = {"predictions": _predictions(scored)}
    positive = _positive(scored)
    if positive is not None:
        fields["probabilities"] = np.round(positive, DIGITS).tolist()
    return fields


def _binary_columns(scored: Scored) -> dict[str, Any]:
    positive = _positive(scored)
    columns: dict[str, Any] = {"prediction": np.asarray(scored.predictions)}
    return columns if positive is None else {**columns, "probability": positive}


def _binary_logged(scored: Scored) -> tuple[list[float | None], list[str | None]]:
    positive = _positive(scored)
    if positive is None:
        return _nothing(scored)
    return positive.tolist(), [None] * len(scored)


def _predicted_probability(scored: Scored) -> np.ndarray:
    """Each row's probability of the class it predicts (NaN if the prediction is not a class)."""
    assert scored.probabilities is not None and scored.classes is not None
    proba = np.asarray(scored.probabilities, dtype=float)
    where = pd.Index(scored.classes).get_indexer(np.asarray(scored.predictions))
    found = proba[np.arange(len(proba)), np.maximum(where, 0)]
    return np.where(where >= 0, found, np.nan)


def _keys(scored: Scored) -> list[str]:
    return [class_key(c) for c in scored.classes or ()]


def _multiclass_fields(scored: Scored) -> dict[str, list[Any]]:
    fields: dict[str, list[Any]] = {"predictions": _predictions(scored)}
    if scored.probabilities is None or scored.classes is None:
        return fields
    keys = _keys(scored)
    rounded = np.round(np.asarray(scored.probabilities, dtype=float), DIGITS).tolist()
    fields["probabilities"] = [dict(zip(keys, row, strict=True)) for row in rounded]
    fields["predicted_probability"] = np.round(_predicted_probability(scored), DIGITS).tolist()
    return fields


def _multiclass_columns(scored: Scored) -> dict[str, Any]:
    columns: dict[str, Any] = {"prediction": np.asarray(scored.predictions)}
    if scored.probabilities is None or scored.classes is None:
        return columns
    proba = np.asarray(scored.probabilities, dtype=float)
    return {**columns, **{f"probability_{key}": proba[:, i] for i, key in enumerate(_keys(scored))}}


def _multiclass_logged(scored: Scored) -> tuple[list[float | None], list[str | None]]:
    if scored.probabilities is None:
        return _nothing(scored)
    if scored.classes is None:  # which column is which class is unknown: the highest is what argmax predicts
        return np.asarray(scored.probabilities, dtype=float).max(axis=1).tolist(), [None] * len(scored)
    # repr() of a float is its shortest exact text (pandas' to_json rounds to 15 decimals, which
    # loses the digits of a small probability); keys are JSON-escaped once.
    prefixes = [json.dumps(key) + ":" for key in _keys(scored)]
    texts = ["{" + ",".join(p + repr(v) for p, v in zip(prefixes, row, strict=True)) + "}"
             for row in np.asarray(scored.probabilities, dtype=float).tolist()]
    predicted = _predicted_probability(scored)
    return [None if np.isnan(p) else p for p in predicted.tolist()], list(texts)


def _regression_fields(scored: Scored) -> dict[str, list[Any]]:
    return {"predictions": np.asarray(scored.predictions, dtype=float).tolist()}


def _regression_columns(scored: Scored) -> dict[str, Any]:
    return {"prediction": np.asarray(scored.predictions, dtype=float)}


ANSWERS: dict[str, AnswerFormat] = {
    "binary": AnswerFormat("binary", _binary_fields, _binary_columns, _binary_logged),
    "multiclass": AnswerFormat("multiclass", _multiclass_fields, _multiclass_columns, _multiclass_logged),
    "regression": AnswerFormat("regression", _regression_fields, _regression_columns, _nothing),
}


def answer_format(task: str) -> AnswerFormat:
    """The answer format of ``task`` (a :data:`workbench.tasks.TASKS` name or alias)."""
    from workbench.tasks import task_named

    return ANSWERS[task_named(task).name]

"""Input checks shared by the reviews: lengths, targets, model capabilities."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import DataError, ModelError
from workbench.tasks import MAX_CLASSES, task_named

__all__ = [
    "as_array",
    "check_classes",
    "check_classification_target",
    "check_positive_label",
    "check_probabilistic",
    "check_regression_target",
    "check_same_length",
    "class_codes",
    "class_probabilities",
    "model_name",
    "positive_scores",
]


def as_array(values: Any, name: str) -> np.ndarray:
    """``values`` as a 1-D numpy array, or a DataError naming the argument."""
    array = np.asarray(values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise DataError(
            f"{name} must be one-dimensional (one value per row); got shape {array.shape}.",
            hint=f"Pass a Series or a 1-D array as {name}.",
        )
    return array


def check_same_length(**named: Any) -> int:
    """The common row count of ``named`` inputs, or a DataError naming the mismatch."""
    lengths = {name: len(value) for name, value in named.items() if value is not None}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} has {n:,} rows" for name, n in lengths.items())
        raise DataError(
            f"The inputs do not describe the same rows: {listed}.",
            hint="Pass features, labels, predictions and sensitive features of the same rows, in the same order.",
        )
    n = next(iter(lengths.values()), 0)
    if n == 0:
        raise DataError("There are no rows to evaluate.", hint="Pass a non-empty test set.")
    return n


def _looks_continuous(y: np.ndarray) -> bool:
    if y.dtype.kind != "f":
        return False
    finite = y[np.isfinite(y)]
    return bool(finite.size) and not np.all(np.mod(finite, 1) == 0)


def check_classification_target(y: np.ndarray, *, name: str = "y", task: str = "binary") -> np.ndarray:
    """The distinct labels of a classification target, or a DataError naming what is wrong.

    ``task`` (a :data:`~workbench.tasks.TASKS` name) bounds the number of classes: two for
    ``"binary"``, :data:`~workbench.tasks.MAX_CLASSES` for ``"multiclass"``.
    """
    if _looks_continuous(y):
        examples = ", ".join(f"{v:.4g}" for v in np.unique(y[np.isfinite(y)])[:3])
        raise DataError(
            f"{name} looks like a regression target (continuous values such as {examples}), "
            "but this is a classification review.",
            hint='Evaluate a regressor with task="regression", or pass class labels.',
        )
    missing = int(pd.isna(y).sum())
    if missing:
        raise DataError(f"{name} has {missing:,} missing labels.", hint="Drop those rows first.")
    labels = np.unique(y)
    kind = task_named(task)
    limit = 2 if kind.name == "binary" else MAX_CLASSES
    if labels.size > limit:
        shown = ", ".join(map(str, labels[:5])) + ("…" if labels.size > 5 else "")
        raise DataError(
            f"{name} has {labels.size} classes ({shown}), but the task is {kind.title} (at most {limit} classes).",
            hint=_TOO_MANY_CLASSES[kind.name],
        )
    return labels


# What to do about a target with more classes than the task allows, by task.
_TOO_MANY_CLASSES = {
    "binary": 'Use task="multiclass", or evaluate one class against the rest (e.g. y == label).',
    "multiclass": 'If the target is a quantity, use task="regression"; otherwise group rare classes.',
}


def check_positive_label(
    positive: Any, labels: np.ndarray, *, name: str = "y", classes: Any = None, predicted: Any = None
) -> Any:
    """``positive`` if it is one of the labels, else a DataError naming the labels found.

    The labels are ``labels`` (the distinct true labels) and, when a model is given, its
    ``classes``; a target with one label may lack the positive one (``predicted`` or
    ``classes`` must then hold it), but it must never be the wrong kind (``1`` is not ``"1"``).
    """
    found = np.asarray(labels).tolist()
    others = classes if classes is not None else (np.unique(predicted) if predicted is not None else [])
    known = np.asarray(others).tolist()
    wanted = positive.item() if isinstance(positive, np.generic) else positive
    shown, model_classes = ", ".join(map(repr, found)), ", ".join(map(repr, known))
    problem = None
    if classes is not None and any(label not in known for label in found):
        problem = f"The labels of {name} ({shown}) are not among the model's classes ({model_classes})."
    elif classes is not None and wanted not in known:
        problem = f"The positive label {wanted!r} is not one of the model's classes ({model_classes}); {name} has {shown}."
    elif wanted not in found and (len(found) > 1 or wanted not in known):
        problem = f"The positive label {wanted!r} is not among the labels of {name} ({shown})."
    if problem:
        raise DataError(
            problem,
            hint=f"Pass positive_label= as one of {name}'s labels, spelled and typed as they are (1 is not '1')"
            + (", and pass labels of the same kind as the model was trained on." if classes is not None else "."),
        )
    return positive


def check_regression_target(y: np.ndarray, *, name: str = "y") -> np.ndarray:
    """``y`` as finite floats, or a DataError naming the problem."""
    try:
        values = y.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise DataError(
            f"{name} is not numeric (e.g. {y[0]!r}), but this is a regression review.",
            hint='Evaluate a classifier with task="binary" or task="multiclass".',
        ) from err
    missing, infinite = int(np.isnan(values).sum()), int(np.isinf(values).sum())
    if missing or infinite:
        found = " and ".join(
            f"{count:,} {kind} values" for count, kind in ((missing, "missing"), (infinite, "infinite")) if count
        )
        raise DataError(f"{name} has {found}.", hint="Drop or correct those rows first: a regression review needs finite numbers.")
    return values


def model_name(model: Any) -> str:
    """A short description: the class name (``Pipeline(... → HistGradientBoostingClassifier)``)."""
    steps = getattr(model, "steps", None)
    if steps:
        return f"Pipeline({' → '.join(type(step).__name__ for _, step in steps)})"
    return type(model).__name__


def positive_scores(
    model: Any, X: Any, positive_label: Any, *, review: str, missing_ok: bool = False,
    needs: str = "probabilities for ROC AUC, log loss and calibration",
) -> np.ndarray:
    """The model's probability of ``positive_label`` for each row of ``X``.

    With ``missing_ok``, a model that never saw that label (a dummy fitted on one class)
    gives it probability 0 instead of an error. ``needs`` says what the ``review`` uses them for.
    """
    check_probabilistic(model, review=review, needs=needs)
    classes = list(getattr(model, "classes_", []))
    if positive_label not in classes and missing_ok:
        return np.zeros(len(X))
    if positive_label not in classes:
        raise DataError(
            f"The positive label {positive_label!r} is not one of the model's classes {classes}.",
            hint="Pass positive_label= as one of the model's classes.",
        )
    return np.asarray(model.predict_proba(X))[:, classes.index(positive_label)].astype(np.float64)


def check_probabilistic(model: Any, *, review: str, needs: str) -> None:
    """Refuse a model without ``predict_proba``, naming the ``review`` and what it ``needs`` them for."""
    if not hasattr(model, "predict_proba"):
        raise ModelError(
            f"The model ({model_name(model)}) has no predict_proba, which the {review} needs ({needs}).",
            hint="Use a probabilistic classifier, or wrap it in sklearn's CalibratedClassifierCV.",
        )


def check_classes(labels: np.ndarray, classes: Any, *, name: str = "y") -> np.ndarray:
    """The classes a multiclass review scores: the model's ``classes`` (else the labels).

    Every label must be one of the model's classes, of the same kind (``1`` is not ``"1"``).
    """
    if classes is None:
        return labels
    known = np.asarray(classes)
    unknown = [label for label in labels.tolist() if label not in known.tolist()]
    if unknown:
        raise DataError(
            f"The labels of {name} include {', '.join(map(repr, unknown[:5]))}, which are not among the "
            f"model's classes ({', '.join(map(repr, known.tolist()))}).",
            hint="Pass labels of the same kind as the model was trained on (1 is not '1'), "
            "or retrain the model on rows of every class.",
        )
    return known


def class_codes(values: Any, classes: np.ndarray) -> np.ndarray:
    """The position of each value among ``classes`` (-1 for a value that is not one of them)."""
    return pd.Index(classes).get_indexer(pd.Index(np.asarray(values))).astype(np.int64)


def class_probabilities(
    model: Any, X: Any, classes: np.ndarray, *, review: str, missing_ok: bool = False,
    needs: str = "probabilities for ROC AUC and log loss",
) -> np.ndarray:
    """The model's probability of each of ``classes`` per row of ``X``, shape ``(n, len(classes))``.

    Columns follow ``classes``. With ``missing_ok``, a class the model never saw (a dummy or a
    champion fitted without it) gets probability 0 instead of an error.
    """
    check_probabilistic(model, review=review, needs=needs)
    own = np.asarray(getattr(model, "classes_", []))
    position = class_codes(classes, own) if own.size else np.full(len(classes), -1)
    if (position < 0).any() and not missing_ok:
        absent = ", ".join(repr(c) for c, p in zip(classes.tolist(), position, strict=True) if p < 0)
        raise DataError(
            f"The model has no probability for the classes {absent} (its classes: {own.tolist()}).",
            hint="Retrain the model on rows of every class.",
        )
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    out = np.zeros((proba.shape[0], len(classes)))
    out[:, position >= 0] = proba[:, position[position >= 0]]
    return out

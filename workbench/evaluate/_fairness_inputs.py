"""The fairness review's inputs: sensitive features, predictions, and the task's labels.

A sensitive value that is missing (None, NaN) is not an error: those rows form their own group,
``(missing)``, shown and judged like any other, and the report warns how many rows it holds
(leaving them out would hide exactly the rows a data collection problem may concern).

:data:`PREPARE` checks the labels and predictions for each task and builds its group review.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.evaluate._checks import (
    as_array,
    check_classification_target,
    check_positive_label,
    check_regression_target,
)
from workbench.evaluate._task_groups import (
    BinaryGroups,
    GroupReview,
    MulticlassGroups,
    RegressionGroups,
)
from workbench.exceptions import DataError
from workbench.tasks import MAX_CLASSES, TaskType

__all__ = [
    "MISSING_GROUP", "PREPARE", "Prepared", "check_aligned", "check_inferred", "missing_warnings", "no_sensitive",
    "positive_label_of", "predictions", "sensitive_frame",
]

MISSING_GROUP = "(missing)"


def no_sensitive(sensitive_features: Any) -> bool:
    """True when no sensitive feature is given: None, or an empty frame, list or mapping."""
    if sensitive_features is None:
        return True
    if isinstance(sensitive_features, pd.DataFrame):
        return sensitive_features.shape[1] == 0
    if isinstance(sensitive_features, (list, tuple, Mapping)):
        return len(sensitive_features) == 0
    return False


def missing_warnings(sensitive: pd.DataFrame) -> tuple[str, ...]:
    """A note per sensitive column with missing values: they form the group ``(missing)``."""
    notes = []
    for column in sensitive.columns:
        n = int((sensitive[column] == MISSING_GROUP).sum())
        if n:
            notes.append(
                f"{column}: {n:,} row{'s have' if n > 1 else ' has'} no value; they form the group "
                f"{MISSING_GROUP}. Fill them in the data if the value is known."
            )
    return tuple(notes)


def sensitive_frame(sensitive_features: Any, X: Any) -> pd.DataFrame:
    """The sensitive features as a frame of group labels (strings; missing values a group)."""
    if isinstance(sensitive_features, str):
        sensitive_features = [sensitive_features]
    if isinstance(sensitive_features, (list, tuple)) and all(isinstance(c, str) for c in sensitive_features):
        frame = _columns_of(X, list(sensitive_features))
    elif isinstance(sensitive_features, pd.Series):
        frame = sensitive_features.to_frame(str(sensitive_features.name or "sensitive_feature"))
    elif isinstance(sensitive_features, pd.DataFrame):
        frame = sensitive_features
    elif isinstance(sensitive_features, Mapping):
        frame = pd.DataFrame({str(k): as_array(v, f"sensitive feature {k!r}") for k, v in sensitive_features.items()})
    else:
        frame = pd.DataFrame({"sensitive_feature": as_array(sensitive_features, "sensitive_features")})
    if frame.shape[1] == 0:
        raise DataError("No sensitive feature was given.", hint="Pass at least one sensitive column.")
    return pd.DataFrame(
        {str(c): frame[c].astype(object).where(frame[c].notna(), MISSING_GROUP).astype(str).to_numpy() for c in frame.columns}
    )


def _columns_of(X: Any, names: list[str]) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            f"sensitive_features names columns ({', '.join(names)}) but X is not a DataFrame.",
            hint="Pass X as a DataFrame holding those columns, or pass the sensitive features themselves.",
        )
    missing = [c for c in names if c not in X.columns]
    if missing:
        shown = ", ".join(map(str, list(X.columns)[:12]))
        raise DataError(
            f"The sensitive feature '{missing[0]}' is not a column of X (its columns: {shown}).",
            column=missing[0],
            hint="Pass the sensitive features as a DataFrame (e.g. split.sensitive_test) or name existing columns.",
        )
    return X[names]


def check_aligned(y_true: Any, sensitive_features: Any) -> None:
    """Rows are matched by position; refuse two pandas inputs whose indexes disagree."""
    frames = (pd.Series, pd.DataFrame)
    if (
        isinstance(y_true, frames)
        and isinstance(sensitive_features, frames)
        and not y_true.index.equals(sensitive_features.index)
    ):
        raise DataError(
            "y_true and sensitive_features have the same length but different row indexes, so their rows may not match.",
            hint="Take both from the same rows (e.g. split.y_test and split.sensitive_test), or reset both indexes.",
        )


def predictions(y_pred: Any, model: Any, X: Any) -> np.ndarray:
    if y_pred is not None:
        return as_array(y_pred, "y_pred")
    if model is None or X is None:
        raise DataError(
            "The fairness review needs predictions: pass y_pred, or model and X.",
            hint="e.g. assess_fairness(model=model, X=X_test, y_true=y_test, sensitive_features=S_test).",
        )
    return as_array(model.predict(X), "the model's predictions")


def positive_label_of(positive_label: Any, model: Any, labels: np.ndarray, predicted: np.ndarray) -> Any:
    classes = getattr(model, "classes_", None) if model is not None else None
    if positive_label is None and classes is not None:
        positive_label = classes[-1]
    elif positive_label is None:
        positive_label = np.unique(np.concatenate([labels, np.unique(predicted)]))[-1]
    return check_positive_label(positive_label, labels, name="y_true", classes=classes, predicted=predicted)


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A task's group review over the checked rows, and what the report says about its labels."""

    review: GroupReview
    positive_label: str = ""
    positive: Any = None
    classes: tuple[str, ...] = ()
    target_scale: float = math.nan


def _binary(truth: np.ndarray, predicted: np.ndarray, *, model: Any, positive_label: Any) -> Prepared:
    distinct = pd.Series(truth).dropna().unique()
    if len(distinct) > 2:
        raise DataError(
            f"y_true has {len(distinct)} classes ({', '.join(map(str, sorted(distinct, key=str)[:5]))}), "
            "but the task is binary.",
            hint='Pass task="multiclass" (or leave task unset to take it from the model).',
        )
    labels = check_classification_target(truth, name="y_true")
    check_classification_target(predicted, name="y_pred")
    positive = positive_label_of(positive_label, model, labels, predicted)
    review = BinaryGroups((truth == positive).astype(int), (predicted == positive).astype(int))
    return Prepared(review, positive_label=str(positive), positive=positive)


def _class_values(values: np.ndarray, name: str) -> np.ndarray:
    """The distinct labels of ``values``, or a DataError for missing or continuous ones."""
    missing = int(pd.isna(values).sum())
    if missing:
        raise DataError(f"{name} has {missing:,} missing labels.", hint="Drop those rows first.")
    if values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0):
        raise DataError(
            f"{name} has continuous values (such as {values[np.mod(values, 1) != 0][0]:.4g}), but the task is multiclass.",
            hint='Pass task="regression" for a numeric target, or pass class labels.',
        )
    return np.unique(values)


def _multiclass(truth: np.ndarray, predicted: np.ndarray, *, model: Any, positive_label: Any) -> Prepared:
    found = np.union1d(_class_values(truth, "y_true"), _class_values(predicted, "y_pred"))
    classes = getattr(model, "classes_", None) if model is not None else None
    known = np.asarray(found if classes is None else classes).tolist()  # plain values: their repr reads as typed
    unknown = [v for v in found.tolist() if v not in known]
    if unknown:
        raise DataError(
            f"y_true has labels the model does not know: {', '.join(map(repr, unknown[:5]))} "
            f"(its classes: {', '.join(map(repr, known[:10]))}).",
            hint="Pass labels of the same kind as the model was trained on (1 is not '1').",
        )
    if len(known) > MAX_CLASSES:
        raise DataError(
            f"y_true has {len(known)} classes: too many to review class by class (at most {MAX_CLASSES}).",
            hint='If the target is a quantity, pass task="regression"; otherwise group rare classes.',
        )
    labels = tuple(str(v) for v in known)
    return Prepared(MulticlassGroups(truth, predicted, tuple(known), labels), classes=labels)


def _regression(truth: np.ndarray, predicted: np.ndarray, *, model: Any, positive_label: Any) -> Prepared:
    y = check_regression_target(truth, name="y_true")
    p = check_regression_target(predicted, name="y_pred")
    return Prepared(RegressionGroups(y, p), target_scale=float(np.std(y)))


PREPARE: dict[str, Callable[..., Prepared]] = {"binary": _binary, "multiclass": _multiclass, "regression": _regression}


def _continuous(values: np.ndarray) -> bool:
    if values.dtype.kind not in "fc":
        return False
    finite = values[np.isfinite(values)]
    return bool(finite.size) and not bool(np.all(np.mod(finite, 1) == 0))


def _shown(values: np.ndarray, k: int = 3) -> str:
    distinct = sorted(pd.unique(pd.Series(values).dropna()), key=lambda v: (str(type(v)), v))
    return ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in distinct[:k])


def check_inferred(task: TaskType, truth: np.ndarray, predicted: np.ndarray) -> None:
    """A task read from y_true's values must fit y_pred too: labels with labels, numbers with numbers."""
    if task.classifier and _continuous(predicted):
        raise DataError(
            f"y_pred has continuous values (such as {_shown(predicted)}), but y_true holds class labels "
            f"({_shown(truth, 5)}).",
            hint="Pass predicted labels (model.predict), not probabilities or scores; or pass task=.",
        )
    few_labels = pd.Series(predicted).nunique() <= 20 and not _continuous(predicted)
    if not task.classifier and few_labels:
        raise DataError(
            f"y_true looks like a regression target (values such as {_shown(truth)}), but y_pred holds "
            f"class labels ({_shown(predicted, 5)}).",
            hint='If both are class labels pass task="binary" or task="multiclass"; for a regression pass '
            "the regressor's predictions as y_pred.",
        )

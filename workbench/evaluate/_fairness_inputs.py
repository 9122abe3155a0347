"""The fairness review's inputs: sensitive features, predictions and the positive label."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.evaluate._checks import as_array, check_positive_label
from workbench.exceptions import DataError

__all__ = ["MISSING_GROUP", "check_aligned", "positive_label_of", "predictions", "sensitive_frame"]

MISSING_GROUP = "(missing)"


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

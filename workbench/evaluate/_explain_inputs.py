"""Checking the explain review's inputs, and the raw values its report shows beside the SHAP values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from workbench.evaluate._explainers import Attributions
from workbench.evaluate._features import input_columns
from workbench.exceptions import DataError

__all__ = ["check_budget", "check_class_index", "checked_background", "display_values", "kinds", "mapping_warnings"]


def check_class_index(class_index: int | None, estimator: Any) -> None:
    if class_index is None:
        return
    classes = np.asarray(getattr(estimator, "classes_", [])).tolist()  # plain values: their repr reads as typed
    if not 0 <= class_index < len(classes):
        listed = ", ".join(f"{i}: {c!r}" for i, c in enumerate(classes)) or "none: the model is not a classifier"
        raise DataError(
            f"class_index={class_index} is not a class of the model (its classes: {listed}).",
            hint="Pass class_index as the position of a class in model.classes_, or leave it unset.",
        )


def checked_background(background: Any, X: Any) -> Any:
    """``background`` with ``X``'s columns in ``X``'s order, or a DataError naming what is wrong."""
    if background is None:
        return None
    hint = "Pass background= as rows with the same columns as X (e.g. a sample of the training rows)."
    if isinstance(X, pd.DataFrame):
        if not isinstance(background, pd.DataFrame):
            raise DataError(f"background must be a DataFrame with the columns of X, not {type(background).__name__}.", hint=hint)
        missing = [str(c) for c in X.columns if c not in background.columns]
        if missing:
            raise DataError(
                f"background lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} of X.",
                column=missing[0], hint=hint,
            )
        checked = background[list(X.columns)]
    else:
        checked = np.asarray(background)
        if checked.ndim != 2 or checked.shape[1] != np.shape(X)[1]:
            raise DataError(f"background has shape {checked.shape}; X has {np.shape(X)[1]} columns.", hint=hint)
    if len(checked) == 0:
        raise DataError("background has no rows.", hint=hint)
    return checked


def kinds(X: Any, columns: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(X, pd.DataFrame):
        return dict.fromkeys(columns, "numeric")
    numeric = {str(c) for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])}
    return {c: "numeric" if c in numeric else "categorical" for c in columns}


def display_values(X: Any, found: Attributions, columns: tuple[str, ...], shown: np.ndarray) -> dict[str, tuple[Any, ...]]:
    """The raw input values of the sample rows (numbers as floats, categories as strings)."""
    rows = found.row_positions[shown]
    frame = X.iloc[rows] if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X)[rows], columns=input_columns(X))
    frame.columns = [str(c) for c in frame.columns]
    out: dict[str, tuple[Any, ...]] = {}
    for column in columns:
        if column not in frame.columns:  # a feature that no input column owns
            out[column] = tuple([None] * len(rows))
            continue
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            out[column] = tuple(None if not math.isfinite(v) else float(v) for v in values)
        else:
            out[column] = tuple(None if pd.isna(v) else str(v) for v in series.astype(object))
    return out


def mapping_warnings(unmapped: tuple[str, ...]) -> tuple[str, ...]:
    if not unmapped:
        return ()
    return (f"No input column could be found for the features {', '.join(unmapped)}; they are reported on their own.",)


def check_budget(budget_s: float | None) -> None:
    if budget_s is not None and not (isinstance(budget_s, (int, float)) and math.isfinite(budget_s) and budget_s > 0):
        raise DataError(
            f"budget_s={budget_s!r} is not a positive number of seconds.",
            hint="Pass budget_s as the seconds the review may take (e.g. budget_s=10), or leave it unset to explain "
            "up to max_rows rows.",
        )

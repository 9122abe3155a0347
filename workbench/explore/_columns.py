"""Entry checks shared by profile, infer_schema, validate and fingerprint: text column names, no nested values."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from workbench.exceptions import DataError

__all__ = ["reject_nested", "text_columns"]

_NESTED = (list, dict, set, np.ndarray)


def text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column name as a string; duplicated names (as strings) are a DataError."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"Expected a pandas DataFrame, got {type(frame).__name__}.")
    names = [str(c) for c in frame.columns]
    dupes = sorted(name for name, count in Counter(names).items() if count > 1)
    if dupes:
        raised = frame.columns.has_duplicates
        raise DataError(
            f"The data has duplicated column names{'' if raised else ' once read as text'}: {', '.join(dupes)}.",
            column=dupes[0],
            hint="Rename the columns so that each name is unique.",
        )
    if all(isinstance(c, str) for c in frame.columns):
        return frame
    return frame.set_axis(names, axis=1)


def reject_nested(frame: pd.DataFrame) -> None:
    """Raise a DataError naming the first column that holds lists, dicts or other nested values."""
    for name, dtype in frame.dtypes.items():
        column = frame[name]
        if dtype != np.dtype("O") or not pd.api.types.infer_dtype(column, skipna=True).startswith("mixed"):
            continue
        nested = column.map(lambda v: isinstance(v, _NESTED))
        if nested.any():
            example = type(column[nested].iloc[0]).__name__
            raise DataError(
                f"Column '{name}' holds nested values ({example}); they cannot be profiled, hashed or validated.",
                column=str(name),
                hint="Flatten the column into scalar columns or drop it before this step.",
            )

"""Dataset schemas: inferred from data, saved with the project, and checked against new data.

A :class:`Schema` records, per column, its kind, dtype, nullability, value range (observed,
widened by a tolerance) and allowed categories. It is the contract that validation
(:func:`validate`), the robust inference pipeline and the model service all check input against.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Self

import numpy as np
import pandas as pd

from workbench.exceptions import DataError
from workbench.explore._columns import reject_nested, text_columns
from workbench.reports.base import Report

__all__ = ["ColumnSchema", "Schema", "infer_schema"]

KINDS = ("numeric", "integer", "boolean", "categorical", "datetime", "text")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ColumnSchema:
    """What one column may hold.

    ``minimum``/``maximum`` are the allowed range (the observed range widened by the schema's
    tolerance); ``categories`` lists the allowed values of a categorical column.
    """

    name: str
    kind: str
    dtype: str
    nullable: bool
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Schema(Report):
    """The schema of a dataset; a report, so it saves as JSON and renders as HTML."""

    kind = "schema"
    title = "Data schema"
    columns: tuple[ColumnSchema, ...]
    tolerance: float = 0.1
    fingerprint: str | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSchema:
        for column in self.columns:
            if column.name == name:
                return column
        raise DataError(f"The schema has no column '{name}'.", column=name)

    def select(self, names: list[str]) -> Schema:
        """The schema restricted to ``names`` (in that order)."""
        return dataclasses.replace(self, columns=tuple(self.column(n) for n in names))

    def summary(self) -> str:
        return f"Schema of {len(self.columns)} columns (tolerance {self.tolerance:g})"

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        columns = tuple(
            ColumnSchema(**{**c, "categories": tuple(c["categories"]) if c.get("categories") is not None else None})
            for c in payload.pop("columns")
        )
        return cls(columns=columns, **payload)


def _kind(series: pd.Series, max_categories: int) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    return "categorical" if series.nunique(dropna=True) <= max_categories else "text"


def infer_column(series: pd.Series, *, tolerance: float = 0.1, max_categories: int = 50) -> ColumnSchema:
    """Infer the schema of one column."""
    kind = _kind(series, max_categories)
    spec: dict[str, Any] = {
        "name": str(series.name),
        "kind": kind,
        "dtype": str(series.dtype),
        "nullable": bool(series.isna().any()),
    }
    if kind in ("numeric", "integer"):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        finite = values[np.isfinite(values)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            margin = tolerance * high - tolerance * low  # no overflow at the ends of the float range
            big = float(np.finfo(float).max)
            spec["minimum"], spec["maximum"] = max(low - margin, -big), min(high + margin, big)
    elif kind == "categorical":
        spec["categories"] = tuple(sorted(str(v) for v in series.dropna().unique()))
    return ColumnSchema(**spec)


def infer_schema(frame: pd.DataFrame, *, tolerance: float = 0.1, max_categories: int = 50) -> Schema:
    """Infer a :class:`Schema` from ``frame``.

    Parameters
    ----------
    frame
        The data.
    tolerance
        Numeric ranges are widened by this share of the observed range on each side.
    max_categories
        A non-numeric column with more distinct values than this is ``text``, not categorical.

    Examples
    --------
    >>> import pandas as pd
    >>> schema = infer_schema(pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]}))
    >>> schema.column("c").categories
    ('a', 'b')
    """
    frame = text_columns(frame)
    reject_nested(frame)
    columns = tuple(infer_column(frame[c], tolerance=tolerance, max_categories=max_categories) for c in frame.columns)
    return Schema(columns=columns, tolerance=tolerance)

"""Column-at-a-time coercion of model input to the Explore schema's kinds.

Each coercer takes one column (a numpy array), its :class:`ColumnSchema` and the policy,
records what it repaired or refused in :class:`Notes`, and returns the column as the model
expects it: numbers as float64 (NaN for missing), categories and text as objects. Well-typed
columns take a pure numpy path; element types are only inspected for mixed (object) columns.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench.develop._notes import Notes, short_repr, type_name

if TYPE_CHECKING:
    from workbench.explore.schema import ColumnSchema

UNSEEN_POLICIES = ("missing", "keep", "reject")
RANGE_POLICIES = ("clip", "warn", "reject")
NON_FINITE_POLICIES = ("missing", "reject")
_NUMBER_TYPES = (int, float, np.integer, np.floating)
_BOOL_TYPES = (bool, np.bool_)
_UNREADABLE_TYPES = (complex, np.complexfloating, bytes, bytearray, np.bytes_)


@dataclasses.dataclass(frozen=True)
class Policy:
    """How repairable input is treated (see :func:`workbench.develop.wrap_model`)."""

    unseen: str = "missing"
    out_of_range: str = "clip"
    non_finite: str = "missing"
    max_text_length: int = 10_000


@functools.lru_cache(maxsize=256)
def _category_index(categories: tuple[str, ...]) -> pd.Index:
    return pd.Index(list(categories), dtype=object)


def _types(values: np.ndarray) -> pd.Series:
    """The Python type of each element (only for mixed object columns)."""
    return pd.Series(values, dtype=object).map(type)


def _is_bool(kinds: pd.Series) -> np.ndarray:
    return kinds.map(lambda t: issubclass(t, _BOOL_TYPES)).to_numpy(dtype=bool)


def _is_number(kinds: pd.Series) -> np.ndarray:
    return kinds.map(lambda t: issubclass(t, _NUMBER_TYPES) and not issubclass(t, _BOOL_TYPES)).to_numpy(dtype=bool)


def _values_at(values: np.ndarray, template: str):
    """A message builder: ``template`` formatted with each flagged row's value."""
    return lambda rows: [template.format(value=short_repr(v), kind=type_name(v)) for v in values[rows]]


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def numeric(raw: np.ndarray, column: ColumnSchema, policy: Policy, notes: Notes) -> np.ndarray:
    """Numbers as float64: text read as numbers, infinities and the range by policy."""
    name = column.name
    if raw.dtype.kind == "b":
        notes.problem(np.ones(len(raw), dtype=bool), name, f"expected a number, got a boolean in {name}")
        values = np.full(len(raw), np.nan)
    elif raw.dtype.kind in "fiu":
        values = raw.astype(float, copy=True)
    else:
        values = _numbers_from_objects(raw.astype(object), name, notes)
    missing = np.isnan(values)
    infinite = np.isinf(values)
    if infinite.any():
        if policy.non_finite == "reject":
            notes.problem(infinite, name, f"{name} is infinite")
        else:
            notes.warn(infinite, f"{name}: infinite value treated as missing")
        values[infinite] = np.nan
    if not column.nullable:
        notes.warn(missing & ~notes.bad_rows(), f"{name}: missing, though the training data had no missing values")
    if column.kind == "integer":
        fractional = np.isfinite(values) & (values != np.round(values))
        notes.warn(fractional, lambda rows: [f"{name}: {_fmt(v)} is not a whole number" for v in values[rows]])
    _check_range(values, column, policy, notes)
    return values


def _numbers_from_objects(raw: np.ndarray, name: str, notes: Notes) -> np.ndarray:
    present = pd.notna(raw)
    if pd.api.types.infer_dtype(raw, skipna=True) in ("floating", "integer", "mixed-integer-float", "empty"):
        return np.where(present, raw, np.nan).astype(float)
    kinds = _types(raw)
    # complex numbers would lose their imaginary part and bytes be read as text: both are refused
    unreadable = kinds.map(lambda t: issubclass(t, _UNREADABLE_TYPES)).to_numpy(dtype=bool)
    readable = raw
    if unreadable.any():  # a copy: ``raw`` may be a read-only view of the caller's frame
        readable = raw.copy()
        readable[unreadable] = None
    values = pd.to_numeric(pd.Series(readable, dtype=object), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan, copy=True)
    is_bool = _is_bool(kinds)
    is_text = kinds.map(lambda t: issubclass(t, str)).to_numpy(dtype=bool)
    bad = present & (np.isnan(values) | is_bool | unreadable)
    notes.problem(bad, name, _values_at(raw, "expected a number, got {kind} {value}"))
    notes.warn(present & is_text & ~bad, _values_at(raw, name + ": text {value} read as a number"))
    values[bad] = np.nan
    return values


def _check_range(values: np.ndarray, column: ColumnSchema, policy: Policy, notes: Notes) -> None:
    low = -np.inf if column.minimum is None else column.minimum
    high = np.inf if column.maximum is None else column.maximum
    with np.errstate(invalid="ignore"):
        outside = (values < low) | (values > high)
    if not outside.any():
        return
    span = f"[{_fmt(low)}, {_fmt(high)}]"
    name = column.name
    if policy.out_of_range == "reject":
        notes.problem(outside, name, lambda rows: [f"{_fmt(v)} is outside the allowed range {span}" for v in values[rows]])
        return
    action = "; clipped" if policy.out_of_range == "clip" else ""
    notes.warn(outside, lambda rows: [f"{name}: {_fmt(v)} outside the training range {span}{action}" for v in values[rows]])
    if policy.out_of_range == "clip":
        values[outside] = np.clip(values[outside], low, high)


def _as_text(raw: np.ndarray, column: ColumnSchema, notes: Notes, what: str) -> np.ndarray:
    """Objects that are text; numbers become text (with a warning), anything else is refused."""
    values = raw.astype(object, copy=True)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values
    present = pd.notna(values)
    kinds = _types(values)
    is_text = kinds.map(lambda t: issubclass(t, str)).to_numpy(dtype=bool)
    is_number = _is_number(kinds)
    numbers = present & is_number
    if numbers.any():
        values[numbers] = [str(int(v)) if float(v).is_integer() else str(v) for v in values[numbers]]
        notes.warn(numbers, _values_at(values, column.name + ": number read as " + what + " {value}"))
    bad = present & ~is_text & ~is_number
    notes.problem(bad, column.name, _values_at(values, f"expected {what}, got " + "{kind} {value}"))
    values[bad] = np.nan
    return values


def categorical(raw: np.ndarray, column: ColumnSchema, policy: Policy, notes: Notes) -> np.ndarray:
    """Categories as objects; unseen categories by policy."""
    values = _as_text(raw, column, notes, "a category")
    name = column.name
    present = pd.notna(values)
    if column.categories:
        known = _category_index(column.categories).get_indexer(values) >= 0
        unseen = present & ~known & ~notes.bad_rows()
        if unseen.any():
            message = _values_at(values, f"unseen category {{value}} in {name}")
            if policy.unseen == "reject":
                notes.problem(unseen, name, message)
            else:
                treated = "treated as missing" if policy.unseen == "missing" else "kept"
                notes.warn(unseen, _values_at(values, f"{name}: unseen category {{value}} {treated}"))
                if policy.unseen == "missing":
                    values[unseen] = np.nan
    if not column.nullable:
        notes.warn(~present & ~notes.bad_rows(), f"{name}: missing, though the training data had no missing values")
    return values


def text(raw: np.ndarray, column: ColumnSchema, policy: Policy, notes: Notes) -> np.ndarray:
    """Free text as objects, cut to ``policy.max_text_length`` characters."""
    values = _as_text(raw, column, notes, "text")
    lengths = pd.Series(values, dtype=object).str.len().to_numpy(dtype=float, na_value=0.0)
    long = lengths > policy.max_text_length
    if long.any():
        notes.warn(long, f"{column.name}: text over {policy.max_text_length:,} characters cut")
        values[long] = [v[: policy.max_text_length] for v in values[long]]
    return values


_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def boolean(raw: np.ndarray, column: ColumnSchema, policy: Policy, notes: Notes) -> np.ndarray:
    """Booleans; the texts true/false/yes/no/1/0 and the numbers 1/0 are read as booleans."""
    if raw.dtype.kind == "b":
        return raw.astype(object)
    values = pd.Series(raw, dtype=object)
    present = values.notna().to_numpy()
    words = values.map(lambda v: v if isinstance(v, _BOOL_TYPES) else str(v).strip().lower())
    is_true = words.isin([*_TRUE, True]).to_numpy() & present
    is_false = words.isin([*_FALSE, False]).to_numpy() & present
    bad = present & ~is_true & ~is_false
    notes.problem(bad, column.name, _values_at(raw, "expected true or false, got {kind} {value}"))
    return np.where(is_true, True, np.where(is_false, False, np.nan)).astype(object)


def datetime(raw: np.ndarray, column: ColumnSchema, policy: Policy, notes: Notes) -> np.ndarray:
    """Timestamps (ISO 8601 text or datetimes), in UTC; unreadable ones are refused."""
    series = pd.Series(raw)
    present = series.notna().to_numpy()
    try:
        stamps = pd.to_datetime(series, errors="coerce", utc=True, format="mixed")
    except (TypeError, ValueError):
        stamps = pd.to_datetime(series.astype(str), errors="coerce", utc=True, format="mixed")
    bad = present & stamps.isna().to_numpy()
    notes.problem(bad, column.name, _values_at(raw, "expected a date and time, got {kind} {value}"))
    if "UTC" not in column.dtype and "tz" not in column.dtype:
        stamps = stamps.dt.tz_localize(None)
    return stamps.to_numpy()


COERCERS = {
    "numeric": numeric,
    "integer": numeric,
    "categorical": categorical,
    "text": text,
    "boolean": boolean,
    "datetime": datetime,
}

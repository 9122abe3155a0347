"""What each column of the user's data is: a feature, an ID, or something a model cannot use.

:func:`column_roles` runs the detectors of :data:`DETECTORS` in order on every column that
the user did not name (target, sensitive, time): the first that recognises the column decides
its role and says why. ID columns stay in the data, listed in ``[data] id_columns`` (Evaluate
leaves them out of the model); the other roles are dropped from the project's copy of the
data, each with a note that names the column and what to do instead.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import shlex
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import DataError

__all__ = ["DETECTORS", "ColumnNote", "ColumnRoles", "column_roles", "missing_column"]

# Fewer rows than this cannot show that a column is an ID or free text.
_MIN_ROWS = 20
# Free text: at least this share of distinct values, and most values hold a space or are long.
_TEXT_UNIQUE_SHARE = 0.5
_TEXT_LONG = 50
_ID_NAME = re.compile(r"(^|[_\s.-])(id|key|uuid|guid)$|^(id|uuid|guid)([_\s.-]|$)", re.IGNORECASE)
_DATE_TEXT = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_SAMPLE = 10_000


@dataclasses.dataclass(frozen=True)
class ColumnNote:
    """Why a column is not a feature: its ``role`` (``id``, ``text``, ``datetime`` ...) and a sentence."""

    column: str
    role: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnNote:
        return cls(column=data["column"], role=data["role"], message=data["message"])


@dataclasses.dataclass(frozen=True)
class ColumnRoles:
    """The features (numeric, categorical), the ID columns and the dropped columns with their notes."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    id_columns: tuple[str, ...]
    dropped: tuple[ColumnNote, ...]
    notes: tuple[ColumnNote, ...]

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric + self.categorical


def _values(series: pd.Series) -> pd.Series:
    return series.dropna()


def _is_empty(series: pd.Series) -> str | None:
    if series.notna().any():
        return None
    return f"'{series.name}' has no values at all: dropped."


def _is_nested(series: pd.Series) -> str | None:
    if series.dtype != object:
        return None
    values = _values(series)
    if values.empty or not isinstance(values.iloc[0], list | dict | tuple | set | np.ndarray):
        return None
    return (f"'{series.name}' holds nested values ({type(values.iloc[0]).__name__}): dropped; "
            "flatten it into columns of single values to use it.")


def _looks_like_dates(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if not pd.api.types.is_string_dtype(series):
        return False
    sample = _values(series).head(200).astype(str)
    if sample.empty or not sample.str.match(_DATE_TEXT).all():
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().all())


def _is_datetime(series: pd.Series) -> str | None:
    if not _looks_like_dates(series):
        return None
    flag = shlex.quote(str(series.name))
    return (f"'{series.name}' holds dates: dropped from the features (a model cannot use raw dates). "
            f"Pass --time-column {flag} to make it the project's time column (the latest rows become "
            "the production traffic), or derive features from it (month, weekday ...) before init.")


def _is_id(series: pd.Series) -> str | None:
    if len(series) < _MIN_ROWS or series.isna().any():
        return None
    integer = pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series)
    text = pd.api.types.is_string_dtype(series) and not integer
    if not (integer or text) or not series.is_unique:
        return None
    if integer and not (_ID_NAME.search(str(series.name)) or _consecutive(series)):
        return None  # unique whole numbers (amounts, counts) are features unless named or numbered like IDs
    if text and _spaced_share(series) >= 0.5:
        return None  # unique sentences are free text, not IDs
    return (f"'{series.name}' has a distinct value on every row: an ID, not a feature. It is listed in "
            "[data] id_columns (kept in the data, left out of the model).")


def _consecutive(series: pd.Series) -> bool:
    low, high = int(series.min()), int(series.max())
    return high - low + 1 == len(series)


def _spaced_share(series: pd.Series) -> float:
    sample = _values(series).head(_SAMPLE).astype(str)
    return float(sample.str.contains(" ", regex=False).mean()) if len(sample) else 0.0


def _is_free_text(series: pd.Series) -> str | None:
    if not pd.api.types.is_string_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    values = _values(series)
    if len(values) < _MIN_ROWS:
        return None
    unique_share = values.nunique() / len(values)
    sample = values.head(_SAMPLE).astype(str)
    length = float(sample.str.len().mean())
    if unique_share < _TEXT_UNIQUE_SHARE or (_spaced_share(series) < 0.5 and length < _TEXT_LONG):
        return None
    return (f"'{series.name}' holds free text ({unique_share:.0%} distinct values, about {length:.0f} "
            "characters each): dropped, as text columns are not supported. Derive features from it "
            "(length, keywords, a category) before init to use it.")


# Role -> detector, tried in this order; the first that returns a note decides the column's role.
DETECTORS: dict[str, Callable[[pd.Series], str | None]] = {
    "empty": _is_empty,
    "nested": _is_nested,
    "datetime": _is_datetime,
    "id": _is_id,
    "text": _is_free_text,
}
# Roles whose columns stay in the project's data (the rest are dropped from its copy).
KEPT_ROLES = frozenset({"id"})


def column_roles(frame: pd.DataFrame, *, named: Collection[str]) -> ColumnRoles:
    """The role of every column of ``frame`` but the ``named`` ones (target, sensitive, time).

    Examples
    --------
    >>> frame = pd.DataFrame({"row_id": range(100), "x": np.linspace(0, 1, 100), "c": ["a", "b"] * 50})
    >>> roles = column_roles(frame, named=())
    >>> roles.features, roles.id_columns
    (('x', 'c'), ('row_id',))
    """
    numeric: list[str] = []
    categorical: list[str] = []
    notes: list[ColumnNote] = []
    for name in frame.columns:
        if name in named:
            continue
        series = frame[name]
        note = next(
            (ColumnNote(str(name), role, message) for role, detect in DETECTORS.items()
             if (message := detect(series)) is not None),
            None,
        )
        if note is not None:
            notes.append(note)
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            numeric.append(str(name))
        else:
            categorical.append(str(name))
    return ColumnRoles(
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        id_columns=tuple(n.column for n in notes if n.role in KEPT_ROLES),
        dropped=tuple(n for n in notes if n.role not in KEPT_ROLES),
        notes=tuple(notes),
    )


def missing_column(what: str, name: str, columns: Sequence[str], *, flag: str, source: str) -> DataError:
    """The error for a named column that is not in the data, suggesting the closest names."""
    close = _close_names(name, columns)
    suggestion = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    listed = ", ".join(repr(c) for c in columns[:30]) + (" ..." if len(columns) > 30 else "")
    return DataError(
        f"The {what} column '{name}' is not in {source}.",
        column=name,
        hint=f"{suggestion}Pass {flag} with one of its columns: {listed}.",
    )


def _close_names(name: str, columns: Sequence[str]) -> list[str]:
    folded = {c.casefold().replace(" ", "_"): c for c in columns}
    exact = folded.get(name.casefold().replace(" ", "_"))
    if exact is not None:
        return [exact]
    matches = difflib.get_close_matches(name.casefold(), list(folded), n=3, cutoff=0.6)
    return [folded[m] for m in matches]

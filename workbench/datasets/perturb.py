"""Hostile versions of a project's own rows: what Develop and Deploy send to show repairs and refusals.

Real rows (held out of training) are changed the way production traffic goes wrong, column
by column as the model's :class:`~workbench.explore.schema.Schema` allows: a number sent as
text in the first numeric column, an unseen category in the first categorical one, an
infinity, a value far outside the training range, an extra column. Each change is recorded as
a :class:`Perturbation` that says which row and column it touched, so a notebook can print
what it sent without knowing the dataset.

Examples
--------
>>> messy = messy_records(held_out.head(5), schema=robust.schema)  # doctest: +SKIP
>>> for change in messy.perturbations:  # doctest: +SKIP
...     print(change.describe())
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import DataError, ParameterError

__all__ = ["MessyRecords", "Perturbation", "json_records", "messy_records", "refused_record"]

NUMERIC_KINDS = ("numeric", "integer")
EXTRA_COLUMN = "comment"


@dataclasses.dataclass(frozen=True)
class Perturbation:
    """One change to one record: ``kind`` of change, the ``row`` and ``column``, the value sent."""

    kind: str
    row: int | None
    column: str
    value: Any

    def describe(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        return f"{where}{DESCRIPTIONS[self.kind].format(column=self.column, value=_short(self.value))}"


@dataclasses.dataclass(frozen=True)
class MessyRecords:
    """JSON-style records (columns in reverse order) with the changes made to them.

    ``skipped`` names the changes the schema had no column for (e.g. no categorical column).
    """

    records: list[dict[str, Any]]
    perturbations: tuple[Perturbation, ...]
    skipped: tuple[str, ...] = ()

    def describe(self) -> list[str]:
        """One line per change made, then one per change the schema had no column for."""
        lines = [p.describe() for p in self.perturbations]
        return lines + [f"not sent: {SKIPPED[kind]}" for kind in self.skipped]


DESCRIPTIONS = {
    "number_as_text": "'{column}' sent as text {value}",
    "unseen_category": "'{column}' = {value}, a category the model never saw",
    "infinity": "'{column}' = {value}",
    "out_of_range": "'{column}' = {value}, far outside the training range",
    "extra_column": "an extra column '{column}' = {value}",
    "not_a_number": "'{column}' = {value}: text that is not a number",
    "nested": "'{column}' = {value}: a nested value, not a single one",
    "missing_column": "'{column}' left out of the record",
}
SKIPPED = {
    "number_as_text": "a number sent as text (the model has no numeric column)",
    "unseen_category": "an unseen category (the model has no categorical column)",
    "infinity": "an infinity (the model has no numeric column)",
    "out_of_range": "an out-of-range number (the model has no numeric column with a range)",
}


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame`` as records of plain Python values, missing values as None (ready for JSON)."""
    plain = frame.astype(object).where(frame.notna(), None)
    return [{str(k): _plain(v) for k, v in row.items()} for row in plain.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _columns(schema: Any, kinds: tuple[str, ...]) -> list[Any]:
    return [c for c in schema.columns if c.kind in kinds]


def _first_value(frame: pd.DataFrame, column: str) -> Any:
    values = frame[column].dropna()
    return _plain(values.iloc[0]) if len(values) else 1


def _number_as_text(frame: pd.DataFrame, schema: Any) -> tuple[str, Any] | None:
    numeric = _columns(schema, NUMERIC_KINDS)
    return (numeric[0].name, str(_first_value(frame, numeric[0].name))) if numeric else None


def _unseen_category(frame: pd.DataFrame, schema: Any) -> tuple[str, Any] | None:
    categorical = _columns(schema, ("categorical",))
    if not categorical:
        return None
    known = set(categorical[0].categories or ())
    value = "never-seen-before"
    while value in known:
        value += "-again"
    return categorical[0].name, value


def _infinity(frame: pd.DataFrame, schema: Any) -> tuple[str, Any] | None:
    numeric = _columns(schema, NUMERIC_KINDS)
    return (numeric[min(1, len(numeric) - 1)].name, math.inf) if numeric else None


def _out_of_range(frame: pd.DataFrame, schema: Any) -> tuple[str, Any] | None:
    ranged = [c for c in _columns(schema, NUMERIC_KINDS) if c.minimum is not None and c.maximum is not None]
    if not ranged:
        return None
    column = ranged[min(2, len(ranged) - 1)]
    value = column.maximum + max(column.maximum - column.minimum, 1.0)
    return column.name, math.ceil(value) if column.kind == "integer" else round(value, 6)


def _extra_column(frame: pd.DataFrame, schema: Any) -> tuple[str, Any] | None:
    name = EXTRA_COLUMN
    while name in schema.names or name in frame.columns:
        name = f"{name}_"
    return name, "sent by the web form"


# Change -> how to make it from the rows and the schema (None: the schema has no column for it).
CHANGES: dict[str, Callable[[pd.DataFrame, Any], tuple[str, Any] | None]] = {
    "number_as_text": _number_as_text,
    "unseen_category": _unseen_category,
    "infinity": _infinity,
    "out_of_range": _out_of_range,
    "extra_column": _extra_column,
}


def messy_records(frame: pd.DataFrame, *, schema: Any, changes: Sequence[str] = tuple(CHANGES)) -> MessyRecords:
    """The first rows of ``frame`` as records in reverse column order, one change per row.

    Parameters
    ----------
    frame
        Real rows with at least the schema's columns (other columns are dropped); one row per
        change is used.
    schema : Schema
        The model's input schema: which columns are numeric or categorical, their ranges and
        categories.
    changes
        Which changes of :data:`CHANGES` to make, in row order (default: all five). Leave out
        ``"infinity"`` for records sent as JSON, which has no infinity.
    """
    unknown = [kind for kind in changes if kind not in CHANGES]
    if unknown:
        raise ParameterError(f"Unknown change(s): {', '.join(map(repr, unknown))}.", name="changes", value=unknown,
                             hint=f"Use any of: {', '.join(CHANGES)}.")
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        raise DataError(f"The rows lack the model's column(s): {', '.join(missing)}.", column=missing[0],
                        hint="Pass rows with every column of the model's schema.")
    if len(frame) < len(changes):
        raise DataError(f"messy_records needs {len(changes)} rows (one per change), got {len(frame)}.",
                        hint="Pass more rows, or fewer changes.")
    records = json_records(frame[schema.names[::-1]].head(len(changes)))
    made: list[Perturbation] = []
    skipped: list[str] = []
    for row, kind in enumerate(changes):
        change = CHANGES[kind](frame, schema)
        if change is None:
            skipped.append(kind)
            continue
        column, value = change
        records[row][column] = value
        made.append(Perturbation(kind, row, column, value))
    return MessyRecords(records, tuple(made), tuple(skipped))


def refused_record(record: Mapping[str, Any], *, schema: Any) -> tuple[dict[str, Any], tuple[Perturbation, ...]]:
    """A copy of ``record`` that no policy can repair, and what was done to it.

    The schema's last column is left out, the first numeric column of the others holds text
    that is not a number, and the next column a nested value.
    """
    bad = dict(record)
    names = list(schema.names)
    dropped = names[-1] if len(names) > 1 else None
    remaining = [name for name in names if name != dropped]
    numeric = {c.name for c in _columns(schema, NUMERIC_KINDS)}
    number = next((name for name in remaining if name in numeric), None)
    nested = next((name for name in remaining if name != number), None)
    changes: list[Perturbation] = []
    if number is not None:
        bad[number] = "lots"
        changes.append(Perturbation("not_a_number", None, number, "lots"))
    if nested is not None:
        bad[nested] = {"nested": True}
        changes.append(Perturbation("nested", None, nested, {"nested": True}))
    if dropped is not None:
        bad.pop(dropped, None)
        changes.append(Perturbation("missing_column", None, dropped, None))
    return bad, tuple(changes)

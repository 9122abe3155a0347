"""Hostile and malformed inputs for the robustness check, as hypothesis strategies.

Each attack draws a :class:`Case`: a payload built from valid records with one thing made
wrong, the row that was made wrong, and what a robust pipeline must do with it:
``"reject"`` (raise InputError), ``"warn"`` (refuse, or predict with a warning on that row)
or ``"ok"`` (predict; the same answers as the clean records).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

from workbench.explore.schema import Schema

HUGE = 100_000


@dataclasses.dataclass(frozen=True)
class Case:
    payload: Any
    row: int | None
    field: str | None
    expect: str
    clean: Any = None  # the valid records the payload was made from ("ok" cases compare with them)


@dataclasses.dataclass(frozen=True)
class Attack:
    name: str
    description: str
    strategy: Any


def valid_records(schema: Schema, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` records that satisfy ``schema`` (values inside the ranges, known categories)."""
    rng = np.random.default_rng(seed)
    columns: dict[str, list[Any]] = {}
    for col in schema.columns:
        if col.kind in ("numeric", "integer"):
            low = col.minimum if col.minimum is not None and math.isfinite(col.minimum) else 0.0
            high = col.maximum if col.maximum is not None and math.isfinite(col.maximum) else low + 1.0
            pad = (high - low) * 0.1
            values = rng.uniform(low + pad, high - pad, n)
            columns[col.name] = np.round(values).tolist() if col.kind == "integer" else values.tolist()
        elif col.kind == "categorical" and col.categories:
            columns[col.name] = rng.choice(list(col.categories), n).tolist()
        elif col.kind == "boolean":
            columns[col.name] = rng.choice([True, False], n).tolist()
        elif col.kind == "datetime":
            columns[col.name] = [f"2024-01-{1 + i % 28:02d}T00:00:00" for i in range(n)]
        else:
            columns[col.name] = [f"text {i}" for i in range(n)]
    return [{name: values[i] for name, values in columns.items()} for i in range(n)]


def _numeric(schema: Schema) -> list[str]:
    return [c.name for c in schema.columns if c.kind in ("numeric", "integer")]


def _textual(schema: Schema) -> list[str]:
    return [c.name for c in schema.columns if c.kind in ("categorical", "text")]


@st.composite
def _one_field(draw: Any, base: list[dict], fields: list[str], values: Any, expect: Any) -> Case:
    records = [dict(r) for r in draw(st.lists(st.sampled_from(base), min_size=1, max_size=4))]
    row = draw(st.integers(0, len(records) - 1))
    field = draw(st.sampled_from(fields))
    value = draw(values)
    records[row][field] = value
    return Case(records, row, field, expect(field, value) if callable(expect) else expect)


def _nested() -> Any:
    leaves = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.floats(allow_nan=False))
    return st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                           st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                        max_leaves=8).filter(lambda v: isinstance(v, list | dict))


def _not_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


@st.composite
def _drop_columns(draw: Any, base: list[dict], names: list[str]) -> Case:
    record = dict(draw(st.sampled_from(base)))
    dropped = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    for name in dropped:
        record.pop(name)
    return Case([record], None, dropped[0], "reject")


@st.composite
def _batch_missing_key(draw: Any, base: list[dict], names: list[str]) -> Case:
    """A batch where one record lacks a column the others send: that row, that column, refused."""
    records = [dict(r) for r in draw(st.lists(st.sampled_from(base), min_size=2, max_size=5))]
    row = draw(st.integers(0, len(records) - 1))
    field = draw(st.sampled_from(names))
    records[row].pop(field)
    return Case(records, row, field, "reject")


@st.composite
def _extra_columns(draw: Any, base: list[dict], names: list[str]) -> Case:
    record = dict(draw(st.sampled_from(base)))
    keys = draw(st.lists(st.text(min_size=1, max_size=20).filter(lambda k: k not in names), min_size=1,
                         max_size=5, unique=True))
    for key in keys:
        record[key] = draw(st.one_of(st.integers(), st.text(max_size=10), _nested()))
    return Case([record], 0, None, "warn", clean=[{n: record[n] for n in names}])


@st.composite
def _shuffled(draw: Any, base: list[dict], names: list[str]) -> Case:
    records = draw(st.lists(st.sampled_from(base), min_size=1, max_size=5))
    order = draw(st.permutations(names))
    return Case([{n: r[n] for n in order} for r in records], None, None, "ok", clean=records)


@st.composite
def _bad_records(draw: Any, base: list[dict]) -> Case:
    records: list[Any] = [dict(r) for r in draw(st.lists(st.sampled_from(base), min_size=0, max_size=3))]
    row = draw(st.integers(0, len(records)))
    records.insert(row, draw(st.one_of(st.none(), st.integers(), st.text(max_size=10),
                                       st.lists(st.integers(), max_size=3))))
    return Case(records, row, None, "reject")


def attacks(schema: Schema, base: list[dict]) -> list[Attack]:
    """The attacks for a model with ``schema``, built on the valid records ``base``."""
    names, numeric, textual = schema.names, _numeric(schema), _textual(schema)
    nullable = {c.name for c in schema.columns if c.nullable}
    found = [
        Attack("wrong_type", "A boolean, list or object where a value belongs",
               _one_field(base, names, st.one_of(st.booleans(), st.lists(st.integers(), max_size=3),
                                                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
                          _type_expectation(schema))),
        Attack("nested", "Deeply nested objects and lists as values", _one_field(base, names, _nested(), "reject")),
        Attack("bad_records", "Records that are not JSON objects (null, numbers, text, lists)", _bad_records(base)),
        Attack("huge_string", f"A {HUGE:,}-character string as a value",
               _one_field(base, names, st.sampled_from("xé€😀").map(lambda c: c * HUGE), "warn")),
        Attack("unicode", "Arbitrary unicode text (emoji, RTL, control characters) as a value",
               _one_field(base, names, st.text(min_size=1, max_size=30), _unicode_expectation(schema))),
        Attack("missing_columns", "Records without some of the model's columns", _drop_columns(base, names)),
        Attack("batch_missing_key", "A batch where one record lacks a column the others have",
               _batch_missing_key(base, names)),
        Attack("extra_columns", "Records with columns the model does not know", _extra_columns(base, names)),
        Attack("shuffled_columns", "Columns in another order (answers must not change)", _shuffled(base, names)),
        Attack("empty", "No rows at all", st.sampled_from([Case([], None, None, "reject"), Case({}, None, None, "reject")])),
    ]
    if numeric:
        found += [
            Attack("non_finite", "NaN, inf and -inf in numeric columns",
                   _one_field(base, numeric, st.sampled_from([math.nan, math.inf, -math.inf]),
                              lambda f, v: "ok" if math.isnan(v) and f in nullable else "warn")),
            Attack("out_of_range", "Numbers far outside the training range (up to ±1e308)",
                   _one_field(base, numeric, _far_numbers(), "warn")),
            Attack("text_in_number", "Text where a number belongs",
                   _one_field(base, numeric, st.text(max_size=20).filter(_not_number), "reject")),
        ]
    if textual:
        found.append(Attack("unseen_category", "Categories never seen in training",
                            _one_field(base, textual, st.text(min_size=1, max_size=12), _unicode_expectation(schema))))
    return found


def _far_numbers() -> Any:
    return st.one_of(st.floats(min_value=1e12, max_value=1e308), st.floats(min_value=-1e308, max_value=-1e12))


def _type_expectation(schema: Schema) -> Any:
    booleans = {c.name for c in schema.columns if c.kind == "boolean"}
    return lambda field, value: "ok" if field in booleans and isinstance(value, bool) else "reject"


def _unicode_expectation(schema: Schema) -> Any:
    kinds = {c.name: c for c in schema.columns}

    def expect(field: str, value: str) -> str:
        column = kinds[field]
        if column.kind == "categorical" and column.categories and value in column.categories:
            return "ok"
        if column.kind in ("numeric", "integer"):
            return "reject" if _not_number(value) else "warn"
        return "warn"

    return expect

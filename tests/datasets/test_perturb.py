"""Hostile records made from real rows, sent through a real robust model (repaired or refused)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from workbench.datasets import json_records, messy_records, refused_record
from workbench.develop import wrap_model
from workbench.exceptions import InputError, ParameterError
from workbench.explore.schema import infer_schema


def _frame(n_rows: int = 200, *, categorical: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"size": rng.normal(10, 2, n_rows), "rooms": rng.integers(1, 6, n_rows),
                          "age": rng.normal(30, 5, n_rows)})
    if categorical:
        frame["city"] = rng.choice(["lyon", "nantes", "lille"], n_rows)
    return frame


def _robust(frame: pd.DataFrame):
    categorical = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    columns = ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore"), categorical)], remainder="passthrough")
    y = (frame["size"] > 10).astype(int)
    model = Pipeline([("columns", columns), ("model", HistGradientBoostingClassifier(max_iter=20))]).fit(frame, y)
    return wrap_model(model, infer_schema(frame))


def test_every_change_is_repaired_with_a_warning_naming_its_column() -> None:
    frame = _frame()
    robust = _robust(frame)
    messy = messy_records(frame, schema=robust.schema)
    assert [p.kind for p in messy.perturbations] == [
        "number_as_text", "unseen_category", "infinity", "out_of_range", "extra_column"]
    assert list(messy.records[0]) == robust.names[::-1]  # columns sent in reverse order
    assert messy.records[0]["size"] == str(frame["size"].iloc[0])
    assert messy.records[2]["rooms"] == math.inf
    assert messy.records[3]["age"] > robust.schema.column("age").maximum
    prediction = robust.predict(messy.records)
    for change, warnings in zip(messy.perturbations, prediction.warnings, strict=True):
        assert any(change.column in warning for warning in warnings), (change, warnings)
    assert messy.describe() == [
        f"row 0: 'size' sent as text {str(frame['size'].iloc[0])!r}",
        "row 1: 'city' = 'never-seen-before', a category the model never saw",
        "row 2: 'rooms' = inf",
        f"row 3: 'age' = {messy.records[3]['age']!r}, far outside the training range",
        "row 4: an extra column 'comment' = 'sent by the web form'",
    ]


def test_a_numeric_only_schema_skips_the_category_and_says_so() -> None:
    frame = _frame(categorical=False)
    messy = messy_records(frame, schema=infer_schema(frame))
    assert messy.skipped == ("unseen_category",)
    assert messy.describe()[-1] == "not sent: an unseen category (the model has no categorical column)"


def test_chosen_changes_make_json_safe_records() -> None:
    frame = _frame()
    messy = messy_records(frame, schema=infer_schema(frame), changes=("unseen_category", "out_of_range"))
    assert len(messy.records) == 2
    json.dumps(messy.records, allow_nan=False)
    with pytest.raises(ParameterError, match="Unknown change"):
        messy_records(frame, schema=infer_schema(frame), changes=("meteor",))


def test_refused_record_is_refused_naming_each_field() -> None:
    frame = _frame()
    robust = _robust(frame)
    bad, changes = refused_record(json_records(frame.head(1))[0], schema=robust.schema)
    assert [(c.kind, c.column) for c in changes] == [("not_a_number", "size"), ("nested", "rooms"),
                                                     ("missing_column", "city")]
    with pytest.raises(InputError) as info:
        robust.predict([bad])
    assert str(info.value).startswith("The input lacks 1 column(s) the model needs: city.")
    with pytest.raises(InputError) as info:  # beside a complete record, the bad values are named row by row
        robust.predict([bad, json_records(frame.head(1))[0]])
    assert [(p["row"], p["field"]) for p in info.value.problems] == [(0, "size"), (0, "rooms")]


def test_json_records_are_plain_values() -> None:
    frame = pd.DataFrame({"n": np.array([1, 2], dtype=np.int64), "x": [1.5, np.nan], "t": ["a", None],
                          "when": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    records = json_records(frame)
    assert records[0] == {"n": 1, "x": 1.5, "t": "a", "when": "2024-01-01T00:00:00"}
    assert records[1]["x"] is None and records[1]["t"] is None
    assert type(records[0]["n"]) is int
    json.dumps(records, allow_nan=False)

"""The robust inference pipeline against the demo model: coercion, repairs, refusals, the cap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import json_records

from workbench.develop import wrap_model
from workbench.exceptions import InputError, ModelError, ParameterError
from workbench.explore.schema import infer_schema


@pytest.fixture(scope="module")
def robust(trained):
    return wrap_model(trained.model, infer_schema(trained.split.X_train), max_rows=500)


@pytest.fixture(scope="module")
def rows(trained):
    return trained.split.X_test.head(6).reset_index(drop=True)


def test_clean_frame_matches_the_model(robust, trained, rows):
    result = robust.predict(rows)
    np.testing.assert_allclose(result.positive_probability, trained.model.predict_proba(rows)[:, 1])
    np.testing.assert_array_equal(result.predictions, trained.model.predict(rows))
    assert result.classes == [0, 1] and result.warnings == [[]] * 6
    assert list(result.to_frame().columns) == ["prediction", "probability_0", "probability_1", "warnings"]


def test_records_in_any_order_with_text_numbers(robust, trained, rows):
    records = [dict(reversed(list(r.items()))) for r in json_records(rows)]
    records[1]["income"] = str(records[1]["income"])
    frame, warnings = robust.prepare(records)
    assert list(frame.columns) == list(rows.columns)
    np.testing.assert_allclose(robust.predict(records).positive_probability,
                               trained.model.predict_proba(rows)[:, 1])
    assert warnings[1] == [f"income: text {records[1]['income']!r} read as a number"] and warnings[0] == []


def test_repairs_carry_per_row_warnings(robust, rows):
    records = json_records(rows)
    records[0]["region"] = "atlantis"
    records[1]["loan_amount"] = math.inf
    records[2]["credit_score"] = 10_000
    records[3]["colour"] = "blue"
    frame, warnings = robust.prepare(records)
    assert pd.isna(frame.loc[0, "region"]) and "unseen category 'atlantis' treated as missing" in warnings[0][-1]
    assert pd.isna(frame.loc[1, "loan_amount"]) and "loan_amount: infinite value treated as missing" in warnings[1]
    assert frame.loc[2, "credit_score"] == robust.schema.column("credit_score").maximum
    assert "credit_score: 10000 outside the training range" in warnings[2][-1] and "clipped" in warnings[2][-1]
    assert all("ignored extra column(s): colour" in w for w in warnings)


def test_missing_columns_are_listed(robust, rows):
    with pytest.raises(InputError, match=r"lacks 2 column.*income, region") as err:
        robust.prepare(rows.drop(columns=["region", "income"]))
    assert {p["field"] for p in err.value.problems} == {"income", "region"}
    assert all(p["error"] == "missing column" for p in err.value.problems)


def test_a_record_lacking_a_column_others_send_is_refused_by_row(robust, rows):
    records = json_records(rows)
    del records[3]["income"]
    del records[4]["region"]
    screened = robust.screen(records)
    assert screened.bad.tolist() == [False, False, False, True, True, False]
    assert {(p["row"], p["field"], p["error"]) for p in screened.problems} == {
        (3, "income", "missing column income (other records of the batch have it)"),
        (4, "region", "missing column region (other records of the batch have it)"),
    }
    with pytest.raises(InputError, match="row 3: missing column income"):
        robust.predict(records)
    for record in records:  # absent from every record: the whole input lacks it, as for one record
        record.pop("income", None)
    with pytest.raises(InputError, match=r"lacks 1 column.*income") as err:
        robust.predict(records)
    assert err.value.problems == [{"row": None, "field": "income", "error": "missing column"}]


def test_complex_numbers_and_bytes_are_refused(robust, rows):
    records = json_records(rows.head(3))
    records[0]["income"] = 52_000 + 3j
    records[1]["income"] = b"52000"
    records[2]["region"] = b"north"
    with pytest.raises(InputError) as err:
        robust.predict(records)
    errors = {(p["row"], p["field"]): p["error"] for p in err.value.problems}
    assert errors == {(0, "income"): "expected a number, got a complex (52000+3j)",
                      (1, "income"): "expected a number, got a bytes b'52000'",
                      (2, "region"): "expected a category, got a bytes b'north'"}
    frame = rows.head(2).astype({"income": complex})
    with pytest.raises(InputError, match="expected a number, got a complex"):
        robust.predict(frame)


def test_a_dict_of_arrays_is_read_as_columns(robust, trained, rows):
    one = rows.head(1)
    for columns in ({c: one[c].to_numpy() for c in one.columns}, {c: one[c] for c in one.columns}):
        result = robust.predict(columns)
        assert result.warnings == [[]]
        np.testing.assert_allclose(result.positive_probability, trained.model.predict_proba(one)[:, 1])


def test_bad_values_name_row_and_field(robust, rows):
    records = json_records(rows)
    records[2]["income"] = "lots"
    records[4]["housing"] = {"nested": [1, 2]}
    records[5]["age"] = True
    with pytest.raises(InputError) as err:
        robust.predict([*records, 7])
    problems = {(p["row"], p["field"]) for p in err.value.problems}
    assert problems == {(2, "income"), (4, "housing"), (5, "age"), (6, None)}
    assert "expected a number, got text 'lots'" in str(err.value.problems)
    assert err.value.reason == "invalid"


def test_policies(trained, rows):
    schema = infer_schema(trained.split.X_train)
    strict = wrap_model(trained.model, schema, unseen="reject", out_of_range="reject", non_finite="reject")
    records = json_records(rows.head(3))
    records[0]["region"], records[1]["credit_score"], records[2]["income"] = "mars", 1e9, -math.inf
    with pytest.raises(InputError) as err:
        strict.predict(records)
    assert {(p["row"], p["field"]) for p in err.value.problems} == {(0, "region"), (1, "credit_score"), (2, "income")}
    kept = wrap_model(trained.model, schema, unseen="keep", out_of_range="warn")
    frame, warnings = kept.prepare(records[:2])
    assert frame.loc[0, "region"] == "mars" and frame.loc[1, "credit_score"] == 1e9
    assert "kept" in warnings[0][0] and "clipped" not in warnings[1][0]
    with pytest.raises(ParameterError, match="unseen='drop' is not a policy"):
        wrap_model(trained.model, schema, unseen="drop")
    with pytest.raises(ModelError, match="no input schema"):
        wrap_model(trained.model, None)


def test_batch_cap_empty_and_wrong_types(robust, rows):
    with pytest.raises(InputError, match="501 rows in one batch; at most 500") as err:
        robust.predict(pd.concat([rows] * 84).head(501))
    assert err.value.reason == "too_many_rows"
    for empty in ([], rows.head(0)):
        with pytest.raises(InputError, match="no rows"):
            robust.predict(empty)
    with pytest.raises(InputError, match="Cannot read model input of type str"):
        robust.predict("income=3")


def test_dict_of_columns_and_single_record(robust, trained, rows):
    as_columns = {c: rows[c].tolist() for c in rows.columns}
    np.testing.assert_allclose(robust.predict(as_columns).positive_probability,
                               trained.model.predict_proba(rows)[:, 1])
    assert len(robust.predict(json_records(rows)[0])) == 1


def test_large_frames_are_prepared_without_row_loops(trained):
    big = pd.concat([trained.split.X_test] * 20, ignore_index=True)
    robust = wrap_model(trained.model, infer_schema(trained.split.X_train), max_rows=len(big))
    frame, warnings = robust.prepare(big)
    assert len(frame) == len(big) and sum(map(len, warnings)) < len(big) // 10


def test_reading_numbers_never_writes_into_the_callers_values():
    from workbench.develop._columns import _numbers_from_objects
    from workbench.develop._notes import Notes

    raw = np.array(["1", "x", 2.5], dtype=object)
    raw.flags.writeable = False  # as a pandas 3 column's to_numpy() view is
    notes = Notes(3)
    values = _numbers_from_objects(raw, "a", notes)
    assert values[0] == 1.0 and np.isnan(values[1]) and values[2] == 2.5
    assert list(raw) == ["1", "x", 2.5]

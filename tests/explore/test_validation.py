"""Validation against a recorded schema, cross-checked with pandera's own verdicts."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from workbench.datasets import make_credit_risk
from workbench.exceptions import DataError
from workbench.explore import infer_schema, load_schema, save_schema, validate
from workbench.reports.base import load_report


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    return make_credit_risk(2000, seed=1)


def test_same_data_passes(credit: pd.DataFrame) -> None:
    report = validate(credit, infer_schema(credit))
    assert report.passed and report.failures == ()
    assert report.n_rows == 2000 and report.n_checks > credit.shape[1]


def test_every_failure_is_listed_with_counts_and_examples() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"], "k": [1, 2, 3, 4]})
    schema = infer_schema(frame, tolerance=0.0)
    bad = pd.DataFrame({"x": [0.5, 2.0, 9.0, None], "c": ["a", "zz", "zz", "b"]})
    report = validate(bad, schema)
    found = {(f.column, f.check): f for f in report.failures}
    assert not report.passed
    assert found[("x", "greater_than_or_equal_to(1)")].failing_count == 1
    assert found[("x", "less_than_or_equal_to(4)")].examples == ("9.0",)
    assert found[("x", "not_nullable")].failing_count == 1
    assert found[("c", "isin(categories)")].failing_count == 2
    assert found[("c", "isin(categories)")].examples == ("zz",)
    assert found[("k", "column_present")].failing_count == 4


def test_counts_agree_with_pandera() -> None:
    frame = pd.DataFrame({"x": [0.5, 2.0, 9.0, 3.0, 11.0], "c": ["a", "zz", "zz", "b", "q"]})
    ours = validate(frame, infer_schema(pd.DataFrame({"x": [1.0, 4.0], "c": ["a", "b"]}), tolerance=0.0))
    reference = pa.DataFrameSchema(
        {"x": pa.Column(float, [pa.Check.ge(1.0), pa.Check.le(4.0)]), "c": pa.Column(str, pa.Check.isin(["a", "b"]))}
    )
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        reference.validate(frame, lazy=True)
    cases = caught.value.failure_cases
    expected = cases.groupby("column").size().to_dict()
    got: dict[str, int] = {}
    for failure in ours.failures:
        got[failure.column] = got.get(failure.column, 0) + failure.failing_count
    assert got == expected


def test_report_round_trips_through_json(credit: pd.DataFrame) -> None:
    report = validate(credit.drop(columns=["income"]), infer_schema(credit))
    again = load_report(report.to_json())
    assert again == report and not again.passed
    assert "income" in report.to_html()


def test_duplicate_columns_are_named() -> None:
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(DataError, match="duplicated column names: a"):
        validate(frame, infer_schema(pd.DataFrame({"a": [1]})))


def test_schema_versions_in_project(project, credit: pd.DataFrame) -> None:
    first = save_schema(project, infer_schema(credit))
    second = save_schema(project, infer_schema(credit.head(10)))
    assert first.name == "schema-v1.json" and second.name == "schema-v2.json"
    assert load_schema(project) == load_schema(second)
    assert load_schema(project, version=1) == load_schema(first)
    with pytest.raises(DataError, match="no schema version 7"):
        load_schema(project, version=7)


def test_infinite_values_are_their_own_failure() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0] * 10})
    bad = frame.assign(x=[float("inf"), 2.0, 3.0, -float("inf")] * 10)
    report = validate(bad, infer_schema(frame))
    assert [(f.check, f.failing_count) for f in report.failures] == [("finite_values", 20)]

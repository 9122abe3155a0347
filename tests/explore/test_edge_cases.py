"""Awkward but valid input: non-string column names, extreme ranges, nested values, booleans, names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.config import CONFIG_NAME
from workbench.exceptions import DataError
from workbench.explore import explore_gates, fingerprint, infer_schema, profile, validate
from workbench.project import Project
from workbench.reports.base import load_report


def test_integer_column_names_are_profiled_and_validated_as_text() -> None:
    frame = pd.DataFrame(np.random.default_rng(0).random((100, 3)))
    report = profile(frame)
    assert [c.name for c in report.columns] == ["0", "1", "2"]
    assert report.column("1").stats["max"] == pytest.approx(frame[1].max())
    schema = infer_schema(frame)
    assert schema.names == ["0", "1", "2"]
    outcome = validate(frame, schema)
    assert outcome.passed, outcome.failures
    assert fingerprint(frame).content == fingerprint(frame.rename(columns=str)).content
    with pytest.raises(DataError, match="duplicated column names once read as text: 1"):
        profile(pd.DataFrame([[1, 2]], columns=[1, "1"]))
    with pytest.raises(DataError, match="duplicated column names once read as text"):
        infer_schema(pd.DataFrame([[1, 2]], columns=[1, "1"]))


def test_extreme_but_finite_values_are_profiled() -> None:
    frame = pd.DataFrame({"x": [-1e308, 1e308] * 50, "big": [1.7e308] * 99 + [1.0]})
    report = profile(frame)
    x = report.column("x")
    assert (x.stats["min"], x.stats["max"], x.stats["median"]) == (-1e308, 1e308, 0.0)
    assert x.bin_edges[0] == -1e308 and x.bin_edges[-1] == 1e308
    assert x.bin_counts[0] == x.bin_counts[-1] == 50
    assert report.column("big").stats["mean"] == pytest.approx(0.99 * 1.7e308)
    assert all(np.isfinite(v) for c in report.columns for v in c.stats.values())
    assert load_report(report.to_json()) == report
    schema = infer_schema(frame)
    assert load_report(schema.to_json()) == schema
    assert validate(frame, schema).passed


@pytest.mark.parametrize("values", [[[1, 2], [3]] * 50, [{"a": 1}, {"b": 2}] * 50])
def test_nested_values_are_a_data_error_naming_the_column(values: list) -> None:
    frame = pd.DataFrame({"nested": values, "y": range(100)})
    for step in (profile, infer_schema, fingerprint):
        with pytest.raises(DataError, match="Column 'nested' holds nested values") as caught:
            step(frame)
        assert caught.value.column == "nested"
        assert "Flatten" in str(caught.value) and "drop" in str(caught.value)


def test_boolean_column_rejects_other_numbers() -> None:
    schema = infer_schema(pd.DataFrame({"b": [True, False, True]}))
    outcome = validate(pd.DataFrame({"b": [True, 0, 1.0, np.nan, 5, 2]}), schema.select(["b"]))
    checks = {f.check: f for f in outcome.failures}
    assert set(checks) == {"not_nullable", "boolean_values"}
    assert checks["boolean_values"].failing_count == 2
    assert validate(pd.DataFrame({"b": [True, False, 1, 0]}), schema).passed


def test_fail_on_leakage_false_passes_the_gate_but_names_the_suspects(project: Project) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    report = profile(pd.DataFrame({"leak": y * 2.0 + 1, "noise": rng.normal(size=400), "y": y}), target="y")
    config = project.root / CONFIG_NAME
    config.write_text(
        config.read_text().replace("[gates.explore]\n", "[gates.explore]\nfail_on_leakage = false\n")
    )
    relaxed = Project.load(project.root)
    assert relaxed.config.gate("explore", "fail_on_leakage") is False
    leak = next(r for r in explore_gates(relaxed, missing_share={}, profile=report).results if r.name == "no_leakage_suspect")
    assert leak.passed
    assert "leak" in leak.reason and "fail_on_leakage" in leak.reason


def test_project_name_with_quotes_is_escaped_in_the_config(tmp_path) -> None:
    from workbench.exceptions import ParameterError
    from workbench.scaffold import init_project

    name = 'risk "v2" \\ team'
    project = init_project(tmp_path / "p", name=name, rows=200)
    assert Project.load(project.root).config.name == name
    assert project.config.model_name == name
    with pytest.raises(ParameterError, match="control character"):
        init_project(tmp_path / "q", name="a\nb", rows=200)

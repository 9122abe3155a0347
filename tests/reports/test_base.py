from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from workbench.exceptions import ReportError
from workbench.reports import GateReport, Report, check_max, check_min, check_true, load_report


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Example(Report):
    kind = "example"
    title = "Example review"
    values: dict
    score: float


def test_round_trip_and_strict_json() -> None:
    report = _Example(values={"a": np.float64(1.5), "b": [np.int64(2), float("nan")]}, score=float("inf"))
    data = json.loads(report.to_json())
    assert data["kind"] == "example" and data["schema_version"] == 1
    assert data["values"] == {"a": 1.5, "b": [2, None]} and data["score"] is None
    again = _Example.from_dict(data)
    assert isinstance(again, _Example) and again.values == {"a": 1.5, "b": [2, None]}


def test_wrong_kind_and_version_are_refused() -> None:
    data = _Example(values={}, score=1.0).to_dict()
    with pytest.raises(ReportError, match="Expected a 'gates' report, got kind 'example'"):
        GateReport.from_dict(data)
    with pytest.raises(ReportError, match="schema version 99"):
        _Example.from_dict({**data, "schema_version": 99})
    with pytest.raises(ReportError, match="Not a Workbench report"):
        load_report({"report_class": "os:system"})


def test_save_json_and_html(tmp_path: Path) -> None:
    report = _Example(values={"a": 1}, score=0.5)
    assert _Example.from_dict(json.loads(report.save(tmp_path / "r.json").read_text())) == report
    page = report.save(tmp_path / "r.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "Example review" in page
    with pytest.raises(ReportError, match=r"use \.json or \.html"):
        report.save(tmp_path / "r.txt")


def test_gate_checks_and_rendering() -> None:
    gates = GateReport(
        phase="evaluate",
        results=(
            check_min("auc", 0.8, 0.7, label="ROC AUC"),
            check_max("dpd", 0.3, 0.2, label="DP difference"),
            check_min("nan", math.nan, 0.1),
            check_true("ok", True, reason="all good"),
        ),
    )
    assert not gates.passed and [r.name for r in gates.failures] == ["dpd", "nan"]
    assert gates.results[0].reason == "ROC AUC 0.8 >= 0.7"
    assert gates.results[1].reason == "DP difference 0.3 > 0.2"
    again = load_report(gates.to_json())
    assert isinstance(again, GateReport)
    assert again.results[2].value is None  # NaN is stored as null
    assert [r.reason for r in again.results] == [r.reason for r in gates.results]
    html = gates.to_html(full_page=False, plotlyjs="none")
    assert "wb-fail" in html and "DP difference 0.3 &gt; 0.2" in html


def test_mimebundle_outside_a_kernel_is_html_never_a_json_tree() -> None:
    bundle = _Example(values={}, score=1.0)._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}

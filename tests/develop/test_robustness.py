"""The robustness check: clean on the demo pipeline, and it catches a pipeline that breaks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import workbench
from workbench.develop import RobustnessReport, check_robustness, wrap_model
from workbench.explore.schema import infer_schema
from workbench.reports import load_report


@pytest.fixture(scope="module")
def report(trained):
    robust = wrap_model(trained.model, infer_schema(trained.split.X_train), max_rows=300)
    return check_robustness(robust, robust.schema, examples=15, base=trained.split.X_test, model=trained.model_uri)


def test_demo_pipeline_survives_every_attack(report):
    names = {a.name for a in report.attacks}
    assert {"wrong_type", "nested", "huge_string", "unicode", "missing_columns", "extra_columns",
            "non_finite", "out_of_range", "empty", "oversize", "shuffled_columns", "batch_missing_key"} <= names
    assert report.passed, [(f.attack, f.outcome, f.detail) for f in report.findings]
    by_name = {a.name: a for a in report.attacks}
    assert by_name["missing_columns"].rejected == by_name["missing_columns"].cases
    assert by_name["extra_columns"].repaired == by_name["extra_columns"].cases
    assert by_name["batch_missing_key"].rejected == by_name["batch_missing_key"].cases > 0
    assert by_name["oversize"].rejected == 1


def test_report_renders_and_round_trips(report, tmp_path):
    assert load_report(report.to_json()) == report
    page = report.to_html()
    assert "Robustness check" in page and "missing_columns" in page and "no findings" in page
    report.save(tmp_path / "r.json")
    assert isinstance(load_report(tmp_path / "r.json"), RobustnessReport)


def test_a_fragile_pipeline_is_caught():
    frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0] * 5, "b": [1.0, 0.5, 0.2, 0.1] * 5})
    model = LogisticRegression().fit(frame, [0, 1, 0, 1] * 5)  # no imputer: NaN crashes it
    robust = wrap_model(model, infer_schema(frame), out_of_range="warn")
    report = check_robustness(robust, examples=10)
    assert not report.passed
    crashes = [f for f in report.findings if f.outcome == "crash"]
    assert crashes and "Input X contains NaN" in crashes[0].detail
    assert {f.attack for f in crashes} >= {"non_finite"}


def test_findings_become_tests_a_user_keeps(trained, report, tmp_path):
    project_dir = trained.project.root
    tests = tmp_path / "test_kept.py"
    tests.write_text(report.to_pytest(model_uri=trained.model_uri, project_dir=str(project_dir)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(workbench.__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    kept = sum(len(a.samples) for a in report.attacks)
    assert f"{kept} passed" in done.stdout


def test_a_batch_with_a_record_lacking_a_column_must_be_refused_by_row():
    """The check catches a pipeline that fills a record's absent column silently (the old behaviour)."""
    frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0] * 5, "b": [1.0, 0.5, 0.2, 0.1] * 5})
    model = make_pipeline(SimpleImputer(), LogisticRegression()).fit(frame, [0, 1, 0, 1] * 5)
    robust = wrap_model(model, infer_schema(frame))

    class Filling:  # a wrapper that completes records from the batch's other keys before checking
        schema, max_rows, classes, policy = robust.schema, robust.max_rows, robust.classes, robust.policy

        def predict(self, data):
            if isinstance(data, list) and all(isinstance(r, dict) for r in data):
                keys = {k for r in data for k in r}
                data = [{k: r.get(k) for k in keys} for r in data]
            return robust.predict(data)

    found = {f.attack: f for f in check_robustness(Filling(), examples=10).findings}
    assert found["batch_missing_key"].outcome == "accepted"
    assert check_robustness(robust, examples=10).passed

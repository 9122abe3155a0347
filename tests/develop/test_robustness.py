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


def _sklearn_model(task: str):
    """A real model of ``task`` on scikit-learn's data (wine: multiclass, diabetes: regression), wrapped."""
    from sklearn.datasets import load_diabetes, load_wine
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    if task == "multiclass":
        X, y = load_wine(return_X_y=True, as_frame=True)
        model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    else:
        X, y = load_diabetes(return_X_y=True, as_frame=True)
        model = HistGradientBoostingRegressor(max_iter=20).fit(X, y)
    return wrap_model(model, infer_schema(X), max_rows=200), X


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_multiclass_and_regression_pipelines_survive_every_attack(task):
    robust, X = _sklearn_model(task)
    assert robust.task == task
    report = check_robustness(robust, examples=8, base=X)
    assert report.task == task and report.passed, [(f.attack, f.outcome, f.detail) for f in report.findings]
    assert {"non_finite", "out_of_range", "text_in_number", "shuffled_columns"} <= {a.name for a in report.attacks}
    assert f"({task})" in report.summary()


class _Answers:
    """A pipeline whose answers are rewritten by ``change`` (the judge must see through it)."""

    def __init__(self, robust, change):
        self.robust, self.change = robust, change
        self.schema, self.max_rows, self.classes, self.policy = robust.schema, robust.max_rows, robust.classes, robust.policy
        self.task = robust.task

    def predict(self, data):
        import dataclasses

        result = self.robust.predict(data)
        return dataclasses.replace(result, **self.change(result))


def test_the_judge_knows_what_each_task_must_answer():
    import numpy as np

    multiclass, _ = _sklearn_model("multiclass")
    regression, _ = _sklearn_model("regression")
    broken = {  # what a broken pipeline answers -> what the judge says
        "two of three classes": (multiclass, lambda r: {"probabilities": r.probabilities[:, :2]},
                                 "not one per class (3) for each row"),
        "not summing to one": (multiclass, lambda r: {"probabilities": r.probabilities * 0.5},
                               "do not sum to one over the 3 classes"),
        "an unknown class": (multiclass, lambda r: {"predictions": np.full(len(r), 7)},
                             "predictions that are not classes of the model"),
        "a regressor with probabilities": (regression, lambda r: {"probabilities": np.ones((len(r), 1))},
                                           "class probabilities from a regressor"),
        "infinite numbers": (regression, lambda r: {"predictions": np.full(len(r), np.inf)},
                             "predictions that are not finite numbers"),
    }
    for name, (robust, change, detail) in broken.items():
        report = check_robustness(_Answers(robust, change), examples=3)
        found = {f.detail for f in report.findings if f.outcome == "nonsense"}
        assert any(detail in d for d in found), (name, found)


def test_develop_knows_no_column_of_the_demo_data():
    """The attacks draw rows from the schema of any model: nothing in workbench/develop names a demo column."""
    from workbench.datasets import make_credit_risk

    columns = set(make_credit_risk(50, seed=0).columns) - {"default"}  # the target, and an ordinary word
    folder = Path(workbench.__file__).resolve().parent / "develop"
    for source in folder.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        named = sorted(c for c in columns if f'"{c}"' in text or f"'{c}'" in text or f"{c}:" in text)
        assert not named, f"{source.name} names demo column(s) {named}"

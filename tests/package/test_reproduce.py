"""Reproduce: re-running the training notebook with the recorded parameters gives the same metrics."""

from __future__ import annotations

import nbformat
import pytest

from workbench._io import write_table
from workbench.exceptions import ModelError
from workbench.package import reproduce
from workbench.package.reproduce import ReproduceReport, compare_metrics
from workbench.pipelines.execute import execute_notebook
from workbench.reports.base import load_report
from workbench.scaffold import init_project
from workbench.tracking import Tracker

TRAIN_SOURCE = """\
import workbench as wb
from sklearn.metrics import accuracy_score, roc_auc_score
from workbench.evaluate import split_data, train_model
from workbench.explore.schema import infer_schema

project = wb.Project.load(project_dir)
tracker = wb.Tracker(project)
data = project.load_data()
split = split_data(project, data)
model = train_model(split, seed=0, max_iter=max_iter, learning_rate=learning_rate)
proba = model.predict_proba(split.X_test)[:, 1]
params = {"max_iter": max_iter, "learning_rate": learning_rate, "note": "not a notebook parameter"}
with tracker.start_run("evaluate", params=params, data_fingerprint=wb.fingerprint(data).tag) as run:
    run.log_metrics({"roc_auc": roc_auc_score(split.y_test, proba),
                     "accuracy": accuracy_score(split.y_test, model.predict(split.X_test))})
    run.log_model(model, input_example=split.X_test.head(3), schema=infer_schema(split.X_train))
"""


@pytest.fixture(scope="module")
def notebook_trained(tmp_path_factory):
    """A small project whose model was trained by a small notebook run with a non-default parameter."""
    project = init_project(tmp_path_factory.mktemp("reproduce") / "proj", rows=600)
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell('project_dir = "."\nmax_iter = 20\nlearning_rate = 0.1', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(TRAIN_SOURCE),
    ]
    nbformat.write(nb, project.root / "notebooks" / "train_small.ipynb")
    execute_notebook(project, "notebooks/train_small.ipynb", output=project.state_dir / "train.ipynb",
                     parameters={"max_iter": 12})
    return project, Tracker(project).model_uri("evaluate")


@pytest.mark.slow
def test_reproduce_matches_the_recorded_metrics(notebook_trained, tmp_path):
    project, uri = notebook_trained
    tracker = Tracker(project)
    recorded = tracker.client.get_run(uri.split("/")[1]).data.metrics
    report = reproduce(project, uri)
    assert report.passed, report.summary()
    assert [c["check"] for c in report.checks] == ["data fingerprint", "notebook unchanged", "metrics within tolerance"]
    assert report.tolerance == project.config.sections["package"]["reproduce_tolerance"] == 1e-4
    assert report.parameters == {"max_iter": 12, "learning_rate": 0.1}  # the recorded value, typed like the default
    assert report.ignored_parameters == ["note"]
    rows = {row["metric"]: row for row in report.metrics}
    assert set(rows) == set(recorded) == {"roc_auc", "accuracy"}
    assert rows["roc_auc"]["reproduced"] == pytest.approx(recorded["roc_auc"], abs=report.tolerance)
    assert (project.root / report.executed_notebook).is_file()
    # the reproduction ran in a scratch store: the project's newest evaluate run is still the original
    assert tracker.latest_run("evaluate").run_id == report.run_id
    saved = load_report(report.save(tmp_path / "reproduce.json"))
    assert isinstance(saved, ReproduceReport) and saved.passed
    assert "Reproduced." in report.to_html(plotlyjs="none")


@pytest.mark.slow
def test_changed_data_is_caught(notebook_trained, tmp_path):
    project, uri = notebook_trained
    data = project.load_data()
    data.loc[data.index[::3], "default"] = 1 - data.loc[data.index[::3], "default"]
    write_table(data, project.config.data.path)
    report = reproduce(project, uri)
    assert not report.passed
    check = {c["check"]: c for c in report.checks}
    assert not check["data fingerprint"]["passed"]
    assert "not the recorded sha256:" in check["data fingerprint"]["detail"]
    assert check["notebook unchanged"]["passed"]
    assert not check["metrics within tolerance"]["passed"] and "outside 0.0001" in check["metrics within tolerance"]["detail"]


def test_metric_comparison_states_the_tolerance():
    rows = compare_metrics({"auc": 0.81, "f1": 0.5, "gone": 1.0}, {"auc": 0.81005, "f1": 0.52, "new": 2.0}, tolerance=1e-4)
    by_name = {row["metric"]: row for row in rows}
    assert by_name["auc"]["within"] and by_name["auc"]["difference"] == pytest.approx(5e-5)
    assert not by_name["f1"]["within"] and by_name["f1"]["difference"] == pytest.approx(0.02)
    assert not by_name["gone"]["within"] and by_name["gone"]["reproduced"] is None
    assert not by_name["new"]["within"] and by_name["new"]["recorded"] is None


def test_a_model_not_trained_by_a_notebook_cannot_be_reproduced(packaged):
    with pytest.raises(ModelError, match="records no notebook in this project"):
        reproduce(packaged.project, packaged.uri)
    with pytest.raises(ModelError, match="zero or positive"):
        reproduce(packaged.project, packaged.uri, tolerance=-1)

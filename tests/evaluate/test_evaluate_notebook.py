"""Notebook 02 runs unchanged on projects it has never seen: wine (multiclass, the default
pipeline) and diabetes (regression, the project's own model.py), neither with a sensitive column.
Then `workbench evaluate` reviews the logged model of each."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from workbench.cli import main
from workbench.pipelines.execute import execute_notebook
from workbench.tasks import TASKS
from workbench.tracking import Tracker

from .conftest import diabetes_frame, make_project, wine_frame
from .test_training import OWN_REGRESSOR

NOTEBOOK = "02_evaluate.ipynb"
PARAMETERS = {"n_bootstrap": 50, "shap_rows": 200, "display_rows": 50, "max_iter": 60}
NOT_APPLICABLE = "fairness: not applicable — the project names no sensitive column ([data] sensitive)"


def _run(project) -> SimpleNamespace:
    """Execute the project's copy of notebook 02; return the project, its tracker and newest evaluate run."""
    execute_notebook(project, f"notebooks/{NOTEBOOK}", output=project.root / "out" / NOTEBOOK, parameters=PARAMETERS, timeout=900)
    tracker = Tracker(project)
    return SimpleNamespace(project=project, tracker=tracker, run=tracker.latest_run("evaluate"))


@pytest.fixture(scope="module")
def wine_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("notebook") / "wine"
    return _run(make_project(root, wine_frame(), target="cultivar", task="multiclass", notebooks=(NOTEBOOK,)))


@pytest.fixture(scope="module")
def diabetes_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("notebook") / "diabetes"
    project = make_project(
        root, diabetes_frame(), target="progression", task="regression", model_code=OWN_REGRESSOR, notebooks=(NOTEBOOK,),
    )
    return _run(project)


def _check_run(ran: SimpleNamespace, task: str) -> None:
    """The run logged the task's metrics, the baseline's primary metric, its reports and passing gates."""
    kind = TASKS[task]
    run = ran.run
    assert run.status == "FINISHED" and run.gates == "passed"
    metrics = ran.tracker.load_report(run.run_id, "metrics")
    assert metrics.task == task and metrics.n_bootstrap == 50
    assert set(kind.metrics) | {f"baseline_{kind.primary_metric}", "gates_passed"} <= set(run.metrics)
    for name in kind.metrics:
        assert run.metrics[name] == pytest.approx(metrics.metrics[name])
    assert run.metrics[f"baseline_{kind.primary_metric}"] == pytest.approx(
        metrics.comparison("baseline").metrics[kind.primary_metric]
    )
    gates = ran.tracker.load_gates(run.run_id)
    assert [r.name for r in gates.results] == [kind.min_gate, "min_margin_over_baseline", "fairness", "max_top_driver_share"]
    assert gates.results[2].reason == NOT_APPLICABLE
    fairness = ran.tracker.load_report(run.run_id, "fairness")
    assert not fairness.applicable and fairness.task == task
    assert not any(name.startswith("max_") for name in run.metrics)  # no disparity to log


@pytest.mark.slow
def test_notebook_02_on_a_multiclass_project(wine_run) -> None:
    _check_run(wine_run, "multiclass")
    metrics = wine_run.tracker.load_report(wine_run.run.run_id, "metrics")
    assert [c.label for c in metrics.class_metrics] == ["barbera", "barolo", "grignolino"]
    explanation = wine_run.tracker.load_report(wine_run.run.run_id, "explanation")
    assert explanation.n_explained == 45


@pytest.mark.slow
def test_notebook_02_on_a_regression_project_with_its_own_model(diabetes_run) -> None:
    _check_run(diabetes_run, "regression")
    metrics = diabetes_run.tracker.load_report(diabetes_run.run.run_id, "metrics")
    assert metrics.model == "Pipeline(Winsorizer → Ridge)"
    assert metrics.metrics["r2"] > 0.3  # ridge on diabetes: about 0.4-0.5


@pytest.mark.slow
@pytest.mark.parametrize("name", ["wine_run", "diabetes_run"])
def test_workbench_evaluate_reviews_the_logged_model(request, name, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    ran = request.getfixturevalue(name)
    root = str(ran.project.root)
    code = main(["evaluate", "-P", root, "--bootstrap", "20", "--shap-rows", "60", "--out", str(tmp_path), "--json"])
    printed = capsys.readouterr()
    assert code == 0, printed.err[-3000:]
    gates = json.loads(printed.out)  # --json: the gate report alone on stdout, the written files on stderr
    assert gates["phase"] == "evaluate" and f"wrote {tmp_path / 'metrics.json'}" in printed.err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "explanation.html", "explanation.json", "fairness.html", "fairness.json", "gates.html", "gates.json",
        "metrics.html", "metrics.json",
    ]
    assert {r["name"] for r in gates["results"]} >= {"fairness", "min_margin_over_baseline"}
    again = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    logged = ran.tracker.load_report(ran.run.run_id, "metrics")
    assert again["task"] == logged.task and again["metrics"] == pytest.approx(logged.to_dict()["metrics"])

"""Status is computed from the tracked runs and their gates."""

from __future__ import annotations

import pytest

from workbench.phases import project_status
from workbench.project import Project
from workbench.reports import GateReport, check_max, check_min
from workbench.tracking import Tracker


def test_fresh_project_has_nothing_run(project: Project) -> None:
    status = project_status(project)
    assert [p.phase for p in status.phases] == ["explore", "evaluate", "develop", "package", "deploy", "monitor"]
    assert {p.state for p in status.phases} == {"not run"}
    assert status.next_step.startswith("Run notebooks/01_explore.ipynb")


def test_states_follow_runs_and_gates(project: Project) -> None:
    tracker = Tracker(project)
    with tracker.start_run("explore") as run:
        run.log_gates(GateReport(phase="explore", results=(check_max("missing", 0.1, 0.5),)))
    with tracker.start_run("evaluate") as run:
        run.log_metrics({"roc_auc": 0.62})
        run.log_gates(GateReport(phase="evaluate", results=(check_min("min_roc_auc", 0.62, 0.7, label="ROC AUC"),)))
    with pytest.raises(RuntimeError), tracker.start_run("develop"):
        raise RuntimeError("boom")

    status = project_status(project, tracker)
    states = {p.phase: p.state for p in status.phases}
    assert states == {
        "explore": "passed", "evaluate": "gates failed", "develop": "failed",
        "package": "not run", "deploy": "not run", "monitor": "not run",
    }
    evaluate = status.phases[1]
    assert evaluate.metrics["roc_auc"] == pytest.approx(0.62)
    assert evaluate.gates[0]["reason"] == "ROC AUC 0.62 < 0.7"
    assert status.next_step.startswith("Evaluate gates failed (ROC AUC 0.62 < 0.7)")
    text = status.to_text()
    assert "GATES FAILED" in text and "FAIL  ROC AUC 0.62 < 0.7" in text
    assert status.to_dict()["phases"][0]["state"] == "passed"


def test_newest_run_wins(project: Project) -> None:
    tracker = Tracker(project)
    with tracker.start_run("explore") as run:
        run.log_gates(GateReport(phase="explore", results=(check_max("missing", 0.9, 0.5),)))
    with tracker.start_run("explore") as run:
        run.log_gates(GateReport(phase="explore", results=(check_max("missing", 0.1, 0.5),)))
    assert project_status(project, tracker).phases[0].state == "passed"

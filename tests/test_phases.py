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


# -- a status that never contradicts itself ---------------------------------------------------------
def _gated(tracker: Tracker, phase: str, *, params: dict | None = None, passed: bool = True,
           fingerprint: str | None = None) -> str:
    """A real run of ``phase`` whose one gate passed (or failed)."""
    with tracker.start_run(phase, params=params, data_fingerprint=fingerprint) as run:
        run.log_gates(GateReport(phase=phase, results=(check_min("score", 1.0 if passed else 0.0, 0.5),)))
    return run.run_id


def _evaluate(tracker: Tracker, trained, *, select: bool = True, fingerprint: str | None = None) -> str:
    """A real Evaluate run: gates passed, the trained demo model logged (chosen unless ``select`` is False)."""
    from workbench.explore.schema import infer_schema

    with tracker.start_run("evaluate", data_fingerprint=fingerprint) as run:
        run.log_gates(GateReport(phase="evaluate", results=(check_min("min_roc_auc", 0.8, 0.7),)))
        run.log_model(trained.model, input_example=trained.split.X_test.head(2),
                      schema=infer_schema(trained.split.X_train), select=select)
    return run.run_id


def _monitor(tracker: Tracker, alerts: tuple[dict, ...] = ()) -> str:
    """A real Monitor run logging its review (with ``alerts`` fired) and a passed gate."""
    from workbench.monitor import MonitorReport

    report = MonitorReport(project=tracker.project.name, task="binary", since=None, until=None, window="7D", n_predictions=600,
                           n_requests=6, n_labelled=600, drift=None, alerts=alerts)
    with tracker.start_run("monitor") as run:
        run.log_report(report, "monitor")
        run.log_gates(GateReport(phase="monitor", results=(check_max("max_drift_share", 0.1, 0.5),)))
    return run.run_id


def _states(status) -> dict[str, str]:
    return {p.phase: p.state for p in status.phases}


def _lifecycle(project: Project, trained) -> tuple[Tracker, str]:
    """Every phase run once for one chosen model (version 1, the champion's run)."""
    import mlflow

    tracker = Tracker(project)
    _gated(tracker, "explore", fingerprint="sha256:data-a")
    chosen = _evaluate(tracker, trained, fingerprint="sha256:data-a")
    uri = f"runs:/{chosen}/model"
    _gated(tracker, "develop", params={"model_uri": uri})
    _gated(tracker, "package", params={"model_uri": uri, "version": "1"})
    mlflow.register_model(uri, project.config.model_name)
    with tracker.start_run("deploy", params={"champion": "1", "forced": False}):
        pass
    _monitor(tracker)
    return tracker, chosen


def test_a_new_chosen_model_makes_the_later_phases_stale(project: Project, trained) -> None:
    tracker, first = _lifecycle(project, trained)
    status = project_status(project, tracker)
    assert _states(status) == {"explore": "passed", "evaluate": "passed", "develop": "passed", "package": "passed",
                               "deploy": "done", "monitor": "passed"}
    assert status.ok and status.next_step == "Every phase has passed. Keep monitoring: run workbench monitor on a schedule."
    assert status.phase("develop").model_uri == f"runs:/{first}/model"

    _evaluate(tracker, trained, select=False, fingerprint="sha256:data-a")  # a side experiment changes nothing
    assert _states(project_status(project, tracker)) == _states(status)

    second = _evaluate(tracker, trained, fingerprint="sha256:data-a")
    status = project_status(project, tracker)
    assert _states(status) == {"explore": "passed", "evaluate": "passed", "develop": "stale", "package": "stale",
                               "deploy": "stale", "monitor": "passed"}
    assert status.chosen_model.run_id == second and status.phase("evaluate").run_id == second
    now = f"but the chosen model is now the model of run {second} (chosen by run.log_model)"
    assert status.phase("develop").reason == f"it checked the model of run {first}, {now}"
    assert status.phase("package").reason == f"it packaged the model of run {first}, {now}"
    assert status.phase("deploy").reason == f"it serves version 1 (the model of run {first}), {now}"
    assert status.phase("develop").gates[0]["passed"]  # the gates of the run it judged are still shown
    assert status.next_step == (f"Develop is stale: it checked the model of run {first}, {now}. "
                                "Run notebooks/03_develop.ipynb again.")
    assert not status.ok and "`" not in status.next_step
    assert f"     it packaged the model of run {first}" in status.to_text()

    _gated(tracker, "develop", params={"model_uri": f"runs:/{second}/model"})
    status = project_status(project, tracker)
    assert (status.phase("develop").state, status.phase("package").state) == ("passed", "stale")
    assert status.next_step.startswith("Package is stale: it packaged the model of run")


def test_monitor_alerts_fired_is_not_passed(project: Project, trained) -> None:
    tracker, _ = _lifecycle(project, trained)
    fired = ({"rule": "drift", "metric": "drift_share", "value": 0.6, "threshold": 0.25, "message": "drifted"},
             {"rule": "performance", "metric": "latest_auc_drop", "value": 0.09, "threshold": 0.05, "message": "worse"},
             {"rule": "drift", "metric": "drift_share", "value": 0.7, "threshold": 0.25, "message": "drifted again"})
    _monitor(tracker, fired)
    status = project_status(project, tracker)
    monitor = status.phase("monitor")
    assert monitor.state == "alerts fired" and not monitor.ok and monitor.gates[0]["passed"]
    assert monitor.reason == "its latest review fired 3 alert(s): drift, performance"
    assert status.next_step == ("Monitor: its latest review fired 3 alert(s): drift, performance. Read the review in "
                                "notebooks/06_monitor.ipynb, then retrain (workbench run retrain) or, if the alerts "
                                "are expected, adjust the [[alerts]] rules.")
    assert "Every phase has passed" not in status.next_step and "ALERTS FIRED" in status.to_text()

    with tracker.start_run("deploy", params={"champion": "1", "forced": False}):
        pass
    monitor = project_status(project, tracker).phase("monitor")
    assert monitor.state == "stale"
    assert monitor.reason == "Deploy ran after this review (it serves version 1): the service reviewed is not the one running"


def test_new_data_makes_evaluate_stale(project: Project, trained) -> None:
    tracker, chosen = _lifecycle(project, trained)
    _gated(tracker, "explore", fingerprint="sha256:data-b")
    evaluate = project_status(project, tracker).phase("evaluate")
    assert evaluate.state == "stale" and evaluate.run_id == chosen
    assert evaluate.reason == "Explore ran on other data (sha256:data-b) after this model was trained on sha256:data-a"


def _pipeline_step(project: Project, step: str, notebook: str) -> tuple[object, str]:
    """A pipeline run recorded in the real run store, claimed by this process, with ``step`` started."""
    from workbench.pipelines.runner import new_run_id
    from workbench.pipelines.store import RunStore, now_iso

    store = RunStore(project)
    run_id = store.create_run(run_id=new_run_id(), pipeline="lifecycle", parameters={}, trigger="manual",
                              steps=[(step, notebook)])
    store.claim_run(run_id)
    store.update_step(run_id, step, status="running", started=now_iso(), attempts=1)
    return store, run_id


def test_a_failed_pipeline_step_fails_the_phase_over_an_older_or_inner_success(project: Project) -> None:
    """The phase-4 notebook logged a passing package run, then failed in a later cell."""
    from workbench.pipelines.store import now_iso

    tracker = Tracker(project)
    for phase in ("explore", "evaluate", "develop", "package"):  # package: an older success
        _gated(tracker, phase)
    store, run_id = _pipeline_step(project, "package", "notebooks/04_package.ipynb")
    assert project_status(project, tracker).phase("package").state == "running"
    _gated(tracker, "package")  # logged inside the step, which then fails
    error = "NotebookExecutionError: cell 7 failed\nModuleNotFoundError: No module named 'orjson'"
    store.update_step(run_id, "package", status="failed", ended=now_iso(), error=error)
    store.finish_run(run_id, "failed", error="step package failed")

    status = project_status(project, tracker)
    package = status.phase("package")
    assert package.state == "failed" and package.gates == ()
    assert package.reason == (f"pipeline lifecycle (run {run_id}) step package failed: "
                              "NotebookExecutionError: cell 7 failed")
    assert status.next_step == (f"Package failed ({package.reason}): open its executed notebook, fix the error and "
                                "run notebooks/04_package.ipynb again.")

    _gated(tracker, "package")  # run again by hand, successfully
    assert project_status(project, tracker).phase("package").state == "passed"


def test_a_step_that_failed_before_logging_anything_fails_its_phase(project: Project) -> None:
    from workbench.pipelines.store import now_iso

    tracker = Tracker(project)
    _gated(tracker, "explore")
    store, run_id = _pipeline_step(project, "explore", "notebooks/01_explore.ipynb")
    store.update_step(run_id, "explore", status="failed", ended=now_iso(), error="KeyError: 'income'")
    store.finish_run(run_id, "failed")
    status = project_status(project, tracker)
    assert status.phase("explore").state == "failed"
    assert status.next_step.startswith(f"Explore failed (pipeline lifecycle (run {run_id}) step explore failed: "
                                       "KeyError: 'income')")


def test_every_surface_says_the_same(project: Project, trained, capsys) -> None:
    """workbench status (text and JSON), the panel's API, the stakeholder lights, the card summary
    and the card's lifecycle record all read project_status."""
    import html
    import json

    from workbench.cli import main
    from workbench.jupyter.api import WorkbenchAPI
    from workbench.package.card import lifecycle_record
    from workbench.stakeholder.summary import card_summary_html, gate_lights_html

    tracker, first = _lifecycle(project, trained)
    _monitor(tracker, ({"rule": "drift", "metric": "drift_share", "value": 0.6, "threshold": 0.25, "message": "m"},))
    second = _evaluate(tracker, trained, fingerprint="sha256:data-a")
    status = project_status(project, tracker)
    expected = {"explore": "passed", "evaluate": "passed", "develop": "stale", "package": "stale", "deploy": "stale",
                "monitor": "alerts fired"}
    assert _states(status) == expected

    assert main(["status", "--json", "-P", str(project.root)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert {p["phase"]: p["state"] for p in printed["phases"]} == expected
    assert printed["next_step"] == status.next_step and printed["chosen_model"]["run_id"] == second
    assert main(["status", "-P", str(project.root)]) == 0
    text = capsys.readouterr().out
    assert "3. Develop   STALE" in text and "6. Monitor   ALERTS FIRED" in text and f"Next: {status.next_step}" in text

    served = WorkbenchAPI(project.root.parent).status(project.root.name)
    assert {p["phase"]: (p["state"], p["reason"]) for p in served["phases"]} == \
        {p.phase: (p.state, p.reason) for p in status.phases}
    assert served["next_step"] == status.next_step and served["chosen_model"]["run_id"] == second

    lights = gate_lights_html(project)
    assert f"<strong>STALE</strong> Develop: stale ({html.escape(status.phase('develop').reason)})" in lights
    assert f"<strong>ALERT</strong> Monitor: alerts fired ({status.phase('monitor').reason})" in lights
    assert html.escape(f"Next: {status.next_step}") in lights and f"Chosen model: run {second}" in lights

    reports = project.state_dir / "reports"
    (reports / "model_card.json").write_text(json.dumps({"name": "credit", "version": "1"}))
    assert html.escape(f"stale ({status.phase('package').reason})") in card_summary_html(project)

    record = lifecycle_record(project, first)  # packaging the older model now
    assert record["chosen_model"] == status.chosen_model.describe()
    assert record["phases"] == [{"phase": p.title, "state": p.state, "reason": p.reason or ""}
                                for p in status.phases[:3]]
    assert record["notes"] == [f"This is not the chosen Evaluate model (the chosen one is the model of run {second})."]
    assert lifecycle_record(project, second)["notes"] == [
        f"Develop's robustness check has not run on this model (its latest run checked the model of run {first})."]

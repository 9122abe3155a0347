"""The demo end to end, as a user runs it: `workbench demo`, then `workbench status`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _workbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=300)


def test_demo_runs_all_six_phases(demo_project) -> None:
    assert demo_project.returncode == 0, demo_project.stderr[-3000:]
    assert "Demo finished in" in demo_project.stdout
    executed = sorted((demo_project.root / ".workbench" / "executed").rglob("0*.ipynb"))
    assert [p.name for p in executed][-6:] == [
        "01_explore.ipynb", "02_evaluate.ipynb", "03_develop.ipynb",
        "04_package.ipynb", "05_deploy.ipynb", "06_monitor.ipynb",
    ]
    assert any((demo_project.root / ".workbench" / "reports").glob("*.html"))


def test_status_after_demo_shows_every_phase(demo_project) -> None:
    done = _workbench("status", "--json", "--project", str(demo_project.root))
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    phases = {p["phase"]: p for p in status["phases"]}
    assert list(phases) == ["explore", "evaluate", "develop", "package", "deploy", "monitor"]
    for phase in phases.values():
        assert phase["state"] in ("passed", "done", "gates failed", "alerts fired"), phase
        assert phase["run_id"] and phase["finished_at"]
    assert phases["evaluate"]["state"] == "passed"
    assert any(g["name"] == "min_roc_auc" for g in phases["evaluate"]["gates"])
    # One chosen model all the way: Evaluate logged it, Develop checked it, Package packaged it.
    chosen = status["chosen_model"]
    assert chosen["run_id"] == phases["evaluate"]["run_id"] and "challenger" in chosen["aliases"]
    assert phases["develop"]["model_uri"] == phases["package"]["model_uri"] == chosen["uri"]
    # The demo's replayed traffic drifts on purpose (notebook 06 asserts an alert fires).
    assert phases["monitor"]["state"] == "alerts fired" and "alert(s)" in phases["monitor"]["reason"]
    assert status["next_step"].startswith("Monitor: its latest review fired")
    assert "Every phase has passed" not in status["next_step"] and "`" not in status["next_step"]
    text = _workbench("status", "--project", str(demo_project.root)).stdout
    assert "1. Explore" in text and "6. Monitor" in text and "Next:" in text
    assert f"Chosen model: run {chosen['run_id']}" in text


@pytest.mark.slow
def test_a_side_experiment_after_the_demo_changes_nothing_downstream(demo_project, tmp_path) -> None:
    """Notebook 02 run again with select_model = False: tracked, but Develop and Package keep their model."""
    import shutil

    from workbench.phases import project_status
    from workbench.pipelines.execute import execute_notebook
    from workbench.project import Project
    from workbench.tracking import Tracker

    root = tmp_path / "demo"
    shutil.copytree(demo_project.root, root)
    project = Project.load(root)
    tracker = Tracker(project)
    before = project_status(project, tracker)
    parameters = {"select_model": False, "n_bootstrap": 20, "shap_rows": 200, "display_rows": 50, "mitigate": False,
                  "max_iter": 40}
    execute_notebook(project, "notebooks/02_evaluate.ipynb", output=tmp_path / "side.ipynb", parameters=parameters)

    side = tracker.runs(phase="evaluate", max_results=1)[0]
    assert side.status == "FINISHED" and side.tags["workbench.selected"] == "false"
    after = project_status(project, tracker)
    assert after.chosen_model.run_id == before.chosen_model.run_id != side.run_id
    assert tracker.model_uri("evaluate") == before.chosen_model.uri
    assert [(p.phase, p.state, p.run_id) for p in after.phases] == [(p.phase, p.state, p.run_id) for p in before.phases]


def test_evaluate_run_logs_its_reviews_as_artifacts(demo_project) -> None:
    """The Evaluate notebook's run carries metrics, fairness and explanation as JSON and HTML under reports/."""
    from pathlib import PurePosixPath

    from workbench.project import Project
    from workbench.tracking import Tracker

    tracker = Tracker(Project.load(demo_project.root))
    run = next(r for r in tracker.runs(phase="evaluate") if (r.notebook or "").endswith("02_evaluate.ipynb"))
    logged = {PurePosixPath(a.path).name: a for a in tracker.client.list_artifacts(run.run_id, "reports")}
    for name in ("metrics", "fairness", "explanation"):
        for suffix in ("json", "html"):
            artifact = logged.get(f"{name}.{suffix}")
            assert artifact is not None and not artifact.is_dir and artifact.file_size > 0, (name, suffix, sorted(logged))
        assert tracker.load_report(run.run_id, name).kind == name
    fairness = tracker.load_report(run.run_id, "fairness")
    assert fairness.thresholds["fairness_evidence"] == "interval"  # the demo's [gates.evaluate] setting, for the lights


def test_cli_errors_are_one_paragraph(tmp_path) -> None:
    done = _workbench("status", "--project", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith("error: No workbench.toml found in")
    assert "Traceback" not in done.stderr


def test_init_then_status(tmp_path) -> None:
    done = _workbench("init", str(tmp_path / "p"), "--rows", "300")
    assert done.returncode == 0 and "Created project 'p'" in done.stdout
    again = _workbench("init", str(tmp_path / "p"))
    assert again.returncode == 2 and "already holds a project" in again.stderr
    status = json.loads(_workbench("status", "--json", "--project", str(tmp_path / "p")).stdout)
    assert {p["state"] for p in status["phases"]} == {"not run"}

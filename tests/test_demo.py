"""The demo end to end, as a user runs it: `workbench demo`, then `workbench status`."""

from __future__ import annotations

import json
import subprocess
import sys


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
        assert phase["state"] in ("passed", "done", "gates failed"), phase
        assert phase["run_id"] and phase["finished_at"]
    assert phases["evaluate"]["state"] == "passed"
    assert any(g["name"] == "min_roc_auc" for g in phases["evaluate"]["gates"])
    text = _workbench("status", "--project", str(demo_project.root)).stdout
    assert "1. Explore" in text and "6. Monitor" in text and "Next:" in text


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

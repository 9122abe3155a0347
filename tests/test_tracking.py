"""Tracking: tags on every run, reports and gates as artifacts, and a real MLflow server by configuration."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port

from workbench.explore import fingerprint
from workbench.phases import project_status
from workbench.project import Project
from workbench.reports import GateReport, check_min
from workbench.tracking import NOTEBOOK_ENV, Tracker, model_schema, tracking_uri
from workbench.tracking_read import MlflowStoreReader


def test_embedded_store_lives_in_the_project(project: Project) -> None:
    assert tracking_uri(project) == f"sqlite:///{project.root / '.workbench' / 'mlflow.db'}"
    tracker = Tracker(project)
    assert tracker.embedded
    experiment = tracker.client.get_experiment(tracker.experiment_id)
    assert experiment.artifact_location == (project.root / ".workbench" / "artifacts").as_uri()


def test_runs_are_tagged(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run(["git", "init", "-q", str(project.root)], check=True)
    subprocess.run(["git", "-C", str(project.root), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "--allow-empty", "-m", "init"], check=True)
    monkeypatch.setenv(NOTEBOOK_ENV, str(project.root / "notebooks" / "01_explore.ipynb"))
    data_fp = fingerprint(project.load_data())
    tracker = Tracker(project)
    with tracker.start_run("explore", params={"rows": 1500}, data_fingerprint=data_fp.tag) as run:
        pass
    tags = tracker.client.get_run(run.run_id).data.tags
    assert tags["workbench.project"] == project.name
    assert tags["workbench.phase"] == "explore"
    assert tags["workbench.notebook"] == "notebooks/01_explore.ipynb"
    assert tags["workbench.notebook_hash"].startswith("sha256:")
    assert tags["workbench.data_fingerprint"] == data_fp.tag
    assert len(tags["workbench.git_commit"].split("+")[0]) == 40
    assert tracker.client.get_run(run.run_id).data.params == {"rows": "1500"}


def test_unknown_phase_is_refused(project: Project) -> None:
    from workbench.exceptions import ParameterError

    with pytest.raises(ParameterError, match="Unknown phase 'training'"), Tracker(project).start_run("training"):
        pass


def test_users_tracking_uri_stays_theirs_after_a_tracker_points_mlflow_at_it(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipeline's later steps must still see the user's MLFLOW_TRACKING_URI (and log there)."""
    from workbench.tracking import user_tracking_uri

    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    Tracker(project)
    assert user_tracking_uri() == uri
    assert Tracker(project).uri == uri


def test_a_tracker_leaves_the_environment_alone(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Subprocesses (a demo, a server) started after a tracker must not inherit its store."""
    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    tracker = Tracker(project)
    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert mlflow.get_tracking_uri() == tracker.uri


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    """A real `mlflow server` on 127.0.0.1, stopped (with its workers) at the end."""
    port = free_port()
    store = tmp_path / "server"
    store.mkdir()
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{store / 'mlflow.db'}",
        "--artifacts-destination", str(store / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("mlflow server did not become healthy")


def test_same_flow_against_a_tracking_server(trained, mlflow_server: str, tmp_path: Path) -> None:
    """Point the project at a server by configuration; the same calls log there."""
    import shutil

    from workbench.explore.schema import infer_schema

    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root, ignore=shutil.ignore_patterns(".workbench"))
    config = (root / "workbench.toml").read_text().replace('uri = ""', f'uri = "{mlflow_server}"')
    (root / "workbench.toml").write_text(config)
    project = Project.load(root)

    tracker = Tracker(project)
    assert tracker.uri == mlflow_server and not tracker.embedded
    gates = GateReport(phase="evaluate", results=(check_min("min_roc_auc", 0.8, 0.7),))
    with tracker.start_run("evaluate") as run:
        run.log_metrics({"roc_auc": 0.8})
        run.log_gates(gates)
        model_uri = run.log_model(trained.model, input_example=trained.split.X_test.head(2),
                                  schema=infer_schema(trained.split.X_train))
    assert tracker.load_gates(run.run_id) == gates
    assert tracker.model_uri("evaluate") == f"runs:/{run.run_id}/model"
    assert model_schema(model_uri).names == list(trained.split.X_train.columns)
    status = project_status(project, tracker)
    assert status.tracking_uri == mlflow_server
    assert status.phases[1].state == "passed"
    # A server is read through MLflow's REST client, with the answers of a direct search.
    reader = Tracker(project, read_only=True).reader
    assert isinstance(reader, MlflowStoreReader)
    listed = tracker.client.search_runs([tracker.experiment_id], order_by=["attributes.start_time DESC"])
    assert [r.run_id for r in reader.search_runs(tracker.experiment_id)] == [r.info.run_id for r in listed]
    assert project_status(project).to_dict() == status.to_dict()
    assert not (root / ".workbench" / "mlflow.db").exists()

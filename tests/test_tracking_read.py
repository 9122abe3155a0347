"""The cheap tracking-store reads: the same answers as MLflow's client, and no heavy imports.

One real project store is built once: runs of every phase (one failed, one deleted, two that
start in the same millisecond), params, metrics logged at several steps and a NaN, a chosen
Evaluate model, gates and a monitor report as artifacts, registered versions (one deleted)
with aliases, a pipeline run with a failed step and an approved notebook.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from workbench import tracking_read
from workbench.phases import project_status
from workbench.project import Project
from workbench.reports import GateReport, check_min
from workbench.tracking import TAG, RunInfo, Tracker
from workbench.tracking_read import (
    MlflowStoreReader,
    SqliteStoreReader,
    registry_reference,
    store_reader,
)

HEAVY = ("mlflow", "sklearn", "scipy", "plotly", "shap", "fairlearn", "papermill", "nbformat", "pandas",
         "sqlalchemy", "workbench.monitor.drift", "workbench.monitor.review")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    from workbench.pipelines import approve_notebook
    from workbench.pipelines.store import RunStore
    from workbench.scaffold import init_project

    project = init_project(tmp_path_factory.mktemp("read") / "proj", rows=600)
    tracker = Tracker(project)
    client, experiment = tracker.client, tracker.experiment_id
    ids: dict[str, str] = {}
    gates = GateReport(phase="explore", results=(check_min("min_rows", 600, 100),))
    with tracker.start_run("explore") as run:
        run.log_gates(gates)
        ids["explore"] = run.run_id
    for name, selected in (("evaluate_old", "true"), ("evaluate", "true"), ("side", "false")):
        with tracker.start_run("evaluate", params={"max_iter": 60, "name": name}) as run:
            for step, value in enumerate((0.7, 0.8, 0.83)):
                run.log_metrics({"roc_auc": value}, step=step)
            run.log_metrics({"log_loss": math.nan})
            model = Path(project.state_dir) / f"model-{name}"
            model.mkdir()
            (model / "MLmodel").write_text("flavors: {}\n")
            client.log_artifacts(run.run_id, str(model), "model")
            run.set_tag(TAG + "model", "model")
            run.set_tag(TAG + "selected", selected)
            run.set_tag(TAG + "selected_at", f"2026-01-0{len(ids)}T00:00:00.000+00:00")
            ids[name] = run.run_id
    for phase in ("develop", "package"):
        with tracker.start_run(phase, params={"model_uri": f"runs:/{ids['evaluate_old']}/model"}) as run:
            ids[phase] = run.run_id
    name = project.config.model_name
    client.create_registered_model(name)
    for key in ("evaluate_old", "evaluate", "side"):
        client.create_model_version(name, f"runs:/{ids[key]}/model", run_id=ids[key])
    client.delete_model_version(name, "3")
    client.set_registered_model_alias(name, "champion", "2")
    client.set_registered_model_alias(name, "challenger", "1")
    with tracker.start_run("deploy", params={"champion": "2"}) as run:
        ids["deploy"] = run.run_id
    with tracker.start_run("monitor") as run:
        report = Path(project.state_dir) / "monitor.json"
        report.write_text(json.dumps({"alerts": [{"rule": "drift", "metric": "drift_share"}]}))
        client.log_artifact(run.run_id, str(report), "reports")
        ids["monitor"] = run.run_id
    try:
        with tracker.start_run("develop"):
            raise RuntimeError("a failed develop run")
    except RuntimeError:
        pass
    deleted = client.create_run(experiment, tags={TAG + "phase": "develop"})
    client.delete_run(deleted.info.run_id)
    same = client.get_run(ids["package"]).info.start_time
    for _ in range(2):  # two runs in the same millisecond: MLflow breaks the tie by run id
        tied = client.create_run(experiment, start_time=same, tags={TAG + "phase": "package"}).info.run_id
        client.log_param(tied, "model_uri", f"runs:/{ids['evaluate_old']}/model")
        client.set_terminated(tied)
    approve_notebook(project, "notebooks/01_explore.ipynb", by="tester", comment="fine")
    runs = RunStore(project)
    runs.create_run(run_id="r1", pipeline="lifecycle", parameters={}, trigger="manual",
                    steps=[("develop", "notebooks/03_develop.ipynb")])
    runs.update_step("r1", "develop", status="failed", started="2099-01-01T00:00:00+00:00",
                     ended="2099-01-01T00:00:01+00:00", error="ValueError: boom")
    runs.finish_run("r1", "failed", error="step develop failed")
    return SimpleNamespace(project=project, tracker=tracker, ids=ids, gates=gates)


def _plain(runs: list[RunInfo]) -> list[dict]:
    """Runs as comparable dictionaries (NaN is not equal to itself)."""
    return [{**vars(r), "metrics": {k: "nan" if math.isnan(v) else v for k, v in r.metrics.items()}} for r in runs]


def test_the_sqlite_reader_answers_as_mlflow_client(store: SimpleNamespace) -> None:
    uri = store.tracker.uri
    cheap, mlflow = store_reader(uri), MlflowStoreReader(uri)
    assert isinstance(cheap, SqliteStoreReader)
    name = store.project.config.experiment
    experiment = cheap.experiment_id(name)
    assert experiment == mlflow.experiment_id(name) == store.tracker.experiment_id
    queries = [{}, {"tags": {TAG + "phase": "develop"}}, {"tags": {TAG + "phase": "package"}, "max_results": 2},
               {"tags": {TAG + "phase": "evaluate", TAG + "selected": "true"}, "status": "FINISHED",
                "order_by_tag": TAG + "selected_at"},
               {"tags": {TAG + "phase": "evaluate"}, "order_by_tag": TAG + "selected"},
               {"status": "FAILED"}, {"tags": {TAG + "phase": "nothing"}}]
    for query in queries:
        assert _plain(cheap.search_runs(experiment, **query)) == _plain(mlflow.search_runs(experiment, **query))
    listed = cheap.search_runs(experiment)
    assert len(listed) == len(store.ids) + 3  # every run but the deleted one
    assert _plain(cheap.search_runs(experiment, tags={TAG + "phase": "evaluate"}))[0]["metrics"] == {
        "roc_auc": 0.83, "log_loss": "nan"}
    for run_id in [*store.ids.values(), "0" * 32]:
        assert _plain([r for r in [cheap.get_run(run_id)] if r]) == _plain([r for r in [mlflow.get_run(run_id)] if r])
    for run_id, path in ((store.ids["explore"], "gates/gates.json"), (store.ids["monitor"], "reports/monitor.json"),
                         (store.ids["explore"], "reports/none.json"), (store.ids["explore"], "../../../etc/passwd")):
        assert cheap.read_artifact(run_id, path) == mlflow.read_artifact(run_id, path)
    model = store.project.config.model_name
    for key in ("evaluate_old", "evaluate", "side", "explore"):
        assert cheap.model_versions(model, run_id=store.ids[key]) == mlflow.model_versions(model, run_id=store.ids[key])
    for version in ("1", "2", "3", "9"):
        assert cheap.model_version(model, version) == mlflow.model_version(model, version)
    for alias in ("champion", "challenger", "none"):
        assert cheap.version_by_alias(model, alias) == mlflow.version_by_alias(model, alias)
    assert cheap.aliases(model) == mlflow.aliases(model) == {"champion": "2", "challenger": "1"}
    assert cheap.aliases("no-such-model") == mlflow.aliases("no-such-model") == {}


def test_status_is_the_same_through_either_reader(store: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = project_status(store.project)
    assert type(Tracker(store.project, read_only=True).reader) is SqliteStoreReader
    monkeypatch.setattr(tracking_read, "READERS", {})  # every store through MLflow's client
    assert type(Tracker(store.project, read_only=True).reader) is MlflowStoreReader
    through_mlflow = project_status(store.project)
    assert cheap.to_dict() == through_mlflow.to_dict()
    assert cheap.chosen_model is not None and cheap.chosen_model.run_id == store.ids["evaluate"]
    assert cheap.chosen_model.versions == ("2",) and cheap.chosen_model.aliases == ("champion",)
    assert cheap.phase("explore").gates[0]["name"] == "min_rows"
    assert cheap.phase("develop").state == "failed"  # the failed pipeline step is newer than its runs
    assert cheap.phase("monitor").state == "alerts fired"
    assert cheap.phase("package").state == "stale"


def test_a_fresh_project_reads_as_empty_without_creating_a_store(project: Project) -> None:
    tracker = Tracker(project, read_only=True)
    assert tracker.runs() == [] and tracker.chosen_model() is None
    assert project_status(project, tracker).phases[0].state == "not run"
    assert not (project.state_dir / "mlflow.db").exists()


def test_registry_references_are_parsed() -> None:
    assert registry_reference("models:/credit/3") == ("credit", "3", None)
    assert registry_reference("models:/credit@champion") == ("credit", None, "champion")
    assert registry_reference("runs:/abc/model") is None


_PROBE = """
import json, sys
from workbench.cli import main
code = main(sys.argv[2:])
from workbench.jupyter.api import WorkbenchAPI
api = WorkbenchAPI(sys.argv[1])
for call in (api.status, api.notebooks, api.runs):
    call("proj")
print(json.dumps({"code": code, "heavy": [m for m in json.loads(%r) if m in sys.modules]}))
"""


@pytest.mark.parametrize("command", ["status", "approvals", "runs"])
def test_instant_commands_import_no_heavy_library(store: SimpleNamespace, command: str) -> None:
    """A durable guard (not a timing): what status, approvals, runs and the panel's reads import."""
    probe = _PROBE % json.dumps(HEAVY)
    root = store.project.root
    done = subprocess.run([sys.executable, "-c", probe, str(root.parent), command, "-P", str(root)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"code": 0, "heavy": []}


def test_a_sqlite_uri_with_options_is_read_through_mlflow(tmp_path: Path) -> None:
    plain = SqliteStoreReader(f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert plain.path == tmp_path / "mlflow.db"
    assert plain.search_runs("0") == [] and plain.experiment_id("p") is None  # no file yet: no runs, none made
    assert not (tmp_path / "mlflow.db").exists()
    assert SqliteStoreReader(f"sqlite:///{tmp_path / 'mlflow.db'}?timeout=5").path is None

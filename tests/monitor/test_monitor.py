"""wb.monitor over a real prediction log: windows, performance, service, alerts, sinks and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

import workbench as wb
from workbench.cli import main
from workbench.config import load_config
from workbench.datasets import make_credit_risk
from workbench.deploy.predlog import read_requests
from workbench.exceptions import ConfigError
from workbench.monitor import MonitorReport, alert_history, trigger_pipeline
from workbench.reports import load_report


def _copy(project, tmp_path):
    shutil.copytree(project.root, tmp_path / "proj")
    return wb.Project.load(tmp_path / "proj")


def test_monitor_reviews_windows_and_fires_the_drift_rule(logged, tmp_path):
    project = _copy(logged, tmp_path)
    report = wb.monitor(project)
    assert isinstance(report, MonitorReport) and report.window == "7D"
    assert (report.n_predictions, report.n_requests, report.n_labelled) == (1200, 8, 1200)
    assert all(w.drift_share < 0.2 for w in report.drift.windows[:2]), report.drift.windows
    assert report.drift.windows[-1].drift_share > 0.2
    assert len(report.performance) == len(report.service) == 4
    first = report.performance[0]
    assert first.interval("accuracy")[0] <= first.value("accuracy") <= first.interval("accuracy")[1]
    assert 0.5 < first.value("roc_auc") < 1 and first.n_labelled == 300
    assert sum(s.requests for s in report.service) == 8
    assert [a["rule"] for a in report.alerts] == ["drift"]
    alert = report.alerts[0]
    assert alert["value"] == pytest.approx(report.drift.drift_share) and alert["threshold"] == 0.2
    assert alert["pipeline"] == "retrain"
    history = alert_history(project)
    assert [h["rule"] for h in history] == ["drift"]
    assert set(history[0]) >= {"rule", "message", "value", "threshold", "time", "pipeline", "pipeline_run"}
    assert "ALERT drift" in (project.state_dir / "alerts.log").read_text()
    again = load_report(json.loads(report.to_json()))
    assert again.to_dict() == report.to_dict()


def test_since_narrows_the_review_and_dry_run_records_nothing(logged, tmp_path):
    project = _copy(logged, tmp_path)
    report = wb.monitor(project, since="2026-01-15", record=False)
    assert report.n_predictions == 600 and report.alerts
    assert alert_history(project) == []


def test_pipeline_trigger_names_the_pipeline(logged, tmp_path):
    from workbench.exceptions import WorkbenchError

    project = _copy(logged, tmp_path)
    assert trigger_pipeline(project, {"rule": "drift", "pipeline": None}) is None
    with pytest.raises(WorkbenchError, match=r"(?i)pipeline"):
        trigger_pipeline(project, {"rule": "drift", "pipeline": "retrain"})
    report = wb.monitor(project)
    alert = report.alerts[0]
    assert alert["pipeline"] == "retrain" and alert["pipeline_run"] is None
    assert alert["pipeline_status"].startswith("failed:")


@pytest.mark.slow
def test_a_firing_alert_runs_the_retrain_pipeline_to_the_end(logged, tmp_path):
    """The loop closes: drift fires the rule, the rule starts its approved pipeline, the run succeeds."""
    import time

    import nbformat
    import yaml

    from workbench.pipelines import RunStore, approve_notebook

    project = _copy(logged, tmp_path)
    notebook = project.root / "notebooks" / "retrain_marker.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell('project_dir = "."', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import pathlib\npathlib.Path(project_dir, 'retrained').write_text('yes')")]
    nbformat.write(nb, notebook)
    spec = {"pipelines": {"retrain": {"steps": [{"name": "mark", "notebook": "notebooks/retrain_marker.ipynb"}]}}}
    (project.root / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    approve_notebook(project, "notebooks/retrain_marker.ipynb", by="tester", comment="test")

    alert = wb.monitor(project).alerts[0]
    assert alert["rule"] == "drift" and alert["pipeline_status"] == "started", alert
    store, deadline = RunStore(project), time.monotonic() + 120
    while not store.get_run(alert["pipeline_run"]).finished and time.monotonic() < deadline:
        time.sleep(0.3)
    run = store.get_run(alert["pipeline_run"])
    assert run.status == "succeeded" and run.trigger == "alert:drift", [s.error for s in run.steps]
    assert (project.root / "retrained").read_text() == "yes"
    assert alert_history(project)[-1]["pipeline_run"] == run.run_id


def test_alert_does_not_start_a_pipeline_whose_run_is_still_active(logged, tmp_path):
    from workbench.pipelines import RunStore

    project = _copy(logged, tmp_path)
    store = RunStore(project)
    store.create_run(run_id="retrain-active", pipeline="retrain", parameters={}, trigger="manual",
                     steps=[("train", "notebooks/02_evaluate.ipynb")])
    store.set_process("retrain-active", os.getpid())  # a live runner: this test's process
    store.claim_run("retrain-active")
    assert [r.run_id for r in store.active_runs("retrain")] == ["retrain-active"]
    alert = wb.monitor(project).alerts[0]
    assert alert["pipeline"] == "retrain" and alert["pipeline_run"] is None
    assert alert["pipeline_status"] == "not started: run retrain-active of retrain is still running"
    assert alert_history(project)[-1]["pipeline_status"] == alert["pipeline_status"]
    assert [r.run_id for r in store.active_runs()] == ["retrain-active"]


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_receives_the_alert_as_json(logged, tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        project = _copy(logged, tmp_path)
        config = project.config.path
        url = f"http://127.0.0.1:{server.server_port}/hook"
        config.write_text(config.read_text().replace('window = "7D"', f'window = "7D"\nwebhook_url = "{url}"'))
        report = wb.monitor(wb.Project.load(project.root))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    content_type, payload = _Hook.received[-1]
    assert content_type == "application/json"
    assert payload["alert"]["rule"] == "drift"
    assert report.alerts[0]["sinks"]["webhook"] == "ok"


def test_cli_monitor_exits_3_on_alert_and_lists_alerts(logged, tmp_path, capsys):
    project = _copy(logged, tmp_path)
    assert main(["monitor", "-P", str(project.root), "--html", str(tmp_path / "m.html")]) == 3
    out = capsys.readouterr().out
    assert "ALERT drift" in out and (tmp_path / "m.html").is_file()
    assert main(["monitor", "-P", str(project.root), "--since", "2026-01-01", "--until", "2026-01-10"]) == 0
    capsys.readouterr()
    assert main(["alerts", "-P", str(project.root), "--json"]) == 0
    assert [a["rule"] for a in json.loads(capsys.readouterr().out)] == ["drift"]


def test_cli_drift_writes_reports(tmp_path, capsys):
    make_credit_risk(2000, seed=1).to_parquet(tmp_path / "ref.parquet")
    make_credit_risk(1000, seed=2, scenario="new_category").to_csv(tmp_path / "cur.csv", index=False)
    code = main(["drift", str(tmp_path / "ref.parquet"), str(tmp_path / "cur.csv"), "--exclude", "application_date",
                 "--out", str(tmp_path / "d.json"), "--out", str(tmp_path / "d.html")])
    assert code == 0
    assert "DRIFT loan_purpose" in capsys.readouterr().out
    assert load_report(tmp_path / "d.json").column("loan_purpose").drifted
    assert main(["drift", str(tmp_path / "ref.parquet"), str(tmp_path / "cur.csv"), "--exclude", "application_date",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["columns"][0]["column"]  # stdout: the report, nothing else
    assert main(["drift", str(tmp_path / "ref.parquet"), str(tmp_path / "none.csv")]) == 2


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('name = "a"\nmetric = "drift"\nthreshold = 1', "unknown metric 'drift'"),
        ('name = "a"\nmetric = "drift_share"', "the required key 'threshold' is missing"),
        ('name = "a"\nmetric = "drift_share"\nthreshold = 1\nop = "=="', "'op' = '==' must be one of"),
        ('name = "a"\nmetric = "drift_share"\nthreshold = 1\ncolour = "red"', "unknown key 'colour'"),
        ('name = "a"\nmetric = "drift_share"\nthreshold = "high"', "'threshold' = 'high' must be a number"),
    ],
)
def test_alert_rules_are_validated(tmp_path, rule, message):
    path = tmp_path / "workbench.toml"
    path.write_text(f'[project]\nname = "x"\n[data]\npath = "d.csv"\ntarget = "y"\n[[alerts]]\n{rule}\n')
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_duplicate_rule_names_are_refused(tmp_path):
    path = tmp_path / "workbench.toml"
    rule = '[[alerts]]\nname = "a"\nmetric = "drift_share"\nthreshold = 1\n'
    path.write_text(f'[project]\nname = "x"\n[data]\npath = "d.csv"\ntarget = "y"\n{rule}{rule}')
    with pytest.raises(ConfigError, match="repeated: a"):
        load_config(path)


def test_requests_log_feeds_service_figures(logged):
    requests = read_requests(logged)
    assert len(requests) == 8 and (requests["status_code"] == 200).all()


def test_performance_figures_compare_with_evaluate():
    from workbench.monitor._figures import figures
    from workbench.monitor.performance import WindowPerformance

    windows = [WindowPerformance("a", "b", 100, {"accuracy": 0.8, "roc_auc": auc},
                                 {"accuracy": (0.7, 0.9), "roc_auc": (0.6, 0.9)}) for auc in (0.82, 0.61)]
    found = figures(None, {"accuracy": 0.75, "roc_auc": 0.78}, {"p99_latency_ms": 12.0}, {"roc_auc": 0.83}, windows)
    assert found["auc_drop"] == pytest.approx(0.05)
    assert found["latest_auc_drop"] == pytest.approx(0.22)
    assert found["p99_latency_ms"] == 12.0 and found["drift_share"] is None
    assert figures(None, {}, {}, {}, windows)["latest_auc_drop"] is None

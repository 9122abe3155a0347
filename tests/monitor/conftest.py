"""The monitor tests' shared project: four weekly windows of logged traffic with labels."""

from __future__ import annotations

import types

import pandas as pd
import pytest

import workbench as wb
from workbench.datasets import TARGET, make_credit_risk
from workbench.deploy.predlog import log_batch, write_feedback

RULES = """
[monitor]
window = "7D"
calibrate = true
n_bootstrap = 50

[[alerts]]
name = "drift"
metric = "drift_share"
threshold = 0.2
pipeline = "retrain"

[[alerts]]
name = "accuracy"
metric = "accuracy"
op = "<"
threshold = 0.1
"""


def without_monitor_tables(config: str) -> str:
    """``config`` without its ``[monitor]`` and ``[[alerts]]`` tables (the demo's own)."""
    kept, dropping = [], False
    for line in config.splitlines(keepends=True):
        if line.startswith("["):
            dropping = line.split("#")[0].strip() in ("[monitor]", "[[alerts]]")
        if not dropping:
            kept.append(line)
    return "".join(kept)


@pytest.fixture(scope="session")
def logged(tmp_path_factory):
    """A project with four weekly windows of logged traffic (covariate shift from week 3) and labels."""
    from workbench.evaluate import feature_columns, split_data, train_model
    from workbench.scaffold import init_project

    project = init_project(tmp_path_factory.mktemp("monitor") / "proj", rows=1500)
    project.config.path.write_text(without_monitor_tables(project.config.path.read_text()) + RULES)
    project = wb.Project.load(project.root)
    split = split_data(project, project.load_data())
    model = train_model(split, seed=0, max_iter=30)
    for week, scenario in enumerate(["none", "none", "covariate_shift", "covariate_shift"]):
        frame = make_credit_risk(300, seed=20 + week, scenario=scenario)
        features = frame[feature_columns(project, frame)]
        for part in range(2):
            rows = slice(part * 150, (part + 1) * 150)
            result = types.SimpleNamespace(predictions=model.predict(features.iloc[rows]),
                                           probabilities=model.predict_proba(features.iloc[rows]))
            stamp = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=7 * week + part)
            request = log_batch(project, features.iloc[rows], result, model_name="credit", model_version=None,
                                variant="champion", timestamp=stamp)
            write_feedback(project, request, frame[TARGET].iloc[rows].tolist())
    return project




SERVED_RULES = """
[monitor]
window = "7D"
n_bootstrap = 50

[[alerts]]
name = "top-features"
metric = "top_features_drifted"
top_k = 3
op = ">="
threshold = 1

[[alerts]]
name = "slow"
metric = "p99_latency_ms"
threshold = 100

[[alerts]]
name = "auc"
metric = "latest_auc_drop"
threshold = 0.1
"""

# Per weekly window: latency (ms) of each answered (200) request, then the rejects (422) and
# failures (500) logged besides, with their latencies. The tests compute p50/p99 from these.
SERVED_WEEKS = [
    {"scenario": "none", "latencies": [10.0, 30.0], "rejects": [], "failures": []},
    {"scenario": "none", "latencies": [12.0, 14.0], "rejects": [2.0], "failures": [50.0]},
    {"scenario": "covariate_shift", "latencies": [20.0, 40.0], "rejects": [3.0, 5.0], "failures": []},
    {"scenario": "covariate_shift", "latencies": [25.0, 35.0], "rejects": [4.0], "failures": [400.0, 300.0]},
]
SERVED_START = pd.Timestamp("2026-01-01", tz="UTC")


def log_requests(project, model, frame, *, week: int, latencies, rejects=(), failures=(), version="1"):
    """Log one week of traffic as the server does: one 200 per latency (150 rows each, labelled), then 4xx/5xx."""
    import uuid

    from workbench.deploy.predlog import connect, prediction_rows, write_request
    from workbench.evaluate import feature_columns

    features = frame[feature_columns(project, frame)]
    conn = connect(project)
    try:
        answered = []
        for part, latency in enumerate(latencies):
            rows = features.iloc[part * 150:(part + 1) * 150]
            result = types.SimpleNamespace(predictions=model.predict(rows), probabilities=model.predict_proba(rows))
            stamp = (SERVED_START + pd.Timedelta(days=7 * week, hours=part)).isoformat()
            request_id = uuid.uuid4().hex
            write_request(conn, request_id=request_id, timestamp=stamp, status_code=200, latency_ms=latency,
                          n_rows=len(rows), variant="champion", model_name="credit", model_version=version,
                          rows=prediction_rows(rows, result, request_id=request_id, timestamp=stamp,
                                               model_name="credit", model_version=version, variant="champion"))
            answered.append((request_id, frame[TARGET].iloc[part * 150:(part + 1) * 150].tolist()))
        for status, latency_list in ((422, rejects), (500, failures)):
            for k, latency in enumerate(latency_list):
                stamp = (SERVED_START + pd.Timedelta(days=7 * week + 2, minutes=k)).isoformat()
                write_request(conn, request_id=uuid.uuid4().hex, timestamp=stamp, status_code=status,
                              latency_ms=latency, n_rows=0, variant="champion", model_name="credit",
                              model_version=version, error=f"status {status}")
    finally:
        conn.close()
    for request_id, labels in answered:
        write_feedback(project, request_id, labels)


@pytest.fixture(scope="session")
def served(trained, tmp_path_factory):
    """A copy of the trained demo project whose model, registered as credit v1, served four weeks
    of traffic: latencies, 4xx/5xx answers, labels; Evaluate's metrics and explanation reports saved.
    Read-only: copy the project to change it."""
    import shutil

    import mlflow

    from workbench.evaluate import evaluate_model, explain
    from workbench.tracking import Tracker

    root = tmp_path_factory.mktemp("served") / "proj"
    shutil.copytree(trained.project.root, root)
    (root / "workbench.toml").write_text(without_monitor_tables((root / "workbench.toml").read_text()) + SERVED_RULES)
    project = wb.Project.load(root)
    Tracker(project)  # points MLflow at the copy's store
    assert str(mlflow.register_model(trained.model_uri, "credit").version) == "1"
    split, model = trained.split, trained.model
    reports = project.state_dir / "reports"
    evaluate_model(model, split.X_test, split.y_test, n_bootstrap=20).save(reports / "metrics.json")
    explanation = explain(model, split.X_test, max_rows=200, display_rows=20)
    explanation.save(reports / "explanation.json")
    for week, plan in enumerate(SERVED_WEEKS):
        frame = make_credit_risk(300, seed=40 + week, scenario=plan["scenario"])
        log_requests(project, model, frame, week=week, latencies=plan["latencies"], rejects=plan["rejects"],
                     failures=plan["failures"])
    return types.SimpleNamespace(project=project, model=model, explanation=explanation)

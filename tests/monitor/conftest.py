"""The monitor tests' shared project: four weekly windows of logged traffic with labels."""

from __future__ import annotations

import types

import pandas as pd
import pytest

import workbench as wb
from workbench.datasets import TARGET, make_credit_risk
from workbench.deploy.predlog import log_batch, write_feedback


@pytest.fixture(params=["numpy", "compiled"])
def summary_pass(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which pass summarises the partitions: numpy's (short ones), or the compiled one (forced here
    for short partitions too; long ones take it anyway)."""
    if request.param == "compiled":
        from workbench.monitor import summaries

        monkeypatch.setattr(summaries, "COMPILED_ROWS", 0)
    return request.param


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


# Three projects, one per task, on scikit-learn's bundled datasets: a real model registered as
# version 1, Evaluate's metrics report, and four weekly windows of logged traffic (held-out rows
# drawn with replacement) with labels. The last week's labels are degraded: shuffled for the
# classifiers, shifted up by REGRESSION_SHIFT for the regressor.
TASK_WEEKS = 4
TASK_ROWS = 150
REGRESSION_SHIFT = 60.0
TASK_RULES = {
    "binary": [("auc", "latest_auc_drop", ">", 0.1), ("accuracy", "latest_accuracy_drop", ">", 0.1),
               ("auc-floor", "roc_auc", "<", 0.0)],
    "multiclass": [("accuracy", "latest_accuracy_drop", ">", 0.2), ("f1", "latest_f1_macro_drop", ">", 0.2),
                   ("f1-floor", "f1_macro", "<", 0.0)],
    "regression": [("mae", "latest_mae_rise", ">", 0.3), ("rmse", "latest_rmse_rise", ">", 0.3),
                   ("mae-ceiling", "mae", ">", 1e6)],
}


def _bundled(task: str) -> tuple[pd.DataFrame, str, object]:
    """A bundled scikit-learn dataset as a frame, its target column, and an untrained model."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    loader, model = {
        "binary": (load_breast_cancer, LogisticRegression(max_iter=2000, C=0.05)),
        "multiclass": (load_wine, LogisticRegression(max_iter=2000, C=0.05)),
        "regression": (load_diabetes, Ridge(alpha=1.0)),
    }[task]
    frame = loader(as_frame=True).frame
    return frame, "target", make_pipeline(StandardScaler(), model)


def task_config(name: str, task: str, rules) -> str:
    """A workbench.toml for a bundled dataset with weekly windows and ``rules``."""
    positive = "positive_label = 1\n" if task == "binary" else ""
    text = (f'[project]\nname = "{name}"\n[data]\npath = "data/train.csv"\ntarget = "target"\ntask = "{task}"\n'
            f'{positive}\n[monitor]\nwindow = "7D"\nn_bootstrap = 50\n')
    for rule, metric, op, threshold in rules:
        text += f'\n[[alerts]]\nname = "{rule}"\nmetric = "{metric}"\nop = "{op}"\nthreshold = {threshold}\n'
    return text


def _reference_report(model, X, y, task: str):
    """Evaluate's metrics report on the held-out rows."""
    from workbench.evaluate import evaluate_model

    if task != "multiclass":
        return evaluate_model(model, X, y, n_bootstrap=20)  # the task is inferred from the model
    from sklearn.metrics import accuracy_score, f1_score

    from workbench.evaluate.metrics import MetricsReport

    predicted = model.predict(X)
    metrics = {"accuracy": accuracy_score(y, predicted), "f1_macro": f1_score(y, predicted, average="macro"),
               "f1_weighted": f1_score(y, predicted, average="weighted")}
    return MetricsReport(task="multiclass", model="LogisticRegression", n_rows=len(y), metrics=metrics,
                         intervals={}, n_bootstrap=0, seed=0)


@pytest.fixture(scope="session", params=["binary", "multiclass", "regression"])
def tasked(request, tmp_path_factory):
    """One project per task (read-only: copy it to change it), with what was logged each week.

    Returns a namespace: ``task``, ``project``, ``model``, ``X_test``, ``y_test``, ``reference``
    (Evaluate's metrics report) and ``weeks``: per week ``request_id``, ``rows`` (the features),
    ``labels`` (as posted), ``predictions`` and ``probabilities`` (None for regression).
    """
    import mlflow
    import numpy as np
    from sklearn.model_selection import train_test_split

    from workbench.explore.schema import infer_schema
    from workbench.tracking import Tracker

    task = request.param
    frame, target, model = _bundled(task)
    root = tmp_path_factory.mktemp(f"task-{task}") / "proj"
    (root / "data").mkdir(parents=True)
    frame.to_csv(root / "data" / "train.csv", index=False)
    (root / "workbench.toml").write_text(task_config(f"{task}-demo", task, TASK_RULES[task]))
    project = wb.Project.load(root)
    X, y = frame.drop(columns=target), frame[target]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=0, stratify=y if task != "regression" else None)
    model.fit(X_train, y_train)
    with Tracker(project).start_run("evaluate") as run:
        uri = run.log_model(model, input_example=X_test.head(3), schema=infer_schema(X_train))
    assert str(mlflow.register_model(uri, project.config.model_name).version) == "1"
    reference = _reference_report(model, X_test, y_test, task)
    reference.save(project.state_dir / "reports" / "metrics.json")
    rng, weeks = np.random.default_rng(7), []
    for week in range(TASK_WEEKS):
        picks = rng.integers(0, len(X_test), TASK_ROWS)
        rows, labels = X_test.iloc[picks].reset_index(drop=True), y_test.iloc[picks].to_numpy()
        if week == TASK_WEEKS - 1:
            labels = labels + REGRESSION_SHIFT if task == "regression" else rng.permutation(labels)
        result = types.SimpleNamespace(predictions=model.predict(rows),
                                       probabilities=model.predict_proba(rows) if task != "regression" else None)
        request_id = log_batch(project, rows, result, model_name=project.config.model_name, model_version="1",
                               variant="champion", timestamp=SERVED_START + pd.Timedelta(days=7 * week + 1))
        write_feedback(project, request_id, labels.tolist())
        weeks.append(types.SimpleNamespace(request_id=request_id, rows=rows, labels=labels,
                                           predictions=result.predictions, probabilities=result.probabilities))
    return types.SimpleNamespace(task=task, project=project, model=model, X_test=X_test, y_test=y_test,
                                 reference=reference, weeks=weeks)

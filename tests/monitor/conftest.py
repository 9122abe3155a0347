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



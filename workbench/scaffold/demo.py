"""The demo project: seeded credit-risk data, its configuration and the phase notebooks."""

from __future__ import annotations

from pathlib import Path

from workbench._io import write_table, write_text
from workbench.config import CONFIG_NAME
from workbench.datasets import make_credit_risk
from workbench.exceptions import ParameterError
from workbench.project import Project
from workbench.scaffold._common import (
    GITIGNORE,
    PIPELINES,
    check_name,
    copy_notebooks,
    prepare_root,
    toml_escape,
)

__all__ = ["DEMO_CONFIG", "init_demo"]

DEMO_CONFIG = """\
# MLOps Workbench project. Every key is checked when the project is opened.
[project]
name = "{name}"
description = "Credit default risk: will an applicant default on the loan?"

[data]
path = "data/credit.parquet"           # training data (CSV or Parquet)
target = "default"
task = "binary"
positive_label = 1
sensitive = ["sex", "age_band"]        # protected attributes for the fairness review
time_column = "application_date"
production = "data/production.parquet" # later applications: served by deploy, replayed by monitor
test_size = 0.25
seed = {seed}

[model]
name = "{name}"

[tracking]
uri = ""   # empty: embedded SQLite store in .workbench/; or an MLflow server URL

[package]
intended_use = "Decision support: rank loan applications by default risk for a credit officer's review. Not for automated rejection."
limitations = ["Trained and evaluated on seeded synthetic data (workbench.datasets.make_credit_risk), not on real applicants."]

[gates.explore]
max_missing_share = 0.6

[gates.evaluate]
min_roc_auc = 0.70
min_margin_over_baseline = 0.05
max_demographic_parity_difference = 0.25
max_equalized_odds_difference = 0.30
min_group_size = 30
fairness_evidence = "interval"         # small demo test sets: fail on disparities the rows show

[gates.package]
require_evaluate_gates = true          # the training run passed its gates
require_card_reports = true            # the model card has the metrics, fairness and SHAP reviews
require_card_text = true               # [package] intended_use and limitations are written

[gates.monitor]
max_drift_share = 0.5

[monitor]
window = "7D"                          # review the prediction log week by week
calibrate = true                       # bootstrap-calibrated drift thresholds for small windows
webhook_url = ""                       # POST alerts here as JSON (empty: log file only)

[[alerts]]
name = "drift"
metric = "drift_share"                 # share of drifted columns over the reviewed period
threshold = 0.25
message = "Production inputs drifted from the training data"
# pipeline = "retrain"                 # start this pipeline when the rule fires

[[alerts]]
name = "top-feature-drift"
metric = "top_features_drifted"        # how many of the top_k SHAP features drifted
top_k = 5
op = ">="
threshold = 1

[[alerts]]
name = "performance"
metric = "latest_auc_drop"             # Evaluate's ROC AUC minus the latest week's, once labels arrive
threshold = 0.05

[[alerts]]
name = "latency"
metric = "p99_latency_ms"
threshold = 100
"""


def init_demo(
    directory: Path | str,
    *,
    name: str | None = None,
    rows: int = 5000,
    seed: int = 0,
    force: bool = False,
) -> Project:
    """Create the demo project in ``directory``: config, phase notebooks and seeded credit-risk data.

    Examples
    --------
    >>> project = init_demo("credit-demo", rows=2000)  # doctest: +SKIP
    """
    root = prepare_root(directory, force=force)
    if rows < 200:
        raise ParameterError(f"A demo project needs at least 200 rows, got {rows}.", name="rows", value=rows)
    name = check_name(name, root)
    (root / "data").mkdir(parents=True, exist_ok=True)
    write_text(root / CONFIG_NAME, DEMO_CONFIG.format(name=toml_escape(name), seed=seed))
    write_text(root / ".gitignore", GITIGNORE)
    write_text(root / "pipeline.yaml", PIPELINES)
    copy_notebooks(root / "notebooks")
    write_table(make_credit_risk(rows, seed=seed), root / "data" / "credit.parquet")
    # Later applications from the same process, as rows held out of training would be: Monitor
    # (notebook 06) plants its own drift in them, so quiet weeks stay quiet.
    production = make_credit_risk(max(rows // 2, 200), seed=seed + 1, start="2026-01-01", days=90)
    write_table(production, root / "data" / "production.parquet")
    return Project.load(root)

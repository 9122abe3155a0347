"""``workbench init``: create a project folder with its configuration, notebooks and demo data."""

from __future__ import annotations

import shutil
from pathlib import Path

from workbench._io import write_table, write_text
from workbench.config import CONFIG_NAME
from workbench.datasets import make_credit_risk
from workbench.exceptions import ConfigError, ParameterError
from workbench.project import Project

__all__ = ["init_project", "notebook_templates_dir"]

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
production = "data/production.parquet" # production traffic replayed by deploy/monitor
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

DEMO_PIPELINES = """\
# Notebook pipelines: `workbench run lifecycle` runs the six phases in order (what `workbench demo`
# does); `retrain` runs weekly (`workbench scheduler`) or when a monitoring alert names it.
# Only approved notebooks run: `workbench approve NOTEBOOK --comment WHY`.
pipelines:
  lifecycle:
    description: The six phases of the lifecycle, in order.
    steps:
      - {name: explore, notebook: notebooks/01_explore.ipynb, timeout: 900}
      - {name: evaluate, notebook: notebooks/02_evaluate.ipynb, depends_on: [explore], timeout: 900}
      - {name: develop, notebook: notebooks/03_develop.ipynb, depends_on: [evaluate], timeout: 900}
      - {name: package, notebook: notebooks/04_package.ipynb, depends_on: [develop], timeout: 900}
      - {name: deploy, notebook: notebooks/05_deploy.ipynb, depends_on: [package], timeout: 900}
      - {name: monitor, notebook: notebooks/06_monitor.ipynb, depends_on: [deploy], timeout: 900}
  retrain:
    description: Re-check the data, retrain and review the model, package it as the challenger.
    schedule: "0 3 * * 1"       # Mondays at 03:00
    timezone: UTC
    parameters:
      max_iter: {type: int, default: 200, help: boosting iterations}
      learning_rate: {type: float, default: 0.08, help: boosting learning rate}
    steps:
      - {name: explore, notebook: notebooks/01_explore.ipynb, timeout: 900}
      - name: evaluate
        notebook: notebooks/02_evaluate.ipynb
        depends_on: [explore]
        parameters: {max_iter: "${max_iter}", learning_rate: "${learning_rate}"}
        retries: 1
        timeout: 900
      - {name: develop, notebook: notebooks/03_develop.ipynb, depends_on: [evaluate], timeout: 900}
      - {name: package, notebook: notebooks/04_package.ipynb, depends_on: [develop], timeout: 900}
"""

GITIGNORE = ".workbench/\n.ipynb_checkpoints/\n"


def notebook_templates_dir() -> Path:
    """The phase notebooks shipped with the package (or, in a source checkout, ``notebooks/``)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_notebooks", here.parent / "notebooks"):
        if candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate
    raise ConfigError("The phase notebooks are missing from this installation.", hint="Reinstall mlops-workbench.")


def init_project(
    directory: Path | str,
    *,
    name: str | None = None,
    rows: int = 5000,
    seed: int = 0,
    force: bool = False,
) -> Project:
    """Create a demo project in ``directory``: config, phase notebooks and seeded data.

    Examples
    --------
    >>> project = init_project("credit-demo", rows=2000)  # doctest: +SKIP
    """
    root = Path(directory).resolve()
    if (root / CONFIG_NAME).exists() and not force:
        raise ConfigError(
            f"{root} already holds a project ({CONFIG_NAME} exists).",
            path=root / CONFIG_NAME,
            hint="Choose another folder, or pass --force to overwrite its configuration and data.",
        )
    if rows < 200:
        raise ParameterError(f"A demo project needs at least 200 rows, got {rows}.", name="rows", value=rows)
    name = name or _slug(root.name)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ParameterError(
            f"The project name {name!r} holds a control character (newline, tab, ...).",
            name="name",
            value=name,
            hint="Choose a name of printable characters.",
        )
    (root / "data").mkdir(parents=True, exist_ok=True)
    write_text(root / CONFIG_NAME, DEMO_CONFIG.format(name=_toml_escape(name), seed=seed))
    write_text(root / ".gitignore", GITIGNORE)
    write_text(root / "pipeline.yaml", DEMO_PIPELINES)
    _copy_notebooks(root / "notebooks")
    write_table(make_credit_risk(rows, seed=seed), root / "data" / "credit.parquet")
    production = make_credit_risk(
        max(rows // 2, 200), seed=seed + 1, scenario="covariate_shift", start="2026-01-01", days=90
    )
    write_table(production, root / "data" / "production.parquet")
    return Project.load(root)


def _copy_notebooks(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted(notebook_templates_dir().glob("*.ipynb")):
        shutil.copyfile(source, target / source.name)


def _slug(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
    return cleaned or "workbench-project"


def _toml_escape(text: str) -> str:
    """``text`` escaped for the inside of a TOML basic string ("...")."""
    return text.replace("\\", "\\\\").replace('"', '\\"')

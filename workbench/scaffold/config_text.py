"""``workbench.toml`` for a project made from the user's data.

What differs by task (the metric gate's threshold, the performance alert) is looked up in
:data:`TASK_DEFAULTS` by task name; the gate key itself is the task's ``min_gate``. Fairness
gates are written only when the project names sensitive columns. The model card's intended use
and limitations start as placeholders (:data:`~workbench.config.CARD_PLACEHOLDER`) that
the Package gate ``require_card_text`` fails on until they are written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from workbench.config import CARD_PLACEHOLDER
from workbench.scaffold._common import toml_escape, toml_value
from workbench.tasks import TASKS

__all__ = ["TASK_DEFAULTS", "ConfigValues", "TaskDefaults", "render_config"]

# Test sets smaller than this judge fairness by the interval (the disparity the rows show).
_INTERVAL_EVIDENCE_ROWS = 2000


@dataclasses.dataclass(frozen=True)
class TaskDefaults:
    """A task's starting thresholds: its metric gate, its fairness limits and its performance alert.

    ``fairness`` holds ``(key, limit, note)`` for each ``[gates.evaluate]`` disparity limit the
    task's fairness review is gated on.
    """

    gate_value: float
    gate_note: str
    fairness: tuple[tuple[str, float, str], ...]
    alert_metric: str
    alert_threshold: float
    alert_note: str


_CLASS_FAIRNESS = (
    ("max_demographic_parity_difference", 0.25, "gap in selection rate between groups"),
    ("max_equalized_odds_difference", 0.30, "gap in true or false positive rate between groups"),
)
TASK_DEFAULTS: dict[str, TaskDefaults] = {
    "binary": TaskDefaults(
        0.70, "ROC AUC on the test rows", _CLASS_FAIRNESS,
        "latest_auc_drop", 0.05, "Evaluate's ROC AUC minus the latest week's, once labels arrive",
    ),
    "multiclass": TaskDefaults(
        0.70, "one-vs-rest ROC AUC (macro) on the test rows", _CLASS_FAIRNESS,
        "latest_accuracy_drop", 0.05, "Evaluate's accuracy minus the latest week's, once labels arrive",
    ),
    "regression": TaskDefaults(
        0.10, "R² on the test rows (0: no better than predicting the mean)",
        (("max_mean_prediction_difference", 0.25, "gap in mean prediction between groups, in target SDs"),
         ("max_mae_difference", 0.25, "gap in MAE between groups, in target standard deviations")),
        "latest_mae_rise", 0.20, "the latest week's MAE against Evaluate's, relative (0.2: 20 % worse)",
    ),
}


@dataclasses.dataclass(frozen=True)
class ConfigValues:
    """What the configuration says about the data (paths relative to the project)."""

    name: str
    description: str
    source: str
    data_path: str
    production_path: str
    rows: int
    training_rows: int
    production_rows: int
    target: str
    task: str
    task_inferred: bool
    positive_label: Any
    sensitive: tuple[str, ...]
    time_column: str | None
    id_columns: tuple[str, ...]
    test_size: float
    seed: int


def render_config(values: ConfigValues) -> str:
    """The ``workbench.toml`` text for ``values``."""
    sections = (_project(values), _data(values), _package(), _gates(values), _monitor(values))
    return "\n".join(sections)


def _project(v: ConfigValues) -> str:
    return (
        f"# MLOps Workbench project made by `workbench init --data` from {toml_escape(v.source)}.\n"
        "# Every key is checked when the project is opened.\n"
        "[project]\n"
        f"name = {toml_value(v.name)}\n"
        f"description = {toml_value(v.description)}\n"
    )


def _data(v: ConfigValues) -> str:
    lines = [
        "[data]",
        f"path = {toml_value(v.data_path)}"
        f"  # the training rows: {v.training_rows:,} of the {v.rows:,} rows, copied as Parquet",
        f"target = {toml_value(v.target)}",
        f"task = {toml_value(v.task)}" + ("  # inferred from the target's values" if v.task_inferred else ""),
    ]
    if v.positive_label is not None:
        lines.append(f"positive_label = {toml_value(v.positive_label)}")
    note = "protected attributes for the fairness review" if v.sensitive else "none: the fairness review is not applicable"
    lines.append(f"sensitive = {_list(v.sensitive)}  # {note}")
    if v.time_column is not None:
        lines.append(f"time_column = {toml_value(v.time_column)}")
    if v.id_columns:
        lines.append(f"id_columns = {_list(v.id_columns)}  # kept in the data, left out of the model")
    how = "the latest rows by time" if v.time_column else "a seeded random share"
    lines += [
        f"production = {toml_value(v.production_path)}"
        f"  # {v.production_rows:,} rows held out of training ({how}): served by Deploy, replayed by Monitor",
        f"test_size = {v.test_size}",
        f"seed = {v.seed}",
        "",
        "[model]",
        f"name = {toml_value(v.name)}",
        "",
        "[tracking]",
        'uri = ""   # empty: embedded SQLite store in .workbench/; or an MLflow server URL',
    ]
    return "\n".join(lines) + "\n"


def _package() -> str:
    return (
        "[package]\n"
        "# The model card opens with these. Write them: the Package gate (require_card_text) fails\n"
        f"# while either still starts with {CARD_PLACEHOLDER!r}.\n"
        f'intended_use = "{CARD_PLACEHOLDER} who uses the model\'s answers, for which decision, and what they '
        'must not be used for."\n'
        f'limitations = ["{CARD_PLACEHOLDER} what the data does not cover (period, population, sources) and '
        'where the model is known to be weak."]\n'
    )


def _gates(v: ConfigValues) -> str:
    defaults = TASK_DEFAULTS[v.task]
    test_rows = max(int(v.training_rows * v.test_size), 1)
    lines = [
        "[gates.explore]",
        "max_missing_share = 0.5",
        "",
        "[gates.evaluate]",
        f"{TASKS[v.task].min_gate} = {defaults.gate_value:.2f}  # {defaults.gate_note}",
        "min_margin_over_baseline = 0.05",
    ]
    if v.sensitive:
        evidence = "interval" if test_rows < _INTERVAL_EVIDENCE_ROWS else "estimate"
        lines += [f"{key} = {limit:.2f}  # {note}" for key, limit, note in defaults.fairness]
        lines += [
            f"min_group_size = {max(5, min(30, test_rows // 5))}  # smaller groups are reported, not judged "
            f"({test_rows:,} test rows)",
            f'fairness_evidence = "{evidence}"'
            + ("  # a small test set: fail on the disparities its rows show" if evidence == "interval" else ""),
        ]
    lines += [
        "",
        "[gates.package]",
        "require_evaluate_gates = true  # the training run passed its gates",
        "require_card_reports = true    # the model card has the Evaluate reviews",
        "require_card_text = true       # [package] intended_use and limitations are written",
        "",
        "[gates.monitor]",
        "max_drift_share = 0.5",
    ]
    return "\n".join(lines) + "\n"


def _monitor(v: ConfigValues) -> str:
    defaults = TASK_DEFAULTS[v.task]
    return (
        "[monitor]\n"
        'window = "7D"      # review the prediction log week by week\n'
        "calibrate = true   # bootstrap-calibrated drift thresholds for small windows\n"
        'webhook_url = ""   # POST alerts here as JSON (empty: log file only)\n'
        "\n"
        "[[alerts]]\n"
        'name = "drift"\n'
        'metric = "drift_share"   # share of drifted columns over the reviewed period\n'
        "threshold = 0.25\n"
        'message = "Production inputs drifted from the training data"\n'
        '# pipeline = "retrain"   # start this pipeline when the rule fires\n'
        "\n"
        "[[alerts]]\n"
        'name = "top-feature-drift"\n'
        'metric = "top_features_drifted"   # how many of the top_k most important features drifted\n'
        "top_k = 5\n"
        'op = ">="\n'
        "threshold = 1\n"
        "\n"
        "[[alerts]]\n"
        'name = "performance"\n'
        f'metric = "{defaults.alert_metric}"   # {defaults.alert_note}\n'
        f"threshold = {defaults.alert_threshold}\n"
        "\n"
        "[[alerts]]\n"
        'name = "latency"\n'
        'metric = "p99_latency_ms"\n'
        "threshold = 100\n"
    )


def _list(items: Sequence[str]) -> str:
    return "[" + ", ".join(toml_value(item) for item in items) + "]"

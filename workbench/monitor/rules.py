"""``[[alerts]]`` rules of ``workbench.toml``: their keys, validation and evaluation.

:mod:`workbench.config` validates the rules whenever a project opens, and checks that each
rule's metric applies to the project's task (:func:`check_rules_apply`): a rule on ROC AUC in a
regression project would otherwise never fire, and nobody would know.

```toml
[[alerts]]
name = "drift"                 # unique
metric = "drift_share"         # see METRICS
op = ">"                       # >, >=, <, <=
threshold = 0.3
top_k = 5                      # top_features_drifted only: how many top features count
pipeline = "retrain"           # optional: the pipeline to start when the alert fires
message = "Production drifted" # optional
webhook = true                 # post to [monitor] webhook_url (when set)
```
"""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from workbench.exceptions import ConfigError
from workbench.tasks import TASKS, TaskType

__all__ = [
    "METRICS",
    "PERFORMANCE_METRICS",
    "AlertRule",
    "PerformanceMetric",
    "applies_to",
    "check_rules_apply",
    "validate_rules",
]

METRICS: dict[str, str] = {
    "drift_share": "share of drifted columns over the whole period",
    "latest_drift_share": "share of drifted columns in the latest window",
    "n_drifted": "number of drifted columns",
    "dataset_drift": "1 when the dataset drifted (drift share at or above its threshold), else 0",
    "top_features_drifted": "how many of the top_k most important features drifted",
    "prediction_drift": "drift score of the model's predictions",
    "accuracy": "accuracy of the labelled predictions",
    "roc_auc": "ROC AUC of the labelled predictions",
    "auc_drop": "Evaluate's ROC AUC minus the labelled predictions' ROC AUC",
    "latest_auc_drop": "Evaluate's ROC AUC minus the latest window's ROC AUC",
    "accuracy_drop": "Evaluate's accuracy minus the labelled predictions' accuracy",
    "latest_accuracy_drop": "Evaluate's accuracy minus the latest window's accuracy",
    "f1_macro": "macro-averaged F1 of the labelled predictions (multiclass)",
    "latest_f1_macro_drop": "Evaluate's macro F1 minus the latest window's macro F1 (multiclass)",
    "mae": "mean absolute error of the labelled predictions (regression)",
    "rmse": "root mean squared error of the labelled predictions (regression)",
    "latest_mae_rise": "relative rise of the latest window's MAE over Evaluate's: (latest - Evaluate) / Evaluate",
    "latest_rmse_rise": "relative rise of the latest window's RMSE over Evaluate's: (latest - Evaluate) / Evaluate",
    "p50_latency_ms": "median request latency (ms)",
    "p99_latency_ms": "99th percentile request latency (ms)",
    "failure_rate": "share of requests answered 5xx",
    "reject_rate": "share of requests rejected 4xx (validation)",
    "requests": "number of requests",
}


@dataclasses.dataclass(frozen=True)
class PerformanceMetric:
    """How an alert metric reads labelled performance.

    ``reads`` is the per-window metric (one of a task's ``monitor_metrics``); ``scope`` is every
    labelled prediction (``"all"``) or the latest window; ``compare`` gives the value itself, its
    drop below Evaluate's (``Evaluate - value``) or its relative rise above it
    (``(value - Evaluate) / Evaluate``, for errors).
    """

    reads: str
    scope: Literal["all", "latest"] = "all"
    compare: Literal["value", "drop", "rise"] = "value"


# The alert metrics that need labels; a rule may name one only where its task scores `reads`.
PERFORMANCE_METRICS: dict[str, PerformanceMetric] = {
    "accuracy": PerformanceMetric("accuracy"),
    "roc_auc": PerformanceMetric("roc_auc"),
    "f1_macro": PerformanceMetric("f1_macro"),
    "mae": PerformanceMetric("mae"),
    "rmse": PerformanceMetric("rmse"),
    "auc_drop": PerformanceMetric("roc_auc", compare="drop"),
    "accuracy_drop": PerformanceMetric("accuracy", compare="drop"),
    "latest_auc_drop": PerformanceMetric("roc_auc", "latest", "drop"),
    "latest_accuracy_drop": PerformanceMetric("accuracy", "latest", "drop"),
    "latest_f1_macro_drop": PerformanceMetric("f1_macro", "latest", "drop"),
    "latest_mae_rise": PerformanceMetric("mae", "latest", "rise"),
    "latest_rmse_rise": PerformanceMetric("rmse", "latest", "rise"),
}
OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_KEYS = {"name", "metric", "op", "threshold", "top_k", "pipeline", "message", "webhook"}


@dataclasses.dataclass(frozen=True)
class AlertRule:
    """One validated ``[[alerts]]`` rule."""

    name: str
    metric: str
    threshold: float
    op: str = ">"
    top_k: int = 5
    pipeline: str | None = None
    message: str | None = None
    webhook: bool = True

    def fires(self, value: float | None) -> bool:
        """Whether ``value`` breaks the rule (an unknown value never does)."""
        if value is None or not math.isfinite(value):
            return False
        return bool(OPERATORS[self.op](value, self.threshold))

    def describe(self, value: float) -> str:
        """The alert's message."""
        figures = f"{self.metric} = {value:.4g} {self.op} {self.threshold:g}"
        return f"{self.message} ({figures})" if self.message else figures


def _fail(path: Path, where: str, problem: str, *, key: str, value: Any = None, expected: str | None = None) -> ConfigError:
    return ConfigError(f"{path}: {where}: {problem}", path=path, key=key, value=value, expected=expected,
                       hint="Each [[alerts]] rule needs name, metric and threshold; see the README's Monitor section.")


def _rule(raw: Any, index: int, path: Path) -> AlertRule:
    where = f"[[alerts]] rule {index + 1}"
    if not isinstance(raw, Mapping):
        raise _fail(path, where, f"must be a table, not {type(raw).__name__}.", key=f"alerts[{index}]", value=raw)
    if isinstance(raw.get("name"), str):
        where = f"[[alerts]] rule '{raw['name']}'"
    for key in raw:
        if key not in _KEYS:
            raise _fail(path, where, f"unknown key '{key}'.", key=f"alerts.{key}", value=raw[key],
                        expected=f"one of {', '.join(sorted(_KEYS))}")
    for key in ("name", "metric", "threshold"):
        if key not in raw:
            raise _fail(path, where, f"the required key '{key}' is missing.", key=f"alerts.{key}")
    checks = {"name": str, "metric": str, "op": str, "pipeline": str, "message": str, "webhook": bool}
    for key, kind in checks.items():
        if key in raw and not isinstance(raw[key], kind):
            raise _fail(path, where, f"'{key}' = {raw[key]!r} must be a {kind.__name__}.", key=f"alerts.{key}",
                        value=raw[key], expected=kind.__name__)
    threshold = raw["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        raise _fail(path, where, f"'threshold' = {threshold!r} must be a number.", key="alerts.threshold",
                    value=threshold, expected="a number")
    if raw["metric"] not in METRICS:
        raise _fail(path, where, f"unknown metric {raw['metric']!r}; known: {', '.join(METRICS)}.",
                    key="alerts.metric", value=raw["metric"], expected=f"one of {', '.join(METRICS)}")
    op = raw.get("op", ">")
    if op not in OPERATORS:
        raise _fail(path, where, f"'op' = {op!r} must be one of {', '.join(OPERATORS)}.", key="alerts.op", value=op)
    top_k = raw.get("top_k", 5)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise _fail(path, where, f"'top_k' = {top_k!r} must be a positive integer.", key="alerts.top_k", value=top_k)
    return AlertRule(name=raw["name"], metric=raw["metric"], threshold=float(threshold), op=op, top_k=top_k,
                     pipeline=raw.get("pipeline"), message=raw.get("message"), webhook=raw.get("webhook", True))


def validate_rules(value: Any, path: Path) -> tuple[AlertRule, ...]:
    """The ``[[alerts]]`` array as rules; a :class:`ConfigError` names the rule, key and fix."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{path}: alerts must be an array of tables ([[alerts]]), not {type(value).__name__}.",
                          path=path, key="alerts", value=value, expected="[[alerts]] tables",
                          hint="Write each rule under its own [[alerts]] header.")
    rules = tuple(_rule(raw, index, path) for index, raw in enumerate(value))
    names = [r.name for r in rules]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigError(f"{path}: [[alerts]] rule names must be unique; repeated: {', '.join(duplicated)}.",
                          path=path, key="alerts.name", value=duplicated[0], hint="Give every rule its own name.")
    return rules


def applies_to(metric: str, task: TaskType) -> bool:
    """Whether a rule on ``metric`` can ever have a value in a ``task`` project."""
    performance = PERFORMANCE_METRICS.get(metric)
    return performance is None or performance.reads in task.monitor_metrics


def check_rules_apply(rules: Sequence[AlertRule], task: TaskType, path: Path) -> None:
    """Refuse a rule whose metric ``task`` never scores, naming the rule and the metrics that fit."""
    for rule in rules:
        if applies_to(rule.metric, task):
            continue
        reads = PERFORMANCE_METRICS[rule.metric].reads
        scored_by = [t.title for t in TASKS.values() if reads in t.monitor_metrics]
        fitting = [m for m in PERFORMANCE_METRICS if applies_to(m, task)]
        raise ConfigError(
            f"{path}: [[alerts]] rule '{rule.name}': the metric '{rule.metric}' does not apply to a "
            f"{task.name} project (it reads {reads}, which Monitor scores for {' and '.join(scored_by)} only).",
            path=path, key="alerts.metric", value=rule.metric, expected=f"one of {', '.join(fitting)}",
            hint=f"For {task.title}, performance rules use {', '.join(fitting)}; drift and service "
                 "metrics apply to every task.",
        )

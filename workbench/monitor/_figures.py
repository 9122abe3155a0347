"""The flat figures alert rules read, and what the monitor knows of the model's reference."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from workbench.exceptions import ReportError
from workbench.monitor.performance import METRIC_TITLES
from workbench.monitor.rules import PERFORMANCE_METRICS, AlertRule, PerformanceMetric
from workbench.tasks import TASK_ALIASES, TASKS, TaskType

__all__ = ["figures", "reference_metrics", "unknown_rule_notes"]

_DRIFT_METRICS = ("drift_share", "latest_drift_share", "n_drifted", "dataset_drift", "top_features_drifted")
_SERVICE_METRICS = ("p50_latency_ms", "p99_latency_ms", "failure_rate", "reject_rate", "requests")

# How a performance value compares with Evaluate's (None: the comparison is undefined).
_COMPARE: dict[str, Callable[[float, float], float | None]] = {
    "drop": lambda value, evaluate: evaluate - value,
    "rise": lambda value, evaluate: (value - evaluate) / evaluate if evaluate else None,
}


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def figures(drift: Any, performance: Mapping[str, Any], service: Mapping[str, Any],
            reference: Mapping[str, float], windows: Sequence[Any] = ()) -> dict[str, Any]:
    """Every metric a rule may name (None when unknown).

    ``performance`` holds the task's metrics over every labelled prediction, ``windows`` the
    performance per window (:class:`~workbench.monitor.performance.WindowPerformance`) and
    ``reference`` Evaluate's metrics.
    """
    found: dict[str, Any] = dict.fromkeys(
        ("drift_share", "latest_drift_share", "n_drifted", "dataset_drift", "prediction_drift"))
    if drift is not None:
        found.update(drift_share=drift.drift_share, n_drifted=drift.n_drifted, dataset_drift=float(drift.dataset_drift))
        found["latest_drift_share"] = drift.windows[-1].drift_share if drift.windows else drift.drift_share
        found["prediction_drift"] = drift.prediction.drift_score if drift.prediction is not None else None
        drifted = set(drift.drifted_columns())
        found["top_features_drifted"] = lambda k: sum(c in drifted for c in drift.top_features(k))
    for name, spec in PERFORMANCE_METRICS.items():
        found[name] = _performance(spec, performance, reference, windows)
    for key in _SERVICE_METRICS:
        found[key] = _finite(service.get(key))
    return found


def _performance(spec: PerformanceMetric, overall: Mapping[str, Any], reference: Mapping[str, float],
                 windows: Sequence[Any]) -> float | None:
    if spec.scope == "latest":
        value = _finite(windows[-1].value(spec.reads)) if windows else None
    else:
        value = _finite(overall.get(spec.reads))
    if value is None or spec.compare == "value":
        return value
    evaluate = reference.get(spec.reads)
    return None if evaluate is None else _finite(_COMPARE[spec.compare](value, evaluate))


def unknown_rule_notes(rules: Sequence[AlertRule], found: Mapping[str, Any], *, reference: Mapping[str, float],
                       n_labelled: int) -> list[str]:
    """A note per rule whose metric has no value in this review, saying why (it cannot fire)."""
    notes = []
    for rule in rules:
        if found.get(rule.metric) is not None:
            continue
        notes.append(f"Rule '{rule.name}' ({rule.metric}) has no value in this review: "
                     f"{_why_unknown(rule.metric, reference, n_labelled)}.")
    return notes


def _why_unknown(metric: str, reference: Mapping[str, float], n_labelled: int) -> str:
    spec = PERFORMANCE_METRICS.get(metric)
    if spec is None:
        if metric in _SERVICE_METRICS:
            return "no request is logged in this period"
        if metric in _DRIFT_METRICS:
            return "there is no drift review"
        return "the model's predictions could not be compared with the reference (see the notes)"
    title = METRIC_TITLES.get(spec.reads, spec.reads)
    if not n_labelled:
        return "no prediction in this period has a label yet (labels come from /v1/feedback or labels=)"
    if spec.compare != "value" and spec.reads not in reference:
        return f"Evaluate's {title} is unknown (no Evaluate metrics report with it)"
    if spec.compare == "rise" and not reference.get(spec.reads):
        return f"Evaluate's {title} is 0: a relative rise over it is undefined"
    where = "the latest window" if spec.scope == "latest" else "the labelled predictions"
    return f"the {title} of {where} is undefined (one class only, or too few rows)"


def reference_metrics(project: Any, task: TaskType, notes: list[str]) -> dict[str, float]:
    """The ``task``'s metrics from Evaluate's metrics report (``.workbench/reports/metrics.json``).

    A report of another kind of task (a classifier's for a regression project ...) is left out,
    with a note.
    """
    from workbench.reports import load_report

    path = project.state_dir / "reports" / "metrics.json"
    if not path.is_file():
        return {}
    try:
        report = load_report(path)
    except ReportError:
        return {}
    metrics = getattr(report, "metrics", {})
    measured = str(getattr(report, "task", ""))
    kind = TASKS.get(TASK_ALIASES.get(measured, measured))
    if kind is not None and kind.classifier != task.classifier:
        notes.append(f"Evaluate's metrics report is for a {measured} model, but the project's task is "
                     f"{task.name}: no reference performance (rerun Evaluate).")
        return {}
    return {k: float(metrics[k]) for k in METRIC_TITLES if _finite(metrics.get(k)) is not None}

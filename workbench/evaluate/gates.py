"""Evaluate gates: is the model good enough, better than its baseline, and fair enough to move on?

Thresholds come from ``[gates.evaluate]`` in ``workbench.toml``. The performance gates follow
the task (:data:`workbench.tasks.TASKS`): its ``min_gate`` (``min_roc_auc`` for binary and
multiclass, ``min_r2`` for regression) bounds its primary metric, and
``min_margin_over_baseline`` bounds the primary metric's advantage over the dummy baseline.
A project without a sensitive column passes one ``fairness`` gate as "not applicable".

The fairness gates read the disparities and group sizes of each single sensitive feature
(intersections are reported, but their groups are usually too small to gate on). Groups under
``min_group_size`` rows are too small to judge: the review leaves them out of the disparities
(pass the same ``min_group_size`` to :func:`assess_fairness`), and the group-size gate names them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.evaluate._verdict import (
    EVIDENCE_KEY,
    GATED_BY_TASK,
    SCALED_LIMITS,
    disparity_verdict,
    evidence_mode,
)
from workbench.exceptions import DataError
from workbench.reports.gates import GateReport, GateResult, check_max, check_min, check_true

if TYPE_CHECKING:
    from workbench.evaluate.explain import ExplanationReport
    from workbench.evaluate.fairness import FairnessReport
    from workbench.evaluate.metrics import MetricsReport
    from workbench.project import Project

__all__ = ["evaluation_gates", "fairness_thresholds"]


def fairness_thresholds(project: Project) -> dict[str, float | str]:
    """The project's largest acceptable disparities (for its task) and its evidence mode, for the gate lights.

    Pass them to :func:`assess_fairness` (``thresholds=``): the report's lights then make the
    same decision as :func:`evaluation_gates`.
    """
    limits = project.config.gates["evaluate"]
    out: dict[str, float | str] = {name: float(limits[f"max_{name}"]) for name in _gated(project)}
    out[EVIDENCE_KEY] = evidence_mode(limits)
    return out


def _gated(project: Project) -> tuple[str, ...]:
    """The disparities gated for the project's task (regression: in target standard deviations)."""
    from workbench.tasks import task_named

    return GATED_BY_TASK[task_named(project.config.data.task).name]


def evaluation_gates(
    project: Project,
    *,
    metrics: MetricsReport | None = None,
    fairness: FairnessReport | None = None,
    explanation: ExplanationReport | None = None,
    roc_auc: float | None = None,
    baseline_roc_auc: float | None = None,
) -> GateReport:
    """Gate the Evaluate phase on its reports (or on bare ROC AUC figures).

    Parameters
    ----------
    project : Project
        Its ``[gates.evaluate]`` thresholds are used.
    metrics : MetricsReport, optional
        The task's ``min_gate`` on its primary metric (binary and multiclass: ``min_roc_auc``
        on ROC AUC, one-vs-rest macro for multiclass; regression: ``min_r2`` on R²) and
        ``min_margin_over_baseline`` on the same metric.
    fairness : FairnessReport, optional
        ``max_demographic_parity_difference``, ``max_equalized_odds_difference`` (worst single
        sensitive feature; its point estimate, or with ``fairness_evidence = "interval"`` the
        lower end of its bootstrap interval) and ``min_group_size`` (each sensitive feature has at least two
        groups that large to compare; smaller groups are named in the reason). A multiclass
        review is gated on its worst class; a regression review on ``max_mean_prediction_difference``
        and ``max_mae_difference`` (in standard deviations of the target) instead. A review that
        is not applicable (no sensitive column) passes one ``fairness`` gate, with that reason;
        so does a project that names no sensitive column when no fairness report is given.
    explanation : ExplanationReport, optional
        ``max_top_driver_share`` (the largest column's share of total mean |SHAP|).
    roc_auc, baseline_roc_auc : float, optional
        Figures to gate on when no metrics report is given.

    Examples
    --------
    >>> gates = evaluation_gates(project, metrics=metrics, fairness=fairness)  # doctest: +SKIP
    >>> gates.passed, [r.reason for r in gates.failures]  # doctest: +SKIP
    """
    limits = project.config.gates["evaluate"]
    results: list[GateResult] = []
    if metrics is not None:
        results += _metric_gates(limits, metrics)
    elif roc_auc is not None:
        results.append(check_min("min_roc_auc", roc_auc, limits["min_roc_auc"], label="ROC AUC"))
        if baseline_roc_auc is not None:
            results.append(_margin(limits, roc_auc - baseline_roc_auc, "ROC AUC"))
    if fairness is not None:
        results += _fairness_gates(limits, fairness)
    elif results and not project.config.data.sensitive:
        from workbench.evaluate.fairness import NOT_APPLICABLE

        results.append(check_true("fairness", True, reason=f"fairness: not applicable — {NOT_APPLICABLE}"))
    if explanation is not None:
        results.append(_driver_gate(limits, explanation))
    if not results:
        raise DataError(
            "evaluation_gates has nothing to gate: pass metrics=, fairness= or explanation= reports.",
        )
    return GateReport(phase="evaluate", results=tuple(results))


def _margin(limits: Mapping[str, Any], margin: float, label: str) -> GateResult:
    return check_min(
        "min_margin_over_baseline", margin, limits["min_margin_over_baseline"],
        label=f"{label} margin over the baseline",
    )


def _metric_gates(limits: Mapping[str, Any], metrics: MetricsReport) -> list[GateResult]:
    """The task's minimum on its primary metric, and the primary metric's margin over the baseline."""
    from workbench.evaluate.metrics import metric_label

    task = metrics.task_type
    metric = task.primary_metric
    label = metric_label(task.name, metric)
    margin = metrics.margin_over("baseline", metric)
    # A margin is an advantage: for a lower-is-better metric that is the baseline's value minus the model's.
    advantage = -margin if metric in task.lower_is_better else margin
    first = check_min(task.min_gate, metrics.metrics.get(metric), limits[task.min_gate], label=label)
    return [first, _margin(limits, advantage, label)]


def _fairness_gates(limits: Mapping[str, Any], fairness: FairnessReport) -> list[GateResult]:
    if not fairness.applicable:
        return [check_true("fairness", True, reason=f"fairness: not applicable — {fairness.reason}")]
    evidence = evidence_mode(limits)
    return [
        *(_disparity_gate(name, limits, fairness, evidence=evidence) for name in fairness.gated_disparities),
        _group_size_gate(limits["min_group_size"], fairness),
    ]


def _disparity_gate(name: str, limits: Mapping[str, Any], fairness: FairnessReport, *, evidence: str) -> GateResult:
    """The worst single sensitive feature's disparity ``name`` against ``max_<name>``.

    Each feature is judged by :func:`~workbench.evaluate._verdict.disparity_verdict` (the
    report's gate lights make the same call): with ``fairness_evidence = "interval"`` a
    feature fails only when its whole bootstrap interval lies above the limit, i.e. when the
    rows show the disparity with the report's confidence; with ``"estimate"`` (the default)
    the point estimate is compared.
    """
    limit = fairness.absolute_limit(name, limits[f"max_{name}"])
    label = name.replace("_", " ")
    verdicts = [
        disparity_verdict(g, name, limit=limit, evidence=evidence, sensitive=fairness.sensitive)
        for g in fairness.groupings
    ]
    defined = [v for v in verdicts if v.gated and math.isfinite(v.compared)]
    if not defined:
        result = check_max(f"max_{name}", math.nan, limit, label=f"{label} (no feature could be judged)")
        return _scaled_note(result, name, limits, fairness)
    worst = max(defined, key=lambda v: v.compared)
    if not worst.by_interval:
        result = check_max(f"max_{name}", worst.estimate, limit, label=f"{label} ({worst.subject})")
        return _scaled_note(result, name, limits, fairness)
    result = check_max(f"max_{name}", worst.compared, limit, label=f"lower bound of the {label} interval ({worst.subject})")
    low, high = worst.interval
    reason = f"{result.reason}; estimate {worst.estimate:.4g}, {fairness.confidence:.0%} interval [{low:.4g}, {high:.4g}]"
    return _scaled_note(dataclasses.replace(result, reason=reason), name, limits, fairness)


def _scaled_note(result: GateResult, name: str, limits: Mapping[str, Any], fairness: FairnessReport) -> GateResult:
    """A regression limit is given in target standard deviations: the reason says what it came to."""
    if name not in SCALED_LIMITS:
        return result
    note = f" (limit {limits[f'max_{name}']:g} × the target's standard deviation {fairness.target_scale:.4g})"
    return dataclasses.replace(result, reason=result.reason + note)


def _group_size_gate(min_size: int, fairness: FairnessReport) -> GateResult:
    """Every sensitive feature has two groups of ``min_size`` rows or more, so it can be judged.

    Smaller groups are left out of the disparities; the reason names them.
    """
    judged = fairness.judged_groups(min_size)
    short = [f for f, groups in judged.items() if len(groups) < 2]
    small = [
        f"{g.feature} = {group} ({n} rows)"
        for g in fairness.groupings if g.feature in judged
        for group, n in zip(g.groups, g.counts, strict=True) if n < min_size
    ]
    if short:
        reason = f"fewer than two groups of >= {min_size} rows to compare for {', '.join(short)}"
    else:
        reason = f"every sensitive feature has at least two groups of >= {min_size} rows"
    if small:
        reason += f"; too small to judge: {', '.join(small)}"
    return check_true("min_group_size", not short, reason=reason)


def _driver_gate(limits: Mapping[str, Any], explanation: ExplanationReport) -> GateResult:
    importance = explanation.importance_by_column()
    total = sum(importance.values())
    top = next(iter(importance), "")
    share = importance.get(top, math.nan) / total if total > 0 else math.nan
    return check_max(
        "max_top_driver_share", share, limits["max_top_driver_share"],
        label=f"top driver's share of mean |SHAP| ({top})",
    )

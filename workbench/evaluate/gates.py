"""Evaluate gates: is the model good enough, better than its baseline, and fair enough to move on?

Thresholds come from ``[gates.evaluate]`` in ``workbench.toml``. The fairness gates read the
disparities and group sizes of each single sensitive feature (intersections are reported,
but their groups are usually too small to gate on).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.exceptions import DataError
from workbench.reports.gates import GateReport, GateResult, check_max, check_min

if TYPE_CHECKING:
    from workbench.evaluate.explain import ExplanationReport
    from workbench.evaluate.fairness import FairnessReport
    from workbench.evaluate.metrics import MetricsReport
    from workbench.project import Project

__all__ = ["evaluation_gates"]


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
        Classification: ``min_roc_auc`` and ``min_margin_over_baseline`` (ROC AUC);
        regression: ``min_r2`` and ``min_margin_over_baseline`` (R²).
    fairness : FairnessReport, optional
        ``max_demographic_parity_difference``, ``max_equalized_odds_difference`` (worst single
        sensitive feature) and ``min_group_size`` (smallest group of a single feature).
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
    if metrics.task == "regression":
        first = check_min("min_r2", metrics.metrics.get("r2"), limits["min_r2"], label="R²")
        return [first, _margin(limits, metrics.margin_over("baseline", "r2"), "R²")]
    first = check_min("min_roc_auc", metrics.metrics.get("roc_auc"), limits["min_roc_auc"], label="ROC AUC")
    return [first, _margin(limits, metrics.margin_over("baseline", "roc_auc"), "ROC AUC")]


def _fairness_gates(limits: Mapping[str, Any], fairness: FairnessReport) -> list[GateResult]:
    dp_feature, dp = fairness.worst("demographic_parity_difference")
    eo_feature, eo = fairness.worst("equalized_odds_difference")
    feature, group, size = fairness.smallest_group()
    return [
        check_max(
            "max_demographic_parity_difference", dp, limits["max_demographic_parity_difference"],
            label=f"demographic parity difference ({dp_feature})",
        ),
        check_max(
            "max_equalized_odds_difference", eo, limits["max_equalized_odds_difference"],
            label=f"equalized odds difference ({eo_feature})",
        ),
        check_min(
            "min_group_size", size, limits["min_group_size"],
            label=f"rows in the smallest group ({feature} = {group})",
        ),
    ]


def _driver_gate(limits: Mapping[str, Any], explanation: ExplanationReport) -> GateResult:
    importance = explanation.importance_by_column()
    total = sum(importance.values())
    top = next(iter(importance), "")
    share = importance.get(top, math.nan) / total if total > 0 else math.nan
    return check_max(
        "max_top_driver_share", share, limits["max_top_driver_share"],
        label=f"top driver's share of mean |SHAP| ({top})",
    )

"""Evaluate gates: does the model beat its baseline by the margin the project sets?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.reports.gates import GateReport, check_min

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["evaluation_gates"]


def evaluation_gates(project: Project, *, roc_auc: float, baseline_roc_auc: float) -> GateReport:
    """Gate a classifier on ROC AUC and its margin over the baseline."""
    gates = project.config.gates["evaluate"]
    results = (
        check_min("min_roc_auc", roc_auc, gates["min_roc_auc"], label="ROC AUC"),
        check_min(
            "min_margin_over_baseline",
            roc_auc - baseline_roc_auc,
            gates["min_margin_over_baseline"],
            label="ROC AUC margin over the baseline",
        ),
    )
    return GateReport(phase="evaluate", results=results)

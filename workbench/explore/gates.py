"""Explore gates: is the data fit to model?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from workbench.reports.gates import GateReport, check_max

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["explore_gates"]


def explore_gates(project: Project, *, missing_share: Mapping[str, float]) -> GateReport:
    """Gate the data on its worst column's missing share."""
    limit = project.config.gate("explore", "max_missing_share")
    worst = max(missing_share, key=lambda c: missing_share[c]) if missing_share else None
    value = float(missing_share[worst]) if worst else 0.0
    result = check_max("max_missing_share", value, limit, label=f"highest missing share ({worst})")
    return GateReport(phase="explore", results=(result,))

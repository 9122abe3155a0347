"""Explore gates: is the data fit to model?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from workbench.reports.gates import GateReport, GateResult, check_max, check_true

if TYPE_CHECKING:
    from workbench.explore.profile import ProfileReport
    from workbench.explore.validation import ValidationReport
    from workbench.project import Project

__all__ = ["explore_gates"]


def explore_gates(
    project: Project,
    *,
    missing_share: Mapping[str, float],
    profile: ProfileReport | None = None,
    validation: ValidationReport | None = None,
) -> GateReport:
    """Gate the data: worst missing share; with a profile, no leakage suspect; with a validation, it passed."""
    limit = project.config.gate("explore", "max_missing_share")
    worst = max(missing_share, key=lambda c: missing_share[c]) if missing_share else None
    value = float(missing_share[worst]) if worst else 0.0
    results: list[GateResult] = [
        check_max("max_missing_share", value, limit, label=f"highest missing share ({worst})")
    ]
    if profile is not None:
        leaks = sorted({w.column for w in profile.warnings if w.code == "leakage_suspect"})
        reason = f"leakage suspects: {', '.join(leaks)}" if leaks else "no feature nearly equals the target"
        gating = bool(project.config.gate("explore", "fail_on_leakage"))
        if leaks and not gating:
            reason += " (not gated: fail_on_leakage = false)"
        results.append(check_true("no_leakage_suspect", not (leaks and gating), reason=reason))
    if validation is not None:
        failed = len(validation.failures)
        reason = f"schema validation: {failed} of {validation.n_checks} checks failed"
        results.append(check_true("validation_passed", validation.passed, reason=reason))
    return GateReport(phase="explore", results=tuple(results))

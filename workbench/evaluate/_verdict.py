"""One decision for a fairness disparity against its limit, shared by the gates and the gate lights.

A disparity is gated only for a single sensitive feature (intersections are reported, but
their groups are usually too small to gate on). With the evidence mode ``"estimate"`` its
point estimate is held against the limit; with ``"interval"`` the lower end of its bootstrap
interval (falling back to the estimate when there is no interval), so it fails only when the
rows show the disparity with the report's confidence.

Which disparities are gated depends on the task (:data:`GATED_BY_TASK`). The regression
limits (``max_mean_prediction_difference``, ``max_mae_difference``) are written in units of
the target's standard deviation on the evaluated rows, so one default suits a target in
dollars or in days: :func:`absolute_limit` turns them into the target's units.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.config import GATES
from workbench.exceptions import ConfigError

if TYPE_CHECKING:
    from workbench.evaluate.fairness import GroupMetrics

__all__ = [
    "EVIDENCE", "EVIDENCE_KEY", "GATED_BY_TASK", "GATED_DISPARITIES", "SCALED_LIMITS", "Verdict",
    "absolute_limit", "disparity_verdict", "evidence_mode",
]

GATED_DISPARITIES = ("demographic_parity_difference", "equalized_odds_difference")
GATED_BY_TASK: dict[str, tuple[str, ...]] = {
    "binary": GATED_DISPARITIES,
    "multiclass": GATED_DISPARITIES,  # each the worst class, one-vs-rest
    "regression": ("mean_prediction_difference", "mae_difference"),
}
# Limits given in standard deviations of the target, not in the disparity's own units.
SCALED_LIMITS = frozenset({"mean_prediction_difference", "mae_difference"})
EVIDENCE_KEY = "fairness_evidence"
_EVIDENCE_SPEC = GATES["evaluate"][EVIDENCE_KEY]  # the key workbench.toml declares
EVIDENCE: tuple[str, ...] = tuple(_EVIDENCE_SPEC.choices or ())


@dataclasses.dataclass(frozen=True)
class Verdict:
    """A disparity of one grouping, the figure held against its limit, and the outcome."""

    feature: str
    disparity: str
    estimate: float
    interval: tuple[float, float]
    compared: float
    limit: float | None
    gated: bool
    by_interval: bool
    worst_class: str = ""

    @property
    def subject(self) -> str:
        """The feature, and for a multiclass review the class where the disparity is worst."""
        return f"{self.feature}, class {self.worst_class}" if self.worst_class else self.feature

    @property
    def passed(self) -> bool | None:
        """True within the limit, False above it, None when not gated, unlimited or undefined."""
        if not self.gated or self.limit is None or not math.isfinite(self.compared):
            return None
        return self.compared <= self.limit


def evidence_mode(thresholds: Mapping[str, Any]) -> str:
    """The evidence mode stored with ``thresholds`` (``"estimate"`` when absent)."""
    mode = thresholds.get(EVIDENCE_KEY, _EVIDENCE_SPEC.default)
    if mode not in EVIDENCE:
        raise ConfigError(
            f"{EVIDENCE_KEY} must be one of {', '.join(EVIDENCE)}, not {mode!r}.",
            key=EVIDENCE_KEY, value=mode,
            hint='Set [gates.evaluate] fairness_evidence = "estimate" or "interval" in workbench.toml.',
        )
    return str(mode)


def absolute_limit(disparity: str, limit: float | None, target_scale: float) -> float | None:
    """``limit`` in the disparity's own units: scaled by the target's standard deviation where it is relative."""
    if limit is None or disparity not in SCALED_LIMITS:
        return limit
    return float(limit) * target_scale if math.isfinite(target_scale) else None


def disparity_verdict(
    grouping: GroupMetrics, disparity: str, *, limit: float | None, evidence: str, sensitive: tuple[str, ...]
) -> Verdict:
    """Judge ``grouping``'s ``disparity`` against ``limit`` the way the Evaluate gate does."""
    estimate = grouping.disparities[disparity]
    low, high = grouping.disparity_intervals[disparity]
    by_interval = evidence == "interval"
    compared = low if by_interval and math.isfinite(low) else estimate
    return Verdict(
        feature=grouping.feature, disparity=disparity, estimate=estimate, interval=(low, high),
        compared=compared, limit=limit, gated=grouping.feature in sensitive, by_interval=by_interval,
        worst_class=grouping.worst_class.get(disparity, ""),
    )

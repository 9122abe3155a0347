"""One decision for a fairness disparity against its limit, shared by the gates and the gate lights.

A disparity is gated only for a single sensitive feature (intersections are reported, but
their groups are usually too small to gate on). With the evidence mode ``"estimate"`` its
point estimate is held against the limit; with ``"interval"`` the lower end of its bootstrap
interval (falling back to the estimate when there is no interval), so it fails only when the
rows show the disparity with the report's confidence.
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

__all__ = ["EVIDENCE", "EVIDENCE_KEY", "GATED_DISPARITIES", "Verdict", "disparity_verdict", "evidence_mode"]

GATED_DISPARITIES = ("demographic_parity_difference", "equalized_odds_difference")
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
    )

"""Demo data made by seeded generators; nothing is ever downloaded.

:func:`make_credit_risk` builds a credit-risk dataset with protected attributes, a documented
planted disparity, and the drift scenarios of :data:`DRIFT_SCENARIOS`.
"""

from workbench.datasets.credit import (
    DRIFT_SCENARIOS,
    SENSITIVE,
    TARGET,
    TIME_COLUMN,
    DriftScenario,
    make_credit_risk,
)

__all__ = ["DRIFT_SCENARIOS", "SENSITIVE", "TARGET", "TIME_COLUMN", "DriftScenario", "make_credit_risk"]

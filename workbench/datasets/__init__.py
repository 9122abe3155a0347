"""Data for demos and replays, made by seeded generators; nothing is ever downloaded.

* :func:`make_credit_risk` builds the demo's credit-risk dataset with protected attributes, a
  documented planted disparity, and the drift scenarios of :data:`DRIFT_SCENARIOS`.
* :func:`replay_weeks` makes weeks of production traffic from any project's held-out rows,
  with the generic drift of :data:`REPLAY_SCENARIOS` planted in later weeks (notebook 06).
* :func:`messy_records` and :func:`refused_record` turn a project's own rows into the hostile
  input that Develop and Deploy show being repaired or refused (notebooks 03 and 05).
"""

from workbench.datasets.credit import (
    DRIFT_SCENARIOS,
    SENSITIVE,
    TARGET,
    TIME_COLUMN,
    DriftScenario,
    make_credit_risk,
)
from workbench.datasets.perturb import (
    MessyRecords,
    Perturbation,
    json_records,
    messy_records,
    refused_record,
)
from workbench.datasets.replay import (
    DEFAULT_WEEKS,
    REPLAY_SCENARIOS,
    ReplayScenario,
    ReplayWeek,
    replay_weeks,
)

__all__ = [
    "DEFAULT_WEEKS",
    "DRIFT_SCENARIOS",
    "REPLAY_SCENARIOS",
    "SENSITIVE",
    "TARGET",
    "TIME_COLUMN",
    "DriftScenario",
    "MessyRecords",
    "Perturbation",
    "ReplayScenario",
    "ReplayWeek",
    "json_records",
    "make_credit_risk",
    "messy_records",
    "refused_record",
    "replay_weeks",
]

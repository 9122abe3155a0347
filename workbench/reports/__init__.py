"""Reports: plain, immutable, versioned results that render as JSON, HTML and widgets.

Every review returns a :class:`Report`. Gates turn reports into :class:`GateReport` verdicts.
"""

from workbench.reports.base import Report, jsonable, load_report
from workbench.reports.gates import GateReport, GateResult, check_max, check_min, check_true

__all__ = [
    "GateReport",
    "GateResult",
    "Report",
    "check_max",
    "check_min",
    "check_true",
    "jsonable",
    "load_report",
]

"""Stakeholder view: the offline evidence pack, the dashboard sections and version comparison."""

from workbench.stakeholder.compare import compare_rows, compare_versions, version_reports
from workbench.stakeholder.pack import (
    NOT_RUN,
    REPORT_NAMES,
    build_evidence_pack,
    load_latest_reports,
    sections,
)

__all__ = [
    "NOT_RUN",
    "REPORT_NAMES",
    "build_evidence_pack",
    "compare_rows",
    "compare_versions",
    "load_latest_reports",
    "sections",
    "version_reports",
]

"""Stakeholder view: the offline evidence pack and version comparison, built from logged reports."""

from workbench.stakeholder.compare import compare_rows, compare_versions, version_reports
from workbench.stakeholder.pack import (
    NOT_RUN,
    REPORT_NAMES,
    build_evidence_pack,
    load_latest_reports,
)

__all__ = [
    "NOT_RUN",
    "REPORT_NAMES",
    "build_evidence_pack",
    "compare_rows",
    "compare_versions",
    "load_latest_reports",
    "version_reports",
]

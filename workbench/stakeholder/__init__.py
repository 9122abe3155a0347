"""Stakeholder view: the offline evidence pack built from logged reports."""

from workbench.stakeholder.pack import (
    NOT_RUN,
    REPORT_NAMES,
    build_evidence_pack,
    load_latest_reports,
)

__all__ = ["NOT_RUN", "REPORT_NAMES", "build_evidence_pack", "load_latest_reports"]

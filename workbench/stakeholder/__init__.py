"""Stakeholder view: the offline evidence pack, the dashboard sections and version comparison."""

from workbench.stakeholder.compare import (
    Comparison,
    compare,
    compare_rows,
    compare_versions,
    comparison_text,
    version_reports,
    write_comparison,
)
from workbench.stakeholder.pack import (
    NOT_RUN,
    REPORT_NAMES,
    build_evidence_pack,
    load_latest_reports,
    resolve_version,
    sections,
    version_run_id,
    version_run_reports,
)
from workbench.stakeholder.summary import card_summary_html, gate_lights_html, read_card_summary

__all__ = [
    "NOT_RUN",
    "REPORT_NAMES",
    "Comparison",
    "build_evidence_pack",
    "card_summary_html",
    "compare",
    "compare_rows",
    "compare_versions",
    "comparison_text",
    "gate_lights_html",
    "load_latest_reports",
    "read_card_summary",
    "resolve_version",
    "sections",
    "version_reports",
    "version_run_id",
    "version_run_reports",
    "write_comparison",
]

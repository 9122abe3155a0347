"""Stakeholder view: a page for people who do not read code, the offline evidence pack, and
version comparison.

The page answers four questions with one verdict light and one sentence each (is it accurate
enough, is it fair, what drives its decisions, is it still working in production), then says
what changed since the previous version and who approved and promoted it; the figures fold
underneath. The Voila dashboard (``notebooks/stakeholder.ipynb``) and the evidence pack's index
share that layout.

Names load lazily: the Voila dashboard imports only the light :mod:`workbench.stakeholder.cache`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench import _lazy

if TYPE_CHECKING:
    from workbench.stakeholder.answers import LIGHTS, QUESTIONS, Answer
    from workbench.stakeholder.cache import cached_stakeholder_html
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
        version_run_id,
        version_run_reports,
    )
    from workbench.stakeholder.page import render_view, stakeholder_html, stakeholder_page
    from workbench.stakeholder.summary import card_summary_html, gate_lights_html, read_card_summary
    from workbench.stakeholder.view import StakeholderView, stakeholder_view

_EXPORTS: dict[str, str] = {
    "LIGHTS": "workbench.stakeholder.answers",
    "QUESTIONS": "workbench.stakeholder.answers",
    "Answer": "workbench.stakeholder.answers",
    "Comparison": "workbench.stakeholder.compare",
    "compare": "workbench.stakeholder.compare",
    "compare_rows": "workbench.stakeholder.compare",
    "compare_versions": "workbench.stakeholder.compare",
    "comparison_text": "workbench.stakeholder.compare",
    "version_reports": "workbench.stakeholder.compare",
    "write_comparison": "workbench.stakeholder.compare",
    "NOT_RUN": "workbench.stakeholder.pack",
    "REPORT_NAMES": "workbench.stakeholder.pack",
    "build_evidence_pack": "workbench.stakeholder.pack",
    "load_latest_reports": "workbench.stakeholder.pack",
    "resolve_version": "workbench.stakeholder.pack",
    "version_run_id": "workbench.stakeholder.pack",
    "version_run_reports": "workbench.stakeholder.pack",
    "render_view": "workbench.stakeholder.page",
    "stakeholder_html": "workbench.stakeholder.page",
    "stakeholder_page": "workbench.stakeholder.page",
    "cached_stakeholder_html": "workbench.stakeholder.cache",
    "card_summary_html": "workbench.stakeholder.summary",
    "gate_lights_html": "workbench.stakeholder.summary",
    "read_card_summary": "workbench.stakeholder.summary",
    "StakeholderView": "workbench.stakeholder.view",
    "stakeholder_view": "workbench.stakeholder.view",
}

__all__ = [
    "LIGHTS",
    "NOT_RUN",
    "QUESTIONS",
    "REPORT_NAMES",
    "Answer",
    "Comparison",
    "StakeholderView",
    "build_evidence_pack",
    "cached_stakeholder_html",
    "card_summary_html",
    "compare",
    "compare_rows",
    "compare_versions",
    "comparison_text",
    "gate_lights_html",
    "load_latest_reports",
    "read_card_summary",
    "render_view",
    "resolve_version",
    "stakeholder_html",
    "stakeholder_page",
    "stakeholder_view",
    "version_reports",
    "version_run_id",
    "version_run_reports",
    "write_comparison",
]


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return _lazy.names(__name__, _EXPORTS)

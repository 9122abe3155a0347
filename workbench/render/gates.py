"""Rendering of gate reports: lights first, then the table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.render import html

if TYPE_CHECKING:
    from workbench.reports.gates import GateReport


def blocks(report: GateReport) -> list[str]:
    verdict = "All gates passed." if report.passed else f"{len(report.failures)} gate(s) failed."
    rows = [
        {"gate": r.name, "value": r.value, "threshold": r.threshold, "rule": r.comparison, "passed": r.passed}
        for r in report.results
    ]
    return [html.text(f"Phase: {report.phase}. {verdict}"), html.gates(report.results), html.table(rows)]

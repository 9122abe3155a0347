"""Rendering of the robustness report: the verdict, a table per attack, then each finding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from workbench.render import html

if TYPE_CHECKING:
    from workbench.develop.robustness import RobustnessReport

_PAYLOAD_CHARS = 400


def attack_rows(report: RobustnessReport) -> list[dict]:
    return [
        {"attack": a.name, "what": a.description, "cases": a.cases, "refused": a.rejected,
         "scored with warnings": a.repaired, "scored clean": a.clean, "findings": a.findings}
        for a in report.attacks
    ]


def finding_rows(report: RobustnessReport) -> list[dict]:
    return [
        {"attack": f.attack, "outcome": f.outcome, "detail": f.detail, "row": f.row, "field": f.field,
         "payload": f.payload if len(f.payload) <= _PAYLOAD_CHARS else f.payload[:_PAYLOAD_CHARS] + "…"}
        for f in report.findings
    ]


def blocks(report: RobustnessReport) -> Iterator[str]:
    counts = report.counts()
    yield html.gates([{"passed": report.passed, "reason": report.summary()}])
    yield html.key_values({"model": report.model, "cases per attack": report.examples,
                           **{f"{k} findings": v for k, v in counts.items()},
                           **{f"policy: {k}": v for k, v in report.policy.items()}})
    yield html.section("Attacks", html.table(attack_rows(report)))
    yield html.section("Findings", html.table(finding_rows(report)) if report.findings
                       else html.text("None: every hostile input was refused with a named problem or scored with a warning."))

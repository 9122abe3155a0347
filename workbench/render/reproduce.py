"""Rendering of a reproduction: the checks as lights, then every metric side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.render import html

if TYPE_CHECKING:
    from workbench.package.reproduce import ReproduceReport

__all__ = ["blocks"]


def blocks(report: ReproduceReport) -> list[str]:
    verdict = "Reproduced." if report.passed else "Not reproduced."
    lights = [{"passed": c["passed"], "reason": f"{c['check']}: {c['detail']}"} for c in report.checks]
    parameters = report.parameters or {"(none)": ""}
    return [
        html.text(f"{verdict} {report.model_uri} (run {report.run_id}) re-run from {report.notebook} "
                  f"in {report.seconds:.0f} s; absolute tolerance {report.tolerance:g}."),
        html.gates(lights),
        html.section("Parameters passed", html.key_values(parameters)),
        html.section("Metrics", html.table(report.metrics, columns=["metric", "recorded", "reproduced", "difference", "within"])),
    ]

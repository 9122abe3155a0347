"""Gate results: the pass/fail verdicts that move a model from phase to phase."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Self

from workbench.reports.base import Report

__all__ = ["GateReport", "GateResult", "check_max", "check_min", "check_true"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class GateResult:
    """One gate: its value, the threshold it was held to, and the reason in words."""

    name: str
    passed: bool
    value: float | bool | None
    threshold: float | bool | None
    comparison: str
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class GateReport(Report):
    """The gates of one phase for one run."""

    kind = "gates"
    title = "Gates"
    phase: str
    results: tuple[GateResult, ...]

    @property
    def passed(self) -> bool:
        """True when every gate passed (and there is at least one)."""
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def failures(self) -> list[GateResult]:
        return [r for r in self.results if not r.passed]

    def summary(self) -> str:
        word = "passed" if self.passed else "failed"
        lines = [f"{self.phase} gates {word} ({sum(r.passed for r in self.results)}/{len(self.results)})"]
        lines += [f"  {'PASS' if r.passed else 'FAIL'} {r.reason}" for r in self.results]
        return "\n".join(lines)

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        results = tuple(GateResult(**r) for r in payload.pop("results"))
        return cls(results=results, **payload)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def check_min(name: str, value: float | None, threshold: float, *, label: str | None = None) -> GateResult:
    """Pass when ``value >= threshold``; a missing or NaN value fails."""
    label = label or name
    ok = value is not None and not math.isnan(value) and value >= threshold
    reason = f"{label} {_fmt(value)} {'>=' if ok else '<'} {_fmt(threshold)}"
    return GateResult(name=name, passed=ok, value=value, threshold=threshold, comparison=">=", reason=reason)


def check_max(name: str, value: float | None, threshold: float, *, label: str | None = None) -> GateResult:
    """Pass when ``value <= threshold``; a missing or NaN value fails."""
    label = label or name
    ok = value is not None and not math.isnan(value) and value <= threshold
    reason = f"{label} {_fmt(value)} {'<=' if ok else '>'} {_fmt(threshold)}"
    return GateResult(name=name, passed=ok, value=value, threshold=threshold, comparison="<=", reason=reason)


def check_true(name: str, ok: bool, *, reason: str) -> GateResult:
    """A yes/no gate with a reason written by the caller."""
    return GateResult(name=name, passed=bool(ok), value=bool(ok), threshold=True, comparison="==", reason=reason)

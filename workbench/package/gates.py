"""Package gates: what a bundle must show before its model becomes the ``challenger``.

Thresholds come from ``[gates.package]``: the training run passed its own gates, the card has
its three reviews and its intended use and limitations are written (no placeholder left), the
training notebook is approved and unchanged (when required), the data still matches the
recorded fingerprint, and the bundle is not oversized.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.config import CARD_PLACEHOLDER
from workbench.reports.gates import GateReport, GateResult, check_max, check_true

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["package_gates"]


def package_gates(project: Project, *, lineage: dict[str, Any], card_sources: dict[str, str], bundle_mb: float) -> GateReport:
    """The package gates of one bundle."""
    config = project.config.gates["package"]
    results: list[GateResult] = []
    if config["require_evaluate_gates"]:
        results.append(_training_gates(lineage))
    if config["require_card_reports"]:
        missing = [name for name, source in card_sources.items() if source == "not logged"]
        results.append(check_true(
            "card_reports", not missing,
            reason="the card has the metrics, fairness and explanation reviews" if not missing
            else f"the card lacks the {', '.join(missing)} review(s): run the evaluate notebook",
        ))
    if config["require_card_text"]:
        results.append(_card_text(project))
    if config["require_approval"]:
        results.append(_approval(lineage))
    if config["require_same_data"]:
        same = lineage.get("data_unchanged")
        results.append(check_true(
            "same_data", same is True,
            reason="the dataset matches the fingerprint recorded at training" if same
            else "the dataset differs from the training fingerprint" if same is False
            else "the training run recorded no data fingerprint",
        ))
    results.append(check_max("max_bundle_mb", round(bundle_mb, 2), config["max_bundle_mb"], label="bundle size (MB)"))
    return GateReport(phase="package", results=tuple(results))


def _training_gates(lineage: dict[str, Any]) -> GateResult:
    gates = lineage.get("gates")
    if gates is None:
        return check_true("evaluate_gates", False, reason="the training run logged no gates")
    failed = [r["name"] for r in gates["results"] if not r["passed"]]
    passed = bool(gates["passed"])
    reason = (
        f"the training run passed its {len(gates['results'])} {gates['phase']} gates" if passed
        else f"the training run failed its gates ({', '.join(failed) or 'none recorded'})"
    )
    return check_true("evaluate_gates", passed, reason=reason)


def _card_text(project: Project) -> GateResult:
    section = project.config.sections.get("package", {})
    texts = {"intended_use": [section.get("intended_use") or ""], "limitations": list(section.get("limitations") or [])}
    unwritten = [key for key, items in texts.items()
                 if not items or any(not text.strip() or text.strip().startswith(CARD_PLACEHOLDER) for text in items)]
    return check_true(
        "card_text", not unwritten,
        reason="the model card's intended use and limitations are written" if not unwritten
        else f"write [package] {' and '.join(unwritten)} in workbench.toml: the model card has no text "
        f"(or a {CARD_PLACEHOLDER!r} placeholder) there",
    )


def _approval(lineage: dict[str, Any]) -> GateResult:
    notebook = lineage.get("notebook")
    state = next((a["state"] for a in lineage.get("approvals", []) if a["notebook"] == notebook), "none")
    unchanged = lineage.get("notebook_unchanged") is True
    ok = state == "approved" and unchanged
    return check_true(
        "notebook_approved", ok,
        reason=f"{notebook or 'the training notebook'} is {'approved and unchanged' if ok else state if state != 'approved' else 'changed since training'}",
    )

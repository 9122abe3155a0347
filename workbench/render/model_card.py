"""Rendering of the model card: intended use, data, metrics with intervals, fairness, drivers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.package._card_markdown import FAIRNESS_METRICS, fairness_rows, metric_rows
from workbench.render import html

if TYPE_CHECKING:
    from workbench.package.card import ModelCard

__all__ = ["blocks"]


def blocks(card: ModelCard) -> list[str]:
    version = f" version {card.version}" if card.version else " (not registered)"
    confidence = f"{card.confidence:.0%} " if card.confidence else ""
    disparities = card.fairness.get("disparities", [])
    classes = f" (classes: {', '.join(map(str, card.classes))})" if card.classes else ""
    return [
        html.text(f"{card.name}{version} · {card.model_type} · {card.task}{classes} · {card.model_uri}"),
        html.section("Intended use", html.text(card.intended_use)),
        html.section("Data", html.key_values(card.data)),
        html.section(
            f"Metrics (with {confidence}intervals)",
            html.table(metric_rows(card), columns=["metric", "value", "low", "high", "baseline"]),
        ),
        html.section(
            "Fairness",
            html.table(disparities, columns=["feature", "disparity", "value", "low", "high", "limit"]),
            html.table(fairness_rows(card), columns=["feature", "group", "rows", *FAIRNESS_METRICS, "judged"]),
        ),
        html.section("Top drivers (mean |SHAP|)", html.table(card.top_drivers, columns=["column", "mean_abs_shap", "share"])),
        html.section("Limitations", "<ul>" + "".join(f"<li>{_escape(n)}</li>" for n in card.limitations) + "</ul>"),
        html.section("Gates", html.gates(card.gates) if card.gates else html.text("No gates recorded.")),
        *_lifecycle(card),
        html.section("Lineage", html.key_values({**card.lineage, **{f"source of {k}": v for k, v in card.sources.items()}})),
    ]


def _lifecycle(card: ModelCard) -> list[str]:
    """The lifecycle status when the card was made (cards from before it was recorded have none)."""
    if not card.lifecycle:
        return []
    chosen = card.lifecycle.get("chosen_model") or "none"
    return [html.section("Lifecycle status at packaging", html.text(f"Chosen model: {chosen}"),
                         html.table(card.lifecycle.get("phases", []), columns=["phase", "state", "reason"]))]


def _escape(text: str) -> str:
    import html as _html

    return _html.escape(text)

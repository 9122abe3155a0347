"""The model card as Markdown: the same sections as its HTML rendering, as GitHub tables."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.package.card import ModelCard

__all__ = ["card_markdown", "fairness_rows", "metric_rows"]

FAIRNESS_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def md_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A GitHub Markdown table of ``rows``."""
    if not rows:
        return "_None._\n"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def metric_rows(card: ModelCard) -> list[dict[str, Any]]:
    """One row per metric: value, interval bounds and the baseline's value."""
    return [
        {"metric": name, "value": item["value"], "low": item["low"], "high": item["high"],
         "baseline": card.baseline.get(name)}
        for name, item in card.metrics.items()
    ]


def fairness_rows(card: ModelCard) -> list[dict[str, Any]]:
    """One row per group: feature, group, rows and the main group metrics."""
    return [
        {"feature": g["feature"], "group": g["group"], "rows": g["rows"],
         **{m: g.get(m) for m in FAIRNESS_METRICS}, "judged": "yes" if g.get("judged", True) else "too small"}
        for g in card.fairness.get("groups", [])
    ]


def card_markdown(card: ModelCard) -> str:
    """Render ``card`` as a Markdown document."""
    version = f" (version {card.version})" if card.version else ""
    confidence = f"{card.confidence:.0%} " if card.confidence else ""
    classes = f" · classes: {', '.join(_cell(c) for c in card.classes)}" if card.classes else ""
    parts = [
        f"# Model card: {card.name}{version}\n",
        f"`{card.model_uri}` · {card.model_type} · {card.task}{classes} · created {card.created_at}\n",
        "## Intended use\n", card.intended_use + "\n",
        "## Data\n", md_table([{"item": k, "value": v} for k, v in card.data.items()], ["item", "value"]),
        f"## Metrics (with {confidence}intervals)\n",
        md_table(metric_rows(card), ["metric", "value", "low", "high", "baseline"]),
        "## Fairness\n",
        md_table(card.fairness.get("disparities", []), ["feature", "disparity", "value", "low", "high", "limit"]),
        "\n",
        md_table(fairness_rows(card), ["feature", "group", "rows", *FAIRNESS_METRICS, "judged"]),
        "## Top drivers (mean |SHAP|)\n",
        md_table(card.top_drivers, ["column", "mean_abs_shap", "share"]),
        "## Limitations\n",
        "".join(f"- {note}\n" for note in card.limitations) or "_None recorded._\n",
        "## Gates\n",
        md_table(card.gates, ["phase", "name", "passed", "reason"]),
        *_lifecycle(card),
        "## Lineage\n",
        md_table([{"item": k, "value": v} for k, v in card.lineage.items()], ["item", "value"]),
        "Sources: " + "; ".join(f"{k}: {v}" for k, v in card.sources.items()) + "\n",
    ]
    return "\n".join(parts)


def _lifecycle(card: ModelCard) -> list[str]:
    if not card.lifecycle:
        return []
    return ["## Lifecycle status at packaging\n", f"Chosen model: {card.lifecycle.get('chosen_model') or 'none'}\n",
            md_table(card.lifecycle.get("phases", []), ["phase", "state", "reason"])]

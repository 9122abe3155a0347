"""Shared figure helpers: report data → plotly figures, used by both HTML and widgets.

Figures are pure functions of report data; nothing here computes statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

__all__ = ["PALETTE", "bar", "gate_color", "style"]

PALETTE = {
    "primary": "#2563eb",
    "reference": "#9ca3af",
    "current": "#2563eb",
    "pass": "#16a34a",
    "fail": "#dc2626",
    "warn": "#d97706",
}


def style(fig: go.Figure, *, title: str | None = None, height: int = 360) -> go.Figure:
    """Apply the house style: white template, compact margins, a title."""
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.01} if title else None,
        height=height,
        margin={"l": 50, "r": 20, "t": 50 if title else 20, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    # A y tick label at the origin would otherwise touch the x tick label under it ("0" over "0").
    fig.update_yaxes(ticklabelstandoff=6)
    return fig


def gate_color(passed: bool | None) -> str:
    """Green for pass, red for fail, amber when unknown."""
    if passed is None:
        return PALETTE["warn"]
    return PALETTE["pass"] if passed else PALETTE["fail"]


def bar(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str | None = None,
    errors: Sequence[tuple[float, float]] | None = None,
    colors: Sequence[str] | None = None,
    horizontal: bool = False,
    hover: Mapping[str, Any] | None = None,
) -> go.Figure:
    """A bar chart, optionally with asymmetric error bars ``(low, high)`` per bar."""
    error = None
    if errors is not None:
        error = {
            "type": "data",
            "symmetric": False,
            "array": [hi - v for v, (_, hi) in zip(values, errors, strict=True)],
            "arrayminus": [v - lo for v, (lo, _) in zip(values, errors, strict=True)],
        }
    trace = go.Bar(
        x=values if horizontal else labels,
        y=labels if horizontal else values,
        orientation="h" if horizontal else "v",
        marker_color=list(colors) if colors else PALETTE["primary"],
        error_x=error if horizontal else None,
        error_y=None if horizontal else error,
    )
    return style(go.Figure(trace), title=title)

"""Small static charts as inline SVG, so the stakeholder page needs no charting library.

The page must be readable within seconds in Voila and open from disk in the evidence pack: a
4.6 MB plotly.js per page was most of its load time. These charts are plain markup (lines and
axes), drawn once, with no script.
"""

from __future__ import annotations

import html as _html
import math
from collections.abc import Sequence

WIDTH, HEIGHT = 320, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 28, 40
_COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2")


def line_chart(title: str, series: Sequence[tuple[str, Sequence[float], Sequence[float]]], *,
               x_label: str, y_label: str, diagonal: bool = False) -> str:
    """An SVG chart of ``series`` (``(name, xs, ys)``), with its axes' ranges and labels.

    ``diagonal`` draws the dashed line y = x (chance for ROC, perfect calibration).
    """
    points = [(x, y) for _, xs, ys in series for x, y in zip(xs, ys, strict=False)
              if math.isfinite(x) and math.isfinite(y)]
    if not points:
        return ""
    x0, x1 = _span([p[0] for p in points])
    y0, y1 = _span([p[1] for p in points])
    if diagonal:
        x0, x1, y0, y1 = min(x0, y0), max(x1, y1), min(x0, y0), max(x1, y1)

    def at(x: float, y: float) -> str:
        px = _LEFT + (x - x0) / (x1 - x0) * (WIDTH - _LEFT - _RIGHT)
        py = HEIGHT - _BOTTOM - (y - y0) / (y1 - y0) * (HEIGHT - _TOP - _BOTTOM)
        return f"{px:.1f},{py:.1f}"

    parts = [_frame(title, x_label, y_label, (x0, x1), (y0, y1))]
    if diagonal:
        parts.append(f'<polyline points="{at(x0, y0)} {at(x1, y1)}" fill="none" stroke="#9ca3af" stroke-dasharray="4 3"/>')
    legend = []
    for number, (name, xs, ys) in enumerate(series):
        colour = _COLOURS[number % len(_COLOURS)]
        kept = " ".join(at(x, y) for x, y in zip(xs, ys, strict=False) if math.isfinite(x) and math.isfinite(y))
        parts.append(f'<polyline points="{kept}" fill="none" stroke="{colour}" stroke-width="1.8"/>')
        legend.append(f'<span class="wb-sh-key" style="border-color:{colour}">{_html.escape(name)}</span>')
    svg = (f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
           f'aria-label="{_html.escape(title)}">{"".join(parts)}</svg>')
    keys = f'<div class="wb-sh-keys">{"".join(legend)}</div>' if len(series) > 1 else ""
    return f'<figure class="wb-sh-chart">{svg}{keys}</figure>'


def _span(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high - low < 1e-12:
        return low - 0.5, high + 0.5
    return low, high


def _frame(title: str, x_label: str, y_label: str, xs: tuple[float, float], ys: tuple[float, float]) -> str:
    """Axes, the ranges at their ends, the labels and the title."""
    bottom, right = HEIGHT - _BOTTOM, WIDTH - _RIGHT
    return (
        f'<rect x="{_LEFT}" y="{_TOP}" width="{right - _LEFT}" height="{bottom - _TOP}" fill="#fff" stroke="#d1d5db"/>'
        f'<text x="{WIDTH / 2:.0f}" y="16" text-anchor="middle" class="wb-sh-title">{_html.escape(title)}</text>'
        f'<text x="{_LEFT}" y="{bottom + 14}" text-anchor="start">{_tick(xs[0])}</text>'
        f'<text x="{right}" y="{bottom + 14}" text-anchor="end">{_tick(xs[1])}</text>'
        f'<text x="{_LEFT - 4}" y="{bottom}" text-anchor="end">{_tick(ys[0])}</text>'
        f'<text x="{_LEFT - 4}" y="{_TOP + 8}" text-anchor="end">{_tick(ys[1])}</text>'
        f'<text x="{(WIDTH + _LEFT) / 2:.0f}" y="{HEIGHT - 8}" text-anchor="middle">{_html.escape(x_label)}</text>'
        f'<text x="12" y="{(HEIGHT + _TOP - _BOTTOM) / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(HEIGHT + _TOP - _BOTTOM) / 2:.0f})">{_html.escape(y_label)}</text>'
    )


def _tick(value: float) -> str:
    return f"{value:.3g}"

"""Renderings of the drift report: columns by impact with badges, distributions, drift over time."""

from __future__ import annotations

import html as _html
import itertools
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from workbench.render import html
from workbench.render._live import html_view, live, redraw
from workbench.render.figures import PALETTE, style

if TYPE_CHECKING:
    from workbench.monitor.drift import ColumnDrift, DriftReport

__all__ = ["badges", "blocks", "column_rows", "distribution_figure", "impact_figure", "widget", "windows_figure"]

SHOWN_DISTRIBUTIONS = 6


def _number(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) else 0.0


def impact_figure(report: DriftReport, *, top: int = 20) -> go.Figure:
    """Impact (PSI × importance share) of the top columns, red when the column drifted."""
    columns = list(report.columns[:top])[::-1]
    fig = go.Figure(go.Bar(
        x=[_number(c.impact) for c in columns], y=[c.column for c in columns], orientation="h",
        marker_color=[PALETTE["fail"] if c.drifted else PALETTE["reference"] for c in columns],
        customdata=[[c.stattest, _number(c.drift_score), _number(c.psi)] for c in columns],
        hovertemplate="%{y}: impact %{x:.4f}<br>%{customdata[0]} %{customdata[1]:.4g}, PSI %{customdata[2]:.3f}<extra></extra>",
    ))
    label = "PSI × importance share" if report.importance_source else "PSI (no importance known)"
    fig.update_xaxes(title=label)
    return style(fig, title="Columns by impact (red: drifted)", height=max(260, 22 * len(columns) + 80))


def distribution_figure(column: ColumnDrift) -> go.Figure:
    """Reference and current distributions of ``column`` overlaid (densities, or shares of categories)."""
    display = column.display
    fig = go.Figure()
    if display.get("type") == "bins":
        edges = display["edges"]
        middles = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
        widths = [b - a for a, b in itertools.pairwise(edges)]
        for name in ("reference", "current"):  # bins differ in width: heights are densities
            density = [share / width if width > 0 else 0.0 for share, width in zip(display[name], widths, strict=True)]
            fig.add_trace(go.Bar(x=middles, y=density, width=widths, name=name, opacity=0.55,
                                 marker_color=PALETTE[name], customdata=display[name],
                                 hovertemplate="%{x:.4g}: %{customdata:.1%} of rows<extra>" + name + "</extra>"))
        fig.update_layout(barmode="overlay", bargap=0)
        fig.update_yaxes(title="density (share of rows per unit)")
    elif display:
        for name in ("reference", "current"):
            fig.add_trace(go.Bar(x=display["labels"], y=display[name], name=name, marker_color=PALETTE[name]))
        fig.update_layout(barmode="group")
        fig.update_yaxes(title="share of rows")
    verdict = "drifted" if column.drifted else "no drift"
    title = f"{column.column}: {column.stattest} {column.drift_score:.3g} (threshold {column.threshold:.3g}, {verdict})"
    return style(fig, title=title, height=320)


def windows_figure(report: DriftReport) -> go.Figure:
    """Drift share per window, with the dataset threshold."""
    windows = report.windows
    fig = go.Figure(go.Scatter(
        x=[w.start for w in windows], y=[w.drift_share for w in windows], mode="lines+markers",
        customdata=[[w.n_rows, ", ".join(w.drifted[:5]) or "none"] for w in windows],
        hovertemplate="%{x}<br>drift share %{y:.2f} (%{customdata[0]} rows)<br>%{customdata[1]}<extra></extra>",
        marker_color=[PALETTE["fail"] if w.dataset_drift else PALETTE["primary"] for w in windows],
    ))
    fig.add_hline(y=report.drift_share_threshold, line_dash="dash", line_color=PALETTE["fail"],
                  annotation_text=f"dataset drift at {report.drift_share_threshold:g}")
    fig.update_yaxes(title="share of drifted columns", range=[0, 1.05])
    return style(fig, title="Drift per window", height=300)


def column_rows(report: DriftReport) -> list[dict[str, Any]]:
    """The column table, by impact."""
    return [
        {"column": c.column, "drift": "DRIFT" if c.drifted else "ok", "kind": c.kind, "test": c.stattest,
         "score": c.drift_score, "threshold": c.threshold, "PSI": c.psi, "importance": c.importance,
         "impact": c.impact, "missing ref": c.missing_reference, "missing cur": c.missing_current,
         "new categories": ", ".join(c.new_categories)}
        for c in report.columns
    ]


def badges(report: DriftReport) -> str:
    """One light per column, by impact: red drifted, green not."""
    lines = []
    for c in report.columns:
        css = "wb-fail" if c.drifted else "wb-pass"
        text = f"{c.column}: {c.stattest} {c.drift_score:.3g} (threshold {c.threshold:.3g}), PSI {c.psi:.3f}"
        lines.append(f'<div class="wb-gate"><span class="wb-light {css}"></span>{_html.escape(text)}</div>')
    return '<div class="wb-card">' + "".join(lines) + "</div>"


def _overview(report: DriftReport) -> dict[str, Any]:
    return {
        "verdict": "dataset drift" if report.dataset_drift else "no dataset drift",
        "drifted columns": f"{report.n_drifted} of {len(report.columns)} (share {report.drift_share:.2f}, "
                           f"threshold {report.drift_share_threshold:g})",
        "rows": f"reference {report.n_reference:,}, current {report.n_current:,}",
        "ranking": "by PSI × feature importance share" if report.importance_source else "by PSI",
        "computed": f"{report.engine} (mergeable summaries)",
    }


def blocks(report: DriftReport) -> Iterator[str]:
    """Overview and badges first, then impact, drift over time, distributions and the table."""
    yield html.section("Overview", html.key_values(_overview(report)), badges(report))
    yield html.section("Impact", html.figure(impact_figure(report)))
    if report.windows:
        yield html.section("Over time", html.figure(windows_figure(report)))
    shown = [c for c in report.columns if c.display][:SHOWN_DISTRIBUTIONS]
    yield html.section("Distributions", *(html.figure(distribution_figure(c)) for c in shown))
    if report.prediction is not None:
        yield html.section("Prediction drift", html.figure(distribution_figure(report.prediction)))
    yield html.section("Columns", html.table(column_rows(report)))


def widget(report: DriftReport) -> Any:
    """Columns by impact with badges; pick one to overlay its distributions; drift per window."""
    import ipywidgets as w

    options = [(f"{'● ' if c.drifted else '○ '}{c.column}", c.column) for c in report.columns if c.display]
    picker = w.Dropdown(options=options, description="Column")
    chart = live(distribution_figure(report.column(options[0][1])) if options else go.Figure())

    def show(_: Any = None) -> None:
        redraw(chart, distribution_figure(report.column(picker.value)))

    picker.observe(show, names="value")
    overview = html_view(html.key_values(_overview(report)) + badges(report))
    views = [w.VBox([overview, live(impact_figure(report))]), w.VBox([picker, chart])]
    titles = ["Columns", "Distributions"]
    if report.windows:
        views.append(live(windows_figure(report)))
        titles.append("Over time")
    tabs = w.Tab(children=views)
    for index, title in enumerate(titles):
        tabs.set_title(index, title)
    return tabs

"""Renderings of the data profile: HTML blocks and a live widget, both from the report's aggregates."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from workbench.render import html
from workbench.render._live import html_content, html_view, live, redraw
from workbench.render.figures import PALETTE, bar, style

if TYPE_CHECKING:
    from workbench.explore.profile import ColumnProfile, ProfileReport

__all__ = ["blocks", "column_figure", "correlation_figure", "missing_figure", "widget"]

MAX_COLUMN_FIGURES = 40


def missing_figure(report: ProfileReport) -> go.Figure:
    """Missing share per column, worst first."""
    ranked = sorted(report.columns, key=lambda c: c.missing_share, reverse=True)
    colors = [PALETTE["warn"] if c.missing_share >= 0.2 else PALETTE["primary"] for c in ranked]
    fig = bar(
        [c.name for c in ranked],
        [c.missing_share for c in ranked],
        title="Missing share",
        colors=colors,
    )
    return fig.update_yaxes(tickformat=".0%", range=[0, 1])


def correlation_figure(report: ProfileReport) -> go.Figure:
    """The association matrix (Pearson, Cramér's V, correlation ratio) as a heatmap."""
    names = list(report.correlation_columns)
    trace = go.Heatmap(
        z=[list(row) for row in report.correlations],
        x=names,
        y=names,
        zmin=-1,
        zmax=1,
        colorscale="RdBu",
        reversescale=True,
        hoverongaps=False,
    )
    title = "Associations"
    if report.correlation_sample:
        title += f" (sample of {report.correlation_sample:,} rows, ±{report.correlation_error:.3f})"
    return style(go.Figure(trace), title=title, height=max(360, 18 * len(names) + 120))


def column_figure(column: ColumnProfile) -> go.Figure:
    """One column's distribution: histogram from its bins, or its top categories."""
    if column.bin_counts:
        edges = column.bin_edges
        centers = [(lo + hi) / 2 for lo, hi in itertools.pairwise(edges)]
        widths = [hi - lo for lo, hi in itertools.pairwise(edges)]
        fig = go.Figure(
            go.Bar(
                x=centers, y=list(column.bin_counts), width=widths, marker_color=PALETTE["primary"]
            )
        )
        return style(fig, title=f"{column.name} ({column.kind})", height=280)
    labels = [label for label, _ in column.top]
    return bar(
        labels, [count for _, count in column.top], title=f"{column.name} ({column.kind})"
    ).update_layout(height=280)


def _column_rows(report: ProfileReport) -> list[dict[str, Any]]:
    rows = []
    for c in report.columns:
        row: dict[str, Any] = {
            "column": c.name,
            "kind": c.kind,
            "dtype": c.dtype,
            "missing": c.missing_share,
            "distinct": c.n_unique,
            "target assoc.": c.target_association,
        }
        row.update({k: c.stats.get(k) for k in ("mean", "std", "min", "median", "max")})
        rows.append(row)
    return rows


def _overview(report: ProfileReport) -> dict[str, Any]:
    items: dict[str, Any] = {
        "rows": f"{report.n_rows:,}",
        "columns": report.n_columns,
        "duplicated rows": f"{report.n_duplicate_rows:,}",
        "memory": f"{report.memory_bytes / 2**20:.1f} MiB",
    }
    if report.target:
        items["target"] = report.target
    for name, groups in report.group_sizes.items():
        items[f"groups of {name}"] = ", ".join(f"{k}: {v:,}" for k, v in groups.items())
    return items


def _warning_lines(report: ProfileReport) -> list[str]:
    return [f"[{w.code}] {w.message}" for w in report.warnings]


def blocks(report: ProfileReport) -> Iterator[str]:
    """Plots first (missing share, associations, distributions), then the tables."""
    yield html.section("Overview", html.key_values(_overview(report)))
    messages = _warning_lines(report)
    yield html.section(
        "Warnings", html.warnings(messages) if messages else html.text("No data-quality warnings.")
    )
    yield html.section("Missing values", html.figure(missing_figure(report)))
    if report.correlation_columns:
        yield html.section("Associations", html.figure(correlation_figure(report)))
    shown = report.columns[:MAX_COLUMN_FIGURES]
    parts = [html.figure(column_figure(c)) for c in shown]
    if len(report.columns) > len(shown):
        parts.append(
            html.text(f"… {len(report.columns) - len(shown)} more columns in the table below")
        )
    yield html.section("Distributions", *parts)
    yield html.section("Columns", html.table(_column_rows(report)))


def _column_details(column: ColumnProfile) -> dict[str, Any]:
    """One column's statistics as labelled, formatted values (an undefined figure as a dash)."""
    items: dict[str, Any] = {"kind": column.kind, "missing": f"{column.missing_share:.1%}",
                             "distinct": f"{column.n_unique:,}"}
    for name, value in column.stats.items():
        items[name] = "–" if value is None or (isinstance(value, float) and not math.isfinite(value)) else value
    return items


def _details_table(column: ColumnProfile) -> str:
    # A two-column table, not a definition list: in a narrow flex column the list's labels ran into their values.
    return html.table([{"statistic": k, "value": v} for k, v in _column_details(column).items()])


def widget(report: ProfileReport) -> Any:
    """Overview, warnings and heatmap, and a column picker that redraws one column's chart."""
    import ipywidgets as w

    picker = w.Dropdown(options=[c.name for c in report.columns], description="Column")
    first = report.columns[0] if report.columns else None
    chart = live(column_figure(first) if first is not None else go.Figure())
    details = html_view(_details_table(first) if first is not None else "")
    # The statistics sit in their own column beside the chart, wide enough for label and value.
    chart.layout = w.Layout(flex="3 1 0%", min_width="0", min_height=chart.layout.min_height)
    details.layout = w.Layout(flex="1 1 0%", min_width="220px")

    def show(name: str) -> None:
        column = report.column(name)
        redraw(chart, column_figure(column))
        details.value = html_content(_details_table(column))

    picker.observe(lambda change: show(change["new"]), names="value")
    heatmap = live(correlation_figure(report) if report.correlation_columns else missing_figure(report))
    head = html_view(html.key_values(_overview(report)) + html.warnings(_warning_lines(report)))
    per_column = w.VBox([picker, w.HBox([chart, details], layout=w.Layout(width="100%"))])
    tabs = w.Tab(children=[head, per_column, heatmap])
    for index, title in enumerate(("Overview", "Columns", "Associations")):
        tabs.set_title(index, title)
    return tabs

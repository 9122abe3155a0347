"""Renderings of the metrics review: curves, confusion matrix and baseline comparison, then tables."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from workbench.render import html
from workbench.render._live import live, redraw
from workbench.render.figures import PALETTE, style

if TYPE_CHECKING:
    from workbench.evaluate.metrics import MetricsReport

__all__ = ["blocks", "comparison_figure", "confusion_figure", "curve_figure", "widget"]

CURVE_TITLES = {
    "roc": "ROC curve",
    "pr": "Precision-recall curve",
    "calibration": "Calibration",
    "actual_vs_predicted": "Actual vs predicted (row sample)",
    "residuals": "Residuals (row sample)",
    "residual_histogram": "Residuals (all rows)",
}
COMPARISON_COLORS = {"model": PALETTE["primary"], "baseline": PALETTE["reference"], "champion": "#7c3aed"}


def _diagonal(fig: go.Figure, name: str) -> None:
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=name, line={"dash": "dot", "color": PALETTE["reference"]}))


def curve_figure(report: MetricsReport, name: str) -> go.Figure:
    """One stored curve, with its reference (chance line, positive share, perfect calibration)."""
    curve = report.curves[name]
    fig = go.Figure()
    if name == "residual_histogram":
        fig.add_trace(go.Bar(x=list(curve.x), y=list(curve.y), name="rows", marker_color=PALETTE["primary"]))
    elif name in ("actual_vs_predicted", "residuals"):
        fig.add_trace(go.Scattergl(x=list(curve.x), y=list(curve.y), mode="markers", name="rows", marker={"size": 4, "opacity": 0.5}))
    else:
        mode = "lines+markers" if name == "calibration" else "lines"
        sizes = {"marker": {"size": [4 + 16 * c / max(curve.counts) for c in curve.counts]}} if curve.counts else {}
        fig.add_trace(go.Scatter(x=list(curve.x), y=list(curve.y), mode=mode, name="model", **sizes))
    if name == "roc":
        champion = report.comparison("champion")
        if champion is not None and "roc" in champion.curves:
            other = champion.curves["roc"]
            fig.add_trace(go.Scatter(x=list(other.x), y=list(other.y), mode="lines", name="champion", line={"color": COMPARISON_COLORS["champion"]}))
        _diagonal(fig, "chance")
    elif name == "calibration":
        _diagonal(fig, "perfectly calibrated")
    elif name == "pr" and report.positive_share is not None:
        fig.add_hline(y=report.positive_share, line_dash="dot", annotation_text="positive share")
    fig.update_xaxes(title=curve.x_label)
    fig.update_yaxes(title=curve.y_label)
    return style(fig, title=CURVE_TITLES.get(name, name), height=340)


def confusion_figure(report: MetricsReport) -> go.Figure:
    """The confusion matrix as an annotated heatmap (rows: actual, columns: predicted)."""
    labels = [f"{label}" for label in report.confusion_labels]
    matrix = [list(row) for row in report.confusion_matrix]
    trace = go.Heatmap(
        z=matrix, x=[f"predicted {v}" for v in labels], y=[f"actual {v}" for v in labels],
        text=matrix, texttemplate="%{text}", colorscale="Blues", showscale=False,
    )
    fig = go.Figure(trace)
    fig.update_yaxes(autorange="reversed")
    threshold = "model's predict" if report.threshold is None else f"threshold {report.threshold:g}"
    return style(fig, title=f"Confusion matrix ({threshold})", height=300)


def comparison_figure(report: MetricsReport, metric: str | None = None) -> go.Figure:
    """``metric`` for the model and each comparison; the model's bar carries its interval."""
    metric = metric or report.primary_metric
    names = ["model", *(c.name for c in report.comparisons)]
    values = [report.metrics[metric], *(c.metrics[metric] for c in report.comparisons)]
    low, high = report.intervals.get(metric, (math.nan, math.nan))
    error = {"type": "data", "symmetric": False, "array": [high - values[0]] + [0] * (len(values) - 1),
             "arrayminus": [values[0] - low] + [0] * (len(values) - 1)}
    hover = [report.model, *(c.description for c in report.comparisons)]
    trace = go.Bar(
        x=names, y=values, error_y=error if not math.isnan(low) else None, hovertext=hover,
        marker_color=[COMPARISON_COLORS.get(n, PALETTE["reference"]) for n in names],
    )
    return style(go.Figure(trace), title=f"{metric}: model vs baseline" + (" and champion" if len(names) > 2 else ""), height=320)


def _interval(report: MetricsReport, pair: tuple[float, float]) -> str:
    low, high = pair
    return "" if math.isnan(low) else f"[{low:.4g}, {high:.4g}]"


def metric_rows(report: MetricsReport) -> list[dict[str, Any]]:
    """One row per metric: value, interval, then each comparison's value and the difference."""
    rows = []
    for name, value in report.metrics.items():
        row: dict[str, Any] = {"metric": name, "value": value, f"{report.confidence:.0%} interval": _interval(report, report.intervals.get(name, (math.nan, math.nan)))}
        for other in report.comparisons:
            row[other.name] = other.metrics.get(name)
            row[f"Δ vs {other.name}"] = other.differences.get(name)
            row[f"Δ interval ({other.name})"] = _interval(report, other.intervals.get(name, (math.nan, math.nan)))
        rows.append(row)
    return rows


def _overview(report: MetricsReport) -> dict[str, Any]:
    items: dict[str, Any] = {"model": report.model, "task": report.task, "rows": f"{report.n_rows:,}"}
    if report.positive_label is not None:
        items["positive label"] = f"{report.positive_label} ({report.positive_share:.1%} of rows)"
    items["intervals"] = f"{report.confidence:.0%} percentile bootstrap, {report.n_bootstrap} resamples, seed {report.seed}"
    for other in report.comparisons:
        items[other.name] = other.description
    return items


def blocks(report: MetricsReport) -> Iterator[str]:
    """Curves and the comparison first, then the confusion matrix and the metric table."""
    yield html.section("Overview", html.key_values(_overview(report)), html.warnings(report.warnings))
    yield html.section("Against the baseline", html.figure(comparison_figure(report)))
    yield html.section("Curves", *(html.figure(curve_figure(report, name)) for name in report.curves))
    if report.confusion_matrix:
        yield html.section("Confusion matrix", html.figure(confusion_figure(report)))
    yield html.section("Metrics", html.table(metric_rows(report)))


def widget(report: MetricsReport) -> Any:
    """Curve and metric pickers that redraw from the stored points, the confusion matrix, the table."""
    import ipywidgets as w

    curve_picker = w.Dropdown(options=[(CURVE_TITLES.get(n, n), n) for n in report.curves], description="Curve")
    metric_picker = w.Dropdown(options=list(report.metrics), value=report.primary_metric, description="Metric")
    curve = live(curve_figure(report, curve_picker.value))
    comparison = live(comparison_figure(report, metric_picker.value))
    curve_picker.observe(lambda change: redraw(curve, curve_figure(report, change["new"])), names="value")
    metric_picker.observe(lambda change: redraw(comparison, comparison_figure(report, change["new"])), names="value")
    views = [w.VBox([curve_picker, curve]), w.VBox([metric_picker, comparison])]
    titles = ["Curves", "Against the baseline"]
    if report.confusion_matrix:
        views.append(live(confusion_figure(report)))
        titles.append("Confusion matrix")
    views.append(w.HTML(html.key_values(_overview(report)) + html.table(metric_rows(report))))
    titles.append("Table")
    tabs = w.Tab(children=views)
    for index, title in enumerate(titles):
        tabs.set_title(index, title)
    return tabs

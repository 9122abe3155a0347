"""Figures of the metrics review, pure functions of a MetricsReport's stored data.

Binary: ROC / precision-recall / calibration curves and the confusion matrix. Multiclass: the
one-vs-rest ROC curves together, top-label calibration, the confusion matrix over every class
and a per-class bar chart. Regression: actual vs predicted, residuals, the residual histogram.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.colors import qualitative

from workbench.evaluate.metrics import METRIC_LABELS, OVR_ROC_PREFIX, metric_label
from workbench.render.figures import PALETTE, style

if TYPE_CHECKING:
    from workbench.evaluate.metrics import Curve, MetricsReport

__all__ = [
    "CLASS_FIGURES",
    "OVR_ROC",
    "class_figure",
    "comparison_figure",
    "confusion_figure",
    "curve_figure",
    "curve_views",
]

OVR_ROC = "roc_ovr"  # the view drawing every stored one-vs-rest ROC curve at once
CURVE_TITLES = {
    "roc": "ROC curve",
    OVR_ROC: "ROC curves, one class vs the rest",
    "pr": "Precision-recall curve",
    "calibration": "Calibration",
    "actual_vs_predicted": "Actual vs predicted (row sample)",
    "residuals": "Residuals vs predicted (row sample)",
    "residual_histogram": "Residuals (all rows)",
}
COMPARISON_COLORS = {"model": PALETTE["primary"], "baseline": PALETTE["reference"], "champion": "#7c3aed"}
CLASS_FIGURES = ("f1", "precision", "recall", "roc_auc")  # per-class figures, the first drawn by default
SHARE_TEXT_CLASSES = 12  # beyond this many classes a confusion cell shows its count only


def curve_views(report: MetricsReport) -> list[str]:
    """The curve views of ``report``: its stored curves, the one-vs-rest ROC curves as one view."""
    views = [name for name in report.curves if not name.startswith(OVR_ROC_PREFIX)]
    if len(views) < len(report.curves):
        views.insert(0, OVR_ROC)
    return views


def _diagonal(fig: go.Figure, name: str, low: float = 0.0, high: float = 1.0) -> None:
    fig.add_trace(go.Scatter(
        x=[low, high], y=[low, high], mode="lines", name=name, line={"dash": "dot", "color": PALETTE["reference"]},
    ))


def curve_figure(report: MetricsReport, name: str) -> go.Figure:
    """One curve view, with its reference (chance line, positive share, perfect calibration, y = x)."""
    if name == OVR_ROC:
        return _ovr_roc_figure(report)
    curve = report.curves[name]
    fig = go.Figure()
    if name == "residual_histogram":
        fig.add_trace(go.Bar(x=list(curve.x), y=list(curve.y), name="rows", marker_color=PALETTE["primary"]))
    elif name in ("actual_vs_predicted", "residuals"):
        fig.add_trace(go.Scatter(
            x=list(curve.x), y=list(curve.y), mode="markers", name="rows",
            marker={"size": 5, "opacity": 0.55, "color": PALETTE["primary"]},
        ))
    else:
        mode = "lines+markers" if name == "calibration" else "lines"
        sizes = {"marker": {"size": [4 + 16 * c / max(curve.counts) for c in curve.counts]}} if curve.counts else {}
        fig.add_trace(go.Scatter(x=list(curve.x), y=list(curve.y), mode=mode, name="model", **sizes))
    _reference(fig, report, name, curve)
    fig.update_xaxes(title=curve.x_label)
    fig.update_yaxes(title=curve.y_label)
    return style(fig, title=CURVE_TITLES.get(name, name), height=360)


def _reference(fig: go.Figure, report: MetricsReport, name: str, curve: Curve) -> None:
    """The line a curve is read against."""
    if name == "roc":
        champion = report.comparison("champion")
        if champion is not None and "roc" in champion.curves:
            other = champion.curves["roc"]
            fig.add_trace(go.Scatter(
                x=list(other.x), y=list(other.y), mode="lines", name="champion", line={"color": COMPARISON_COLORS["champion"]},
            ))
        _diagonal(fig, "chance")
    elif name == "calibration":
        _diagonal(fig, "perfectly calibrated")
    elif name == "pr" and report.positive_share is not None:
        fig.add_hline(y=report.positive_share, line_dash="dot", annotation_text="positive share")
    elif name == "actual_vs_predicted" and curve.x:
        values = [*curve.x, *curve.y]
        _diagonal(fig, "actual = predicted", min(values), max(values))
    elif name == "residuals":
        fig.add_hline(y=0, line_dash="dot", line_color=PALETTE["reference"])


def _ovr_roc_figure(report: MetricsReport) -> go.Figure:
    """Every class's one-vs-rest ROC curve, named with its AUC."""
    auc = {c.label: c.roc_auc for c in report.class_metrics}
    fig = go.Figure()
    colors = qualitative.Plotly
    for position, (name, curve) in enumerate(c for c in report.curves.items() if c[0].startswith(OVR_ROC_PREFIX)):
        label = name.removeprefix(OVR_ROC_PREFIX)
        value = auc.get(label, math.nan)
        legend = f"{label} (AUC {value:.3f})" if math.isfinite(value) else label
        fig.add_trace(go.Scatter(
            x=list(curve.x), y=list(curve.y), mode="lines", name=legend, line={"color": colors[position % len(colors)]},
        ))
    _diagonal(fig, "chance")
    fig.update_xaxes(title="false positive rate")
    fig.update_yaxes(title="true positive rate")
    fig = style(fig, title=CURVE_TITLES[OVR_ROC], height=400)
    return fig.update_layout(legend={"orientation": "v", "x": 1.02, "y": 1}, margin={"r": 160})


def confusion_figure(report: MetricsReport) -> go.Figure:
    """The confusion matrix as a heatmap (rows: actual, columns: predicted).

    Colour is the share of each actual class's rows, so small classes read as clearly as large
    ones; each cell shows its row count and (up to :data:`SHARE_TEXT_CLASSES` classes) that share.
    """
    labels = list(report.confusion_labels)
    matrix = [list(row) for row in report.confusion_matrix]
    shares = [[count / sum(row) if sum(row) else 0.0 for count in row] for row in matrix]
    two_lines = len(labels) <= SHARE_TEXT_CLASSES
    text = [
        [f"{count}<br>{share:.0%}" if two_lines else str(count) for count, share in zip(row, srow, strict=True)]
        for row, srow in zip(matrix, shares, strict=True)
    ]
    trace = go.Heatmap(
        z=shares, x=labels, y=labels, text=text, texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1,
        showscale=False, customdata=shares,
        hovertemplate="actual %{y}, predicted %{x}: %{z:.0%} of the actual class's rows<extra></extra>",
    )
    fig = go.Figure(trace)
    fig.update_xaxes(title="predicted", type="category", side="bottom")
    fig.update_yaxes(title="actual", type="category", autorange="reversed")
    threshold = "model's predict" if report.threshold is None else f"threshold {report.threshold:g}"
    per_class = 46 if two_lines else 26
    return style(fig, title=f"Confusion matrix ({threshold})", height=max(300, 130 + per_class * len(labels)))


def class_figure(report: MetricsReport, metric: str = CLASS_FIGURES[0]) -> go.Figure:
    """One per-class figure (one-vs-rest) as horizontal bars with their bootstrap intervals.

    Each class's value is written beside its name, clear of the bar and its error bar; an
    undefined value (a precision of a class never predicted) is written as such, with no bar.
    """
    classes = report.class_metrics
    values = [getattr(c, metric) for c in classes]
    intervals = [c.intervals.get(metric, (math.nan, math.nan)) for c in classes]
    defined = [math.isfinite(v) for v in values]
    error = {
        "type": "data", "symmetric": False,
        "array": [hi - v if ok and math.isfinite(hi) else 0 for v, (_, hi), ok in zip(values, intervals, defined, strict=True)],
        "arrayminus": [v - lo if ok and math.isfinite(lo) else 0 for v, (lo, _), ok in zip(values, intervals, defined, strict=True)],
    }
    names = [c.label for c in classes]
    shown = [f"{c.label}  <b>{v:.3f}</b>" if ok else f"{c.label}  undefined" for c, v, ok in zip(classes, values, defined, strict=True)]
    trace = go.Bar(
        x=[v if ok else 0 for v, ok in zip(values, defined, strict=True)], y=names, orientation="h",
        error_x=error, marker_color=PALETTE["primary"],
        customdata=[[c.support, text] for c, text in zip(classes, shown, strict=True)],
        hovertemplate="%{customdata[1]} (%{customdata[0]} rows)<extra></extra>",
    )
    fig = go.Figure(trace)
    label = METRIC_LABELS.get(metric, metric)
    fig.update_xaxes(title=f"{label}, one class vs the rest", range=[0, 1.05])
    fig.update_yaxes(type="category", autorange="reversed", tickvals=names, ticktext=shown, ticklabelstandoff=10)
    return style(fig, title=f"{label} by class", height=max(280, 110 + 30 * len(classes)))


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def comparison_figure(report: MetricsReport, metric: str | None = None) -> go.Figure:
    """``metric`` for the model and each comparison; the model's bar carries its interval."""
    metric = metric or report.primary_metric
    names = ["model", *(c.name for c in report.comparisons)]
    # An undefined figure (e.g. a constant baseline's precision) is stored as NaN, or null once reloaded.
    values = [_float(report.metrics[metric]), *(_float(c.metrics.get(metric)) for c in report.comparisons)]
    low, high = report.intervals.get(metric, (math.nan, math.nan))
    hover = [report.model, *(c.description for c in report.comparisons)]
    trace = go.Bar(
        x=names, y=values, hovertext=hover, showlegend=False,
        marker_color=[COMPARISON_COLORS.get(n, PALETTE["reference"]) for n in names],
    )
    fig = go.Figure(trace)
    if math.isfinite(low) and math.isfinite(high):  # the model's interval only: the others have none of their own
        fig.add_trace(go.Scatter(
            x=["model"], y=[values[0]], mode="markers", marker={"size": 1, "color": "#1f2933"}, showlegend=False,
            error_y={"type": "data", "symmetric": False, "array": [high - values[0]], "arrayminus": [values[0] - low]},
            hovertemplate=f"{report.confidence:.0%} interval [{low:.3f}, {high:.3f}]<extra></extra>",
        ))
    # Values under the bars, where neither the error bar nor a short (or negative) bar can hide them.
    shown = [f"{n}<br><b>{v:.3f}</b>" if math.isfinite(v) else f"{n}<br>undefined" for n, v in zip(names, values, strict=True)]
    fig.update_xaxes(tickvals=names, ticktext=shown)
    label = metric_label(report.task, metric)
    better = " (lower is better)" if metric in report.task_type.lower_is_better else ""
    versus = "model vs baseline" + (" and champion" if len(names) > 2 else "")
    return style(fig, title=f"{label}: {versus}{better}", height=340)

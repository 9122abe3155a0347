"""Pieces of the fairness renderings: figures, gate lights and tables, for every task.

Pure functions of a ``FairnessReport``'s stored figures (nothing is recomputed), shared by the
HTML page and the widget. Undefined figures show as a dash, never as ``nan``.
"""

from __future__ import annotations

import html as _html
import math
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.colors import qualitative

from workbench.evaluate._verdict import SCALED_LIMITS, Verdict, disparity_verdict, evidence_mode
from workbench.render.figures import PALETTE, bar, gate_color, style

if TYPE_CHECKING:
    from workbench.evaluate.fairness import FairnessReport, GroupMetrics

__all__ = [
    "METRIC_LABELS", "class_disparity_figure", "class_disparity_rows", "class_figure", "class_rows",
    "disparity_figure", "disparity_rows", "group_figure", "group_rows", "lights", "metric_label",
    "tradeoff_figure", "verdicts",
]

METRIC_LABELS: dict[str, dict[str, str]] = {
    "binary": {
        "selection_rate": "Selection rate",
        "true_positive_rate": "True positive rate",
        "false_positive_rate": "False positive rate",
        "precision": "Precision",
        "accuracy": "Accuracy",
    },
    "multiclass": {
        "selection_rate": "Selection rate",
        "true_positive_rate": "Recall (true positive rate)",
        "false_positive_rate": "False positive rate",
        "accuracy": "Accuracy",
    },
    "regression": {
        "mean_prediction": "Mean prediction",
        "mae": "MAE",
        "rmse": "RMSE",
        "mean_target": "Mean target",
    },
}
CLASS_COLORS = qualitative.Plotly
SHORT_NAMES = {"selection_rate": "Selection rate", "true_positive_rate": "Recall", "false_positive_rate": "False positive rate"}
DISPARITY_TITLES = {"mae_difference": "MAE difference", "mae_ratio": "MAE ratio"}
UNDEFINED = "undefined"


def _disparity_title(disparity: str) -> str:
    return DISPARITY_TITLES.get(disparity, disparity.replace("_", " ").capitalize())


def _undefined_text(values: list[float]) -> list[str]:
    """Bar labels that mark a metric left undefined for a group (drawn as an empty bar otherwise)."""
    return [UNDEFINED if not math.isfinite(v) else "" for v in values]


def metric_label(report: FairnessReport, metric: str) -> str:
    """``"Selection rate"``, or ``"Selection rate of class 2 (one-vs-rest)"`` for a per-class metric."""
    base, _, label = metric.partition("[")
    name = METRIC_LABELS.get(report.task, METRIC_LABELS["binary"]).get(base, base.replace("_", " "))
    return f"{name} of class {label.rstrip(']')} (one-vs-rest)" if label else name


def _finite(value: float, fallback: float = 0.0) -> float:
    return value if math.isfinite(value) else fallback


def _errors(report: FairnessReport, grouping: GroupMetrics, metric: str) -> list[tuple[float, float]] | None:
    if not report.n_bootstrap:
        return None
    values = [_finite(v) for v in grouping.metrics[metric]]
    return [(_finite(low, v), _finite(high, v)) for (low, high), v in zip(grouping.intervals[metric], values, strict=True)]


def _group_labels(grouping: GroupMetrics) -> list[str]:
    return [f"{g} ({n})" for g, n in zip(grouping.groups, grouping.counts, strict=True)]


def group_figure(report: FairnessReport, feature: str, metric: str = "selection_rate") -> go.Figure:
    """``metric`` per group of ``feature`` with its interval; groups too small to judge in grey.

    A regression's mean prediction is drawn with each group's mean target beside it.
    """
    grouping = report.grouping(feature)
    values = [_finite(v) for v in grouping.metrics[metric]]
    colors = [PALETTE["primary"] if judged else PALETTE["reference"] for judged in grouping.judged]
    fig = bar(_group_labels(grouping), values, errors=_errors(report, grouping, metric), colors=colors)
    fig.update_traces(name=metric_label(report, metric), text=_undefined_text(list(grouping.metrics[metric])),
                      textposition="outside")
    if metric == "mean_prediction" and "mean_target" in grouping.metrics:
        fig.add_trace(go.Scatter(
            x=_group_labels(grouping), y=[_finite(v) for v in grouping.metrics["mean_target"]], mode="markers",
            name="mean target", marker={"symbol": "diamond", "size": 12, "color": PALETTE["fail"]},
        ))
        fig.data[0].showlegend = True
    overall = grouping.overall[metric]
    if math.isfinite(overall):
        fig.add_hline(y=overall, line_dash="dot", annotation_text=f"overall {overall:.3g}")
    fig.update_xaxes(title=f"{feature} (rows)")
    fig.update_yaxes(title=_axis_label(report, metric))
    return style(fig, title=f"{metric_label(report, metric)} by {feature}", height=360)


def _axis_label(report: FairnessReport, metric: str) -> str:
    """A y-axis title short enough for the plot's height (the full one ran into the chart's title)."""
    base, _, label = metric.partition("[")
    if not label:
        return metric_label(report, metric)
    return f"{SHORT_NAMES.get(base, metric_label(report, base))}, class {label.rstrip(']')}"


def class_figure(report: FairnessReport, feature: str, metric: str = "selection_rate") -> go.Figure:
    """Multiclass: ``metric`` (one-vs-rest) per group of ``feature``, one bar per class, with intervals."""
    grouping = report.grouping(feature)
    fig = go.Figure()
    for position, label in enumerate(report.classes):
        key = f"{metric}[{label}]"
        values = [_finite(v) for v in grouping.metrics[key]]
        errors = _errors(report, grouping, key)
        error = None if errors is None else {
            "type": "data", "symmetric": False,
            "array": [high - v for v, (_, high) in zip(values, errors, strict=True)],
            "arrayminus": [v - low for v, (low, _) in zip(values, errors, strict=True)],
        }
        fig.add_trace(go.Bar(
            x=_group_labels(grouping), y=values, name=f"class {label}", error_y=error,
            marker_color=CLASS_COLORS[position % len(CLASS_COLORS)],
            text=_undefined_text(list(grouping.metrics[key])), textposition="outside",
        ))
    name = SHORT_NAMES.get(metric, metric)
    fig.update_layout(barmode="group")
    fig.update_xaxes(title=f"{feature} (rows)")
    fig.update_yaxes(title=f"{name} (one-vs-rest)")
    return style(fig, title=f"{name} per class by {feature}", height=380)


def disparity_figure(report: FairnessReport, disparity: str = "demographic_parity_difference") -> go.Figure:
    """``disparity`` per feature (and intersection) with its interval and the limit line."""
    features = [g.feature for g in report.groupings]
    values = [_finite(g.disparities[disparity]) for g in report.groupings]
    errors = [
        (_finite(low, v), _finite(high, v))
        for g, v in zip(report.groupings, values, strict=True)
        for low, high in [g.disparity_intervals[disparity]]
    ]
    colors = [PALETTE["reference"] if not v.gated else gate_color(v.passed) for v in verdicts(report, disparity)]
    fig = bar(features, values, errors=errors if report.n_bootstrap else None, colors=colors)
    limit = report.limit(disparity)
    if limit is not None and math.isfinite(limit):
        fig.add_hline(y=limit, line_dash="dash", line_color=PALETTE["fail"], annotation_text=f"limit {limit:.3g}")
    title = _disparity_title(disparity)
    if report.task == "multiclass":
        title += " (worst class)"
    return style(fig, title=title, height=320)


def class_disparity_figure(report: FairnessReport, disparity: str = "demographic_parity_difference") -> go.Figure:
    """Multiclass: ``disparity`` (one-vs-rest) per feature, one bar per class, with the limit line."""
    fig = go.Figure()
    features = [g.feature for g in report.groupings]
    for position, label in enumerate(report.classes):
        values = [_finite(g.class_disparities.get(label, {}).get(disparity, math.nan)) for g in report.groupings]
        fig.add_trace(go.Bar(x=features, y=values, name=f"class {label}", marker_color=CLASS_COLORS[position % len(CLASS_COLORS)]))
    limit = report.limit(disparity)
    if limit is not None and math.isfinite(limit):
        fig.add_hline(y=limit, line_dash="dash", line_color=PALETTE["fail"], annotation_text=f"limit {limit:.3g}")
    fig.update_layout(barmode="group")
    return style(fig, title=f"{_disparity_title(disparity)} per class (one-vs-rest)", height=340)


def tradeoff_figure(report: FairnessReport) -> go.Figure:
    """Accuracy against demographic parity difference for the model and each mitigation."""
    fig = go.Figure()
    for result in report.mitigation:
        fig.add_trace(go.Scatter(
            x=[result.demographic_parity_difference], y=[result.accuracy], mode="markers", name=result.strategy,
            marker={"size": 12}, hovertemplate=f"{_html.escape(result.strategy)}<br>DP difference %{{x:.3f}}<br>"
                                               "accuracy %{y:.3f}<extra></extra>",
        ))
    fig.update_xaxes(title="demographic parity difference (lower is fairer)")
    fig.update_yaxes(title="accuracy")
    style(fig, title="Accuracy / disparity trade-off (ThresholdOptimizer)", height=380)
    # Strategies are named in a legend beside the plot: labels on the markers were clipped at its edges.
    return fig.update_layout(legend={"orientation": "v", "x": 1.02, "y": 1, "xanchor": "left"})


def verdicts(report: FairnessReport, disparity: str) -> list[Verdict]:
    """Each grouping's ``disparity`` judged as the Evaluate gate judges it (same limit, same evidence)."""
    evidence = evidence_mode(report.thresholds)
    limit = report.limit(disparity)
    return [
        disparity_verdict(g, disparity, limit=limit, evidence=evidence, sensitive=report.sensitive)
        for g in report.groupings
    ]


def _light_text(report: FairnessReport, verdict: Verdict) -> str:
    estimate = f"{verdict.estimate:.3f}" if math.isfinite(verdict.estimate) else UNDEFINED
    text = f"{verdict.disparity.replace('_', ' ')} [{verdict.feature}] = {estimate}"
    if verdict.worst_class:
        text += f", worst class {verdict.worst_class}"
    low, high = verdict.interval
    if verdict.by_interval and math.isfinite(low):
        text += f", interval [{low:.3f}, {high:.3f}], lower end judged"
    if not verdict.gated:
        return text + " (not gated: an intersection)"
    if verdict.limit is None:
        return text
    if verdict.disparity in SCALED_LIMITS:
        relative = report.thresholds.get(verdict.disparity)
        return text + f" (limit {verdict.limit:.3f}: {relative:g} × the target's standard deviation {report.target_scale:.4g})"
    return text + f" (limit {verdict.limit:g})"


def lights(report: FairnessReport) -> str:
    """A light per grouping and gated disparity, the Evaluate gate's own decision.

    Green within the limit, red above, amber undefined or unlimited, grey for intersections,
    which are shown but not gated.
    """
    lines = []
    for name in report.gated_disparities:
        for verdict in verdicts(report, name):
            css = "wb-off" if not verdict.gated else {True: "wb-pass", False: "wb-fail", None: "wb-warn"}[verdict.passed]
            text = _html.escape(_light_text(report, verdict))
            lines.append(f'<div class="wb-gate"><span class="wb-light {css}"></span>{text}</div>')
    return '<div class="wb-card">' + "".join(lines) + "</div>"


def _number(value: float) -> str:
    """A figure at a precision that suits its size: rates to 3 decimals, a target in thousands to units."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.3f}"


def _cell(value: float, pair: tuple[float, float] | None = None) -> str:
    """``0.512 [0.431, 0.598]``; a dash for an undefined figure."""
    if not math.isfinite(value):
        return "–"
    if pair is None or not math.isfinite(pair[0]):
        return _number(value)
    return f"{_number(value)} [{_number(pair[0])}, {_number(pair[1])}]"


def disparity_rows(report: FairnessReport) -> list[dict[str, Any]]:
    """One row per feature: each disparity with its interval (multiclass: at its worst class)."""
    rows = []
    for g in report.groupings:
        row: dict[str, Any] = {"feature": g.feature, "groups judged": f"{sum(g.judged)} of {len(g.groups)}"}
        for name, value in g.disparities.items():
            label = name.replace("_", " ")
            row[label] = _cell(value, g.disparity_intervals.get(name))
            if g.worst_class.get(name):
                row[label] += f", class {g.worst_class[name]}"
        rows.append(row)
    return rows


def class_disparity_rows(report: FairnessReport) -> list[dict[str, Any]]:
    """Multiclass: one row per feature and class, each disparity one-vs-rest with its interval."""
    rows = []
    for g in report.groupings:
        for label, values in g.class_disparities.items():
            row: dict[str, Any] = {"feature": g.feature, "class": label}
            intervals = g.class_disparity_intervals.get(label, {})
            row.update({name.replace("_", " "): _cell(v, intervals.get(name)) for name, v in values.items()})
            rows.append(row)
    return rows


def _judged(grouping: GroupMetrics, position: int) -> str:
    return "yes" if grouping.judged[position] else "too small"


def group_rows(report: FairnessReport, grouping: GroupMetrics, metrics: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The per-group table: each metric with its interval in one cell."""
    metrics = metrics or tuple(m for m in grouping.metrics if "[" not in m)
    rows = []
    for position, group in enumerate(grouping.groups):
        row: dict[str, Any] = {"group": group, "rows": grouping.counts[position]}
        if grouping.positives:
            row["positives"] = grouping.positives[position]
        row["judged"] = _judged(grouping, position)
        for metric in metrics:
            row[metric_label(report, metric)] = _cell(grouping.metrics[metric][position], grouping.intervals[metric][position])
        rows.append(row)
    return rows


def class_rows(report: FairnessReport, grouping: GroupMetrics) -> list[dict[str, Any]]:
    """Multiclass: one row per group and class, its one-vs-rest rates with intervals."""
    rows = []
    for position, group in enumerate(grouping.groups):
        for label in report.classes:
            row: dict[str, Any] = {"group": group, "class": label}
            for metric in ("selection_rate", "true_positive_rate", "false_positive_rate"):
                key = f"{metric}[{label}]"
                row[METRIC_LABELS["multiclass"][metric]] = _cell(grouping.metrics[key][position], grouping.intervals[key][position])
            rows.append(row)
    return rows

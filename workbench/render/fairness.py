"""Renderings of the fairness review: per-group bars with intervals, disparities with lights, tables."""

from __future__ import annotations

import html as _html
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from workbench.evaluate._verdict import GATED_DISPARITIES, Verdict, disparity_verdict, evidence_mode
from workbench.render import html
from workbench.render._live import live, redraw
from workbench.render.figures import PALETTE, bar, gate_color, style

if TYPE_CHECKING:
    from workbench.evaluate.fairness import FairnessReport, GroupMetrics

__all__ = ["blocks", "disparity_figure", "group_figure", "lights", "tradeoff_figure", "verdicts", "widget"]

METRIC_LABELS = {
    "selection_rate": "Selection rate",
    "true_positive_rate": "True positive rate",
    "false_positive_rate": "False positive rate",
    "precision": "Precision",
    "accuracy": "Accuracy",
}
GATED = GATED_DISPARITIES


def group_figure(report: FairnessReport, feature: str, metric: str = "selection_rate") -> go.Figure:
    """``metric`` per group of ``feature`` with its interval; groups too small to judge in grey."""
    grouping = report.grouping(feature)
    values = [_finite(v) for v in grouping.metrics[metric]]
    intervals = [tuple(_finite(x, v) for x in pair) for pair, v in zip(grouping.intervals[metric], values, strict=True)]
    colors = [PALETTE["primary"] if judged else PALETTE["reference"] for judged in grouping.judged]
    labels = [f"{g} ({n})" for g, n in zip(grouping.groups, grouping.counts, strict=True)]
    fig = bar(labels, values, errors=intervals if report.n_bootstrap else None, colors=colors)  # type: ignore[arg-type]
    overall = grouping.overall[metric]
    if math.isfinite(overall):
        fig.add_hline(y=overall, line_dash="dot", annotation_text=f"overall {overall:.3f}")
    fig.update_xaxes(title=f"{feature} (rows)")
    fig.update_yaxes(title=METRIC_LABELS.get(metric, metric))
    return style(fig, title=f"{METRIC_LABELS.get(metric, metric)} by {feature}", height=360)


def _finite(value: float, fallback: float = 0.0) -> float:
    return value if math.isfinite(value) else fallback


def disparity_figure(report: FairnessReport, disparity: str = "demographic_parity_difference") -> go.Figure:
    """``disparity`` per feature (and intersection) with its interval and the threshold line."""
    features = [g.feature for g in report.groupings]
    values = [_finite(g.disparities[disparity]) for g in report.groupings]
    errors = [
        tuple(_finite(x, v) for x in g.disparity_intervals[disparity])
        for g, v in zip(report.groupings, values, strict=True)
    ]
    limit = _limit(report, disparity)
    colors = [PALETTE["reference"] if not v.gated else gate_color(v.passed) for v in verdicts(report, disparity)]
    fig = bar(features, values, errors=errors if report.n_bootstrap else None, colors=colors)  # type: ignore[arg-type]
    if limit is not None:
        fig.add_hline(y=limit, line_dash="dash", line_color=PALETTE["fail"], annotation_text=f"limit {limit:g}")
    return style(fig, title=disparity.replace("_", " ").capitalize(), height=320)


def tradeoff_figure(report: FairnessReport) -> go.Figure:
    """Accuracy against demographic parity difference for the model and each mitigation."""
    fig = go.Figure()
    for result in report.mitigation:
        fig.add_trace(go.Scatter(
            x=[result.demographic_parity_difference], y=[result.accuracy], mode="markers+text",
            text=[result.strategy], textposition="top center", name=result.strategy, marker={"size": 12},
        ))
    fig.update_xaxes(title="demographic parity difference (lower is fairer)")
    fig.update_yaxes(title="accuracy")
    return style(fig, title="Accuracy / disparity trade-off (ThresholdOptimizer)", height=360)


def _limit(report: FairnessReport, disparity: str) -> float | None:
    limit = report.thresholds.get(disparity)
    return None if limit is None else float(limit)


def verdicts(report: FairnessReport, disparity: str) -> list[Verdict]:
    """Each grouping's ``disparity`` judged as the Evaluate gate judges it (same limit, same evidence)."""
    evidence = evidence_mode(report.thresholds)
    limit = _limit(report, disparity)
    return [
        disparity_verdict(g, disparity, limit=limit, evidence=evidence, sensitive=report.sensitive)
        for g in report.groupings
    ]


def _light_text(verdict: Verdict) -> str:
    text = f"{verdict.disparity.replace('_', ' ')} [{verdict.feature}] = {verdict.estimate:.3f}"
    low, high = verdict.interval
    if verdict.by_interval and math.isfinite(low):
        text += f", interval [{low:.3f}, {high:.3f}], lower end judged"
    if not verdict.gated:
        return text + " (not gated: an intersection)"
    return text + (f" (limit {verdict.limit:g})" if verdict.limit is not None else "")


def lights(report: FairnessReport) -> str:
    """A light per grouping and gated disparity, the Evaluate gate's own decision.

    Green within the limit, red above, amber undefined or unlimited, grey for intersections,
    which are shown but not gated.
    """
    lines = []
    for name in GATED:
        for verdict in verdicts(report, name):
            css = "wb-off" if not verdict.gated else {True: "wb-pass", False: "wb-fail", None: "wb-warn"}[verdict.passed]
            lines.append(f'<div class="wb-gate"><span class="wb-light {css}"></span>{_html.escape(_light_text(verdict))}</div>')
    return '<div class="wb-card">' + "".join(lines) + "</div>"


def disparity_rows(report: FairnessReport) -> list[dict[str, Any]]:
    """One row per feature: each disparity with its interval."""
    rows = []
    for g in report.groupings:
        row: dict[str, Any] = {"feature": g.feature, "groups judged": f"{sum(g.judged)} of {len(g.groups)}"}
        for name, value in g.disparities.items():
            row[name] = value
            low, high = g.disparity_intervals[name]
            row[f"{name} interval"] = "" if math.isnan(low) else f"[{low:.3f}, {high:.3f}]"
        rows.append(row)
    return rows


def group_rows(grouping: GroupMetrics) -> list[dict[str, Any]]:
    """The per-group table with intervals."""
    rows = []
    for position, row in enumerate(grouping.rows()):
        for metric, pairs in grouping.intervals.items():
            low, high = pairs[position]
            row[f"{metric} interval"] = "" if math.isnan(low) else f"[{low:.3f}, {high:.3f}]"
        rows.append(row)
    return rows


def _overview(report: FairnessReport) -> dict[str, Any]:
    return {
        "rows": f"{report.n_rows:,}",
        "positive label": report.positive_label,
        "sensitive features": ", ".join(report.sensitive),
        "judged groups": f"at least {report.min_group_size} rows",
        "intervals": f"{report.confidence:.0%} percentile bootstrap, {report.n_bootstrap} resamples, seed {report.seed}",
    }


def blocks(report: FairnessReport) -> Iterator[str]:
    """Disparities and per-group bars first, then the mitigation comparison and the tables."""
    yield html.section("Overview", html.key_values(_overview(report)), html.warnings(report.warnings))
    yield html.section("Disparities", lights(report), *(html.figure(disparity_figure(report, d)) for d in GATED))
    yield html.section(
        "Groups", *(html.figure(group_figure(report, g.feature, m)) for g in report.groupings for m in ("selection_rate", "true_positive_rate"))
    )
    if report.mitigation:
        rows = [dict(vars(m)) for m in report.mitigation]
        yield html.section("Mitigation", html.figure(tradeoff_figure(report)), html.text(report.mitigation_note), html.table(rows))
    yield html.section("Disparity table", html.table(disparity_rows(report)))
    yield html.section("Group tables", *(html.section(g.feature, html.table(group_rows(g)), level=3) for g in report.groupings))


def widget(report: FairnessReport) -> Any:
    """Pick a feature (or intersection) and a metric: the group bars redraw from stored values."""
    import ipywidgets as w

    features = [g.feature for g in report.groupings]
    feature_picker = w.Dropdown(options=features, description="Feature")
    metric_picker = w.Dropdown(options=[(label, name) for name, label in METRIC_LABELS.items()], description="Metric")
    chart = live(group_figure(report, features[0], metric_picker.value))
    table = w.HTML(html.table(group_rows(report.grouping(features[0]))))

    def show(_: Any = None) -> None:
        redraw(chart, group_figure(report, feature_picker.value, metric_picker.value))
        table.value = html.table(group_rows(report.grouping(feature_picker.value)))

    feature_picker.observe(show, names="value")
    metric_picker.observe(show, names="value")
    summary = w.VBox([w.HTML(lights(report) + html.warnings(report.warnings)), live(disparity_figure(report)),
                      w.HTML(html.table(disparity_rows(report)))])
    views = [w.VBox([w.HBox([feature_picker, metric_picker]), chart, table]), summary]
    titles = ["Groups", "Disparities"]
    if report.mitigation:
        views.append(w.VBox([live(tradeoff_figure(report)), w.HTML(html.text(report.mitigation_note))]))
        titles.append("Mitigation")
    tabs = w.Tab(children=views)
    for index, title in enumerate(titles):
        tabs.set_title(index, title)
    return tabs

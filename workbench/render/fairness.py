"""Renderings of the fairness review: per-group bars with intervals, disparities with lights, tables.

Charts come first, tables second. What is drawn follows the report's task (one table of views
per task, :data:`GROUP_VIEWS`): binary selection rate and TPR by group; multiclass per-class
selection rate and recall by group (a class picker in the widget); regression mean prediction
(beside the mean target) and MAE by group. A review without a sensitive column renders as one
line saying it is not applicable, and why.
"""

from __future__ import annotations

import html as _html
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from workbench.render import html
from workbench.render._fairness_parts import (
    METRIC_LABELS,
    class_disparity_figure,
    class_disparity_rows,
    class_figure,
    class_rows,
    disparity_figure,
    disparity_rows,
    group_figure,
    group_rows,
    lights,
    tradeoff_figure,
    verdicts,
)
from workbench.render._live import html_content, html_view, live, redraw

if TYPE_CHECKING:
    from workbench.evaluate.fairness import FairnessReport, GroupMetrics

__all__ = [
    "GROUP_VIEWS", "blocks", "disparity_figure", "group_figure", "lights", "not_applicable", "tradeoff_figure",
    "verdicts", "widget",
]


def not_applicable(report: FairnessReport) -> str:
    """The one line a review without a sensitive column renders as."""
    return f"Fairness: not applicable — {report.reason}"


def _not_applicable_card(report: FairnessReport) -> str:
    hint = "Name the sensitive columns under [data] sensitive in workbench.toml to review fairness group by group."
    return (f'<div class="wb-card"><p>{_html.escape(not_applicable(report))}</p>'
            f'<p class="wb-meta">{_html.escape(hint)}</p></div>')


def _binary_figures(report: FairnessReport, grouping: GroupMetrics) -> list[go.Figure]:
    return [group_figure(report, grouping.feature, m) for m in ("selection_rate", "true_positive_rate")]


def _multiclass_figures(report: FairnessReport, grouping: GroupMetrics) -> list[go.Figure]:
    return [class_figure(report, grouping.feature, m) for m in ("selection_rate", "true_positive_rate")]


def _regression_figures(report: FairnessReport, grouping: GroupMetrics) -> list[go.Figure]:
    return [group_figure(report, grouping.feature, m) for m in ("mean_prediction", "mae")]


GROUP_VIEWS: dict[str, Callable[[FairnessReport, GroupMetrics], list[go.Figure]]] = {
    "binary": _binary_figures,
    "multiclass": _multiclass_figures,
    "regression": _regression_figures,
}


def _overview(report: FairnessReport) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": f"{report.n_rows:,}", "task": report.task}
    if report.positive_label:
        out["positive label"] = report.positive_label
    if report.classes:
        out["classes"] = f"{len(report.classes)}: {', '.join(report.classes)} (each one-vs-rest)"
    if report.task == "regression":
        out["target standard deviation"] = f"{report.target_scale:.4g} (the unit of the limits)"
    out["sensitive features"] = ", ".join(report.sensitive)
    out["judged groups"] = f"at least {report.min_group_size} rows"
    intervals = f"{report.confidence:.0%} percentile bootstrap, {report.n_bootstrap} resamples, seed {report.seed}"
    out["intervals"] = intervals if report.n_bootstrap else "none (no bootstrap resamples)"
    return out


def _group_tables(report: FairnessReport, grouping: GroupMetrics) -> list[str]:
    parts = [html.table(group_rows(report, grouping))]
    if report.classes:
        parts.append(html.table(class_rows(report, grouping)))
    return parts


def _disparity_figures(report: FairnessReport) -> list[str]:
    figures = [html.figure(disparity_figure(report, d)) for d in report.gated_disparities]
    if report.classes:
        figures.append(html.figure(class_disparity_figure(report)))
    return figures


def blocks(report: FairnessReport) -> Iterator[str]:
    """Disparities and per-group charts first, then the mitigation comparison and the tables."""
    if not report.applicable:
        yield html.section("Fairness", _not_applicable_card(report))
        return
    yield html.section("Overview", html.key_values(_overview(report)), html.warnings(report.warnings))
    yield html.section("Disparities", lights(report), *_disparity_figures(report))
    figures = GROUP_VIEWS[report.task]
    yield html.section("Groups", *(html.figure(f) for g in report.groupings for f in figures(report, g)))
    if report.mitigation:
        rows = [{k.replace("_", " "): v for k, v in vars(m).items()} for m in report.mitigation]
        yield html.section("Mitigation", html.figure(tradeoff_figure(report)), html.text(report.mitigation_note), html.table(rows))
    elif report.mitigation_note:
        yield html.section("Mitigation", html.text(report.mitigation_note))
    tables = [html.table(disparity_rows(report))]
    if report.classes:
        tables.append(html.table(class_disparity_rows(report)))
    yield html.section("Disparity table", *tables)
    yield html.section(
        "Group tables", *(html.section(g.feature, *_group_tables(report, g), level=3) for g in report.groupings)
    )


def _metric_options(report: FairnessReport) -> list[tuple[str, str]]:
    return [(label, name) for name, label in METRIC_LABELS[report.task].items()]


def _groups_view(report: FairnessReport) -> Any:
    """Pick a feature, a metric and (multiclass) a class: the group bars redraw from stored values."""
    import ipywidgets as w

    features = [g.feature for g in report.groupings]
    feature_picker = w.Dropdown(options=features, description="Feature")
    metric_picker = w.Dropdown(options=_metric_options(report), description="Metric")
    class_picker = w.Dropdown(options=list(report.classes), description="Class")

    def metric() -> str:
        name = str(metric_picker.value)
        return f"{name}[{class_picker.value}]" if report.classes and name != "accuracy" else name

    chart = live(group_figure(report, features[0], metric()))
    table = html_view(html.table(group_rows(report, report.grouping(features[0]), (metric(),))))

    def show(_: Any = None) -> None:
        redraw(chart, group_figure(report, feature_picker.value, metric()))
        table.value = html_content(html.table(group_rows(report, report.grouping(feature_picker.value), (metric(),))))

    for picker in (feature_picker, metric_picker, class_picker):
        picker.observe(show, names="value")
    pickers = [feature_picker, metric_picker] + ([class_picker] if report.classes else [])
    views = [w.HBox(pickers), chart, table]
    if report.classes:
        all_classes = live(class_figure(report, features[0]))
        feature_picker.observe(lambda change: redraw(all_classes, class_figure(report, change["new"])), names="value")
        views.append(all_classes)
    return w.VBox(views)


def widget(report: FairnessReport) -> Any:
    """Groups (pickers and bars), disparities (lights, bars, tables) and the mitigation comparison."""
    import ipywidgets as w

    if not report.applicable:
        return html_view(_not_applicable_card(report))
    tables = [html.table(disparity_rows(report))] + ([html.table(class_disparity_rows(report))] if report.classes else [])
    charts = [live(disparity_figure(report, report.gated_disparities[0]))]
    if report.classes:
        charts.append(live(class_disparity_figure(report)))
    summary = w.VBox([html_view(lights(report) + html.warnings(report.warnings)), *charts,
                      html_view("".join(tables))])
    views = [_groups_view(report), summary]
    titles = ["Groups", "Disparities"]
    if report.mitigation:
        rows = [{k.replace("_", " "): v for k, v in vars(m).items()} for m in report.mitigation]
        views.append(w.VBox([live(tradeoff_figure(report)), html_view(html.text(report.mitigation_note) + html.table(rows))]))
        titles.append("Mitigation")
    elif report.mitigation_note:
        views.append(html_view(html.text(report.mitigation_note)))
        titles.append("Mitigation")
    tabs = w.Tab(children=views)
    for index, title in enumerate(titles):
        tabs.set_title(index, title)
    return tabs

"""Renderings of the metrics review: the figures of the report's task first, then the tables.

Every task shows the comparison with the baseline (and the champion); then binary shows its
curves and confusion matrix, multiclass its per-class bars, confusion matrix and one-vs-rest
ROC curves, regression actual vs predicted and the residuals. The figures are in
:mod:`workbench.render._metric_figures`; which ones a task shows is one table here
(:data:`TASK_SECTIONS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from workbench.evaluate.metrics import metric_label
from workbench.render import html
from workbench.render._live import html_view, live, redraw
from workbench.render._metric_figures import (
    CLASS_FIGURES,
    CURVE_TITLES,
    class_figure,
    comparison_figure,
    confusion_figure,
    curve_figure,
    curve_views,
)

if TYPE_CHECKING:
    from workbench.evaluate.metrics import MetricsReport

__all__ = [
    "blocks",
    "class_figure",
    "class_rows",
    "comparison_figure",
    "confusion_figure",
    "curve_figure",
    "curve_views",
    "metric_rows",
    "widget",
]

UNDEFINED = "undefined"


def _number(value: float | None) -> float | str:
    """A figure for a table: NaN is written out as undefined, never as 'nan'."""
    return UNDEFINED if value is None or not math.isfinite(value) else value


def _interval(pair: tuple[float, float]) -> str:
    low, high = pair
    return "" if not (math.isfinite(low) and math.isfinite(high)) else f"[{low:.4g}, {high:.4g}]"


def metric_rows(report: MetricsReport) -> list[dict[str, Any]]:
    """One row per metric: value, interval, which way is better, then each comparison."""
    rows = []
    lower = report.task_type.lower_is_better
    for name, value in report.metrics.items():
        row: dict[str, Any] = {
            "metric": name, "meaning": metric_label(report.task, name), "value": _number(value),
            f"{report.confidence:.0%} interval": _interval(report.intervals.get(name, (math.nan, math.nan))),
            "better": "lower" if name in lower else "higher",
        }
        for other in report.comparisons:
            row[other.name] = _number(other.metrics.get(name))
            row[f"Δ vs {other.name}"] = _number(other.differences.get(name))
            row[f"Δ interval ({other.name})"] = _interval(other.intervals.get(name, (math.nan, math.nan)))
        rows.append(row)
    return rows


def class_rows(report: MetricsReport) -> list[dict[str, Any]]:
    """One row per class of a multiclass review: support, then each one-vs-rest figure and its interval."""
    rows = []
    for entry in report.class_metrics:
        row: dict[str, Any] = {"class": entry.label, "rows": entry.support}
        for name in ("precision", "recall", "f1", "roc_auc"):
            row[name] = _number(getattr(entry, name))
            row[f"{name} interval"] = _interval(entry.intervals.get(name, (math.nan, math.nan)))
        rows.append(row)
    return rows


def _classes(report: MetricsReport) -> str:
    shown = ", ".join(f"{c.label} ({c.support:,})" for c in report.class_metrics[:8])
    more = f", … {len(report.class_metrics) - 8} more" if len(report.class_metrics) > 8 else ""
    return f"{len(report.class_metrics)}: {shown}{more}"


def _overview(report: MetricsReport) -> dict[str, Any]:
    items: dict[str, Any] = {"model": report.model, "task": report.task_type.title, "rows": f"{report.n_rows:,}"}
    if report.positive_label is not None and report.positive_share is not None:
        items["positive label"] = f"{report.positive_label} ({report.positive_share:.1%} of rows)"
    if report.class_metrics:
        items["classes (rows)"] = _classes(report)
    if report.n_bootstrap:
        items["intervals"] = f"{report.confidence:.0%} percentile bootstrap, {report.n_bootstrap} resamples, seed {report.seed}"
    else:
        items["intervals"] = "none (n_bootstrap = 0)"
    for other in report.comparisons:
        items[other.name] = other.description
    return items


def _binary_sections(report: MetricsReport) -> Iterator[str]:
    yield html.section("Curves", *(html.figure(curve_figure(report, name)) for name in curve_views(report)))
    if report.confusion_matrix:
        yield html.section("Confusion matrix", html.figure(confusion_figure(report)))


def _multiclass_sections(report: MetricsReport) -> Iterator[str]:
    yield html.section("Per class", html.figure(class_figure(report)), html.figure(confusion_figure(report)))
    yield html.section("Curves", *(html.figure(curve_figure(report, name)) for name in curve_views(report)))


def _regression_sections(report: MetricsReport) -> Iterator[str]:
    yield html.section("Curves", *(html.figure(curve_figure(report, name)) for name in curve_views(report)))


# The figure sections of each task, after the comparison with the baseline.
TASK_SECTIONS: dict[str, Callable[[MetricsReport], Iterator[str]]] = {
    "binary": _binary_sections,
    "multiclass": _multiclass_sections,
    "regression": _regression_sections,
}


def blocks(report: MetricsReport) -> Iterator[str]:
    """The overview, the figures (comparison, then the task's), then the tables."""
    yield html.section("Overview", html.key_values(_overview(report)), html.warnings(report.warnings))
    yield html.section("Against the baseline", html.figure(comparison_figure(report)))
    yield from TASK_SECTIONS[report.task](report)
    yield html.section("Metrics", html.table(metric_rows(report)))
    if report.class_metrics:
        yield html.section("Classes", html.table(class_rows(report)))


def _picker_view(options: list[tuple[str, str]], value: str, draw: Callable[[str], Any], label: str) -> Any:
    """A dropdown above a live figure that redraws from the report's data when it changes."""
    import ipywidgets as w

    picker = w.Dropdown(options=options, value=value, description=label)
    figure = live(draw(value))
    picker.observe(lambda change: redraw(figure, draw(change["new"])), names="value")
    return w.VBox([picker, figure])


def widget(report: MetricsReport) -> Any:
    """Curve, metric and (multiclass) per-class pickers over live figures, the confusion matrix, the tables."""
    import ipywidgets as w

    curves = curve_views(report)
    tabs: list[tuple[str, Any]] = []
    if curves:
        options = [(CURVE_TITLES.get(n, n), n) for n in curves]
        tabs.append(("Curves", _picker_view(options, curves[0], lambda name: curve_figure(report, name), "Curve")))
    tabs.append(("Against the baseline", _picker_view(
        [(n, n) for n in report.metrics], report.primary_metric, lambda name: comparison_figure(report, name), "Metric",
    )))
    if report.class_metrics:
        tabs.append(("Per class", _picker_view([(n, n) for n in CLASS_FIGURES], CLASS_FIGURES[0],
                                               lambda name: class_figure(report, name), "Figure")))
    if report.confusion_matrix:
        tabs.append(("Confusion matrix", live(confusion_figure(report))))
    tables = html.key_values(_overview(report)) + html.table(metric_rows(report))
    if report.class_metrics:
        tables += html.table(class_rows(report))
    tabs.append(("Table", html_view(tables)))
    view = w.Tab(children=[child for _, child in tabs])
    for index, (title, _) in enumerate(tabs):
        view.set_title(index, title)
    return view

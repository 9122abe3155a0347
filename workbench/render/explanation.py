"""Renderings of the SHAP review: importance, beeswarm, waterfall and dependence, from stored rows.

A multiclass explanation adds its classes: overall importance is drawn stacked by class (each
bar sums to the column's overall mean |SHAP|), and the beeswarm, waterfall and dependence views
show one class at a time (the report's ``explained_class`` first; a class picker in the widget).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from workbench.render import html
from workbench.render._live import html_view, live, redraw
from workbench.render.figures import PALETTE, bar, style

if TYPE_CHECKING:
    from workbench.evaluate.explain import ExplanationReport

__all__ = [
    "beeswarm_figure", "blocks", "class_importance_figure", "dependence_figure", "importance_figure",
    "waterfall_figure", "widget",
]

TOP = 15
WATERFALL_ITEMS = 12


def importance_figure(report: ExplanationReport, *, per: str = "column", top: int = TOP) -> go.Figure:
    """Mean |SHAP| per original column (or per transformed feature), largest on top."""
    ranked = report.column_importance if per == "column" else report.feature_importance
    items = list(ranked.items())[:top][::-1]
    fig = bar([name for name, _ in items], [value for _, value in items], horizontal=True)
    intervals = report.column_importance_interval if per == "column" else report.feature_importance_interval
    if intervals:  # estimated from a sample of the rows: show each estimate's interval
        fig.update_traces(error_x={
            "type": "data", "symmetric": False,
            "array": [intervals[name][1] - value for name, value in items],
            "arrayminus": [value - intervals[name][0] for name, value in items],
        })
    unit = "summed over the classes" if report.classes else report.output
    fig.update_xaxes(title=f"mean |SHAP| ({unit})")
    title = "Importance per input column" if per == "column" else "Importance per model feature"
    return style(fig, title=title, height=max(300, 24 * len(items) + 100))


def class_importance_figure(report: ExplanationReport, *, top: int = TOP) -> go.Figure:
    """Multiclass: mean |SHAP| per input column stacked by class; a bar's length is the overall importance."""
    columns = list(report.column_importance)[:top][::-1]
    fig = go.Figure()
    for position, view in enumerate(report.class_views):
        fig.add_trace(go.Bar(
            y=columns, x=[view.column_importance.get(c, 0.0) for c in columns], orientation="h",
            name=f"class {view.label}", marker_color=qualitative.Plotly[position % len(qualitative.Plotly)],
        ))
    fig.update_xaxes(title="mean |SHAP|, summed over the classes")
    fig = style(fig, title="Importance per input column, by class", height=max(320, 24 * len(columns) + 130))
    fig.update_layout(barmode="stack", legend={"traceorder": "normal"})  # plotly lists stacked bars last-first
    return fig


def _of_class(report: ExplanationReport) -> str:
    return f" (class {report.explained_class})" if report.explained_class else ""


def _colour_scale(values: Sequence[Any], kind: str) -> list[float]:
    """Feature values mapped to 0..1 for colouring: ranks for numbers, codes for categories."""
    if kind == "categorical":
        codes = {v: i for i, v in enumerate(sorted({str(v) for v in values if v is not None}))}
        top = max(len(codes) - 1, 1)
        return [0.5 if v is None else codes[str(v)] / top for v in values]
    array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    finite = np.isfinite(array)
    out = np.full(array.size, 0.5)
    if finite.sum() > 1:
        ranks = array[finite].argsort().argsort()
        out[finite] = ranks / (finite.sum() - 1)
    return out.tolist()


def beeswarm_figure(report: ExplanationReport, *, top: int = TOP) -> go.Figure:
    """Each sample row's SHAP value per column, coloured by the row's value (low blue, high red)."""
    columns = list(report.column_importance)[:top][::-1]
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(report.rows))
    fig = go.Figure()
    for position, column in enumerate(columns):
        raw, shap_values = report.column_values(column)
        # SVG, not WebGL (Scattergl): a page gets only a few WebGL contexts, and a chart past
        # that limit, or in a browser without WebGL, is drawn as empty axes.
        fig.add_trace(go.Scatter(
            x=list(shap_values), y=(position + jitter).tolist(), mode="markers", name=column, showlegend=False,
            marker={"size": 4, "color": _colour_scale(raw, report.column_kinds.get(column, "numeric")),
                    "colorscale": "RdBu", "reversescale": True, "cmin": 0, "cmax": 1,
                    "colorbar": {"title": "value", "tickvals": [0, 1], "ticktext": ["low", "high"]} if position == 0 else None},
            text=[str(v) for v in raw], hovertemplate=f"{column} = %{{text}}<br>SHAP %{{x:.3f}}<extra></extra>",
        ))
    fig.update_yaxes(tickvals=list(range(len(columns))), ticktext=columns)
    fig.update_xaxes(title=f"SHAP value ({report.output})")
    fig.add_vline(x=0, line_color=PALETTE["reference"])
    title = f"SHAP values of {len(report.rows):,} sample rows{_of_class(report)}"
    return style(fig, title=title, height=max(320, 26 * len(columns) + 120))


def dependence_figure(report: ExplanationReport, column: str) -> go.Figure:
    """SHAP value of ``column`` against its value, over the sample rows."""
    raw, shap_values = report.column_values(column)
    if report.column_kinds.get(column) == "categorical":
        labels = ["(missing)" if v is None else str(v) for v in raw]
        trace: go.Box | go.Scatter = go.Box(x=labels, y=list(shap_values), boxpoints="all", jitter=0.4, pointpos=0, name=column)
    else:
        kept = [(v, s) for v, s in zip(raw, shap_values, strict=True) if v is not None]
        trace = go.Scatter(x=[v for v, _ in kept], y=[s for _, s in kept], mode="markers", marker={"size": 5, "opacity": 0.6}, name=column)
    fig = go.Figure(trace)
    fig.update_xaxes(title=column)
    fig.update_yaxes(title=f"SHAP value of {column}")
    fig.add_hline(y=0, line_color=PALETTE["reference"])
    return style(fig, title=f"Dependence on {column}{_of_class(report)}", height=340)


def waterfall_figure(report: ExplanationReport, position: int, *, top: int = WATERFALL_ITEMS) -> go.Figure:
    """How one sample row's output is built from the base value, largest contributions first."""
    row = report.row(position)
    shown, rest = row["items"][:top], row["items"][top:]
    labels = [f"{item['column']} = {_short(item['value'])}" for item in shown]
    values = [item["shap"] for item in shown]
    if rest:
        labels.append(f"{len(rest)} other columns")
        values.append(sum(item["shap"] for item in rest))
    trace = go.Waterfall(
        orientation="h",
        measure=["absolute", *(["relative"] * len(values)), "total"],
        y=["base value", *labels, "model output"],
        x=[row["base_value"], *values, row["output"]],
        increasing={"marker": {"color": PALETTE["fail"]}},
        decreasing={"marker": {"color": PALETTE["primary"]}},
        totals={"marker": {"color": PALETTE["reference"]}},
    )
    fig = go.Figure(trace)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=report.output)
    title = f"Row {row['row']}: output {row['output']:.3f}{_of_class(report)}"
    return style(fig, title=title, height=max(320, 26 * len(labels) + 140))


def _short(value: Any) -> str:
    if value is None:
        return "missing"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _overview(report: ExplanationReport) -> dict[str, Any]:
    out: dict[str, Any] = {"model": report.model, "task": report.task, "explainer": report.explainer}
    if report.classes:
        out["classes"] = f"{len(report.classes)}: {', '.join(report.classes)} (each class's score explained)"
        out["shown class"] = f"{report.explained_class} (the class predicted most often, unless chosen)"
    out.update({
        "explains": report.output,
        "rows": report.sample_note,
        **({"error of the importances": report.interval_note} if report.interval_note else {}),
        "base value": report.base_value,
        "rows kept for the views": f"{len(report.rows):,} (seed {report.seed})",
    })
    return out


def row_options(report: ExplanationReport) -> list[tuple[str, int]]:
    """Row picker entries ``("row 12: 1.234", position)``, highest output first."""
    order = np.argsort(-np.asarray(report.outputs), kind="stable")
    return [(f"row {report.rows[i]}: {report.outputs[i]:.3f}", int(i)) for i in order]


def _importance(report: ExplanationReport) -> go.Figure:
    return class_importance_figure(report) if report.class_views else importance_figure(report)


def _importance_rows(report: ExplanationReport) -> list[dict[str, Any]]:
    """Per column: overall mean |SHAP| (and per class, multiclass) and its kind."""
    by_class = report.importance_by_class()
    rows = []
    for column, value in report.column_importance.items():
        row: dict[str, Any] = {"column": column, "mean |SHAP|": value}
        if column in report.column_importance_interval:
            low, high = report.column_importance_interval[column]
            row["interval"] = f"{low:.4g} – {high:.4g}"
        row.update({f"class {label}": importance.get(column, 0.0) for label, importance in by_class.items()})
        row["kind"] = report.column_kinds.get(column, "")
        rows.append(row)
    return rows


def blocks(report: ExplanationReport) -> Iterator[str]:
    """Importance and beeswarm first, an example waterfall and dependence, then the tables."""
    yield html.section("Overview", html.key_values(_overview(report)), html.warnings(report.warnings))
    swarm = html.figure(beeswarm_figure(report)) if report.rows else ""
    yield html.section("Global importance", html.figure(_importance(report)), swarm)
    if report.rows:
        example = row_options(report)[0][1]
        top_column = next(iter(report.column_importance))
        yield html.section("A row explained", html.figure(waterfall_figure(report, example)))
        yield html.section("Dependence", html.figure(dependence_figure(report, top_column)))
    yield html.section("Model features", html.figure(importance_figure(report, per="feature", top=30)))
    features = [{"feature": f, "column": report.feature_columns[f], "mean |SHAP|": v} for f, v in report.feature_importance.items()]
    yield html.section("Importance tables", html.table(_importance_rows(report)), html.table(features))


def widget(report: ExplanationReport) -> Any:
    """Importance and beeswarm; a row picker (waterfall), a column picker (dependence); a class picker (multiclass)."""
    import ipywidgets as w

    shown = {"view": report}
    rows = row_options(report)
    row_picker = w.Dropdown(options=rows, description="Row")
    column_picker = w.Dropdown(options=list(report.column_importance), description="Column")
    waterfall = live(waterfall_figure(report, rows[0][1]) if rows else go.Figure())
    dependence = live(dependence_figure(report, column_picker.value) if rows else go.Figure())
    beeswarm = live(beeswarm_figure(report))
    row_picker.observe(lambda change: redraw(waterfall, waterfall_figure(shown["view"], change["new"])), names="value")
    column_picker.observe(lambda change: redraw(dependence, dependence_figure(shown["view"], change["new"])), names="value")
    overview = [html_view(html.key_values(_overview(report)) + html.warnings(report.warnings)),
                live(_importance(report))]
    if report.classes:
        class_picker = w.Dropdown(options=list(report.classes), value=report.explained_class, description="Class")

        def show_class(change: Any) -> None:
            view = shown["view"] = report.for_class(change["new"])
            redraw(beeswarm, beeswarm_figure(view))
            redraw(dependence, dependence_figure(view, column_picker.value))
            row_picker.options = row_options(view)  # ordered by this class's output; redraws the waterfall
            if row_picker.options:
                redraw(waterfall, waterfall_figure(view, row_picker.value))

        class_picker.observe(show_class, names="value")
    tabs = w.Tab(children=[w.VBox([*overview, beeswarm]), w.VBox([row_picker, waterfall]), w.VBox([column_picker, dependence])])
    for index, title in enumerate(("Importance", "One row", "Dependence")):
        tabs.set_title(index, title)
    return w.VBox([class_picker, tabs]) if report.classes else tabs

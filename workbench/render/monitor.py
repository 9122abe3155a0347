"""Renderings of the production monitor: drift, performance and service timelines, alert history."""

from __future__ import annotations

import html as _html
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from workbench.monitor.performance import METRIC_TITLES
from workbench.render import drift as drift_render
from workbench.render import html
from workbench.render._live import html_view, live
from workbench.render.figures import PALETTE, style
from workbench.tasks import task_named

if TYPE_CHECKING:
    from workbench.monitor.review import MonitorReport

__all__ = ["PERFORMANCE_PANELS", "alert_rows", "blocks", "performance_figures", "performance_rows", "replica_rows",
           "service_figure", "widget"]


def _value(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


# Metrics that share a scale share a figure: scores in [0, 1] together, errors (target units) apart from R².
PERFORMANCE_PANELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "binary": (("roc_auc", "accuracy"),),
    "multiclass": (("accuracy", "f1_macro", "f1_weighted"),),
    "regression": (("mae", "rmse"), ("r2",)),
}
_COLORS = (PALETTE["primary"], PALETTE["warn"], PALETTE["pass"])
_AXES = {"mae": "error (target units)", "rmse": "error (target units)", "r2": "R²"}


def _rgba(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _band(fig: go.Figure, starts: list[str], intervals: list[tuple[float, float]], color: str, name: str) -> None:
    """The 95 % interval as a shaded band: the upper edge, then the lower edge filled up to it."""
    fig.add_trace(go.Scatter(x=starts, y=[_value(hi) for _, hi in intervals], mode="lines", line_width=0,
                             legendgroup=name, showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=starts, y=[_value(lo) for lo, _ in intervals], mode="lines", line_width=0,
                             fill="tonexty", fillcolor=_rgba(color, 0.18), legendgroup=name, showlegend=False,
                             hoverinfo="skip"))


def _evaluate_line(fig: go.Figure, value: float, color: str, title: str) -> None:
    """Evaluate's value as a dotted line, named in the legend (annotations of close values overlap)."""
    fig.add_hline(y=value, line_dash="dot", line_color=color)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line={"dash": "dot", "color": color},
                             name=f"Evaluate {title} {value:.3g}", legendgroup=title))


def _panel(report: MonitorReport, metrics: tuple[str, ...]) -> go.Figure:
    fig = go.Figure()
    windows = report.performance
    starts = [p.start for p in windows]
    for metric, color in zip(metrics, _COLORS, strict=False):
        title = METRIC_TITLES.get(metric, metric)
        intervals = [p.interval(metric) for p in windows]
        _band(fig, starts, intervals, color, title)
        fig.add_trace(go.Scatter(
            x=starts, y=[_value(p.value(metric)) for p in windows], name=title, mode="lines+markers",
            legendgroup=title, marker_color=color, line_color=color,
            customdata=[[_value(lo), _value(hi), p.n_labelled] for p, (lo, hi) in zip(windows, intervals, strict=True)],
            hovertemplate=f"%{{x}}<br>{title} %{{y:.4g}} [%{{customdata[0]:.4g}}, %{{customdata[1]:.4g}}]"
                          "<br>%{customdata[2]} labelled<extra></extra>",
        ))
        if metric in report.reference_metrics:
            _evaluate_line(fig, report.reference_metrics[metric], color, title)
    fig.update_yaxes(title=_AXES.get(metrics[0], "on labelled predictions"))
    names = ", ".join(METRIC_TITLES.get(m, m) for m in metrics)
    return style(fig, title=f"Performance per window: {names} (shaded: 95 % interval)", height=320)


def performance_figures(report: MonitorReport) -> list[go.Figure]:
    """The task's metrics per window with 95 % interval bands; Evaluate's values as dotted lines."""
    return [_panel(report, metrics) for metrics in PERFORMANCE_PANELS.get(report.task, ())]


def performance_rows(report: MonitorReport) -> list[dict[str, Any]]:
    """Performance per window as table rows: each metric as ``value [low, high]``."""
    metrics = [m for panel in PERFORMANCE_PANELS.get(report.task, ()) for m in panel]
    return [
        {"window": _when(p.start), "labelled": p.n_labelled,
         **{METRIC_TITLES.get(m, m): _with_interval(p.value(m), p.interval(m)) for m in metrics}}
        for p in report.performance
    ]


def _when(iso: str) -> str:
    """A window start as a date, with the time when the window does not start at midnight."""
    return iso[:10] if iso[11:19] == "00:00:00" else iso[:16].replace("T", " ")


def _with_interval(value: float, bounds: tuple[float, float]) -> str:
    if _value(value) is None:
        return "—"
    low, high = bounds
    return f"{value:.4g} [{low:.4g}, {high:.4g}]" if _value(low) is not None and _value(high) is not None \
        else f"{value:.4g}"


def service_figure(report: MonitorReport) -> go.Figure:
    """Requests per window (bars) with p50 / p99 latency and failures."""
    windows = report.service
    starts = [s.start for s in windows]
    fig = go.Figure(go.Bar(x=starts, y=[s.requests for s in windows], name="requests", marker_color=PALETTE["reference"]))
    fig.add_trace(go.Bar(x=starts, y=[s.failures + s.rejects for s in windows], name="failed or rejected",
                         marker_color=PALETTE["fail"]))
    for key, dash in (("p50_latency_ms", "solid"), ("p99_latency_ms", "dash")):
        fig.add_trace(go.Scatter(x=starts, y=[_value(getattr(s, key)) for s in windows], yaxis="y2",
                                 name=key.split("_")[0] + " latency (ms)", mode="lines+markers", line_dash=dash,
                                 marker_color=PALETTE["primary"]))
    # Only the left axis counts requests: update_yaxes would title the latency axis "requests" too.
    fig.update_layout(yaxis={"title": "requests"}, barmode="overlay",
                      yaxis2={"overlaying": "y", "side": "right", "title": "latency (ms)", "rangemode": "tozero"})
    return style(fig, title="Service per window", height=320)


def alert_rows(alerts: Any) -> list[dict[str, Any]]:
    """Alerts as table rows."""
    return [
        {"time": a.get("time"), "rule": a.get("rule"), "message": a.get("message"),
         "pipeline": a.get("pipeline") or "", "pipeline run": a.get("pipeline_run") or a.get("pipeline_status") or ""}
        for a in alerts
    ]


def _alert_lights(alerts: Any) -> str:
    """A red light per fired alert, naming the rule and its message."""
    if not alerts:
        return ""
    lines = "".join(
        f'<div class="wb-gate"><span class="wb-light wb-fail"></span><strong>ALERT {_html.escape(a["rule"])}</strong> '
        f'{_html.escape(a["message"])}</div>'
        for a in alerts
    )
    return f'<div class="wb-card">{lines}</div>'


def _performance_overview(report: MonitorReport) -> dict[str, str]:
    """Each alerting metric of the task over the labelled predictions, beside Evaluate's."""
    out = {}
    for metric in task_named(report.task).monitor_metrics:
        value, evaluate = report.figures.get(metric), report.reference_metrics.get(metric)
        text = "—" if value is None else f"{value:.4g}"
        out[METRIC_TITLES.get(metric, metric)] = text + (f" (Evaluate {evaluate:.4g})" if evaluate is not None else "")
    return out


def _overview(report: MonitorReport) -> dict[str, Any]:
    figures = report.figures
    return {
        "period": f"{report.since or 'start'} → {report.until or 'now'} ({report.window} windows)",
        "task": task_named(report.task).title,
        "traffic": f"{report.n_predictions:,} predictions in {report.n_requests:,} requests; {report.n_labelled:,} labelled",
        "drift share": "—" if figures.get("drift_share") is None else f"{figures['drift_share']:.2f}",
        **_performance_overview(report),
        "p99 latency": "—" if figures.get("p99_latency_ms") is None else f"{figures['p99_latency_ms']:.1f} ms",
        "alerts fired": ", ".join(a["rule"] for a in report.alerts) or "none",
    }


def blocks(report: MonitorReport) -> Iterator[str]:
    """Overview and fired alerts, then drift, performance, service and the alert history."""
    lights = _alert_lights(report.alerts)
    yield html.section("Overview", html.key_values(_overview(report)), lights, html.warnings(report.notes))
    if report.drift is not None:
        parts = [drift_render.badges(report.drift)]
        if report.drift.windows:
            parts.insert(0, html.figure(drift_render.windows_figure(report.drift)))
        yield html.section("Drift", *parts)
    if report.performance:
        yield html.section("Performance", *(html.figure(f) for f in performance_figures(report)),
                           html.table(performance_rows(report)))
    if report.service:
        yield html.section("Service", html.figure(service_figure(report)), *_replica_table(report))
    yield html.section("Alert history", html.table(alert_rows(report.history[::-1])))


def replica_rows(report: MonitorReport) -> list[dict[str, Any]]:
    """One row of service figures per replica (worker process) that wrote to the reviewed log."""
    return [{"replica": r.replica, "requests": r.requests, "rows": r.rows, "p50 ms": round(r.p50_latency_ms, 1),
             "p99 ms": round(r.p99_latency_ms, 1), "failures (5xx)": r.failures, "rejects (4xx)": r.rejects}
            for r in report.replicas]


def _replica_table(report: MonitorReport) -> list[str]:
    """The per-replica table, shown when more than one replica wrote to the log."""
    return [html.table(replica_rows(report))] if len(report.replicas) > 1 else []


def widget(report: MonitorReport) -> Any:
    """Tabs: overview and alerts, drift (the drift widget), performance and service timelines."""
    import ipywidgets as w

    overview = html_view("".join(blocks_overview(report)))
    views, titles = [overview], ["Overview"]
    if report.drift is not None:
        views.append(drift_render.widget(report.drift))
        titles.append("Drift")
    if report.performance:
        views.append(w.VBox([*(live(f) for f in performance_figures(report)),
                             html_view(html.table(performance_rows(report)))]))
        titles.append("Performance")
    if report.service:
        views.append(w.VBox([live(service_figure(report)), *(html_view(t) for t in _replica_table(report))]))
        titles.append("Service")
    views.append(html_view(html.table(alert_rows(report.history[::-1]))))
    titles.append("Alert history")
    tabs = w.Tab(children=views)
    for index, title in enumerate(titles):
        tabs.set_title(index, title)
    return tabs


def blocks_overview(report: MonitorReport) -> list[str]:
    """The overview block alone (the widget's first tab)."""
    return [next(iter(blocks(report)))]

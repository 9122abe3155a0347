"""Renderings of the production monitor: drift, performance and service timelines, alert history."""

from __future__ import annotations

import html as _html
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from workbench.render import drift as drift_render
from workbench.render import html
from workbench.render._live import live
from workbench.render.figures import PALETTE, style

if TYPE_CHECKING:
    from workbench.monitor.review import MonitorReport

__all__ = ["alert_rows", "blocks", "performance_figure", "service_figure", "widget"]


def _value(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _errors(values: list[float | None], intervals: list[tuple[float, float]]) -> dict[str, Any]:
    return {
        "type": "data", "symmetric": False,
        "array": [(_value(hi) or 0) - (v or 0) if v is not None else 0 for v, (_, hi) in zip(values, intervals, strict=True)],
        "arrayminus": [(v or 0) - (_value(lo) or 0) if v is not None else 0 for v, (lo, _) in zip(values, intervals, strict=True)],
    }


def performance_figure(report: MonitorReport) -> go.Figure:
    """Accuracy and ROC AUC per window with 95 % intervals; Evaluate's ROC AUC as a line."""
    fig = go.Figure()
    starts = [p.start for p in report.performance]
    for metric, color in (("roc_auc", PALETTE["primary"]), ("accuracy", PALETTE["warn"])):
        values = [_value(getattr(p, metric)) for p in report.performance]
        intervals = [getattr(p, f"{metric}_interval") for p in report.performance]
        fig.add_trace(go.Scatter(x=starts, y=values, name=metric.replace("_", " "), mode="lines+markers",
                                 marker_color=color, error_y=_errors(values, intervals)))
    if "roc_auc" in report.reference_metrics:
        fig.add_hline(y=report.reference_metrics["roc_auc"], line_dash="dot",
                      annotation_text=f"Evaluate ROC AUC {report.reference_metrics['roc_auc']:.3f}")
    fig.update_yaxes(title="on labelled predictions")
    return style(fig, title="Performance per window (labels from feedback)", height=320)


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
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "title": "ms"}, barmode="overlay")
    fig.update_yaxes(title="requests")
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


def _overview(report: MonitorReport) -> dict[str, Any]:
    figures = report.figures
    return {
        "period": f"{report.since or 'start'} → {report.until or 'now'} ({report.window} windows)",
        "traffic": f"{report.n_predictions:,} predictions in {report.n_requests:,} requests; {report.n_labelled:,} labelled",
        "drift share": "—" if figures.get("drift_share") is None else f"{figures['drift_share']:.2f}",
        "ROC AUC": "—" if figures.get("roc_auc") is None else f"{figures['roc_auc']:.3f}",
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
        yield html.section("Performance", html.figure(performance_figure(report)))
    if report.service:
        yield html.section("Service", html.figure(service_figure(report)))
    yield html.section("Alert history", html.table(alert_rows(report.history[::-1])))


def widget(report: MonitorReport) -> Any:
    """Tabs: overview and alerts, drift (the drift widget), performance and service timelines."""
    import ipywidgets as w

    overview = w.HTML("".join(blocks_overview(report)))
    views, titles = [overview], ["Overview"]
    if report.drift is not None:
        views.append(drift_render.widget(report.drift))
        titles.append("Drift")
    if report.performance:
        views.append(live(performance_figure(report)))
        titles.append("Performance")
    if report.service:
        views.append(live(service_figure(report)))
        titles.append("Service")
    views.append(w.HTML(html.table(alert_rows(report.history[::-1]))))
    titles.append("Alert history")
    tabs = w.Tab(children=views)
    for index, title in enumerate(titles):
        tabs.set_title(index, title)
    return tabs


def blocks_overview(report: MonitorReport) -> list[str]:
    """The overview block alone (the widget's first tab)."""
    return [next(iter(blocks(report)))]

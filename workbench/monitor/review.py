"""``wb.monitor(project)``: drift, performance and service health of the prediction log, then alerts.

The reference is the project's training data; the current data is the prediction log
(:mod:`workbench.deploy.predlog`, shadow rows left out) since ``since``. Windows split the log by
its timestamps. Feature importance comes from the Evaluate explanation report
(``.workbench/reports/explanation.json``) when it exists, and Evaluate's metrics report gives
the reference performance that ``auc_drop`` compares with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import pandas as pd

from workbench.exceptions import ReportError
from workbench.monitor import alerts as _alerts
from workbench.monitor._figures import figures, reference_metrics, reference_predictions
from workbench.monitor.drift import DriftReport, drift
from workbench.monitor.performance import (
    WindowPerformance,
    join_labels,
    load_labels,
    overall,
    performance_by_window,
)
from workbench.monitor.service import WindowService, service_by_window, service_totals
from workbench.monitor.windows import check_window, choose_window, origin_of
from workbench.reports.base import Report

__all__ = ["MonitorReport", "monitor"]

LOG_COLUMNS = ("request_id", "row", "timestamp", "model_name", "model_version", "variant", "prediction", "probability")
HISTORY = 50


@dataclasses.dataclass(frozen=True, kw_only=True)
class MonitorReport(Report):
    """A project's production review: windows of drift, performance and service; alerts fired."""

    kind: ClassVar[str] = "monitor"
    schema_version: ClassVar[int] = 1
    title: ClassVar[str] = "Production monitor"

    project: str
    since: str | None
    until: str | None
    window: str
    n_predictions: int
    n_requests: int
    n_labelled: int
    drift: DriftReport | None
    performance: tuple[WindowPerformance, ...] = ()
    service: tuple[WindowService, ...] = ()
    figures: dict[str, Any] = dataclasses.field(default_factory=dict)
    reference_metrics: dict[str, float] = dataclasses.field(default_factory=dict)
    rules: tuple[dict[str, Any], ...] = ()
    alerts: tuple[dict[str, Any], ...] = ()
    history: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        payload = dict(payload)
        if payload.get("drift") is not None:
            payload["drift"] = DriftReport.from_dict(payload["drift"])
        payload["performance"] = tuple(
            WindowPerformance(**{**p, **{k: tuple(_nan(x) for x in p[k]) for k in ("accuracy_interval", "roc_auc_interval")},
                                 "roc_auc": _nan(p["roc_auc"]), "accuracy": _nan(p["accuracy"])})
            for p in payload.get("performance", ())
        )
        payload["service"] = tuple(
            WindowService(**{k: _nan(v) if k.endswith("latency_ms") else v for k, v in s.items()})
            for s in payload.get("service", ())
        )
        for key in ("rules", "alerts", "history", "notes"):
            payload[key] = tuple(payload.get(key, ()))
        return cls(**payload)

    @property
    def fired(self) -> bool:
        """Whether any alert fired in this review."""
        return bool(self.alerts)

    def summary(self) -> str:
        parts = [f"{self.n_predictions} predictions, {self.n_requests} requests ({self.window} windows)"]
        if self.drift is not None:
            parts.append(f"drift share {self.drift.drift_share:.2f}")
        if self.figures.get("roc_auc") is not None:
            parts.append(f"ROC AUC {self.figures['roc_auc']:.3f} on {self.n_labelled} labels")
        parts.append(f"{len(self.alerts)} alert(s) fired" if self.alerts else "no alert")
        return "Production monitor: " + "; ".join(parts)


def _nan(value: Any) -> Any:
    return float("nan") if value is None else value


def monitor(
    project: Any,
    since: Any = None,
    *,
    until: Any = None,
    window: str | None = None,
    labels: pd.DataFrame | str | Path | None = None,
    record: bool = True,
) -> MonitorReport:
    """Review the project's prediction log since ``since`` and evaluate its ``[[alerts]]`` rules.

    Parameters
    ----------
    project : Project
        The project (its training data is the reference).
    since, until
        Time bounds of the reviewed log (anything ``pandas.Timestamp`` reads; UTC when naive).
    window
        Window span (``"1h"``, ``"1D"``, ``"7D"`` ...); default ``[monitor] window`` (``"auto"``:
        at most 12 windows).
    labels
        Labels to use instead of the log's ``/v1/feedback``: a DataFrame or a CSV/Parquet file
        with columns ``request_id``, ``row`` (optional: a request's labels in row order) and
        ``label`` (see :func:`workbench.monitor.performance.load_labels`).
    record
        Record fired alerts (``.workbench/alerts.jsonl``), then send them to the sinks and start
        their pipelines (a failing side effect is recorded with its alert, never raised).
        ``False`` evaluates the rules only.

    Examples
    --------
    >>> report = wb.monitor(project, since="2026-01-01")  # doctest: +SKIP
    >>> report.alerts  # doctest: +SKIP
    """
    from workbench.deploy.predlog import read_feedback, read_prediction_log, read_requests

    settings = project.config.sections.get("monitor", {})
    given_labels = load_labels(labels) if labels is not None else None
    log = read_prediction_log(project, since=since, until=until)
    log = log[log["variant"] != "shadow"].reset_index(drop=True) if not log.empty else log
    requests = read_requests(project, since=since, until=until)
    notes: list[str] = []
    span = _window(window or settings.get("window", "auto"), log, requests)
    origin = origin_of(_first_time(log, requests)) if span else None
    drift_report = _drift(project, log, span, settings, notes)
    labelled = join_labels(log, given_labels if given_labels is not None else read_feedback(project))
    positive = project.config.data.positive_label if project.config.data.positive_label is not None else 1
    n_boot = int(settings.get("n_bootstrap", 200))
    performance = performance_by_window(labelled, window=span, origin=origin, positive_label=positive,
                                        n_bootstrap=n_boot) if span else []
    service = service_by_window(requests, window=span, origin=origin) if span else []
    reference = reference_metrics(project)
    found = figures(drift_report, overall(labelled, positive_label=positive, n_bootstrap=n_boot),
                    service_totals(requests), reference, performance)
    rules = _alerts.load_rules(project)
    fired = _alerts.evaluate_rules(rules, found)
    context = {"since": _text(since), "until": _text(until), "predictions": len(log)}
    alerts = _alerts.fire_all(project, fired, context=context) if record else [
        {"rule": rule.name, "metric": rule.metric, "value": value, "threshold": rule.threshold,
         "message": rule.describe(value), "pipeline": rule.pipeline, "pipeline_run": None}
        for rule, value in fired]
    if log.empty:
        notes.append("No predictions are logged in this period: nothing to compare yet.")
    return MonitorReport(
        project=project.name, since=_text(since), until=_text(until), window=span or "-",
        n_predictions=len(log), n_requests=len(requests), n_labelled=len(labelled), drift=drift_report,
        performance=tuple(performance), service=tuple(service),
        figures={k: v for k, v in found.items() if not callable(v)}, reference_metrics=reference,
        rules=tuple(dataclasses.asdict(r) for r in rules), alerts=tuple(alerts),
        history=tuple(_alerts.alert_history(project, limit=HISTORY)), notes=tuple(notes),
    )


def _text(value: Any) -> str | None:
    return None if value is None else pd.Timestamp(value).isoformat()


def _first_time(log: pd.DataFrame, requests: pd.DataFrame) -> pd.Timestamp:
    stamps = [frame["timestamp"].min() for frame in (log, requests) if not frame.empty]
    return min(stamps)


def _window(window: str, log: pd.DataFrame, requests: pd.DataFrame) -> str | None:
    if log.empty and requests.empty:
        return None
    if window != "auto":
        check_window(window)
        return window
    stamps = pd.concat([f["timestamp"] for f in (log, requests) if not f.empty])
    return choose_window(stamps.min(), stamps.max())


def _drift(project: Any, log: pd.DataFrame, window: str | None, settings: Mapping[str, Any],
           notes: list[str]) -> DriftReport | None:
    if log.empty:
        return None
    data = project.config.data
    reference = project.load_data()
    skip = {data.target, data.time_column, *data.id_columns, *LOG_COLUMNS}
    features = [c for c in reference.columns if c in log.columns and c not in skip]
    if not features:
        notes.append("The prediction log holds none of the training data's columns: no drift review.")
        return None
    current = log[[*features, "timestamp", "probability"]]
    scored = reference_predictions(project, reference[features], log, notes)
    base = reference[features].assign(probability=scored) if scored is not None else reference[features]
    return drift(base, current, importance=_importance(project, notes), time_column="timestamp", window=window,
                 prediction="probability" if scored is not None else None,
                 calibrate=bool(settings.get("calibrate", False)), drift_share=float(settings.get("drift_share", 0.5)))


def _importance(project: Any, notes: list[str]) -> Any:
    from workbench.reports import load_report

    path = project.state_dir / "reports" / "explanation.json"
    if not path.is_file():
        notes.append("No Evaluate explanation report yet: columns are ranked by drift alone.")
        return None
    try:
        return load_report(path)
    except ReportError as err:
        notes.append(f"The explanation report could not be read ({err}): columns are ranked by drift alone.")
        return None

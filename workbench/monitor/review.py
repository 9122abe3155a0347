"""``wb.monitor(project)``: drift, performance and service health of the prediction log, then alerts.

The reference is the project's training data; the current data is the prediction log
(:mod:`workbench.deploy.predlog`, shadow rows left out) since ``since``. Windows split the log by
its timestamps. Feature importance comes from the Evaluate explanation report
(``.workbench/reports/explanation.json``) when it exists, and Evaluate's metrics report gives
the reference performance that ``auc_drop``, ``latest_mae_rise`` ... compare with.

What performance means follows the project's task (``[data] task``): ROC AUC and accuracy for
binary, accuracy and macro / weighted F1 for multiclass, MAE, RMSE and R² for regression; the
prediction drift compares the positive-class probability, the predicted class or the predicted
number respectively.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import pandas as pd

from workbench.exceptions import ReportError
from workbench.monitor import alerts as _alerts
from workbench.monitor._figures import figures, reference_metrics, unknown_rule_notes
from workbench.monitor._outputs import model_outputs
from workbench.monitor.drift import DriftReport, drift
from workbench.monitor.performance import (
    METRIC_TITLES,
    WindowPerformance,
    check_labelled,
    join_labels,
    last_class,
    load_labels,
    overall,
    performance_by_window,
)
from workbench.monitor.service import (
    ReplicaService,
    WindowService,
    service_by_replica,
    service_by_window,
    service_totals,
)
from workbench.monitor.windows import check_window, choose_window, origin_of
from workbench.reports.base import Report
from workbench.tasks import TaskType, task_named

__all__ = ["MonitorReport", "monitor"]

LOG_COLUMNS = ("request_id", "row", "timestamp", "model_name", "model_version", "variant", "prediction", "probability")
HISTORY = 50


@dataclasses.dataclass(frozen=True, kw_only=True)
class MonitorReport(Report):
    """A project's production review: windows of drift, performance and service; alerts fired."""

    kind: ClassVar[str] = "monitor"
    schema_version: ClassVar[int] = 2
    title: ClassVar[str] = "Production monitor"

    project: str
    task: str
    since: str | None
    until: str | None
    window: str
    n_predictions: int
    n_requests: int
    n_labelled: int
    drift: DriftReport | None
    performance: tuple[WindowPerformance, ...] = ()
    service: tuple[WindowService, ...] = ()
    replicas: tuple[ReplicaService, ...] = ()
    log: str = ""
    figures: dict[str, Any] = dataclasses.field(default_factory=dict)
    reference_metrics: dict[str, float] = dataclasses.field(default_factory=dict)
    rules: tuple[dict[str, Any], ...] = ()
    alerts: tuple[dict[str, Any], ...] = ()
    history: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild from JSON; a schema-1 review (binary only, before tasks) reads as binary."""
        if isinstance(data, dict) and data.get("kind") == cls.kind and data.get("schema_version") == 1:
            data = {**data, "schema_version": cls.schema_version, "task": data.get("task", "binary")}
        return super().from_dict(data)

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        payload = dict(payload)
        if payload.get("drift") is not None:
            payload["drift"] = DriftReport.from_dict(payload["drift"])
        payload["performance"] = tuple(WindowPerformance.from_dict(p) for p in payload.get("performance", ()))
        payload["service"] = tuple(
            WindowService(**{k: _nan(v) if k.endswith("latency_ms") else v for k, v in s.items()})
            for s in payload.get("service", ())
        )
        payload["replicas"] = tuple(
            ReplicaService(**{k: _nan(v) if k.endswith("latency_ms") else v for k, v in r.items()})
            for r in payload.get("replicas", ())
        )
        for key in ("rules", "alerts", "history", "notes"):
            payload[key] = tuple(payload.get(key, ()))
        return cls(**payload)

    @property
    def fired(self) -> bool:
        """Whether any alert fired in this review."""
        return bool(self.alerts)

    def summary(self) -> str:
        served = f" from {len(self.replicas)} replicas" if len(self.replicas) > 1 else ""
        parts = [f"{self.n_predictions} predictions, {self.n_requests} requests{served} ({self.window} windows)"]
        if self.drift is not None:
            parts.append(f"drift share {self.drift.drift_share:.2f}")
        scored = [f"{METRIC_TITLES[m]} {self.figures[m]:.4g}" for m in task_named(self.task).monitor_metrics
                  if self.figures.get(m) is not None]
        if scored:
            parts.append(f"{', '.join(scored)} on {self.n_labelled} labels")
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
    log: str | None = None,
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
    log
        The prediction log to review: a SQLite path or a ``postgresql://`` URL (default: the
        project's configured log, ``[deploy] prediction_log`` or ``WORKBENCH_PREDICTION_LOG``).
        Every replica that writes to it is reviewed; only rows new since the last review are
        read from it (:mod:`workbench.monitor.logreader`).
    record
        Record fired alerts (``.workbench/alerts.jsonl``), then send them to the sinks and start
        their pipelines (a failing side effect is recorded with its alert, never raised).
        ``False`` evaluates the rules only.

    Examples
    --------
    >>> report = wb.monitor(project, since="2026-01-01")  # doctest: +SKIP
    >>> report.alerts  # doctest: +SKIP
    """
    from workbench.monitor.logreader import read_log

    settings = project.config.sections.get("monitor", {})
    task = task_named(project.config.data.task)
    given_labels = load_labels(labels) if labels is not None else None
    frames = read_log(project, log=log, since=since, until=until)
    requests = frames.requests
    log_rows = frames.predictions
    log_rows = log_rows[log_rows["variant"] != "shadow"].reset_index(drop=True) if not log_rows.empty else log_rows
    notes: list[str] = []
    span = _window(window or settings.get("window", "auto"), log_rows, requests)
    origin = origin_of(_first_time(log_rows, requests)) if span else None
    drift_report = _drift(project, task, log_rows, span, settings, notes)
    given = given_labels if given_labels is not None else frames.feedback
    labelled, performance, scored = _performance(project, task, join_labels(log_rows, given), span, origin, notes)
    service = service_by_window(requests, window=span, origin=origin) if span else []
    reference = reference_metrics(project, task, notes)
    found = figures(drift_report, scored, service_totals(requests), reference, performance)
    rules = _alerts.load_rules(project)
    fired = _alerts.evaluate_rules(rules, found)
    context = {"since": _text(since), "until": _text(until), "predictions": len(log_rows)}
    alerts = _alerts.fire_all(project, fired, context=context) if record else [
        {"rule": rule.name, "metric": rule.metric, "value": value, "threshold": rule.threshold,
         "message": rule.describe(value), "pipeline": rule.pipeline, "pipeline_run": None}
        for rule, value in fired]
    if log_rows.empty:
        notes.append("No predictions are logged in this period: nothing to compare yet.")
    else:
        notes.extend(unknown_rule_notes(rules, found, reference=reference, n_labelled=len(labelled)))
    return MonitorReport(
        project=project.name, task=task.name, since=_text(since), until=_text(until), window=span or "-",
        n_predictions=len(log_rows), n_requests=len(requests), n_labelled=len(labelled), drift=drift_report,
        performance=tuple(performance), service=tuple(service), replicas=tuple(service_by_replica(requests)),
        log=frames.log, figures={k: v for k, v in found.items() if not callable(v)}, reference_metrics=reference,
        rules=tuple(dataclasses.asdict(r) for r in rules), alerts=tuple(alerts),
        history=tuple(_alerts.alert_history(project, limit=HISTORY)), notes=tuple(notes),
    )


def _performance(project: Any, task: TaskType, labelled: pd.DataFrame, window: str | None,
                 origin: pd.Timestamp | None, notes: list[str]) -> tuple[pd.DataFrame, list[WindowPerformance], dict[str, Any]]:
    """The labelled predictions, checked for the task; their performance per window and overall."""
    labelled, label_notes = check_labelled(labelled, task.name)
    notes.extend(label_notes)
    positive = project.config.data.positive_label
    scoring: dict[str, Any] = {
        "task": task.name, "positive_label": last_class(labelled) if positive is None else positive,
        "n_bootstrap": int(project.config.sections.get("monitor", {}).get("n_bootstrap", 200)),
    }
    windows = performance_by_window(labelled, window=window, origin=origin, **scoring) if window else []
    return labelled, windows, overall(labelled, **scoring)


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


def _drift(project: Any, task: TaskType, log: pd.DataFrame, window: str | None, settings: Mapping[str, Any],
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
    base, current = reference[features], log[[*features, "timestamp"]]
    output = model_outputs(project, task.name, base, log, notes)
    if output is not None:
        column, scored, logged = output
        base, current = base.assign(**{column: scored}), current.assign(**{column: logged})
    return drift(base, current, importance=_importance(project, notes), time_column="timestamp", window=window,
                 prediction=output[0] if output is not None else None,
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

"""Alerts: rules evaluated against a monitor's figures, recorded, sent, and able to start a pipeline.

Every fired alert is appended to ``.workbench/alerts.jsonl`` (one JSON object a line, written
with one ``O_APPEND`` write under a file lock, so concurrent monitors never interleave) *before*
any side effect runs: then a line is appended to the log file (``[monitor] alert_log``), a rule
naming a ``pipeline`` starts it through :func:`trigger_pipeline` (unless a run of that pipeline
is still active: the alert then says so) and, when ``[monitor] webhook_url`` is set, the alert
is POSTed there as JSON (:mod:`workbench.monitor.webhook`, one deadline for the whole call;
the alerts of one review are POSTed together).
When they are done the alert is appended again with their outcome, under the same ``id``;
:func:`alert_history` keeps the last record of each id. A side effect that fails is recorded
with the alert (``failures``, one line each) and never stops the others, so a dead webhook, a
pipeline that cannot start or a crash half-way never loses an alert.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from workbench._io import append_line
from workbench.exceptions import WorkbenchError
from workbench.monitor.rules import METRICS, AlertRule, validate_rules
from workbench.monitor.webhook import send_webhook
from workbench.reports.base import jsonable

__all__ = [
    "METRICS",
    "AlertRule",
    "alert_history",
    "alerts_path",
    "evaluate_rules",
    "fire",
    "fire_all",
    "load_rules",
    "send_webhook",
    "trigger_pipeline",
    "validate_rules",
]

ALERTS_FILE = "alerts.jsonl"


def alerts_path(project: Any) -> Path:
    """``.workbench/alerts.jsonl`` of ``project``."""
    return Path(project.state_dir) / ALERTS_FILE


def load_rules(project: Any) -> tuple[AlertRule, ...]:
    """The project's validated ``[[alerts]]`` rules."""
    rules = project.config.sections.get("alerts", ())
    return tuple(rules) if rules else ()


def evaluate_rules(rules: Iterable[AlertRule], figures: Mapping[str, Any]) -> list[tuple[AlertRule, float]]:
    """The rules that fire on ``figures``, with the value each saw.

    ``figures["top_features_drifted"]`` may be a callable of ``top_k``.
    """
    fired = []
    for rule in rules:
        value = figures.get(rule.metric)
        if callable(value):
            value = value(rule.top_k)
        if value is not None and rule.fires(float(value)):
            fired.append((rule, float(value)))
    return fired


def trigger_pipeline(project: Any, alert: Mapping[str, Any]) -> str | None:
    """Start the pipeline ``alert["pipeline"]`` in the background with trigger ``alert:<rule>``.

    Returns its run id, or None when the alert names no pipeline.
    """
    from workbench.pipelines import start_pipeline

    name = alert.get("pipeline")
    if not name:
        return None
    return str(start_pipeline(project, name, trigger=f"alert:{alert['rule']}"))


def _start_for_alert(project: Any, alert: Mapping[str, Any]) -> tuple[str | None, str]:
    """Start the alert's pipeline unless a run of it is still active; (run id, status)."""
    active = _active_run(project, alert["pipeline"])
    if active:
        return None, f"not started: run {active} of {alert['pipeline']} is still running"
    try:
        run_id = trigger_pipeline(project, alert)
    except WorkbenchError as err:
        return None, f"failed: {err}"
    return run_id, "started"


def _active_run(project: Any, name: str) -> str | None:
    """The id of a queued or running run of pipeline ``name`` (as the scheduler checks), or None."""
    try:
        from workbench.pipelines import RunStore
    except ImportError:
        return None
    active = RunStore(project).active_runs(name)
    return active[0].run_id if active else None


def fire(project: Any, rule: AlertRule, value: float, *, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Record one alert, then send it to the sinks and start its pipeline; returns the record."""
    return fire_all(project, [(rule, value)], context=context)[0]


def fire_all(project: Any, fired: Sequence[tuple[AlertRule, float]], *,
             context: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Record every fired alert, then run their side effects; returns the final records.

    Each alert is in ``alerts.jsonl`` before the first side effect of any of them starts. Then
    each alert's log line is written and its pipeline started, in turn, and the webhooks are
    sent together, so that however many alerts fire, the webhook holds the review for at most
    ``webhook_timeout`` (each call has that deadline). A failure is caught, kept in ``failures``
    and in the sink's or pipeline's status, and the next side effect still runs. The outcome is
    appended as each alert's final record.
    """
    settings = project.config.sections.get("monitor", {})
    alerts = [_new_alert(project, rule, value, context, settings) for rule, value in fired]
    for alert in alerts:
        _record(project, alert)
    for (rule, _), alert in zip(fired, alerts, strict=True):
        _local_effects(project, rule, alert, settings)
    _send_webhooks([a for a in alerts if a["sinks"]["webhook"] == "pending"], settings)
    for alert in alerts:
        _record(project, alert)
    return alerts


def _new_alert(project: Any, rule: AlertRule, value: float, context: Mapping[str, Any] | None,
               settings: Mapping[str, Any]) -> dict[str, Any]:
    """The alert as first recorded: its side effects ``pending`` (or ``off``)."""
    wants_webhook = bool(settings.get("webhook_url")) and rule.webhook
    alert: dict[str, Any] = {
        "id": uuid.uuid4().hex, "rule": rule.name, "metric": rule.metric, "op": rule.op, "value": value,
        "threshold": rule.threshold, "message": rule.describe(value),
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "project": project.name,
        "pipeline": rule.pipeline, "pipeline_run": None, "pipeline_status": "pending" if rule.pipeline else None,
        "sinks": {"log": "pending" if settings.get("alert_log") else "off",
                  "webhook": "pending" if wants_webhook else "off"},
        "failures": [],
    }
    if context:
        alert["context"] = dict(context)
    return alert


def _local_effects(project: Any, rule: AlertRule, alert: dict[str, Any], settings: Mapping[str, Any]) -> None:
    """The log line, then the pipeline start (before the webhook, which carries the run id)."""
    if alert["sinks"]["log"] == "pending":
        log = str(settings["alert_log"])
        alert["sinks"]["log"] = _attempt(alert, f"alert log {log}", lambda: _log_line(project, log, alert))
    if rule.pipeline:
        alert["pipeline_status"] = _attempt(alert, f"pipeline {rule.pipeline}", lambda: _start(project, alert))


def _send_webhooks(alerts: Sequence[dict[str, Any]], settings: Mapping[str, Any]) -> None:
    """POST each alert to the webhook, all at once (one thread each, each touching its own alert)."""
    if not alerts:
        return
    url, timeout = str(settings["webhook_url"]), settings.get("webhook_timeout", 5.0)

    def deliver(alert: dict[str, Any]) -> None:
        alert["sinks"]["webhook"] = _attempt(alert, "webhook", lambda: send_webhook(
            url, {"alert": _public(alert)}, timeout=timeout))

    with ThreadPoolExecutor(max_workers=len(alerts), thread_name_prefix="workbench-webhook") as pool:
        list(pool.map(deliver, alerts))


def _attempt(alert: dict[str, Any], what: str, action: Callable[[], str]) -> str:
    """Run one side effect; its status, with a failure also kept in ``alert["failures"]``."""
    try:
        status = action()
    except Exception as err:  # any fault of one side effect must leave the alert and the others intact
        status = f"failed: {err}" if isinstance(err, WorkbenchError) else f"failed: {type(err).__name__}: {err}"
    if status.startswith("failed"):
        alert["failures"].append(f"{what} {status}")
    return status


def _log_line(project: Any, log: str, alert: Mapping[str, Any]) -> str:
    append_line(project.resolve(log), f"{alert['time']} ALERT {alert['rule']}: {alert['message']}")
    return log


def _start(project: Any, alert: dict[str, Any]) -> str:
    alert["pipeline_run"], status = _start_for_alert(project, alert)
    return status


def _public(alert: Mapping[str, Any]) -> dict[str, Any]:
    """The alert as the webhook receives it (without the bookkeeping of its own delivery)."""
    return {k: v for k, v in alert.items() if k not in ("sinks", "failures")}


def _record(project: Any, alert: Mapping[str, Any]) -> None:
    append_line(alerts_path(project), json.dumps(jsonable(dict(alert)), allow_nan=False))


def alert_history(project: Any, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The recorded alerts, oldest first, each in its latest state (the last ``limit`` when given)."""
    path = alerts_path(project)
    if not path.is_file():
        return []
    by_id: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a full disk: skip it, keep the rest
        if isinstance(record, dict):
            # an alert's outcome replaces its first record in place (dicts keep the first position)
            by_id[str(record.get("id") or f"line {number}")] = record
    records = list(by_id.values())
    return records[-limit:] if limit else records

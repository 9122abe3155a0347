"""Alerts: rules evaluated against a monitor's figures, recorded, sent, and able to start a pipeline.

Every fired alert is appended to ``.workbench/alerts.jsonl`` (one JSON object a line, written
with one ``O_APPEND`` write under a file lock, so concurrent monitors never interleave), a line
is appended to the log file (``[monitor] alert_log``) and, when ``[monitor] webhook_url`` is set,
the alert is POSTed there as JSON. A rule naming a ``pipeline`` starts it through
:func:`trigger_pipeline`, unless a run of that pipeline is still active (the alert then says so).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench._io import append_line
from workbench.exceptions import WorkbenchError
from workbench.monitor.rules import METRICS, AlertRule, validate_rules
from workbench.reports.base import jsonable

__all__ = [
    "METRICS",
    "AlertRule",
    "alert_history",
    "alerts_path",
    "evaluate_rules",
    "fire",
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


def send_webhook(url: str, payload: Mapping[str, Any], *, timeout: float = 5.0) -> str:
    """POST ``payload`` as JSON to ``url``; ``"ok"`` or ``"failed: <why>"`` (never raises)."""
    body = json.dumps(jsonable(dict(payload)), allow_nan=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "mlops-workbench"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return "ok" if 200 <= response.status < 300 else f"failed: HTTP {response.status}"
    except urllib.error.HTTPError as err:
        return f"failed: HTTP {err.code}"
    except (urllib.error.URLError, OSError, ValueError) as err:
        return f"failed: {getattr(err, 'reason', err)}"


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
    """Record one alert, send it to the sinks and start its pipeline; returns the record."""
    settings = project.config.sections.get("monitor", {})
    alert: dict[str, Any] = {
        "rule": rule.name, "metric": rule.metric, "op": rule.op, "value": value, "threshold": rule.threshold,
        "message": rule.describe(value), "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "project": project.name, "pipeline": rule.pipeline, "pipeline_run": None, "pipeline_status": None,
    }
    if context:
        alert["context"] = dict(context)
    if rule.pipeline:
        alert["pipeline_run"], alert["pipeline_status"] = _start_for_alert(project, alert)
    sinks = {"log": str(settings.get("alert_log") or "")}
    if sinks["log"]:
        append_line(project.resolve(sinks["log"]), f"{alert['time']} ALERT {rule.name}: {alert['message']}")
    url = settings.get("webhook_url") or ""
    delivery = send_webhook(url, {"alert": alert}, timeout=float(settings.get("webhook_timeout", 5.0))) \
        if url and rule.webhook else "off"
    alert["sinks"] = {"log": sinks["log"] or "off", "webhook": delivery}
    append_line(alerts_path(project), json.dumps(jsonable(alert), allow_nan=False))
    return alert


def alert_history(project: Any, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The recorded alerts, oldest first (the last ``limit`` when given)."""
    path = alerts_path(project)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a full disk: skip it, keep the rest
        if isinstance(record, dict):
            records.append(record)
    return records[-limit:] if limit else records




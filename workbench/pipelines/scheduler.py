"""The embedded scheduler: start pipelines on their cron schedule, in their time zone.

``workbench scheduler`` runs in the foreground and checks the schedules every ``poll`` seconds
(``--once``: one check, then exit, for a system cron or a CI job). Each due pipeline is started
with :func:`~workbench.pipelines.runner.start_pipeline` (a detached runner), trigger
``schedule:<due time>``.

Missed-run policy (stated, and tested):

* runs missed while the scheduler was not running are **coalesced**: at the next check the
  pipeline starts **once**, for the most recent missed time (computed directly, not by walking
  through the missed times); the older ones are counted as ``missed`` in the decision, up to
  :data:`MAX_COUNTED_MISSED` (beyond that ``missed_capped`` is true: an every-second schedule
  after a month's pause is not enumerated), and never run as a backlog;
* a pipeline whose previous run is still queued or running is **not started again** (no
  overlap); that due time counts as missed;
* the very first check only remembers the moment: nothing from before it is started.

The last check per pipeline is kept in ``.workbench/scheduler.json``. A check holds the lock
``.workbench/scheduler.lock``, so two schedulers (or a ``--once`` from cron next to a running
one) never start the same due run twice. A check that fails as a whole (a half-edited
``pipeline.yaml``) is reported on stderr and in ``scheduler.json`` (``last_error``), and the
scheduler keeps polling; ``--once`` raises it instead, so cron sees the failure. One pipeline
whose check fails (a schedule that no longer fires ...) gets the decision ``error`` and its own
``last_error`` in ``scheduler.json``; the other pipelines are checked and started as usual.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from workbench._io import locked, write_json
from workbench.exceptions import WorkbenchError
from workbench.pipelines.spec import PipelineSpec, load_pipelines

__all__ = ["MAX_COUNTED_MISSED", "due_times", "latest_due", "next_due", "run_scheduler", "scheduler_tick"]

STATE_FILE = "scheduler.json"
LOCK_FILE = "scheduler.lock"
MAX_COUNTED_MISSED = 1000


def due_times(spec: PipelineSpec, since: dt.datetime, until: dt.datetime, *,
              limit: int = MAX_COUNTED_MISSED) -> list[dt.datetime]:
    """The schedule's times in ``(since, until]`` (aware datetimes, in UTC): the first ``limit`` at most."""
    from croniter import croniter

    if not spec.schedule:
        return []
    zone = ZoneInfo(spec.timezone)
    times = croniter(spec.schedule, since.astimezone(zone))
    out: list[dt.datetime] = []
    while len(out) < limit:
        moment = times.get_next(dt.datetime)
        if moment > until:
            break
        out.append(moment.astimezone(dt.UTC))
    return out


def latest_due(spec: PipelineSpec, since: dt.datetime, until: dt.datetime) -> dt.datetime | None:
    """The last scheduled time in ``(since, until]`` (UTC), found in one step back from ``until``."""
    from croniter import croniter

    if not spec.schedule:
        return None
    # croniter steps back to a time strictly before its start: start just after `until`
    # (cron times are whole seconds) so that `until` itself counts.
    start = until.astimezone(ZoneInfo(spec.timezone)).replace(microsecond=0) + dt.timedelta(seconds=1)
    moment = croniter(spec.schedule, start).get_prev(dt.datetime).astimezone(dt.UTC)
    return moment if since < moment <= until else None


def next_due(spec: PipelineSpec, after: dt.datetime) -> dt.datetime | None:
    """The first scheduled time after ``after`` (UTC), or None without a schedule."""
    from croniter import croniter

    if not spec.schedule:
        return None
    moment = croniter(spec.schedule, after.astimezone(ZoneInfo(spec.timezone))).get_next(dt.datetime)
    return moment.astimezone(dt.UTC)


def _read_state(project: Any) -> dict[str, Any]:
    path = project.state_dir / STATE_FILE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")).get("pipelines", {}))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def scheduler_tick(
    project: Any,
    *,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Check every scheduled pipeline once and start those due; returns one decision each.

    A decision is ``{pipeline, action, due, missed, run_id, next, error}`` (and ``missed_capped``
    when something was due) with ``action`` one of ``remembered`` (first check), ``not due``,
    ``started``, ``still running``, ``refused`` (the run was not accepted) or ``error`` (the
    pipeline's check failed: recorded, the other pipelines go on).
    Checks are serialised by a lock on ``.workbench/scheduler.lock`` (across processes).
    """
    with locked(project.state_dir / LOCK_FILE):
        return _tick(project, now=now)


def _tick(project: Any, *, now: dt.datetime | None) -> list[dict[str, Any]]:
    from workbench.pipelines.store import RunStore

    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    state = _read_state(project)
    store = RunStore(project)
    decisions = []
    for spec in load_pipelines(project).values():
        if not spec.schedule:
            continue
        previous = state.get(spec.name, {})
        last = previous.get("last_checked")
        try:
            decision = _decide(project, spec, store, now, dt.datetime.fromisoformat(last) if last else None)
        except Exception as err:  # one pipeline's failure must not stop the others' schedules
            decision = _failed(spec, now, err)
            # last_checked stays: the window is checked again once the schedule is fixed
            state[spec.name] = {**previous, "schedule": spec.schedule, "timezone": spec.timezone,
                                "last_decision": decision, "last_error": {"time": now.isoformat(),
                                                                          "error": decision["error"]}}
        else:
            state[spec.name] = {"last_checked": now.isoformat(), "schedule": spec.schedule,
                                "timezone": spec.timezone, "last_decision": decision}
        decisions.append(decision)
    write_json(project.state_dir / STATE_FILE, {"pipelines": state})
    return decisions


def _failed(spec: PipelineSpec, now: dt.datetime, err: Exception) -> dict[str, Any]:
    """The decision recorded for a pipeline whose check failed."""
    return {"pipeline": spec.name, "action": "error", "due": None, "missed": 0, "run_id": None, "next": None,
            "error": f"{type(err).__name__}: {err} (schedule {spec.schedule!r}, {spec.timezone}); "
                     "nothing was started for this pipeline",
            "checked": now.isoformat()}


def _decide(project: Any, spec: PipelineSpec, store: Any, now: dt.datetime,
            last: dt.datetime | None) -> dict[str, Any]:
    from workbench.pipelines.runner import start_pipeline

    upcoming = next_due(spec, now)
    decision: dict[str, Any] = {"pipeline": spec.name, "action": "not due", "due": None, "missed": 0,
                                "run_id": None, "next": upcoming.isoformat() if upcoming else None,
                                "error": None, "checked": now.isoformat()}
    if last is None:
        decision["action"] = "remembered"
        return decision
    due = latest_due(spec, last, now)
    if due is None:
        return decision
    counted = due_times(spec, last, now)  # bounded: only the count of missed times needs them
    capped = len(counted) >= MAX_COUNTED_MISSED and counted[-1] < due
    decision.update(due=due.isoformat(), missed=len(counted) - 1, missed_capped=capped)
    if store.active_runs(spec.name):
        decision.update(action="still running", missed=len(counted))
        return decision
    try:
        decision["run_id"] = start_pipeline(project, spec.name, trigger=f"schedule:{due.isoformat()}")
        decision["action"] = "started"
    except WorkbenchError as err:
        decision.update(action="refused", error=str(err))
    return decision


def _record_error(project: Any, error: WorkbenchError) -> str:
    """Keep a failed check in ``scheduler.json`` (``last_error``); returns the line to log."""
    moment = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with locked(project.state_dir / LOCK_FILE):
        write_json(project.state_dir / STATE_FILE, {
            "pipelines": _read_state(project), "last_error": {"time": moment, "error": str(error)}})
    return f"{moment[:19]}  scheduler check failed, nothing started: {error}"


def _report(decisions: list[dict[str, Any]], out: Callable[[str], None]) -> None:
    for d in decisions:
        detail = d["run_id"] or d["error"] or ""
        missed = f", {d['missed']}{'+' if d.get('missed_capped') else ''} missed" if d["missed"] else ""
        out(f"{d['checked'][:19]}  {d['pipeline']:<14} {d['action']}{missed}  {detail}  next {d['next']}")
    if not decisions:
        out("No pipeline has a schedule (add `schedule:` and `timezone:` to one).")


def _wait(decisions: list[dict[str, Any]], poll: float) -> float:
    upcoming = [dt.datetime.fromisoformat(d["next"]) for d in decisions if d["next"]]
    if not upcoming:
        return poll
    return min(poll, max(1.0, (min(upcoming) - dt.datetime.now(dt.UTC)).total_seconds() + 0.5))


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_scheduler(
    project: Any, *, once: bool = False, poll: float = 30.0, out: Callable[[str], None] = print,
    err: Callable[[str], None] = _stderr,
) -> None:
    """Run the scheduler in the foreground (Ctrl-C stops it); ``once``: one check, then return.

    A check that fails (:class:`~workbench.exceptions.WorkbenchError`, e.g. a ``pipeline.yaml``
    being edited) is written to ``err`` and to ``scheduler.json`` and the next check follows
    ``poll`` seconds later; with ``once`` it is raised.
    """
    while True:
        try:
            decisions = scheduler_tick(project)
        except WorkbenchError as error:
            line = _record_error(project, error)
            if once:
                raise
            err(f"{line} (next check in {poll:g} s)")
            decisions = []
        else:
            _report(decisions, out)
        if once:
            return
        time.sleep(_wait(decisions, poll))

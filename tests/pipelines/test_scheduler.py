"""The embedded scheduler: cron in a time zone, coalesced missed runs, no overlap."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest

from workbench._io import locked
from workbench.cli import main
from workbench.pipelines import RunStore, get_pipeline, scheduler_tick
from workbench.pipelines.scheduler import due_times, next_due, run_scheduler

UTC = dt.UTC


def _project(tiny, schedule="0 3 * * *", timezone="Europe/Paris", approve=True):
    return tiny({"nightly": {"schedule": schedule, "timezone": timezone,
                             "steps": [{"name": "a", "notebook": "notebooks/a.ipynb"}]},
                 "manual": {"steps": [{"name": "a", "notebook": "notebooks/a.ipynb"}]}},
                {"a.ipynb": ("print('scheduled')",)}, approve=approve)


def test_cron_follows_the_time_zone_across_daylight_saving(tiny):
    spec = get_pipeline(_project(tiny), "nightly")
    times = due_times(spec, dt.datetime(2026, 3, 27, 12, tzinfo=UTC), dt.datetime(2026, 3, 30, 12, tzinfo=UTC))
    # 03:00 in Paris is 02:00 UTC before the switch to summer time (29 March), 01:00 UTC after.
    assert [t.isoformat() for t in times] == [
        "2026-03-28T02:00:00+00:00", "2026-03-29T01:00:00+00:00", "2026-03-30T01:00:00+00:00"]
    assert next_due(spec, dt.datetime(2026, 3, 30, 12, tzinfo=UTC)).isoformat() == "2026-03-31T01:00:00+00:00"


@pytest.mark.slow
def test_missed_runs_are_coalesced_and_never_overlap(tiny):
    project = _project(tiny)
    t0 = dt.datetime(2026, 3, 27, 12, tzinfo=UTC)
    assert [d["action"] for d in scheduler_tick(project, now=t0)] == ["remembered"]
    assert scheduler_tick(project, now=t0 + dt.timedelta(hours=1))[0]["action"] == "not due"
    decision = scheduler_tick(project, now=t0 + dt.timedelta(days=3))[0]
    assert decision["action"] == "started" and decision["missed"] == 2
    assert decision["due"] == "2026-03-30T01:00:00+00:00"
    store = RunStore(project)
    again = scheduler_tick(project, now=t0 + dt.timedelta(days=4))[0]
    assert again["action"] == "still running" and again["run_id"] is None
    deadline = time.monotonic() + 90
    while not store.get_run(decision["run_id"]).finished:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    record = store.get_run(decision["run_id"])
    assert record.status == "succeeded" and record.trigger == "schedule:2026-03-30T01:00:00+00:00"
    assert [r.pipeline for r in store.list_runs()] == ["nightly"]
    state = json.loads((project.state_dir / "scheduler.json").read_text())
    assert state["pipelines"]["nightly"]["last_decision"]["action"] == "still running"


def test_unapproved_pipeline_is_refused_and_the_cli_reports_it(tiny, capsys):
    project = _project(tiny, schedule="* * * * *", approve=False)
    scheduler_tick(project, now=dt.datetime.now(UTC) - dt.timedelta(minutes=3))
    assert main(["scheduler", "--once", "-P", str(project.root)]) == 0
    out = capsys.readouterr().out
    assert "nightly" in out and "refused" in out and "never approved" in out
    assert RunStore(project).list_runs() == []


class _Stop(Exception):
    """Ends run_scheduler's loop from a test."""


def test_a_half_edited_pipeline_yaml_is_logged_and_the_scheduler_keeps_polling(tiny, capsys):
    project = _project(tiny)
    good = (project.root / "pipeline.yaml").read_text()
    (project.root / "pipeline.yaml").write_text(good + "  oops: [\n")
    errors, lines = [], []

    def on_error(line):
        errors.append(line)
        state = json.loads((project.state_dir / "scheduler.json").read_text())
        assert "pipeline.yaml" in state["last_error"]["error"]
        (project.root / "pipeline.yaml").write_text(good)  # the edit is finished

    def on_line(line):
        lines.append(line)
        raise _Stop

    with pytest.raises(_Stop):
        run_scheduler(project, poll=0.05, out=on_line, err=on_error)
    assert len(errors) == 1 and "scheduler check failed, nothing started" in errors[0]
    assert "pipeline.yaml" in errors[0] and "next check in 0.05 s" in errors[0]
    assert "nightly" in lines[0] and "remembered" in lines[0]
    assert "last_error" not in json.loads((project.state_dir / "scheduler.json").read_text())

    (project.root / "pipeline.yaml").write_text(good + "  oops: [\n")
    assert main(["scheduler", "--once", "-P", str(project.root)]) == 2  # cron sees the failure
    assert "pipeline.yaml" in capsys.readouterr().err


def test_a_check_waits_for_the_scheduler_lock(tiny):
    project = _project(tiny)
    finished = threading.Event()
    tick = threading.Thread(target=lambda: (scheduler_tick(project), finished.set()))
    with locked(project.state_dir / "scheduler.lock"):
        tick.start()
        assert not finished.wait(0.5), "a check ran while another held the scheduler lock"
    tick.join(30)
    assert finished.is_set()


@pytest.mark.slow
def test_two_schedulers_at_once_start_a_due_run_once(tiny):
    project = _project(tiny, schedule="* * * * *")
    now = dt.datetime.now(UTC)
    scheduler_tick(project, now=now - dt.timedelta(minutes=3))
    barrier = threading.Barrier(2)
    decisions = []

    def check():
        barrier.wait()
        decisions.extend(scheduler_tick(project, now=now))

    threads = [threading.Thread(target=check) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    nightly = sorted(d["action"] for d in decisions if d["pipeline"] == "nightly")
    assert nightly == ["not due", "started"]
    store = RunStore(project)
    [run] = store.list_runs()
    deadline = time.monotonic() + 90
    while not store.get_run(run.run_id).finished:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert store.get_run(run.run_id).status == "succeeded"

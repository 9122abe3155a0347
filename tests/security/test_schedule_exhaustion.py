"""Schedules that never fire or fire every second: refused, contained to their pipeline, or bounded.

A ``pipeline.yaml`` is written by whoever can write the project; the scheduler runs every pipeline's
schedule, so one hostile or mistaken schedule must neither stop the others nor exhaust the machine.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from workbench.exceptions import ConfigError
from workbench.pipelines import load_pipelines
from workbench.pipelines.scheduler import (
    MAX_COUNTED_MISSED,
    due_times,
    latest_due,
    run_scheduler,
    scheduler_tick,
)
from workbench.pipelines.spec import PipelineSpec, StepSpec
from workbench.project import Project

UTC = dt.UTC
CONFIG = '[project]\nname = "tiny"\n\n[data]\npath = "data.csv"\ntarget = "y"\n'


def _project(root: Path, schedules: dict[str, str]) -> Project:
    """A project whose pipelines (one step each, never approved: nothing can start) have these schedules."""
    (root / "notebooks").mkdir(parents=True)
    (root / "workbench.toml").write_text(CONFIG)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("print('run')")]
    nbformat.write(nb, root / "notebooks" / "step.ipynb")
    pipelines = {name: {"schedule": cron, "steps": [{"name": "step", "notebook": "notebooks/step.ipynb"}]}
                 for name, cron in schedules.items()}
    (root / "pipeline.yaml").write_text(yaml.safe_dump({"pipelines": pipelines}))
    return Project.load(root, check_data=False)


@pytest.mark.parametrize("cron", ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 11 *"])
def test_a_schedule_that_never_fires_is_refused_at_validation(tmp_path, cron):
    project = _project(tmp_path / "p", {"nightly": cron})
    with pytest.raises(ConfigError, match=r"'pipelines\.nightly\.schedule' = .* a cron expression that fires"):
        load_pipelines(project)


def test_one_pipelines_failing_schedule_is_recorded_and_the_others_go_on(tmp_path):
    now = dt.datetime.now(UTC)
    # Valid (it fires once, on 1 January next year), so it passes validation; after that it never fires.
    project = _project(tmp_path / "p", {"once": f"0 0 1 1 * 0 {now.year + 1}", "daily": "0 3 * * *"})
    assert {d["action"] for d in scheduler_tick(project, now=now)} == {"remembered"}
    later = dt.datetime(now.year + 2, 1, 2, 12, tzinfo=UTC)
    decisions = {d["pipeline"]: d for d in scheduler_tick(project, now=later)}
    assert decisions["once"]["action"] == "error" and "nothing was started" in decisions["once"]["error"]
    assert decisions["daily"]["action"] == "refused" and "approved" in decisions["daily"]["error"]
    state = json.loads((project.state_dir / "scheduler.json").read_text())["pipelines"]
    assert "failed to find next date" in state["once"]["last_error"]["error"]
    assert state["daily"]["last_checked"] == later.isoformat()
    lines: list[str] = []
    run_scheduler(project, once=True, out=lines.append)  # a whole check: no traceback, every pipeline listed
    assert {line.split()[1] for line in lines} == {"once", "daily"}


def test_catching_up_after_a_pause_is_bounded(tmp_path):
    project = _project(tmp_path / "p", {"hot": "* * * * * *"})  # every second
    now = dt.datetime.now(UTC).replace(microsecond=250_000)
    scheduler_tick(project, now=now - dt.timedelta(days=30))
    started = time.perf_counter()
    [decision] = scheduler_tick(project, now=now)  # 2.6 million missed times
    assert time.perf_counter() - started < 5
    assert decision["due"] == now.replace(microsecond=0).isoformat()
    assert decision["missed"] == MAX_COUNTED_MISSED - 1 and decision["missed_capped"] is True


@pytest.mark.parametrize(("cron", "zone"), [("30 2 * * *", "Europe/Paris"), ("0 */6 * * 1-5", "America/New_York"),
                                            ("15 14 1 * *", "UTC")])
def test_the_latest_due_time_is_the_last_of_the_enumerated_ones(cron, zone):
    spec = PipelineSpec(name="p", steps=(StepSpec(name="s", notebook="n.ipynb"),), schedule=cron, timezone=zone)
    since = dt.datetime(2026, 3, 20, 12, tzinfo=UTC)  # across the spring clock changes
    for days in (1, 3, 9, 40):
        until = since + dt.timedelta(days=days, minutes=7)
        enumerated = due_times(spec, since, until)
        assert latest_due(spec, since, until) == (enumerated[-1] if enumerated else None)
    exact = due_times(spec, since, since + dt.timedelta(days=40))[-1]
    assert latest_due(spec, since, exact) == exact  # the end of the window counts

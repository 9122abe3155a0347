"""Detached runs: two pipelines at once both record; a runner killed with -9 is marked interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from workbench.pipelines import RunStore, start_pipeline

pytestmark = pytest.mark.slow


def _wait(store: RunStore, run_id: str, until, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record = store.get_run(run_id)
        if until(record):
            return record
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} never got there: {store.get_run(run_id).to_dict()}")


def test_two_pipelines_started_at_once_both_record(tiny):
    step = "import time; time.sleep(1); print(tag)"
    project = tiny(
        {"one": {"parameters": {"tag": {"type": "str", "default": "x"}},
                 "steps": [{"name": "a", "notebook": "notebooks/a.ipynb"}, {"name": "b", "notebook": "notebooks/a.ipynb", "depends_on": ["a"]}]},
         "two": {"steps": [{"name": "c", "notebook": "notebooks/a.ipynb"}]}},
        {"a.ipynb": ({"parameters": 'project_dir = "."\ntag = "default"'}, step)},
    )
    first = start_pipeline(project, "one", parameters={"tag": "first"}, trigger="alert:drift")
    second = start_pipeline(project, "two")
    store = RunStore(project)
    assert store.get_run(first).status in ("queued", "running")
    records = [_wait(store, run_id, lambda r: r.finished) for run_id in (first, second)]
    assert [r.status for r in records] == ["succeeded", "succeeded"], [r.to_dict() for r in records]
    one, two = records
    assert one.pipeline == "one" and one.parameters == {"tag": "first"} and one.trigger == "alert:drift"
    assert [s.name for s in one.steps] == ["a", "b"] and [s.name for s in two.steps] == ["c"]
    assert all(s.status == "succeeded" and s.cpu_seconds > 0 for r in records for s in r.steps)
    assert one.started < two.ended and two.started < one.ended, "the two runs should overlap"
    assert {r.run_id for r in store.list_runs()} == {first, second}


def test_killed_runner_leaves_the_run_interrupted(tiny):
    project = tiny(
        {"p": {"steps": [{"name": "sleep", "notebook": "notebooks/s.ipynb"}]}},
        {"s.ipynb": ("import os, time\nopen(os.path.join(project_dir, 'pid'), 'w').write(str(os.getpid()))",
                     "time.sleep(120)")},
    )
    store = RunStore(project)
    run_id = start_pipeline(project)
    running = _wait(store, run_id, lambda r: r.steps[0].status == "running" and (project.root / "pid").exists())
    assert running.status == "running"
    os.kill(running.pid, signal.SIGKILL)
    record = _wait(store, run_id, lambda r: r.finished, seconds=15)
    assert record.status == "interrupted" and "killed or crashed" in record.error
    assert record.steps[0].status == "interrupted"
    kernel = int((project.root / "pid").read_text())
    deadline = time.monotonic() + 15
    try:
        while psutil.pid_exists(kernel) and psutil.Process(kernel).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the orphaned kernel kept running"
            time.sleep(0.3)
    finally:
        if psutil.pid_exists(kernel):
            psutil.Process(kernel).kill()


def test_ctrl_c_stops_the_kernels_and_marks_the_run_interrupted(tiny):
    project = tiny(
        {"p": {"steps": [{"name": "sleep", "notebook": "notebooks/s.ipynb", "retries": 2}]}},
        {"s.ipynb": ("import os, time\nopen(os.path.join(project_dir, 'pid'), 'w').write(str(os.getpid()))",
                     "time.sleep(120)")},
    )
    # A shell's background job (nohup, CI runners) inherits SIGINT ignored; a terminal's Ctrl-C
    # reaches a runner whose SIGINT is in its default state, so start it in that state.
    runner = subprocess.Popen([sys.executable, "-m", "workbench", "run", "--no-progress", "-P", str(project.root)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 90
        while not (project.root / "pid").exists():
            assert time.monotonic() < deadline and runner.poll() is None, runner.communicate()
            time.sleep(0.2)
        runner.send_signal(signal.SIGINT)
        _, err = runner.communicate(timeout=30)
    finally:
        runner.kill()
    assert runner.returncode == 130 and "interrupted" in err
    record = RunStore(project).list_runs()[0]
    assert record.status == "interrupted" and record.steps[0].status == "interrupted"
    assert record.steps[0].attempts == 1, "no new attempt after Ctrl-C"
    kernel = int((project.root / "pid").read_text())
    assert not psutil.pid_exists(kernel) or psutil.Process(kernel).status() == psutil.STATUS_ZOMBIE

"""Cancelling a run: a real papermill kernel in a detached runner, stopped by `workbench cancel`.

The run record says cancelled (by whom), the running step is cancelled with its executed notebook
kept as far as it ran, the step after it never starts, the kernel is gone, and the runner's log
carries no "Kernel is running over TCP without encryption" (its kernels are encrypted). Without
a kernel: a queued run is cancelled at once and can no longer be claimed, a finished run cannot
be cancelled, and a runs.db written before cancelling existed gains its columns.
"""

from __future__ import annotations

import sqlite3
import time

import nbformat
import psutil
import pytest

from workbench.cli import main
from workbench.exceptions import PipelineError
from workbench.pipelines import RunStore, cancel_run, start_pipeline

SLEEPER = (
    "import os\nopen(os.path.join(project_dir, 'pid'), 'w').write(str(os.getpid()))\nprint('before the sleep')",
    "import os, time\nopen(os.path.join(project_dir, 'sleeping'), 'w').close()\ntime.sleep(600)",
    "print('after the sleep')",
)


def _wait(store: RunStore, run_id: str, until, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record = store.get_run(run_id)
        if until(record):
            return record
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} never got there: {store.get_run(run_id).to_dict()}")


@pytest.mark.slow
def test_cancel_stops_the_kernel_and_keeps_the_notebook_as_far_as_it_ran(tiny, capsys):
    project = tiny(
        {"p": {"steps": [{"name": "sleep", "notebook": "notebooks/s.ipynb", "retries": 1},
                         {"name": "after", "notebook": "notebooks/s.ipynb", "depends_on": ["sleep"]}]}},
        {"s.ipynb": SLEEPER},
    )
    store = RunStore(project)
    run_id = start_pipeline(project)
    _wait(store, run_id, lambda r: r.steps[0].status == "running" and (project.root / "pid").exists())
    kernel = int((project.root / "pid").read_text())
    deadline = time.monotonic() + 120
    while not (project.root / "sleeping").exists():  # the sleep cell is running now
        assert time.monotonic() < deadline, "the sleep cell never started"
        time.sleep(0.2)

    assert main(["cancel", run_id, "-P", str(project.root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Cancelled run {run_id} (p).")
    record = store.get_run(run_id)
    assert record.status == "cancelled" and record.cancel_requested is not None
    assert record.cancelled_by and record.error.startswith(f"Cancelled by {record.cancelled_by} at ")
    sleep, after = record.steps
    assert sleep.status == "cancelled" and sleep.attempts == 1, "a cancelled step is not retried"
    assert sleep.error.startswith(f"Cancelled by {record.cancelled_by} at ")
    assert "the executed notebook is kept with the cells that ran" in sleep.error
    assert (after.status, after.error) == ("cancelled", "Not run: the run was cancelled.")
    assert f"executed notebook kept: {sleep.output_notebook}" in out

    executed = nbformat.read(sleep.output_notebook, as_version=4)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    printed = "".join(o.get("text", "") for o in code[-3].outputs)
    assert printed == "before the sleep\n"
    assert [o.get("ename") for o in code[-2].outputs if o.output_type == "error"] == ["KeyboardInterrupt"]
    assert code[-1].outputs == [] and code[-1].get("execution_count") is None
    assert sleep.output_html and sleep.output_html.endswith(".html")

    deadline = time.monotonic() + 15
    while psutil.pid_exists(kernel) and psutil.Process(kernel).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the cancelled run's kernel kept running"
        time.sleep(0.3)
    log = (project.state_dir / "executed" / run_id / "runner.log").read_text()
    assert "without encryption" not in log

    assert main(["cancel", run_id, "-P", str(project.root)]) == 2
    err = capsys.readouterr().err
    assert f"Run {run_id} has already finished (cancelled); there is nothing to cancel." in err
    assert "`workbench runs` lists the runs that are still queued or running." in err


def test_a_queued_run_is_cancelled_at_once_and_cannot_be_started(tiny):
    project = tiny({"p": {"steps": [{"name": "a", "notebook": "notebooks/a.ipynb"}]}}, {"a.ipynb": ("1",)})
    store = RunStore(project)
    run_id = store.create_run(run_id="20260101T000000-abcdef", pipeline="p", parameters={}, trigger="manual",
                              steps=[("a", "notebooks/a.ipynb")])
    record = cancel_run(project, run_id, by="ops", wait=5)
    assert (record.status, record.cancelled_by, record.error) == ("cancelled", "ops", "Cancelled by ops before it started.")
    assert [(s.status, s.error) for s in record.steps] == [("cancelled", "Not run: the run was cancelled.")]
    assert record.to_dict()["cancelled_by"] == "ops" and record.finished
    with pytest.raises(PipelineError, match="is cancelled, not queued; it cannot be started again"):
        store.claim_run(run_id)
    with pytest.raises(PipelineError, match=r"has already finished \(cancelled\); there is nothing to cancel"):
        cancel_run(project, run_id)
    with pytest.raises(PipelineError, match="No run 'nope'"):
        cancel_run(project, "nope")


def test_a_runs_db_from_before_cancelling_gains_its_columns(tmp_path, tiny):
    project = tiny({}, {})
    path = project.state_dir / "runs.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:  # the runs table as the first release wrote it
        conn.execute(
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, parameters TEXT NOT NULL, "
            "status TEXT NOT NULL, trigger TEXT NOT NULL, created TEXT NOT NULL, started TEXT, ended TEXT, "
            "pid INTEGER, pid_started REAL, host TEXT, heartbeat REAL, executor TEXT, error TEXT)"
        )
        conn.execute("INSERT INTO runs (run_id, pipeline, parameters, status, trigger, created) "
                     "VALUES ('old', 'p', '{}', 'succeeded', 'manual', '2026-01-01T00:00:00+00:00')")
    conn.close()
    store = RunStore(project)
    old = store.get_run("old")
    assert (old.status, old.cancel_requested, old.cancelled_by) == ("succeeded", None, None)


def _running(store: RunStore, run_id: str, argv: list[str]):
    """``run_id`` running in a process started with ``argv``, its second step not reached."""
    import subprocess
    import sys

    store.create_run(run_id=run_id, pipeline="p", parameters={}, trigger="manual",
                     steps=[("a", "notebooks/a.ipynb"), ("b", "notebooks/a.ipynb")])
    store.claim_run(run_id)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", *argv])
    store.set_process(run_id, process.pid)
    store.update_step(run_id, "a", status="running")
    return process


def test_a_forced_cancel_kills_a_detached_runner_but_never_a_notebook_kernel(tiny):
    project = tiny({"p": {"steps": [{"name": "a", "notebook": "notebooks/a.ipynb"}]}}, {"a.ipynb": ("1",)})
    store = RunStore(project)
    # Started in-process by wb.run_pipeline: the recorded pid is the user's kernel, which must live.
    kernel = _running(store, "20260101T000000-kernel", ["-f", "kernel-1234.json"])
    try:
        record = cancel_run(project, "20260101T000000-kernel", by="ops", wait=0.5)
        assert kernel.poll() is None and record.status == "running" and record.cancel_requested is not None
    finally:
        kernel.kill()
        kernel.wait()
    runner = _running(store, "20260101T000000-runner", ["workbench", "run", "p", "--run-id", "20260101T000000-runner"])
    try:
        record = cancel_run(project, "20260101T000000-runner", by="ops", wait=0.5)
        assert runner.wait(10) is not None and record.status == "cancelled"
        assert [(s.name, s.status) for s in record.steps] == [("a", "cancelled"), ("b", "cancelled")]
        assert record.steps[1].error == "Not run: the run was cancelled.", "a step never reached is not left pending"
    finally:
        runner.kill()
        runner.wait()

"""Cancel a pipeline run from anywhere: the command line, the panel, another notebook.

A cancel is a request written to the run store (:meth:`RunStore.request_cancel`). A queued run
that no runner has claimed is cancelled at once. For a running run, the process running its
steps (the detached runner, a foreground ``workbench run``, a Dask worker) sees the request
within about a second: it interrupts the running cell, stops the kernel, keeps the executed
notebook with the cells that ran, records the step and the run as ``cancelled`` and starts no
further step. :func:`cancel_run` waits for that; a runner that does not answer within ``wait``
seconds is stopped (its process tree, on this machine) and the run recorded as cancelled.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import psutil

from workbench.exceptions import PipelineError
from workbench.pipelines.store import RunRecord, RunStore

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["cancel_run"]

POLL_SECONDS = 0.25


def cancel_run(project: Project, run_id: str, *, by: str | None = None, wait: float = 60.0) -> RunRecord:
    """Cancel the queued or running run ``run_id``; returns its record once it has stopped.

    Parameters
    ----------
    project : Project
        The project whose run store holds the run.
    run_id : str
        The run to stop (``workbench runs`` lists them).
    by : str, optional
        Who cancels it, as recorded (default: the git user or the login name, as for approvals).
    wait : float
        Seconds to wait for the runner to stop it; after that the runner's process tree is
        stopped. ``0`` only records the request and returns at once.

    Raises
    ------
    PipelineError
        There is no such run, or it has already finished.

    Examples
    --------
    >>> record = cancel_run(project, "20260101T120000-a1b2c3")  # doctest: +SKIP
    >>> record.status, record.steps[0].output_notebook  # doctest: +SKIP
    ('cancelled', '.../.workbench/executed/20260101T120000-a1b2c3/01_explore.ipynb')
    """
    from workbench.pipelines.approval import default_approver

    store = RunStore(project)
    record = store.get_run(run_id)
    if record.finished:
        raise PipelineError(
            f"Run {run_id} has already finished ({record.status}); there is nothing to cancel.",
            hint="`workbench runs` lists the runs that are still queued or running.",
        )
    store.request_cancel(run_id, by=by or default_approver(project.root))
    if wait <= 0:
        return store.get_run(run_id)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        record = store.get_run(run_id)
        if record.finished:
            return record
        time.sleep(POLL_SECONDS)
    _stop_runner(store.local_runner(run_id), run_id)
    store.reconcile()
    return store.get_run(run_id)


def _stop_runner(pid: int | None, run_id: str) -> None:
    """Kill a run's detached runner and everything it started (kernels).

    Only a process whose command line is ``workbench run ... --run-id RUN_ID``: a run started
    in-process (``wb.run_pipeline`` in a notebook) records its host's pid, the user's own kernel,
    which is never killed (its kernel watch stops the step's kernel itself).
    """
    if pid is None or pid == os.getpid():
        return
    try:
        runner = psutil.Process(pid)
        command = runner.cmdline()
        if "workbench" not in command or "run" not in command or run_id not in command:
            return
        tree = [*runner.children(recursive=True), runner]
    except psutil.Error:
        return
    for process in tree:
        try:
            process.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(tree, timeout=10)

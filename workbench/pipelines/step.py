"""One pipeline step: run its notebook with retries and a timeout, record it, export HTML.

:func:`run_step` takes a plain, picklable task (built by the runner) so the same function runs
in a thread of the runner or as a task on a Dask worker. It writes the step's record to the
run store itself: status, attempts, timings, CPU seconds and peak memory of the kernel, the
error summary and the paths of the executed notebook and its HTML page. Every attempt's
executed notebook is kept (a retried attempt as ``NAME.attempt-N.ipynb``).

A run cancelled from elsewhere (``workbench cancel``, the panel) is seen through the run store:
a step not started yet is recorded ``cancelled`` without running, and a running step's kernel
watch stops its kernel; its executed notebook is kept as far as it ran.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from workbench.exceptions import NotebookExecutionError, WorkbenchError

__all__ = ["cancel_run", "export_html", "run_step", "skip_step"]

ERROR_LIMIT = 600
CANCELLED_BEFORE = "Not run: the run was cancelled."
_EXPORT_LOCK = threading.Lock()
_EXPORTER: Any = None
# Runs stopped in this process (Ctrl-C), and the kernels their steps are running.
_CANCELLED: set[str] = set()
_ACTIVE: dict[str, set[Any]] = {}
_ACTIVE_LOCK = threading.Lock()


def cancel_run(run_id: str) -> None:
    """Stop a run's steps in this process: no new attempt starts, running kernels are killed."""
    with _ACTIVE_LOCK:
        _CANCELLED.add(run_id)
        watches = list(_ACTIVE.get(run_id, ()))
    for watch in watches:
        watch.kill_kernel()


def _store(task: dict[str, Any]) -> tuple[Any, Any]:
    from workbench.pipelines.store import RunStore
    from workbench.project import Project

    project = Project.load(task["project_root"], check_data=False)
    return project, RunStore(project)


def skip_step(task: dict[str, Any], reason: str, *, status: str = "skipped") -> dict[str, Any]:
    """Record that a step did not run (by default: a step it depends on did not succeed)."""
    _, store = _store(task)
    store.update_step(task["run_id"], task["name"], status=status, error=reason)
    return {"name": task["name"], "status": status, "error": reason}


def run_step(task: dict[str, Any]) -> dict[str, Any]:
    """Run one step (all its attempts); returns ``{"name", "status", "error"}``."""
    from workbench.notebooks import content_hash
    from workbench.pipelines.store import now_iso

    project, store = _store(task)
    run_id, name = task["run_id"], task["name"]
    if store.cancel_requested(run_id):
        return skip_step(task, CANCELLED_BEFORE, status="cancelled")
    started, clock = now_iso(), time.monotonic()
    store.update_step(run_id, name, status="running", started=started)
    output = Path(task["output"])
    cost = {"cpu_seconds": 0.0, "peak_memory_mb": 0.0}
    error: str | None = None
    attempt = 0
    if content_hash(project.root / task["notebook"]) != task["approved_hash"]:
        error = f"{task['notebook']} changed after the run started; its approval no longer matches."
    else:
        for attempt in range(1, task["retries"] + 2):
            store.update_step(run_id, name, attempts=attempt)
            error = _attempt(project, task, attempt, cost, store)
            # A stopped run keeps this attempt's notebook under the step's own name: no retry.
            if error is None or _stopping(store, run_id):
                break
            if attempt <= task["retries"] and output.exists():
                output.replace(output.with_suffix(f".attempt-{attempt}.ipynb"))
    html = export_html(output) if output.exists() else None
    status = "succeeded" if error is None else "failed"
    if run_id in _CANCELLED:
        status, error = "interrupted", "The run was stopped (interrupted) while this step ran."
    elif error is not None and store.cancel_requested(run_id):
        status, error = "cancelled", _cancelled_text(store, run_id)
    store.update_step(
        run_id, name, status=status, ended=now_iso(), seconds=round(time.monotonic() - clock, 3),
        cpu_seconds=round(cost["cpu_seconds"], 3), peak_memory_mb=cost["peak_memory_mb"],
        error=error, output_notebook=str(output) if output.exists() else None,
        output_html=str(html) if html else None,
    )
    return {"name": name, "status": status, "error": error}


def _stopping(store: Any, run_id: str) -> bool:
    """Is the run being stopped: Ctrl-C in this process, or a cancel asked for in the store?"""
    return run_id in _CANCELLED or store.cancel_requested(run_id)


def _cancelled_text(store: Any, run_id: str) -> str:
    record = store.get_run(run_id, reconcile=False)
    return (f"Cancelled by {record.cancelled_by or 'someone'} at {record.cancel_requested}: the kernel was "
            "stopped; the executed notebook is kept with the cells that ran.")


def _attempt(project: Any, task: dict[str, Any], attempt: int, cost: dict[str, float], store: Any) -> str | None:
    """One execution of the notebook; the error summary, or None on success."""
    from workbench.pipelines._engine import KernelWatch, redact
    from workbench.pipelines.execute import execute_notebook

    watch = KernelWatch(timeout=task["timeout"], should_stop=lambda: store.cancel_requested(task["run_id"]))
    env = {"WORKBENCH_RUN_ID": task["run_id"], "WORKBENCH_STEP": task["name"],
           "WORKBENCH_ATTEMPT": str(attempt)}
    error: str | None = None
    with _ACTIVE_LOCK:
        _ACTIVE.setdefault(task["run_id"], set()).add(watch)
    try:
        execute_notebook(
            project, task["notebook"], output=task["output"], parameters=task["parameters"],
            env=env, secrets=task["secrets"], watch=watch, expected_hash=task["approved_hash"],
        )
    except NotebookExecutionError as err:
        error = err.message
    except WorkbenchError as err:
        error = str(err)
    except Exception as err:  # a dead kernel, a kernel that would not start ...
        error = f"{type(err).__name__}: {err}"
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.get(task["run_id"], set()).discard(watch)
    cost["cpu_seconds"] += watch.cpu_seconds
    cost["peak_memory_mb"] = max(cost["peak_memory_mb"], watch.peak_memory_mb)
    if watch.timed_out:
        error = f"Timed out after {task['timeout']:g} s (attempt {attempt}); the kernel was stopped."
    if error is not None:
        error = redact(error, task["secrets"])[:ERROR_LIMIT]
    return error


def export_html(notebook: Path) -> Path | None:
    """Export an executed notebook as a self-contained HTML page beside it."""
    global _EXPORTER
    import nbformat

    target = notebook.with_suffix(".html")
    with _EXPORT_LOCK:
        if _EXPORTER is None:
            from nbconvert import HTMLExporter

            _EXPORTER = HTMLExporter()
        body, _ = _EXPORTER.from_notebook_node(nbformat.read(notebook, as_version=4))
    from workbench._io import write_text

    return write_text(target, body)

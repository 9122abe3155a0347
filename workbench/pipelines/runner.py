"""The runner: check, record and execute a pipeline; in the foreground or as a detached process.

Before anything runs, :func:`run_pipeline` validates the parameters, checks that every notebook's
approval matches its content (listing those that do not, with the command to approve them) and
that every secret is set. Then it records the run, runs the steps on an executor (threads or
Dask) and returns the :class:`~workbench.pipelines.store.RunRecord`. A heartbeat marks the run
as alive; a runner that dies leaves its run to be marked ``interrupted`` on the next read.
:func:`start_pipeline` does the same checks, records a queued run and hands it to a detached
``python -m workbench run`` process, so the run survives its caller.
"""

from __future__ import annotations

import json
import secrets as _random
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbench.exceptions import ApprovalError, PipelineError, WorkbenchError
from workbench.pipelines.params import read_secrets, resolve_step_parameters, validate_parameters
from workbench.pipelines.spec import PipelineSpec, get_pipeline
from workbench.pipelines.store import RunRecord, RunStore, now_iso

__all__ = ["approve_hint", "check_approvals", "new_run_id", "run_pipeline", "start_pipeline"]

HEARTBEAT_SECONDS = 5.0


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus random hex."""
    return now_iso()[:19].replace("-", "").replace(":", "") + "-" + _random.token_hex(3)


def check_approvals(project: Any, spec: PipelineSpec) -> dict[str, str]:
    """The approved hash of each notebook of ``spec``; :class:`ApprovalError` lists the others."""
    from workbench.pipelines.approval import _read, approval_states

    states = approval_states(project, spec.notebooks)
    refused = [s for s in states if s.state != "approved"]
    if refused:
        why = {"changed": "changed since approval", "unreadable": "unreadable", "none": "never approved",
               "missing": "no such file"}
        lines = "; ".join(f"{s.notebook} ({why.get(s.state, s.state)})" for s in refused)
        notebooks = [s.notebook for s in refused]
        raise ApprovalError(
            f"Pipeline {spec.name!r} will not run unapproved notebooks: {lines}.",
            notebooks=notebooks, hint=approve_hint(notebooks),
        )
    approvals = _read(project)
    return {nb: approvals[nb]["hash"] for nb in spec.notebooks}


def approve_hint(notebooks: list[str], *, project_option: str | None = None) -> str:
    """What to run to approve ``notebooks``; ``project_option`` is the ``-P DIR`` the user gave."""
    import shlex

    where = f" -P {shlex.quote(project_option)}" if project_option not in (None, "", ".") else ""
    commands = " && ".join(f"workbench approve {shlex.quote(nb)} --comment 'WHY'{where}" for nb in notebooks)
    return f"Review them, then approve: {commands}"


def _secrets(spec: PipelineSpec) -> dict[str, str]:
    return read_secrets(spec.name, spec.secrets)


def check_kernels(project: Any, spec: PipelineSpec) -> None:
    """:class:`PipelineError` naming each notebook of ``spec`` that names no kernel to run it."""
    from workbench.notebooks import read_notebook

    missing = [nb for nb in spec.notebooks
               if not read_notebook(project.root / nb).metadata.get("kernelspec", {}).get("name")]
    if missing:
        raise PipelineError(
            f"Pipeline {spec.name!r} has notebooks that name no kernel: {', '.join(missing)}. "
            "Nothing was run.",
            hint="Open each in JupyterLab and pick a kernel (Kernel > Change Kernel), save, and "
                 "approve it again; or set metadata.kernelspec.name in the notebook file.",
        )


def _prepare(project: Any, name: str | None, parameters: Mapping[str, Any] | None) -> tuple[PipelineSpec, dict[str, Any], dict[str, str], dict[str, str]]:
    spec = get_pipeline(project, name)
    values = validate_parameters(spec, parameters)
    hashes = check_approvals(project, spec)
    check_kernels(project, spec)
    return spec, values, _secrets(spec), hashes


def _output_names(spec: PipelineSpec) -> dict[str, str]:
    """Output file stem per step: the notebook's name, or step + notebook when it repeats."""
    stems = [Path(s.notebook).stem for s in spec.steps]
    return {s.name: (stem if stems.count(stem) == 1 else f"{s.name}__{stem}") for s, stem in zip(spec.steps, stems, strict=True)}


def _tasks(project: Any, spec: PipelineSpec, run_id: str, values: dict[str, Any], secrets: dict[str, str],
           hashes: dict[str, str]) -> list[dict[str, Any]]:
    from workbench.notebooks import parameter_defaults

    out_dir = project.state_dir / "executed" / run_id
    names = _output_names(spec)
    tasks = []
    for step in spec.steps:
        declared = parameter_defaults(project.root / step.notebook)
        parameters = {k: v for k, v in values.items() if k in declared}
        parameters.update(resolve_step_parameters(step.parameters, values))
        tasks.append({
            "project_root": str(project.root), "run_id": run_id, "name": step.name,
            "notebook": step.notebook, "depends_on": list(step.depends_on), "retries": step.retries,
            "timeout": step.timeout, "parameters": parameters, "secrets": secrets,
            "approved_hash": hashes[step.notebook], "output": str(out_dir / f"{names[step.name]}.ipynb"),
        })
    return tasks


class _Heartbeat:
    def __init__(self, store: RunStore, run_id: str) -> None:
        self.store, self.run_id = store, run_id
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="workbench-heartbeat", daemon=True)

    def _loop(self) -> None:
        while not self.done.wait(HEARTBEAT_SECONDS):
            self.store.beat(self.run_id)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(5)


def _progress(spec: PipelineSpec, enabled: bool) -> tuple[Any, Any]:
    from tqdm.auto import tqdm

    bar = tqdm(total=len(spec.steps), desc=spec.name, unit="step", disable=not enabled)
    active: set[str] = set()

    def update(name: str, status: str) -> None:
        if status == "running":
            active.add(name)
        else:
            active.discard(name)
            bar.update(1)
            if status != "succeeded":
                bar.write(f"{spec.name}: step {name} {status}")
        bar.set_postfix_str(", ".join(sorted(active)))

    return bar, update


def run_pipeline(
    project: Any,
    name: str | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    trigger: str = "manual",
    progress: bool = True,
    executor: str = "threads",
    address: str | None = None,
    workers: int | None = None,
    run_id: str | None = None,
) -> RunRecord:
    """Run a pipeline to its end and return its record (``status`` succeeded, failed or cancelled).

    Nothing runs when a parameter is wrong (:class:`ParameterError`), a notebook is not approved
    as it is now (:class:`ApprovalError`) or a secret is missing. ``run_id`` continues a run
    queued by :func:`start_pipeline`.

    Examples
    --------
    >>> record = run_pipeline(project, "retrain", parameters={"cutoff": "0.4"})  # doctest: +SKIP
    >>> record.status, [s.status for s in record.steps]  # doctest: +SKIP
    ('succeeded', ['succeeded', 'succeeded'])
    """
    from workbench.pipelines.executors import make_executor

    try:
        spec, values, secrets, hashes = _prepare(project, name, parameters)
    except WorkbenchError as err:
        if run_id is not None:  # a queued run whose checks fail now: record why
            RunStore(project).finish_run(run_id, "failed", error=str(err))
        raise
    runner = make_executor(executor, workers=workers or spec.workers, address=address,
                           local_directory=str(project.state_dir / "dask"))
    store = RunStore(project)
    store.reconcile()
    if run_id is None:
        run_id = _create(store, spec, values, trigger, executor)
    store.claim_run(run_id)
    bar, update = _progress(spec, progress)
    status, error = "failed", None
    try:
        with _Heartbeat(store, run_id):
            statuses = runner.run(_tasks(project, spec, run_id, values, secrets, hashes), update)
        status, error = _outcome(store, run_id, statuses)
    except BaseException as err:
        status, error = "interrupted", f"The runner stopped: {type(err).__name__}: {err}"
        raise
    finally:
        bar.close()
        store.finish_run(run_id, status, error=error)
    return store.get_run(run_id)


def _outcome(store: RunStore, run_id: str, statuses: dict[str, str]) -> tuple[str, str | None]:
    """The run's status and error from its steps' statuses (``cancelled`` when it was asked to stop)."""
    bad = [n for n, s in statuses.items() if s != "succeeded"]
    if not bad:
        return "succeeded", None
    if store.cancel_requested(run_id):
        record = store.get_run(run_id, reconcile=False)
        return "cancelled", f"Cancelled by {record.cancelled_by} at {record.cancel_requested}."
    return "failed", f"Steps not succeeded: {', '.join(f'{n} ({statuses[n]})' for n in bad)}."


def _create(store: RunStore, spec: PipelineSpec, values: dict[str, Any], trigger: str, executor: str) -> str:
    return store.create_run(
        run_id=new_run_id(), pipeline=spec.name, parameters=values, trigger=trigger,
        steps=[(s.name, s.notebook) for s in spec.steps], executor=executor,
    )


def start_pipeline(
    project: Any,
    name: str | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    trigger: str = "manual",
    executor: str = "threads",
    address: str | None = None,
    workers: int | None = None,
) -> str:
    """Check a pipeline, record a queued run and start it in a detached process; returns its id.

    The same checks as :func:`run_pipeline` run first, so a wrong parameter or an unapproved
    notebook raises here. The runner process is a new session (``python -m workbench run``)
    that outlives the caller; its output goes to ``.workbench/executed/RUN_ID/runner.log``.
    """
    spec, values, _, _ = _prepare(project, name, parameters)
    store = RunStore(project)
    run_id = _create(store, spec, values, trigger, executor)
    log_dir = project.state_dir / "executed" / run_id
    log_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "workbench", "run", spec.name, "--project", str(project.root),
               "--run-id", run_id, "--trigger", trigger, "--params-json", json.dumps(values),
               "--executor", executor, "--no-progress"]
    if address:
        command += ["--address", address]
    if workers:
        command += ["--workers", str(workers)]
    with open(log_dir / "runner.log", "ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=str(project.root),
        )
    store.set_process(run_id, process.pid)
    # Reap the runner when it ends, so a long-lived caller keeps no zombie process.
    threading.Thread(target=process.wait, name=f"workbench-reap-{run_id}", daemon=True).start()
    return run_id

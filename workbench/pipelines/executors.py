"""Executors: where a pipeline's steps run. A registry of named backends with one method.

``threads`` (the default) runs independent steps at once in the runner's process, at most
``workers`` at a time (each step is a kernel process of its own). ``dask`` submits every step as
a task on a Dask cluster (``address``), or on a ``LocalCluster`` it starts, with the task graph
following the steps' dependencies. Both call :func:`~workbench.pipelines.step.run_step`; a step
whose inputs did not succeed is recorded as skipped and not run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from workbench.exceptions import ParameterError
from workbench.pipelines.step import CANCELLED_BEFORE, cancel_run, run_step, skip_step

__all__ = ["EXECUTORS", "DaskExecutor", "ThreadExecutor", "make_executor"]

Update = Callable[[str, str], None]
_BAD = ("failed", "skipped", "interrupted", "cancelled")


def _skip_after(task: dict[str, Any], blocked: list[str], statuses: dict[str, str]) -> dict[str, Any]:
    """Record a step not run because ``blocked`` (its inputs) did not succeed: cancelled with them."""
    if any(statuses.get(name) == "cancelled" for name in blocked):
        return skip_step(task, CANCELLED_BEFORE, status="cancelled")
    return skip_step(task, f"Not run: {', '.join(blocked)} did not succeed.")


def _guarded(task: dict[str, Any]) -> dict[str, Any]:
    try:
        return run_step(task)
    except Exception as err:  # the store or the project went away: still report the step
        return {"name": task["name"], "status": "failed", "error": f"{type(err).__name__}: {err}"}


class ThreadExecutor:
    """Run steps in threads of this process, at most ``workers`` at once."""

    name = "threads"

    def __init__(self, *, workers: int = 2, **_: Any) -> None:
        self.workers = max(1, int(workers))

    def run(self, tasks: list[dict[str, Any]], on_update: Update) -> dict[str, str]:
        with ThreadPoolExecutor(self.workers, thread_name_prefix="workbench-step") as pool:
            try:
                return self._loop(pool, tasks, on_update)
            except KeyboardInterrupt:
                if tasks:  # stop the kernels, so the step threads end now
                    cancel_run(tasks[0]["run_id"])
                pool.shutdown(wait=False, cancel_futures=True)
                raise

    def _loop(self, pool: ThreadPoolExecutor, tasks: list[dict[str, Any]], on_update: Update) -> dict[str, str]:
        statuses: dict[str, str] = {}
        pending = {t["name"]: t for t in tasks}
        running: dict[Future[dict[str, Any]], str] = {}
        while pending or running:
            self._skip_blocked(pending, statuses, on_update)
            for name, task in list(pending.items()):
                if len(running) >= self.workers:
                    break
                if all(statuses.get(d) == "succeeded" for d in task["depends_on"]):
                    running[pool.submit(_guarded, task)] = name
                    del pending[name]
                    on_update(name, "running")
            if not running:
                if pending:
                    raise RuntimeError(f"Steps cannot start: {', '.join(pending)}")
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                statuses[name] = future.result()["status"]
                on_update(name, statuses[name])
        return statuses

    @staticmethod
    def _skip_blocked(pending: dict[str, dict[str, Any]], statuses: dict[str, str], on_update: Update) -> None:
        changed = True
        while changed:
            changed = False
            for name, task in list(pending.items()):
                blocked = [d for d in task["depends_on"] if statuses.get(d) in _BAD]
                if blocked:
                    statuses[name] = _skip_after(task, blocked, statuses)["status"]
                    del pending[name]
                    on_update(name, statuses[name])
                    changed = True


def _dask_step(task: dict[str, Any], *upstream: dict[str, Any]) -> dict[str, Any]:
    blocked = [u["name"] for u in upstream if u["status"] != "succeeded"]
    if blocked:
        return _skip_after(task, blocked, {u["name"]: u["status"] for u in upstream})
    # Secret values never travel in the task graph: each worker reads them from its environment.
    missing = [name for name in task["secrets"] if not os.environ.get(name)]
    if missing:
        return skip_step(task, f"The Dask worker has no {', '.join(missing)} in its environment: give the "
                               "cluster's workers the pipeline's secrets (they are not sent with the task).",
                         status="failed")
    return _guarded({**task, "secrets": {name: os.environ[name] for name in task["secrets"]}})


class DaskExecutor:
    """Run steps as tasks on a Dask cluster (``address``) or a LocalCluster of ``workers``."""

    name = "dask"

    def __init__(self, *, workers: int = 2, address: str | None = None, local_directory: str | None = None) -> None:
        self.workers = max(1, int(workers))
        self.address = address
        self.local_directory = local_directory

    def _client(self) -> tuple[Any, Any]:
        from workbench.exceptions import require

        distributed = require("distributed", feature="The dask executor", extra="dask", package="dask[distributed]")
        if self.address:
            return distributed.Client(self.address, timeout="20s"), None
        cluster = distributed.LocalCluster(
            n_workers=self.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, local_directory=self.local_directory,
        )
        return distributed.Client(cluster), cluster

    def run(self, tasks: list[dict[str, Any]], on_update: Update) -> dict[str, str]:
        from distributed import as_completed

        client, cluster = self._client()
        try:
            futures: dict[str, Any] = {}
            for task in tasks:  # already in dependency order
                inputs = [futures[d] for d in task["depends_on"]]
                payload = {**task, "secrets": list(task["secrets"])}  # names only
                futures[task["name"]] = client.submit(
                    _dask_step, payload, *inputs, key=f"workbench-{task['run_id']}-{task['name']}", pure=False
                )
            statuses: dict[str, str] = {}
            for future in as_completed(list(futures.values())):
                result = future.result()
                statuses[result["name"]] = result["status"]
                on_update(result["name"], result["status"])
            return statuses
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


EXECUTORS: dict[str, type] = {"threads": ThreadExecutor, "dask": DaskExecutor}


def make_executor(name: str, **options: Any) -> Any:
    """The executor called ``name`` (``threads`` or ``dask``)."""
    if name not in EXECUTORS:
        raise ParameterError(
            f"Unknown executor {name!r}.", name="executor", value=name,
            hint=f"Executors: {', '.join(EXECUTORS)}.",
        )
    if name == "threads":
        options.pop("address", None)
        options.pop("local_directory", None)
    return EXECUTORS[name](**options)

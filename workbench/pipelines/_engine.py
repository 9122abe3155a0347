"""The papermill engine behind every notebook run: kernel environment, secrets, cost, timeout.

papermill's nbclient engine, registered as ``workbench`` in papermill's engine registry, with:

* the kernel's environment passed to the kernel it starts (never through ``os.environ``), so
  several notebooks can run at once in one process;
* **redaction** (:mod:`workbench.redaction`): every time the executed notebook is saved (each
  cell, on failure, at the end) the values of the secrets are replaced by ``[secret NAME]`` first,
  so no output file ever holds a secret, even one a cell printed or put in a traceback, nor its
  repr(), json.dumps() or html.escape() form;
* a :class:`KernelWatch` that samples the kernel's process tree (CPU seconds, peak memory) and
  stops the kernel when the step's timeout is reached (interrupt, then kill).

Only papermill, nbclient, psutil and :mod:`workbench.redaction` (standard library only) are imported:
the Airflow runtime uses this module too.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import psutil
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.utils import merge_kwargs, remove_args

from workbench.redaction import redact, redact_notebook, secret_forms

__all__ = ["ENGINE_NAME", "KernelWatch", "redact", "redact_notebook", "secret_forms"]

ENGINE_NAME = "workbench"
KILL_GRACE_SECONDS = 3.0


class KernelWatch:
    """Watches the kernel of one execution: cost of its process tree, and its timeout.

    ``cpu_seconds`` sums user and system time of the kernel and its children (the last value
    seen of each process); ``peak_memory_mb`` is the largest resident size of the whole tree.
    The ``timeout`` clock starts when the first cell starts (kernel start-up has its own limit).
    """

    def __init__(self, *, timeout: float | None = None, interval: float = 0.5) -> None:
        self.timeout = timeout
        self.interval = interval
        self.timed_out = False
        self.kernel_pid: int | None = None
        self._cpu: dict[int, float] = {}
        self._peak_bytes = 0
        self._client: Any = None
        self._started: float | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._members: list[psutil.Process] = []
        self._scanned = 0.0

    @property
    def cpu_seconds(self) -> float:
        return round(sum(self._cpu.values()), 3)

    @property
    def peak_memory_mb(self) -> float:
        return round(self._peak_bytes / 2**20, 1)

    def attach(self, client: Any) -> None:
        """Start watching the kernel that ``client`` (an nbclient NotebookClient) starts."""
        self._client = client
        self._thread = threading.Thread(target=self._loop, name="workbench-kernel-watch", daemon=True)
        self._thread.start()

    def cells_started(self) -> None:
        """The kernel is up and runs the first cell: the timeout clock starts now."""
        if self._started is None:
            self._started = time.monotonic()

    def stop(self) -> None:
        self.sample()
        self._done.set()
        if self._thread is not None:
            self._thread.join(5)

    def _find_pid(self) -> int | None:
        if self.kernel_pid is None:
            provisioner = getattr(getattr(self._client, "km", None), "provisioner", None)
            pid = getattr(provisioner, "pid", None)
            self.kernel_pid = int(pid) if pid else None
        return self.kernel_pid

    def _tree(self, *, fresh: bool = False) -> list[psutil.Process]:
        """The kernel and its children; the children are looked up again every 2 s at most
        (finding them scans every process of the machine)."""
        pid = self._find_pid()
        if pid is None:
            return []
        if fresh or not self._members or time.monotonic() - self._scanned > 2.0:
            try:
                root = psutil.Process(pid)
                self._members = [root, *root.children(recursive=True)]
            except psutil.Error:
                return []
            self._scanned = time.monotonic()
        return self._members

    def sample(self) -> None:
        """Read CPU times and memory of the kernel's process tree now."""
        rss = 0
        with self._lock:
            for process in self._tree():
                try:
                    times = process.cpu_times()
                    rss += process.memory_info().rss
                except psutil.Error:
                    continue
                self._cpu[process.pid] = max(self._cpu.get(process.pid, 0.0), times.user + times.system)
            self._peak_bytes = max(self._peak_bytes, rss)

    def _loop(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()
            started = self._started
            if self.timeout is not None and started is not None and time.monotonic() - started > self.timeout:
                self._stop_kernel()
                return

    def kill_kernel(self) -> None:
        """Kill the kernel's process tree now (the run is being stopped)."""
        if self._find_pid() is None:
            return
        for process in reversed(self._tree(fresh=True)):
            try:
                process.kill()
            except psutil.Error:
                continue

    def _stop_kernel(self) -> None:
        """Interrupt the running cell; kill the kernel's tree if it does not end in time."""
        self.timed_out = True
        pid = self._find_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGINT)
        except OSError:
            return
        if not self._done.wait(KILL_GRACE_SECONDS):
            self.kill_kernel()


class _Manager(NotebookExecutionManager):
    """papermill's execution manager, redacting secrets before every save."""

    secrets: Mapping[str, str] = {}
    watch: KernelWatch | None = None

    def save(self, **kwargs: Any) -> None:
        redact_notebook(self.nb, self.secrets)
        super().save(**kwargs)

    def cell_start(self, cell: Any, cell_index: Any = None, **kwargs: Any) -> None:
        if self.watch is not None:
            self.watch.cells_started()
        super().cell_start(cell, cell_index=cell_index, **kwargs)

    def cell_complete(self, cell: Any, cell_index: Any = None, **kwargs: Any) -> None:
        if self.watch is not None:
            self.watch.sample()
        super().cell_complete(cell, cell_index=cell_index, **kwargs)


class WorkbenchEngine(NBClientEngine):
    """papermill's nbclient engine with a kernel environment, redaction and a kernel watch."""

    @classmethod
    def execute_notebook(
        cls,
        nb: Any,
        kernel_name: str,
        output_path: str | None = None,
        progress_bar: bool = True,
        log_output: bool = False,
        autosave_cell_every: int = 30,
        secrets: Mapping[str, str] | None = None,
        watch: KernelWatch | None = None,
        source_path: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if source_path is not None:  # the notebook came in as a node: record where it is from
            nb.metadata.setdefault("papermill", {})["input_path"] = source_path
        nb_man = _Manager(
            nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )
        nb_man.secrets = dict(secrets or {})
        nb_man.watch = watch
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, watch=watch, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        kernel_env: Mapping[str, str] | None = None,
        drop_env: Sequence[str] = (),
        watch: KernelWatch | None = None,
        kernel_cwd: str | None = None,
        **kwargs: Any,
    ) -> Any:
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        env = {**os.environ, **(kernel_env or {})}
        for key in drop_env:
            env.pop(key, None)
        client = PapermillNotebookClient(nb_man, **final)
        if watch is not None:
            watch.attach(client)
        try:
            # The kernel's working folder, given to the kernel only: papermill's own ``cwd``
            # changes the whole process's folder, which parallel steps would trample.
            return client.execute(env=env, **({"cwd": kernel_cwd} if kernel_cwd else {}))
        finally:
            if watch is not None:
                watch.stop()


papermill_engines.register(ENGINE_NAME, WorkbenchEngine)

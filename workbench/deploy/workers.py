"""Several serving processes on one port: ``workbench serve --workers N``.

Each worker is a process of its own (spawned, not forked: it loads the model itself) with its
own listening socket on the same address and port (``SO_REUSEPORT``): the kernel spreads new
connections over the workers' sockets, so no worker takes every connection of a burst, and
when a worker dies its socket closes and new connections go to the others. Each worker scores
with one OpenMP (and BLAS) thread, so N workers use N cores without oversubscribing them.

Every worker writes the one prediction log of the project (or ``WORKBENCH_PREDICTION_LOG``):
on one host the SQLite file in WAL mode, whose writers take turns on its write lock (the busy
timeout makes a writer wait rather than fail), across hosts a PostgreSQL database. Each worker
records its own replica id in ``WORKBENCH_REPLICA``: the pod's or host's name (the variable
as the parent got it, else the host name) and the worker's process id, e.g. ``credit-7f9c:41``.

The parent supervises: SIGINT or SIGTERM stops every worker (each finishes the requests it
holds, as uvicorn does on SIGTERM); a worker that dies is replaced (one that fails again as it
starts, say while the database is down, is retried every 10 s); a worker that cannot
start at launch stops the service with its error. A worker whose parent is gone stops by itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from workbench.deploy.predlog import REPLICA_ENV
from workbench.exceptions import ServingError, WorkbenchError

__all__ = ["MAX_WORKERS", "ServeOptions", "build_app", "check_workers", "serve", "worker_replica"]

MAX_WORKERS = 64
STARTUP_FAILURE = 3  # the exit code of a worker that could not start (uvicorn's own)
# One thread per library pool: N workers on N cores, none of them starting a pool per core.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
_START_TIMEOUT = 300.0  # seconds a worker may take to load its model (a slow disk, a busy machine)
_STOP_TIMEOUT = 30.0  # seconds the workers get to finish their requests before they are killed
_RETRY_AFTER = 10.0  # seconds before a worker that failed as it started is started again


@dataclasses.dataclass(frozen=True)
class ServeOptions:
    """Everything a worker needs to build the service (picklable: it is sent to each worker).

    The bearer token is read from ``token_file`` by each worker, never passed around.
    """

    project_root: str
    model_uri: str
    challenger_uri: str | None = None
    mode: str | None = None
    fraction: float = 0.1
    token_file: str | None = None
    allowed_hosts: tuple[str, ...] | None = None
    expected_sha256: str | None = None
    header_timeout: float = 10.0


def build_app(options: ServeOptions) -> Any:
    """The FastAPI service ``options`` describe (:func:`workbench.deploy.create_app`)."""
    from workbench.deploy._auth import read_token_file
    from workbench.deploy.app import create_app
    from workbench.project import Project

    token = read_token_file(options.token_file) if options.token_file else None
    project = Project.load(options.project_root, check_data=False)
    return create_app(project, options.model_uri, challenger_uri=options.challenger_uri, mode=options.mode,
                      fraction=options.fraction, token=token, allowed_hosts=options.allowed_hosts,
                      expected_sha256=options.expected_sha256)


def worker_replica(base: str | None, pid: int) -> str:
    """The replica id a worker records in the log: ``<pod or host name>:<pid>``.

    Examples
    --------
    >>> worker_replica("credit-7f9c", 41)
    'credit-7f9c:41'
    """
    return f"{base or socket.gethostname()}:{pid}"


def check_workers(workers: int) -> int:
    """``workers`` when it is a sensible process count, else a :class:`ServingError` naming it."""
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ServingError(f"--workers {workers!r} is not a number of processes from 1 to {MAX_WORKERS}",
                           hint=f"pass --workers N with 1 <= N <= {MAX_WORKERS}; one per core is a good start "
                                f"(this machine has {os.cpu_count()})")
    return workers


def serve(options: ServeOptions, *, host: str, port: int, workers: int = 1,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``options`` on ``host:port`` with ``workers`` processes until SIGINT or SIGTERM.

    One worker runs in this process. Several: each is a process of its own; when one cannot
    start (a bad model, project or log), the service stops with that worker's error.
    ``on_ready(url)`` is called once the service accepts connections (with port 0, the port
    the one worker was given).
    """
    check_workers(workers)
    if workers > 1 and port == 0:
        raise ServingError("--port 0 (any free port) cannot be shared by several workers: each would get its own",
                           hint="pass a port number with --workers, e.g. --port 8000")
    if workers == 1:
        import uvicorn

        from workbench.deploy._edge import header_deadline_protocol

        config = uvicorn.Config(build_app(options), host=host, port=port, log_level="warning",
                                http=header_deadline_protocol(options.header_timeout))
        _announcing(uvicorn.Server, on_ready)(config).run()
        return
    _check_port(host, port)
    os.environ.update(ONE_THREAD)  # inherited by the spawned workers before they import numpy
    _Supervisor(options, host=host, port=port, workers=workers, on_ready=on_ready).run()


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _announcing(base: Any, on_ready: Callable[[str], None] | None) -> Any:
    """uvicorn's Server, calling ``on_ready`` with its URL once it accepts connections."""

    class AnnouncingServer(base):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and on_ready is not None:
                host, port = self.servers[0].sockets[0].getsockname()[:2]
                on_ready(_url(host, port))

    return AnnouncingServer


def _listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` with ``SO_REUSEPORT``, so every worker can listen there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as err:
        sock.close()
        raise ServingError(f"cannot listen on {host}:{port}: {err.strerror or err}",
                           hint="pick a free --port, or stop the process that holds it") from err
    return sock


def _check_port(host: str, port: int) -> None:
    """Refuse a port another program holds before any worker loads a model (bound, never listened).

    Bound without ``SO_REUSEPORT``: with it, the bind would succeed beside another service of
    this user that listens with it (a second ``workbench serve --workers``), and the kernel would
    spread the traffic over both models.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as err:
            raise ServingError(f"cannot listen on {host}:{port}: {err.strerror or err}",
                               hint="pick a free --port, or stop the process that holds it") from err


@dataclasses.dataclass
class _Worker:
    """A worker process, the pipe it reports on, whether it served, and when to retry its slot."""

    process: Any
    news: Any
    served: bool = False
    retry_at: float = 0.0

    @property
    def exitcode(self) -> int | None:
        return self.process.exitcode


class _Supervisor:
    """Starts the workers, replaces one that dies, and stops them all on SIGINT or SIGTERM."""

    def __init__(self, options: ServeOptions, *, host: str, port: int, workers: int,
                 on_ready: Callable[[str], None] | None = None) -> None:
        import multiprocessing

        self.options, self.host, self.port, self.count = options, host, port, workers
        self.on_ready = on_ready
        self.context = multiprocessing.get_context("spawn")
        self.base = os.environ.get(REPLICA_ENV) or socket.gethostname()
        self.stopping = threading.Event()
        self.workers: list[_Worker] = []

    def run(self) -> None:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.workers = [self._start() for _ in range(self.count)]
            for worker in self.workers:
                self._wait_ready(worker)
            if self.on_ready is not None and not self.stopping.is_set():
                self.on_ready(_url(self.host, self.port))
            while not self.stopping.wait(0.2):
                self._replace_dead()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping.set()

    def _start(self) -> _Worker:
        news, report = self.context.Pipe(duplex=False)
        process = self.context.Process(target=_worker_main, name="workbench-worker", daemon=False,
                                       args=(self.options, self.host, self.port, self.base, report))
        process.start()
        report.close()  # the worker holds the sending end
        return _Worker(process, news)

    def _wait_ready(self, worker: _Worker) -> None:
        """Wait until ``worker`` serves; one that cannot start stops the service with its error."""
        deadline = time.monotonic() + _START_TIMEOUT
        while not self.stopping.is_set():
            news = _receive(worker.news)
            if news == "ready":
                worker.served = True
                return
            if isinstance(news, tuple):  # the worker's own WorkbenchError: message and hint
                raise ServingError(news[0], hint=news[1])
            if worker.exitcode is not None or time.monotonic() > deadline:
                raise ServingError(
                    f"a worker (pid {worker.process.pid}) could not start: "
                    + (f"it ended ({_ending(worker.exitcode)})" if worker.exitcode is not None
                       else f"it did not serve within {_START_TIMEOUT:.0f} s"),
                    hint="its traceback is printed above; report it, or serve without --workers meanwhile")

    def _replace_dead(self) -> None:
        """Start a worker in place of each that ended; one that fails as it starts is retried slowly."""
        for index, worker in enumerate(self.workers):
            if worker.exitcode is None or time.monotonic() < worker.retry_at:
                continue
            if worker.retry_at == 0.0:
                news = None if worker.served else _receive(worker.news)
                said = f": {news[0]}" if isinstance(news, tuple) else ""
                print(f"workbench serve: worker {worker.process.pid} ended ({_ending(worker.exitcode)}){said}; "
                      "starting another", file=sys.stderr, flush=True)
                if not (worker.served or news == "ready"):  # it failed as it started: wait a little
                    worker.retry_at = time.monotonic() + _RETRY_AFTER
                    continue
            worker.news.close()
            self.workers[index] = self._start()

    def _stop_all(self) -> None:
        for worker in self.workers:
            if worker.exitcode is None and worker.process.pid is not None:
                with contextlib.suppress(ProcessLookupError):  # it ended (a SIGINT to the whole group)
                    os.kill(worker.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_TIMEOUT
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.exitcode is None:
                worker.process.kill()
                worker.process.join(5)


def _receive(news: Any) -> Any:
    """What a starting worker said within 0.1 s: ``"ready"``, ``(message, hint)`` or None."""
    try:
        return news.recv() if news.poll(0.1) else None
    except EOFError:  # it ended without a word
        time.sleep(0.1)
        return None


def _ending(exitcode: int) -> str:
    return f"signal {signal.Signals(-exitcode).name}" if exitcode < 0 else f"exit code {exitcode}"


def _worker_main(options: ServeOptions, host: str, port: int, base: str, report: Any) -> None:
    """One worker: its replica id, its socket, the service, until SIGTERM (or its parent is gone)."""
    os.environ[REPLICA_ENV] = worker_replica(base, os.getpid())
    try:
        app = build_app(options)
        sock = _listening_socket(host, port)
        sock.listen(2048)
    except WorkbenchError as err:
        report.send((err.message, err.hint))
        sys.exit(STARTUP_FAILURE)
    import uvicorn

    from workbench.deploy._edge import header_deadline_protocol

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning",
                                           http=header_deadline_protocol(options.header_timeout)))
    threading.Thread(target=_watch, args=(server, report, os.getppid()), daemon=True).start()
    server.run(sockets=[sock])


def _watch(server: Any, report: Any, parent: int) -> None:
    """Tell the parent once ``server`` accepts; stop it when the parent is gone (an orphan serves no one)."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        report.send("ready")
    while not server.should_exit:
        if os.getppid() != parent:
            server.should_exit = True
        time.sleep(1.0)


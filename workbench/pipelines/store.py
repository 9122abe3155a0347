"""The run store: one SQLite file (``.workbench/runs.db``) with a row per run and per step.

Each run records its pipeline, parameters, status, trigger, start and end, and the process that
runs it (pid, process start time, host) with a heartbeat. Each step records its status, attempts,
timings, CPU seconds and peak memory of its kernel's process tree, an error summary and the
paths of its executed notebook and HTML page: the *cost* view of a pipeline.

A run whose runner died (killed, machine restarted) would otherwise stay "running" forever:
every read first marks such runs ``interrupted`` (its process is gone, or its heartbeat is stale),
or ``cancelled`` when someone had asked to cancel it. A cancel request is a mark on the run's row
(:meth:`RunStore.request_cancel`) that the process running its steps watches, wherever it runs.
Several processes may write at once (WAL journal, a busy timeout).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.exceptions import PipelineError

__all__ = ["RUN_STATES", "STEP_STATES", "RunRecord", "RunStore", "StepRecord"]

RUN_STATES = ("queued", "running", "succeeded", "failed", "interrupted", "cancelled")
STEP_STATES = ("pending", "running", "succeeded", "failed", "skipped", "interrupted", "cancelled")
FINISHED_STATES = ("succeeded", "failed", "interrupted", "cancelled")
STALE_SECONDS = 120.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, parameters TEXT NOT NULL,
    status TEXT NOT NULL, trigger TEXT NOT NULL, created TEXT NOT NULL, started TEXT, ended TEXT,
    pid INTEGER, pid_started REAL, host TEXT, heartbeat REAL, executor TEXT, error TEXT,
    cancel_requested TEXT, cancelled_by TEXT
);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL, notebook TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, started TEXT, ended TEXT,
    seconds REAL, cpu_seconds REAL, peak_memory_mb REAL, error TEXT,
    output_notebook TEXT, output_html TEXT, PRIMARY KEY (run_id, name)
);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created);
"""
# Columns added after the first release: a runs.db written before them gains them on open.
_ADDED_RUN_COLUMNS = {"cancel_requested": "TEXT", "cancelled_by": "TEXT"}


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _seconds(started: str | None, ended: str | None) -> float | None:
    if not started:
        return None
    end = dt.datetime.fromisoformat(ended) if ended else dt.datetime.now(dt.UTC)
    return round((end - dt.datetime.fromisoformat(started)).total_seconds(), 3)


@dataclass(frozen=True, kw_only=True)
class StepRecord:
    """One step of a run, as recorded."""

    name: str
    notebook: str
    status: str
    attempts: int = 0
    started: str | None = None
    ended: str | None = None
    seconds: float | None = None
    cpu_seconds: float | None = None
    peak_memory_mb: float | None = None
    error: str | None = None
    output_notebook: str | None = None
    output_html: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """One pipeline run with its steps; ``to_dict()`` is what the CLI, REST and panel show."""

    run_id: str
    pipeline: str
    parameters: dict[str, Any]
    status: str
    trigger: str
    created: str
    started: str | None
    ended: str | None
    steps: tuple[StepRecord, ...]
    error: str | None = None
    pid: int | None = None
    executor: str | None = None
    cancel_requested: str | None = None
    cancelled_by: str | None = None

    @property
    def seconds(self) -> float | None:
        return _seconds(self.started, self.ended)

    @property
    def cpu_seconds(self) -> float | None:
        values = [s.cpu_seconds for s in self.steps if s.cpu_seconds is not None]
        return round(sum(values), 3) if values else None

    @property
    def peak_memory_mb(self) -> float | None:
        values = [s.peak_memory_mb for s in self.steps if s.peak_memory_mb is not None]
        return max(values) if values else None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATES

    def step(self, name: str) -> StepRecord:
        for step in self.steps:
            if step.name == name:
                return step
        raise PipelineError(f"Run {self.run_id} has no step {name!r}.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "pipeline": self.pipeline, "parameters": self.parameters,
            "status": self.status, "trigger": self.trigger, "created": self.created,
            "started": self.started, "ended": self.ended, "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds, "peak_memory_mb": self.peak_memory_mb,
            "error": self.error, "executor": self.executor,
            "cancel_requested": self.cancel_requested, "cancelled_by": self.cancelled_by,
            "steps": [s.to_dict() for s in self.steps],
        }


class RunStore:
    """The project's run records (``.workbench/runs.db``).

    Examples
    --------
    >>> store = RunStore(project)  # doctest: +SKIP
    >>> [r.status for r in store.list_runs(limit=5)]  # doctest: +SKIP
    ['succeeded', 'failed']
    """

    def __init__(self, project: Any) -> None:
        self.path = Path(project.state_dir) / "runs.db"
        with self._connect() as conn:
            conn.executescript(_SCHEMA)
            present = {row["name"] for row in conn.execute("PRAGMA table_info(runs)")}
            for column, kind in _ADDED_RUN_COLUMNS.items():
                if column not in present:
                    conn.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=60)) as conn:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL: safe, one fsync per checkpoint
            with conn:
                yield conn

    # -- writing -------------------------------------------------------------------------------
    def create_run(
        self, *, run_id: str, pipeline: str, parameters: dict[str, Any], trigger: str,
        steps: Sequence[tuple[str, str]], executor: str = "threads",
    ) -> str:
        """Record a new queued run with its steps pending."""
        created = now_iso()
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO runs (run_id, pipeline, parameters, status, trigger, created, host, "
                "heartbeat, executor) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
                (run_id, pipeline, json.dumps(parameters), trigger, created, socket.gethostname(),
                 time.time(), executor),
            )
            conn.executemany(
                "INSERT INTO steps (run_id, name, position, notebook, status) VALUES (?, ?, ?, ?, 'pending')",
                [(run_id, name, i, notebook) for i, (name, notebook) in enumerate(steps)],
            )
        return run_id

    def set_process(self, run_id: str, pid: int) -> None:
        """Record which process runs (or will run) ``run_id``."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE runs SET pid = ?, pid_started = ?, host = ?, heartbeat = ? WHERE run_id = ?",
                (pid, _process_started(pid), socket.gethostname(), time.time(), run_id),
            )

    def claim_run(self, run_id: str) -> None:
        """This process starts ``run_id``: status running, its pid, start time and heartbeat."""
        record = self.get_run(run_id, reconcile=False)
        if record.status != "queued":
            raise PipelineError(f"Run {run_id} is {record.status}, not queued; it cannot be started again.")
        self.set_process(run_id, os.getpid())
        with self._connect() as conn:
            conn.execute("UPDATE runs SET status = 'running', started = ? WHERE run_id = ?", (now_iso(), run_id))

    def beat(self, run_id: str) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE runs SET heartbeat = ? WHERE run_id = ?", (time.time(), run_id))

    def update_step(self, run_id: str, name: str, **fields: Any) -> None:
        """Set some columns of one step (status, attempts, started, ended, cost, error, outputs)."""
        allowed = set(StepRecord.__dataclass_fields__) - {"name", "notebook"}
        unknown = set(fields) - allowed
        if unknown:
            raise PipelineError(f"Unknown step fields: {', '.join(sorted(unknown))}.")
        if not fields:
            return
        columns = ", ".join(f"{key} = ?" for key in fields)
        with self._connect() as conn:
            conn.execute(
                f"UPDATE steps SET {columns} WHERE run_id = ? AND name = ?",
                (*fields.values(), run_id, name),
            )

    def request_cancel(self, run_id: str, *, by: str) -> str:
        """Ask for ``run_id`` to stop; returns its status now.

        A queued run that no runner has claimed yet is cancelled at once. A running one is
        marked: the process running its steps sees the mark, stops its kernels and records the
        run as ``cancelled``.
        """
        moment = now_iso()
        with self._connect() as conn:
            conn.execute(
                "UPDATE runs SET cancel_requested = ?, cancelled_by = ? "
                "WHERE run_id = ? AND status IN ('queued', 'running') AND cancel_requested IS NULL",
                (moment, by, run_id),
            )
            conn.execute(
                "UPDATE runs SET status = 'cancelled', ended = ?, error = ? WHERE run_id = ? AND status = 'queued'",
                (moment, f"Cancelled by {by} before it started.", run_id),
            )
            conn.execute(
                "UPDATE steps SET status = 'cancelled', error = 'Not run: the run was cancelled.' "
                "WHERE run_id = ? AND status = 'pending' AND "
                "(SELECT status FROM runs WHERE run_id = ?) = 'cancelled'",
                (run_id, run_id),
            )
        return self.get_run(run_id, reconcile=False).status

    def cancel_requested(self, run_id: str) -> bool:
        """Has someone asked ``run_id`` to stop? (Read by the steps' kernel watches, once a second.)"""
        with self._connect() as conn:
            row = conn.execute("SELECT cancel_requested FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return row is not None and row["cancel_requested"] is not None

    def local_runner(self, run_id: str) -> int | None:
        """The pid of the process running ``run_id`` when it is on this machine and still alive."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT pid, pid_started, host, heartbeat FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        if row is None or row["pid"] is None or row["host"] != socket.gethostname() or not _alive(row):
            return None
        return int(row["pid"])

    def finish_run(self, run_id: str, status: str, *, error: str | None = None) -> None:
        if status not in RUN_STATES:
            raise PipelineError(f"Unknown run status {status!r}.")
        with self._connect() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, ended = ?, error = ?, heartbeat = ? WHERE run_id = ?",
                (status, now_iso(), error, time.time(), run_id),
            )
            if status == "interrupted":
                conn.execute(
                    "UPDATE steps SET status = 'interrupted', ended = ? WHERE run_id = ? AND status = 'running'",
                    (now_iso(), run_id),
                )

    # -- reading -------------------------------------------------------------------------------
    def list_runs(self, limit: int = 50, *, pipeline: str | None = None) -> list[RunRecord]:
        """The newest runs first (at most ``limit``), optionally of one pipeline."""
        self.reconcile()
        query = "SELECT * FROM runs"
        args: list[Any] = []
        if pipeline is not None:
            query += " WHERE pipeline = ?"
            args.append(pipeline)
        query += " ORDER BY created DESC, run_id DESC LIMIT ?"
        args.append(int(limit))
        with self._connect() as conn:
            rows = conn.execute(query, args).fetchall()
            return [self._record(conn, row) for row in rows]

    def get_run(self, run_id: str, *, reconcile: bool = True) -> RunRecord:
        """The run ``run_id``; :class:`PipelineError` when there is none."""
        if reconcile:
            self.reconcile()
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise PipelineError(
                    f"No run {run_id!r} in {self.path}.", hint="List the runs with `workbench runs`."
                )
            return self._record(conn, row)

    def active_runs(self, pipeline: str | None = None) -> list[RunRecord]:
        return [r for r in self.list_runs(limit=1000, pipeline=pipeline) if not r.finished]

    def _record(self, conn: sqlite3.Connection, row: sqlite3.Row) -> RunRecord:
        steps = conn.execute(
            "SELECT * FROM steps WHERE run_id = ? ORDER BY position", (row["run_id"],)
        ).fetchall()
        return RunRecord(
            run_id=row["run_id"], pipeline=row["pipeline"], parameters=json.loads(row["parameters"]),
            status=row["status"], trigger=row["trigger"], created=row["created"],
            started=row["started"], ended=row["ended"], error=row["error"], pid=row["pid"],
            executor=row["executor"], steps=tuple(_step(s) for s in steps),
            cancel_requested=row["cancel_requested"], cancelled_by=row["cancelled_by"],
        )

    # -- crash recovery ------------------------------------------------------------------------
    def reconcile(self) -> list[str]:
        """Mark runs whose runner is gone as ``interrupted`` (``cancelled`` when a cancel was
        asked for); returns their ids."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT run_id, pid, pid_started, host, heartbeat, cancel_requested, cancelled_by FROM runs "
                "WHERE status IN ('queued', 'running')"
            ).fetchall()
        dead = [row for row in rows if not _alive(row)]
        for row in dead:
            status, error = ("cancelled", f"Cancelled by {row['cancelled_by']}; its runner was stopped.") \
                if row["cancel_requested"] else \
                ("interrupted", "The runner stopped before the run finished (killed or crashed).")
            with self._connect() as conn:
                ended = now_iso()
                conn.execute(
                    "UPDATE runs SET status = ?, ended = ?, error = ? "
                    "WHERE run_id = ? AND status IN ('queued', 'running')",
                    (status, ended, error, row["run_id"]),
                )
                conn.execute(
                    "UPDATE steps SET status = ?, ended = ? WHERE run_id = ? AND status = 'running'",
                    (status, ended, row["run_id"]),
                )
                if row["cancel_requested"]:  # steps it never reached are not left "pending"
                    conn.execute(
                        "UPDATE steps SET status = 'cancelled', error = 'Not run: the run was cancelled.' "
                        "WHERE run_id = ? AND status = 'pending'", (row["run_id"],),
                    )
        return [row["run_id"] for row in dead]


def _step(row: sqlite3.Row) -> StepRecord:
    return StepRecord(
        name=row["name"], notebook=row["notebook"], status=row["status"], attempts=row["attempts"],
        started=row["started"], ended=row["ended"], seconds=row["seconds"],
        cpu_seconds=row["cpu_seconds"], peak_memory_mb=row["peak_memory_mb"], error=row["error"],
        output_notebook=row["output_notebook"], output_html=row["output_html"],
    )


def _process_started(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _alive(row: sqlite3.Row) -> bool:
    """Is the runner of this run still there? Same host: its process; else: its heartbeat."""
    import psutil

    stale = row["heartbeat"] is not None and time.time() - row["heartbeat"] > STALE_SECONDS
    if row["host"] != socket.gethostname() or row["pid"] is None:
        return not stale
    try:
        process = psutil.Process(row["pid"])
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        started = row["pid_started"]
        return started is None or abs(process.create_time() - started) < 1.0
    except psutil.Error:
        return False

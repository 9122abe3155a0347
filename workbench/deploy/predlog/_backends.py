"""What differs between the databases a prediction log lives in, looked up by dialect name.

Everything else (tables, inserts, reads, migrations) is one SQLAlchemy Core implementation.
Each :class:`Backend` says how to open an engine, how a write transaction starts, and how a
reader finds a *stable boundary*: a position in the log's commit order below which every row
is committed and visible, and above which every later row will land. Incremental readers
(:mod:`workbench.monitor.logreader`) read the rows between the last boundary and the new one,
so no row is read twice or missed, whatever the concurrency of the writers.

* SQLite: writers are serialised (``BEGIN IMMEDIATE``) and ``rowid`` grows with every insert,
  so ``max(rowid)`` is a stable boundary in itself.
* PostgreSQL: writers run concurrently, so a row that commits later can carry a smaller number
  than one already visible. Each row records the id of the transaction that wrote it (``txid``,
  a column default: no extra round trip), and the boundary is the oldest transaction still in
  flight (``pg_snapshot_xmin``) less one: every transaction below it has ended, so its rows are
  all visible or never will be, and every later transaction gets a larger id. No lock is taken.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine

__all__ = ["BACKENDS", "Backend", "backend_for"]

# The advisory lock (a 64-bit key) that makes concurrent first opens migrate once.
_MIGRATE_LOCK = zlib.crc32(b"workbench prediction log: migrations")


@dataclasses.dataclass(frozen=True)
class Backend:
    """One database family: engine options and the hooks the log calls."""

    name: str
    engine_options: Callable[[URL], dict[str, Any]]
    on_engine: Callable[[Engine], None]
    start_write: Callable[[Connection], None]
    start_migration: Callable[[Connection], None]
    boundary: Callable[[Connection, str], int]
    order_column: str  # the column that grows in commit order (with :attr:`boundary`)
    add_order_column: Callable[[Any], None]  # the migration that adds it, given Alembic's ``op``


# -- SQLite ---------------------------------------------------------------------------------
def _sqlite_options(url: URL) -> dict[str, Any]:
    return {"connect_args": {"timeout": 30.0, "check_same_thread": False}}


def _sqlite_engine(engine: Engine) -> None:
    """WAL journaling, ``synchronous=NORMAL``, and transactions that SQLAlchemy's driver leaves to us.

    In WAL mode NORMAL syncs at checkpoints rather than on every commit: a committed batch
    survives a crash of the process (kill -9 included) and the log is never corrupt, but the
    last commits before a power loss or an operating-system crash may be lost. A write
    transaction starts ``BEGIN IMMEDIATE`` (it takes the write lock first, so a read-then-write
    such as the feedback's duplicate check never fails half-way); a read one plain ``BEGIN``.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite's own implicit BEGINs off
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        writes = conn.get_execution_options().get("workbench_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _sqlite_boundary(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT coalesce(max(rowid), 0) FROM {table}")).scalar_one())


def _nothing(*_: Any) -> None:
    """No hook needed (SQLite's ``BEGIN IMMEDIATE`` already serialises writers; PostgreSQL's need no lock)."""


# -- PostgreSQL -----------------------------------------------------------------------------
def _postgres_options(url: URL) -> dict[str, Any]:
    # No pre-ping (a round trip per transaction, a third of a write's time): a connection that
    # died with its server fails the transaction's first statement, and the log retries it once
    # on a fresh one (PredictionLog.write). connect_timeout bounds the wait for a host that does
    # not answer at all.
    return {"pool_size": 4, "max_overflow": 4, "pool_timeout": 10, "connect_args": {"connect_timeout": 5}}


def _postgres_start_migration(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK})


def _postgres_boundary(conn: Connection, table: str) -> int:
    return int(conn.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1")).scalar_one())


def _postgres_add_txid(op: Any) -> None:
    for table in ("requests", "predictions"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN txid BIGINT NOT NULL "
                   "DEFAULT (pg_current_xact_id()::text::bigint)")
        op.execute(f"CREATE INDEX {table}_txid ON {table} (txid)")


BACKENDS: dict[str, Backend] = {
    "sqlite": Backend("sqlite", _sqlite_options, _sqlite_engine, _nothing, _nothing, _sqlite_boundary,
                      "rowid", _nothing),
    "postgresql": Backend("postgresql", _postgres_options, lambda engine: None, _nothing,
                          _postgres_start_migration, _postgres_boundary, "txid", _postgres_add_txid),
}


def backend_for(url: URL) -> Backend:
    """The :class:`Backend` of ``url``'s dialect (the URL was checked by :func:`~._url.log_url_of`)."""
    return BACKENDS[url.get_backend_name()]

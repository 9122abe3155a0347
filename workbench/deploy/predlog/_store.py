"""An open prediction log: one SQLAlchemy engine, migrated on opening, and its write transactions.

Every write is one transaction: a request and its rows (or a micro-batch of requests and all
their rows) commit together or not at all, before the service answers. A database error while
writing becomes a :class:`~workbench.exceptions.PredictionLogError` naming the log (password
masked), which the service answers as a 503: never an answer that is not logged.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, select
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)

from workbench.deploy.predlog._backends import Backend, backend_for
from workbench.deploy.predlog._schema import VERSION_TABLE, log_info
from workbench.deploy.predlog._url import ENV, configured_log, log_url_of, masked
from workbench.exceptions import PredictionLogError

__all__ = ["REPLICA_ENV", "PredictionLog", "open_log", "replica_name"]

REPLICA_ENV = "WORKBENCH_REPLICA"
_MIGRATIONS = Path(__file__).parent / "_migrations"
T = TypeVar("T")
_UNAVAILABLE = (OperationalError, InterfaceError)  # the database went away, or refuses us
_head: list[str] = []  # the newest revision, read from the migration scripts once per process


def replica_name() -> str:
    """Who writes: ``WORKBENCH_REPLICA`` (a pod's name, say), else ``host:pid`` of this process."""
    return os.environ.get(REPLICA_ENV, "").strip() or f"{socket.gethostname()}:{os.getpid()}"


class PredictionLog:
    """An open log. ``shown`` is its URL with the password masked; :meth:`close` when done."""

    def __init__(self, url: URL) -> None:
        self.url, self.shown = url, masked(url)
        self.backend: Backend = backend_for(url)
        if url.get_backend_name() == "sqlite" and url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(url, **self.backend.engine_options(url))
        self.backend.on_engine(self.engine)
        self._writer = self.engine.execution_options(workbench_write=True)
        self._replica: tuple[int, str] | None = None

    @property
    def replica(self) -> str:
        """This process's replica name (computed again after a fork: the pid changed)."""
        if self._replica is None or self._replica[0] != os.getpid():
            self._replica = (os.getpid(), replica_name())
        return self._replica[1]

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in one write transaction: committed when it returns, rolled back if it raises.

        A pooled connection that died with its server (the database restarted) fails the first
        statement; the transaction is then run once more on a fresh connection, so the service
        recovers by itself. A lost or refused connection is a :class:`PredictionLogError`
        ("unavailable"); any other database error (a broken constraint: a bug, not an outage)
        propagates as it is. A retry that breaks a unique key means the first attempt's commit
        went through before its acknowledgement was lost: that is a :class:`PredictionLogError`
        too (logged, not answered), whose message carries no SQL or parameters.
        """
        for attempt in (1, 2):
            try:
                with self._writer.begin() as conn:
                    self.backend.start_write(conn)
                    return work(conn)
            except IntegrityError as err:
                if attempt == 1:
                    raise
                raise PredictionLogError(
                    f"the connection to the prediction log at {self.shown} was lost while it committed; the "
                    "request was logged but not answered.", url=self.shown,
                    hint="Send the request again with a new request id.") from err
            except _UNAVAILABLE as err:
                if attempt == 1 and err.connection_invalidated:
                    continue
                raise self._unavailable(err) from err
        raise AssertionError("unreachable")  # the loop returns or raises

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read transaction; a lost or refused connection is a :class:`PredictionLogError`."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except _UNAVAILABLE as err:
            raise self._unavailable(err) from err

    def log_id(self) -> str:
        """The log's identity (new for every new log; see :data:`~._schema.log_info`)."""
        with self.read() as conn:
            return str(conn.execute(select(log_info.c.value).where(log_info.c.key == "log_id")).scalar_one())

    def boundary(self) -> dict[str, int]:
        """The stable commit-order boundary of ``requests`` and ``predictions`` (see :mod:`._backends`)."""
        with self.read() as conn:
            return {table: self.backend.boundary(conn, table) for table in ("requests", "predictions")}

    def close(self) -> None:
        """Close the log's connections (a later use opens new ones)."""
        self.engine.dispose()

    def _unavailable(self, err: Exception) -> PredictionLogError:
        reason = _reason(err, self.url)
        return PredictionLogError(
            f"the prediction log at {self.shown} is unavailable ({reason}); nothing was answered or logged.",
            url=self.shown, hint="Retry shortly: the service recovers by itself when the database is back.")

    def migrate(self) -> None:
        """Bring the log to the newest schema (Alembic, version table ``workbench_log_version``)."""
        try:
            self._upgrade()
        except DBAPIError as err:
            raise PredictionLogError(
                f"cannot open the prediction log at {self.shown}: {_reason(err, self.url)}.", url=self.shown,
                hint=f"Check [deploy] prediction_log (or {ENV}): host, port, user, password and "
                     "database, and that the database server is running.") from err

    def _upgrade(self) -> None:
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        if not _head:
            _head.append(str(ScriptDirectory.from_config(config).get_current_head()))
        head = _head[0]
        # Checked on every open (one small query): a log dropped and made again is migrated again.
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
        if current == head:
            return
        with self._writer.begin() as conn:  # the migration lock: concurrent openers migrate once
            self.backend.start_migration(conn)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")




def _reason(err: Exception, url: URL) -> str:
    """The driver's first line about ``err``, with the URL's password (should it appear) masked."""
    original = getattr(err, "orig", None) or err
    text = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    password = url.password
    return text.replace(str(password), "***") if password else text


def open_log(target: Any = None, *, project: Any = None) -> PredictionLog:
    """Open (and migrate) a prediction log.

    Parameters
    ----------
    target : Project, str or Path
        A project (its configured log, :func:`~._url.configured_log`), a path to a SQLite file, or a
        log URL (``sqlite:///...``, ``postgresql://...``).
    project : Project, optional
        Relative paths are read against its folder.

    Raises
    ------
    PredictionLogError
        The URL is not one the log supports, or the database cannot be reached: the message names
        the log with its password masked.
    """
    if target is not None and not isinstance(target, str | Path):
        project, target = target, configured_log(target)
    root = Path(project.root) if project is not None and hasattr(project, "root") else None
    log = PredictionLog(log_url_of(target, root=root))
    try:
        log.migrate()
    except (PredictionLogError, SQLAlchemyError):
        log.close()
        raise
    return log

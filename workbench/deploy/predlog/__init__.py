"""Durable prediction log: a SQLite file in the project (default) or a PostgreSQL database.

``[deploy] prediction_log`` (or ``WORKBENCH_PREDICTION_LOG``) names the log: a path, or
``postgresql://user:password@host:port/database``. One SQLAlchemy Core implementation serves
both (:mod:`._backends` holds the few differences, looked up by dialect); Alembic migrates the
schema on opening, in a version table of its own (``workbench_log_version``), so a log written
by an earlier version (the SQLite log of one process) is brought up to date and a later version
adds the next revision.

A request and its rows are written inside a single transaction before the service answers, so
a process killed mid-write leaves either the whole request or nothing. Every request and row
records the ``replica`` that wrote it (``WORKBENCH_REPLICA``, else host and pid), so one log
serves many workers and replicas and Monitor reads them all (:mod:`workbench.monitor.logreader`).
"""

from __future__ import annotations

from workbench.deploy.predlog._read import read_feedback, read_prediction_log, read_requests
from workbench.deploy.predlog._rows import (
    answer_kind,
    classes_text,
    json_lines,
    log_rows,
    prediction_rows,
    utc_text,
)
from workbench.deploy.predlog._store import REPLICA_ENV, PredictionLog, open_log, replica_name
from workbench.deploy.predlog._url import ENV, configured_log, log_path, log_url_of, masked
from workbench.deploy.predlog._write import (
    connect,
    log_batch,
    write_feedback,
    write_request,
    write_requests,
    write_shadow,
)

__all__ = [
    "ENV",
    "REPLICA_ENV",
    "PredictionLog",
    "answer_kind",
    "classes_text",
    "configured_log",
    "connect",
    "json_lines",
    "log_batch",
    "log_path",
    "log_rows",
    "log_url_of",
    "masked",
    "open_log",
    "prediction_rows",
    "read_feedback",
    "read_prediction_log",
    "read_requests",
    "replica_name",
    "utc_text",
    "write_feedback",
    "write_request",
    "write_requests",
    "write_shadow",
]

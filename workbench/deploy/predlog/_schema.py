"""The prediction log's tables as SQLAlchemy Core objects, shared by every backend.

The columns are those of the SQLite log of the versions before (so a log they wrote is read as
it is); ``replica`` (which process wrote the row) and the PostgreSQL-only ``txid`` were added by
the migration ``0002``. Migrations live in ``_migrations/versions`` and are applied by Alembic
(:mod:`workbench.deploy.predlog._store`); tables are never created from this module.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, Table, Text

metadata = MetaData()

requests = Table(
    "requests", metadata,
    Column("request_id", Text, primary_key=True),
    Column("timestamp", Text, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("latency_ms", Float),
    Column("n_rows", Integer, nullable=False),
    Column("variant", Text, nullable=False),
    Column("model_name", Text),
    Column("model_version", Text),
    Column("error", Text),
    Column("task", Text),
    Column("classes", Text),
    Column("replica", Text),
)

predictions = Table(
    "predictions", metadata,
    Column("request_id", Text, primary_key=True),
    Column("row", Integer, primary_key=True),
    Column("timestamp", Text, nullable=False),
    Column("model_name", Text),
    Column("model_version", Text),
    Column("variant", Text, primary_key=True),
    Column("prediction", Text),
    Column("probability", Float),
    Column("inputs", Text, nullable=False),
    Column("probabilities", Text),
    Column("replica", Text),
)

feedback = Table(
    "feedback", metadata,
    Column("request_id", Text, primary_key=True),
    Column("row", Integer, primary_key=True),
    Column("label", Text),
    Column("timestamp", Text, nullable=False),
    Column("replaced", Integer, nullable=False, server_default="0"),
)

# The log's identity: a new log (or a SQLite file deleted and made again) gets a new id, so a
# reader's cache of an older log is never mistaken for this one's.
log_info = Table(
    "workbench_log_info", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

# The column order of the tuples the service builds (:mod:`workbench.deploy.serving`); the
# writer adds ``replica``.
REQUEST_COLUMNS = ("request_id", "timestamp", "status_code", "latency_ms", "n_rows", "variant", "model_name",
                   "model_version", "error", "task", "classes")
ROW_COLUMNS = ("request_id", "row", "timestamp", "model_name", "model_version", "variant", "prediction",
               "probability", "inputs", "probabilities")
VERSION_TABLE = "workbench_log_version"

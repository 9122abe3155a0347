"""The log as the SQLite versions before Alembic left it (their ``user_version`` 2).

Creates what is missing, so it applies to an empty database, to a log of that version (nothing
to do) and to a log of the first version (the columns added since are appended, nothing rewritten).

Revision ID: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Plain SQL both SQLite and PostgreSQL read the same way; the tables of the versions before.
_TABLES = (
    """CREATE TABLE IF NOT EXISTS requests (
    request_id TEXT PRIMARY KEY, timestamp TEXT NOT NULL, status_code INTEGER NOT NULL,
    latency_ms REAL, n_rows INTEGER NOT NULL, variant TEXT NOT NULL, model_name TEXT,
    model_version TEXT, error TEXT, task TEXT, classes TEXT)""",
    """CREATE TABLE IF NOT EXISTS predictions (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, timestamp TEXT NOT NULL, model_name TEXT,
    model_version TEXT, variant TEXT NOT NULL, prediction TEXT, probability REAL,
    inputs TEXT NOT NULL, probabilities TEXT, PRIMARY KEY (request_id, variant, row))""",
    """CREATE TABLE IF NOT EXISTS feedback (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, label TEXT, timestamp TEXT NOT NULL,
    replaced INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (request_id, row))""",
    "CREATE INDEX IF NOT EXISTS predictions_time ON predictions (timestamp)",
)
# Columns the first version lacked: table -> (name, type, server default).
_ADDED: dict[str, tuple[tuple[str, Any, str | None], ...]] = {
    "requests": (("task", sa.Text(), None), ("classes", sa.Text(), None)),
    "predictions": (("probabilities", sa.Text(), None),),
    "feedback": (("replaced", sa.Integer(), "0"),),
}


def upgrade() -> None:
    for statement in _TABLES:
        op.execute(statement)
    inspector = sa.inspect(op.get_bind())
    for table, columns in _ADDED.items():
        present = {column["name"] for column in inspector.get_columns(table)}
        for name, kind, default in columns:
            if name not in present:
                op.add_column(table, sa.Column(name, kind, nullable=default is None, server_default=default))


def downgrade() -> None:
    raise NotImplementedError("the prediction log is never downgraded: it holds answered requests")

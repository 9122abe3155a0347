"""Many writers: which replica wrote each row, the log's identity, and (PostgreSQL) the writing transaction.

``replica`` is the writing process (``WORKBENCH_REPLICA``, else host name and pid); rows of
earlier versions keep NULL there. PostgreSQL gets ``txid``, the writing transaction's id (SQLite's ``rowid`` plays that part):
see :mod:`workbench.deploy.predlog._backends`. ``workbench_log_info`` holds the log's id.

Revision ID: 0002
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from workbench.deploy.predlog._backends import BACKENDS

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("requests", "predictions"):
        op.add_column(table, sa.Column("replica", sa.Text(), nullable=True))
    BACKENDS[op.get_bind().dialect.name].add_order_column(op)
    info = op.create_table("workbench_log_info", sa.Column("key", sa.Text(), primary_key=True),
                           sa.Column("value", sa.Text(), nullable=False))
    op.bulk_insert(info, [{"key": "log_id", "value": uuid.uuid4().hex}])


def downgrade() -> None:
    raise NotImplementedError("the prediction log is never downgraded: it holds answered requests")

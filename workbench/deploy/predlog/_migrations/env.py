"""Alembic's entry point: migrate the connection :mod:`workbench.deploy.predlog._store` hands over.

The caller has begun the transaction (and taken the backend's migration lock), so Alembic's
own ``begin_transaction`` joins it: two processes opening a new log at once migrate it once.
"""

from __future__ import annotations

from alembic import context

from workbench.deploy.predlog._schema import VERSION_TABLE

context.configure(connection=context.config.attributes["connection"], version_table=VERSION_TABLE,
                  transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()

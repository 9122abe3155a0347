"""Alembic migrations of the prediction log (applied by :mod:`workbench.deploy.predlog._store`)."""

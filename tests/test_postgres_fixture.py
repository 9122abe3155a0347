"""The PostgreSQL fixture (tests/pg.py) every log test relies on: a real server, a password, not root."""

from __future__ import annotations

import os

import psycopg
import pytest


def test_fresh_database_takes_sql_and_wants_the_password(postgres_url: str, postgres_server) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        conn.execute("CREATE TABLE t (x integer)")
        conn.execute("INSERT INTO t VALUES (1), (2)")
        assert conn.execute("SELECT sum(x) FROM t").fetchone() == (3,)
        owner = conn.execute("SELECT pg_catalog.current_setting('data_directory')").fetchone()
    assert owner is not None and str(postgres_server.data) == owner[0]
    wrong = plain.replace(postgres_server.password, "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5)


def test_server_runs_as_an_unprivileged_user(postgres_server) -> None:
    pid = int((postgres_server.data / "postmaster.pid").read_text().split()[0])
    assert os.stat(f"/proc/{pid}").st_uid != 0


def test_each_test_gets_its_own_database(postgres_server) -> None:
    first, second = postgres_server.create_database(), postgres_server.create_database()
    assert first.rsplit("/", 1)[1] != second.rsplit("/", 1)[1]


def test_missing_binaries_skip_here_and_fail_in_ci(monkeypatch) -> None:
    import pg
    from conftest import _postgres_or_skip

    monkeypatch.setattr(pg, "postgres_bindir", lambda: None)
    monkeypatch.delenv(pg.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL's binaries are not installed"):
        _postgres_or_skip()
    monkeypatch.setenv(pg.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="WORKBENCH_REQUIRE_POSTGRES is set: CI must test against"):
        _postgres_or_skip()

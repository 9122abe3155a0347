"""A real PostgreSQL server for tests: Debian's binaries, ``initdb`` in a temporary folder.

The server runs as an unprivileged user (PostgreSQL refuses to run as root, and CI runs as root:
then it runs as ``nobody`` through ``runuser``), listens on a free port of 127.0.0.1 only, keeps
its unix socket inside its own folder and asks for a password (scram-sha-256), so URLs in tests
carry a password that error messages must mask.

``tests/conftest.py`` starts one server per session (fixture ``postgres_server``; ``postgres_url``
is a fresh database on it per test). A test that stops and starts the server (a database that goes
away while serving) makes its own :class:`PostgresServer` so it disturbs no other test.

When the binaries are absent the fixtures skip with the reason, unless ``WORKBENCH_REQUIRE_POSTGRES``
is set (``.ci/run`` sets it and installs Debian's ``postgresql``): then they fail.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER = "workbench"
REQUIRE_ENV = "WORKBENCH_REQUIRE_POSTGRES"


def postgres_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with ``initdb`` (or one on PATH), else None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: _version(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder; :meth:`start`, :meth:`stop`, :meth:`create_database`.

    Parameters
    ----------
    bindir : Path
        The folder of ``initdb``, ``pg_ctl`` and ``postgres``.
    durable : bool
        False (tests) turns ``fsync`` off: commits still survive a crash of any process, only
        not of the operating system. The benchmark keeps PostgreSQL's default (True).
    """

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        self.bindir = bindir
        self.durable = durable
        # Under /tmp, not pytest's tmp_path: that folder is private to root, and the server's
        # user must be able to reach its data folder.
        self.root = Path(tempfile.mkdtemp(prefix="wb-pg-"))
        self.data = self.root / "data"
        self.password = secrets.token_hex(12)
        self.port = _free_port()
        self._as_other_user = os.geteuid() == 0
        if self._as_other_user:
            shutil.chown(self.root, user="nobody")
        self._initdb()

    def url(self, database: str = "postgres", *, driver: str = "postgresql+psycopg") -> str:
        """The SQLAlchemy URL of ``database`` on this server (with the password)."""
        return f"{driver}://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_other_user:
            command = ["runuser", "-u", "nobody", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                               f"{self._log_tail()}")
        return done

    def _initdb(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as_other_user:
            shutil.chown(pwfile, user="nobody")
        self._run("initdb", "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}", "--auth=scram-sha-256",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions", *([] if self.durable else ["--no-sync"]))
        pwfile.unlink()
        settings = {
            "listen_addresses": "'127.0.0.1'", "port": str(self.port), "unix_socket_directories": f"'{self.root}'",
            "max_connections": "200", "fsync": "on" if self.durable else "off",
            "synchronous_commit": "on", "full_page_writes": "on" if self.durable else "off",
            "shared_buffers": "64MB", "logging_collector": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self, *, timeout: float = 60.0) -> None:
        """Start the server and wait until it accepts connections."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                  "-t", str(int(timeout)), "start")

    def stop(self, *, mode: str = "fast") -> None:
        """Stop the server (``fast``: roll back open transactions, close connections; ``immediate``: abort)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    @property
    def running(self) -> bool:
        """Whether the server process is up."""
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def create_database(self, name: str | None = None) -> str:
        """Create a new, empty database; returns its URL."""
        import psycopg

        name = name or f"wb_{secrets.token_hex(6)}"
        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def cleanup(self) -> None:
        """Stop the server and delete its folder."""
        self.stop(mode="immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def _log_tail(self) -> str:
        log = self.root / "server.log"
        return log.read_text()[-3000:] if log.exists() else ""


def start_server(*, durable: bool = False) -> PostgresServer | str:
    """A started :class:`PostgresServer`, or the reason there is none (binaries absent)."""
    bindir = postgres_bindir()
    if bindir is None:
        return ("PostgreSQL's binaries are not installed (apt-get install postgresql: initdb and pg_ctl "
                "under /usr/lib/postgresql/*/bin); .ci/run installs them")
    server = PostgresServer(bindir, durable=durable)
    try:
        server.start()
    except BaseException:
        server.cleanup()
        raise
    return server


def wait_until_accepting(server: PostgresServer, *, timeout: float = 30.0) -> None:
    """Wait until the server accepts a connection."""
    import psycopg

    deadline = time.time() + timeout
    while True:
        try:
            psycopg.connect(server.url(driver="postgresql"), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)

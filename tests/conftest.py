"""Shared fixtures. Every test runs with HOME, Jupyter and IPython folders in a temporary place."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Nothing a test (or a kernel it starts) writes lands in the real home folder."""
    home = tmp_path_factory.mktemp("home")
    saved = {k: os.environ.get(k) for k in _ENV_KEYS}
    os.environ.update(
        {
            "HOME": str(home),
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "IPYTHONDIR": str(home / ".ipython"),
            "MPLCONFIGDIR": str(home / "mpl"),
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        }
    )
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


_ENV_KEYS = ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR",
             "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "MLFLOW_TRACKING_URI")


@pytest.fixture
def project(tmp_path: Path):
    """A fresh demo project with 1,500 rows of data (no runs yet)."""
    from workbench.scaffold import init_project

    return init_project(tmp_path / "proj", rows=1500)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory):
    """A demo project with the demo model trained and logged to its embedded MLflow store.

    Shared by the whole session: treat it as read-only (copy the project to change it).
    Returns a namespace with ``project``, ``tracker``, ``model``, ``split``, ``run_id``, ``model_uri``.
    """
    from types import SimpleNamespace

    from workbench.evaluate import split_data, train_model
    from workbench.explore.schema import infer_schema
    from workbench.scaffold import init_project
    from workbench.tracking import Tracker

    project = init_project(tmp_path_factory.mktemp("trained") / "proj", rows=3000)
    split = split_data(project, project.load_data())
    model = train_model(split, seed=0, max_iter=60)
    tracker = Tracker(project)
    with tracker.start_run("evaluate") as run:
        model_uri = run.log_model(model, input_example=split.X_test.head(3), schema=infer_schema(split.X_train))
    return SimpleNamespace(
        project=project, tracker=tracker, model=model, split=split, run_id=run.run_id, model_uri=model_uri
    )


def binder_bin() -> Path:
    """The bin folder of Binder's environment.

    CI builds a fresh virtualenv from binder/requirements.txt alone and names it in
    WORKBENCH_BINDER_VENV; elsewhere this falls back to the environment running pytest.
    """
    import shutil
    import sys

    venv = os.environ.get("WORKBENCH_BINDER_VENV")
    if venv:
        return Path(venv) / "bin"
    return Path(shutil.which("workbench") or Path(sys.executable).parent / "workbench").parent


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory):
    """The finished demo, built once per session the way Binder builds it.

    ``binder/postBuild`` runs in Binder's environment (:func:`binder_bin`): `workbench demo
    --rows 1500`, then the evidence pack. Returns a namespace with ``root`` (the project folder),
    ``stdout``, ``stderr``, ``returncode``, ``seconds`` and ``bindir``. Shared: treat it as read-only.
    """
    import subprocess
    from types import SimpleNamespace

    base = tmp_path_factory.mktemp("demo")
    root = base / "credit-demo"
    bindir = binder_bin()
    env = {
        **os.environ,
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "WORKBENCH_DEMO_ROWS": "1500",
        "WORKBENCH_DEMO_DIR": str(root),
    }
    started = time.perf_counter()
    done = subprocess.run(
        ["bash", str(Path(__file__).resolve().parents[1] / "binder" / "postBuild")],
        env=env, capture_output=True, text=True, timeout=1200,
    )
    return SimpleNamespace(
        root=root, stdout=done.stdout, stderr=done.stderr, returncode=done.returncode,
        seconds=time.perf_counter() - started, bindir=bindir,
    )


CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (.ci/run installs it); never a downloaded browser
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def wait_for_port(port: int, proc, name: str, *, timeout: float, log: Path | None = None) -> None:
    """Wait until ``proc`` (called ``name``) listens on 127.0.0.1:``port``; fail if it exits first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            tail = f":\n{log.read_text()[-3000:]}" if log is not None else ""
            raise AssertionError(f"{name} exited with {proc.returncode}{tail}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"{name} did not listen on 127.0.0.1:{port} within {timeout} s")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app, *, headers: dict[str, str] | None = None) -> Iterator[httpx.Client]:
    """Run ``app`` under uvicorn on 127.0.0.1 in a thread; yield a client; stop the server after."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(10)


def json_records(frame) -> list[dict]:
    """JSON-ready records of ``frame``: missing values become null."""
    return plain_values(frame).to_dict(orient="records")


def plain_values(frame):
    """``frame`` as objects with missing values as None, ready for a JSON payload."""
    return frame.astype(object).where(frame.notna(), None)


def _postgres_or_skip(durable: bool = False):
    """A started PostgreSQL server (tests/pg.py); skip when its binaries are absent, fail in CI."""
    from pg import REQUIRE_ENV, start_server

    server = start_server(durable=durable)
    if isinstance(server, str):
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{server} ({REQUIRE_ENV} is set: CI must test against PostgreSQL)")
        pytest.skip(server)
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator:
    """One real PostgreSQL server for the session (tests/pg.py's :class:`PostgresServer`).

    Shared: never stop it in a test (make your own ``pg.start_server()`` for that).
    """
    server = _postgres_or_skip()
    yield server
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """The SQLAlchemy URL (``postgresql+psycopg://user:password@127.0.0.1:port/db``) of a fresh database."""
    return postgres_server.create_database()

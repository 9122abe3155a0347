"""Several serving processes, one prediction log: 10,000 requests and a kill -9 in the middle.

SQLite: `workbench serve --workers 2` (two processes on one port, one WAL file); one worker is
killed with SIGKILL while the load runs. PostgreSQL (a real server, tests/pg.py): two separate
`workbench serve` processes on two ports write one database; one of them is killed. Afterwards
every request the driver saw answered is in the log exactly once with all its rows, the
survivor kept answering, Monitor counts exactly the requests the driver saw answered, plus
the few the killed process had committed but not yet sent (all its own, stamped before the kill),
and SIGTERM to a server's own pid stops it and every worker it started.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pandas as pd
import psutil
import pytest
from _deploy_server import start_server, stop_server
from conftest import free_port, json_records

import workbench as wb
from workbench.cli import main
from workbench.deploy import read_prediction_log, read_requests
from workbench.deploy._loadgen import drive
from workbench.project import Project

pytestmark = pytest.mark.slow
TOKEN = "replica-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REQUESTS = 10_000
KILL_AFTER = 2_000  # answers before one process is killed
START_WAIT = 300  # seconds: model loading on a busy 2-core machine


@pytest.fixture
def project(trained, tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root, ignore=shutil.ignore_patterns("predictions.db*"))
    (root / "token").write_text(TOKEN)
    return Project.load(root)


@dataclasses.dataclass
class Cluster:
    """The serving processes under test: their ports, which pid to kill, which one survives."""

    servers: list[subprocess.Popen]
    ports: list[int]
    victim: int
    survivor: int
    log: str  # what read_requests and Monitor read: the project's log file or the database URL


def _workers(server: subprocess.Popen) -> list[int]:
    """The pids of the serving workers (the spawned processes; not multiprocessing's resource tracker)."""
    children = psutil.Process(server.pid).children()
    return sorted(c.pid for c in children if "spawn_main" in " ".join(c.cmdline()))


def _listening_workers(server: subprocess.Popen, port: int, count: int) -> list[int]:
    """The pids of the workers, once ``count`` of them listen on ``port`` (/health answers with the first)."""
    deadline = time.time() + START_WAIT
    while time.time() < deadline:
        listening = [pid for pid in _workers(server) if any(
            c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in psutil.Process(pid).net_connections("tcp"))]
        if len(listening) == count:
            return listening
        time.sleep(0.2)
    raise AssertionError(f"{count} workers did not listen on port {port} within {START_WAIT} s")


@pytest.fixture(params=["sqlite-workers", "postgresql-servers"])
def cluster(request, project, trained) -> Iterator[Cluster]:
    start = {"root": project.root, "model_uri": trained.model_uri, "token_file": project.root / "token",
             "wait": START_WAIT}
    if request.param == "sqlite-workers":
        port = free_port()
        server = start_server(port=port, options=["--workers", "2"], **start)
        servers = [server]
        try:
            victim, survivor = _listening_workers(server, port, 2)
            yield Cluster(servers, [port], victim, survivor, str(project.root / ".workbench" / "predictions.db"))
        finally:
            stop_server(server)
        return
    url = request.getfixturevalue("postgres_url")
    ports = [free_port(), free_port()]
    servers = []
    try:
        for port in ports:
            servers.append(start_server(port=port, env={"WORKBENCH_PREDICTION_LOG": url}, **start))
        yield Cluster(servers, ports, servers[0].pid, servers[1].pid, url)
    finally:
        for server in servers:
            stop_server(server)


def _drive_all(ports: list[int], bodies: list, results: list) -> None:
    """The bodies over 16 connections spread over the ports; a broken connection reconnects to one that accepts."""
    asyncio.run(drive("127.0.0.1", ports, "/v1/predict", bodies, headers=AUTH, concurrency=16, results=results,
                      reconnect=True))


def _alive(pid: int) -> bool:
    return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE


def _stop_with_sigterm(cluster: Cluster) -> None:
    """SIGTERM to each running server's own pid: it stops its workers itself, without a traceback.

    One process exits by the signal (uvicorn re-raises it once shut down), a supervisor with 0.
    """
    running = [server for server in cluster.servers if server.poll() is None]
    processes = [pid for server in running for pid in (server.pid, *_workers(server))]
    for server in running:
        os.kill(server.pid, signal.SIGTERM)
    for server in running:
        assert server.wait(60) in (0, -signal.SIGTERM)
        assert "Traceback" not in server.stderr.read().decode()
    assert not any(_alive(pid) for pid in processes)


def _answers(results: list) -> int:
    return sum(1 for status, _, _ in results if status == 200)


def test_processes_share_one_log_and_survive_a_kill_9(cluster, project, trained):
    records = json_records(trained.split.X_test.head(500))
    bodies = [[records[i % len(records)]] for i in range(REQUESTS)]
    since = pd.Timestamp.now(tz="UTC")
    results: list = []
    load = threading.Thread(target=_drive_all, args=(cluster.ports, bodies, results))
    load.start()
    while _answers(results) < KILL_AFTER and load.is_alive():
        time.sleep(0.02)
    os.kill(cluster.victim, signal.SIGKILL)
    killed_at, kill_time = len(results), pd.Timestamp.now(tz="UTC")
    load.join(600)
    assert not load.is_alive()
    _stop_with_sigterm(cluster)

    assert len(results) == REQUESTS
    statuses = pd.Series([status for status, _, _ in results]).value_counts()
    broken = int(statuses.get(0, 0))
    assert set(statuses.index) <= {200, 0} and broken >= 1, statuses  # the kill broke the victim's connections
    answered = [body["request_id"] for status, body, _ in results if status == 200]
    assert len(set(answered)) == len(answered)

    requests = read_requests(cluster.log, since=since).set_index("request_id")
    log = read_prediction_log(cluster.log, since=since)
    assert requests.index.is_unique and set(answered) <= set(requests.index)  # each answered request once
    rows = log.groupby("request_id").size()
    assert (rows.reindex(requests.index, fill_value=0) == requests["n_rows"]).all()  # none partial
    assert (requests["status_code"] == 200).all()

    victim, survivor = (f"{socket.gethostname()}:{pid}" for pid in (cluster.victim, cluster.survivor))
    assert {victim, survivor} <= set(requests["replica"])  # each process records its own replica id
    after_kill = requests[(requests["replica"] == survivor) & (requests["timestamp"] > kill_time)]
    assert len(after_kill) >= 1_000 and _answers(results[killed_at:]) >= 1_000  # the survivor kept answering
    unsent = requests.index.difference(answered)  # committed by the victim, killed before it answered
    assert len(unsent) <= broken and (requests.loc[unsent, "replica"] == victim).all()
    assert (requests.loc[unsent, "timestamp"] <= kill_time).all()

    report = wb.monitor(project, since=since, record=False, log=cluster.log)
    assert report.n_requests == len(answered) + len(unsent)
    assert sum(w.failures + w.rejects for w in report.service) == 0
    by_replica = {r.replica: r.requests for r in report.replicas}
    assert sum(by_replica.values()) == report.n_requests
    assert by_replica[survivor] == int((requests.loc[answered, "replica"] == survivor).sum())  # all answered
    assert by_replica[victim] == int((requests.loc[answered, "replica"] == victim).sum()) + len(unsent)


def test_a_worker_that_cannot_start_stops_the_service_with_its_error(project, capsys):
    code = main(["serve", "models:/no-such-model@champion", "--workers", "2", "--port", str(free_port()),
                 "-P", str(project.root)])
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "no-such-model" in error


@pytest.mark.parametrize("workers", ["0", "65"])
def test_a_bad_worker_count_is_refused_before_anything_loads(workers, tmp_path, capsys):
    code = main(["serve", "models:/m@champion", "--workers", workers, "-P", str(tmp_path / "no-project")])
    assert code == 2
    error = capsys.readouterr().err
    assert f"--workers {workers} is not a number of processes from 1 to 64" in error and "--workers N" in error

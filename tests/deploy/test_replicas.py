"""Several serving processes, one prediction log: 10,000 requests and a kill -9 in the middle.

SQLite: `workbench serve --workers 2` (two processes on one port, one WAL file); one worker is
killed with SIGKILL while the load runs. Afterwards every request the driver saw answered is in
the log exactly once with all its rows, the other worker kept answering, Monitor counts the
requests the driver saw (plus at most the few the killed worker had committed but not yet sent,
all stamped before the kill), and SIGTERM to the parent stops every worker.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import threading
import time

import pandas as pd
import psutil
import pytest
from _deploy_server import start_server, stop_server
from conftest import free_port, json_records

import workbench as wb
from workbench.deploy import read_prediction_log, read_requests
from workbench.deploy._loadgen import drive
from workbench.project import Project

pytestmark = pytest.mark.slow
TOKEN = "replica-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REQUESTS = 10_000
KILL_AFTER = 2_000  # answers before one worker is killed


@pytest.fixture
def project(trained, tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root, ignore=shutil.ignore_patterns("predictions.db*"))
    (root / "token").write_text(TOKEN)
    return Project.load(root)


def _workers(server) -> list[int]:
    """The pids of the serving workers (the spawned processes; not multiprocessing's resource tracker)."""
    children = psutil.Process(server.pid).children()
    return sorted(c.pid for c in children if "spawn_main" in " ".join(c.cmdline()))


def _serving_workers(server, port: int, count: int, wait: float = 300) -> list[int]:
    """The pids of the workers, once ``count`` of them listen on ``port`` (/health answers with the first)."""
    deadline = time.time() + wait
    while time.time() < deadline:
        listening = [pid for pid in _workers(server) if any(
            c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in psutil.Process(pid).net_connections("tcp"))]
        if len(listening) == count:
            return listening
        time.sleep(0.2)
    raise AssertionError(f"{count} workers did not listen on port {port} within {wait:.0f} s")


def _load_in_background(port: int, bodies: list, results: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: asyncio.run(drive(
        "127.0.0.1", port, "/v1/predict", bodies, headers=AUTH, concurrency=16, results=results, reconnect=True)))
    thread.start()
    return thread


def _answers(results: list) -> int:
    return sum(1 for status, _, _ in results if status == 200)


def test_two_workers_share_one_log_and_survive_a_kill_9(project, trained):
    records = json_records(trained.split.X_test.head(500))
    bodies = [[records[i % len(records)]] for i in range(REQUESTS)]
    port = free_port()
    server = start_server(project.root, trained.model_uri, port, project.root / "token",
                          options=["--workers", "2"], wait=300)
    since = pd.Timestamp.now(tz="UTC")
    results: list = []
    try:
        workers = _serving_workers(server, port, 2)
        load = _load_in_background(port, bodies, results)
        while _answers(results) < KILL_AFTER and load.is_alive():
            time.sleep(0.02)
        victim, survivor = workers
        os.kill(victim, signal.SIGKILL)
        killed_at, kill_time = len(results), pd.Timestamp.now(tz="UTC")
        load.join(600)
        assert not load.is_alive()
        serving = _workers(server)
    finally:
        stop_server(server)
    assert server.returncode == 0 and survivor in serving and victim not in serving
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in serving), "SIGTERM to the parent stopped every worker"

    assert len(results) == REQUESTS
    statuses = pd.Series([status for status, _, _ in results]).value_counts()
    broken = int(statuses.get(0, 0))
    assert set(statuses.index) <= {200, 0} and broken >= 1, statuses  # the kill broke the victim's connections
    assert _answers(results[killed_at:]) >= 1_000  # the other worker kept answering
    answered = [body["request_id"] for status, body, _ in results if status == 200]
    assert len(set(answered)) == len(answered)

    requests = read_requests(project, since=since).set_index("request_id")
    log = read_prediction_log(project, since=since)
    assert requests.index.is_unique and set(answered) <= set(requests.index)  # each answered request once
    rows = log.groupby("request_id").size()
    assert (rows.reindex(requests.index, fill_value=0) == requests["n_rows"]).all()  # none partial
    assert (requests["status_code"] == 200).all()
    unsent = requests.index.difference(answered)  # committed by the victim, killed before it answered
    assert len(unsent) <= broken and (requests.loc[unsent, "timestamp"] <= kill_time).all()

    report = wb.monitor(project, since=since, record=False)
    assert report.n_requests == len(answered) + len(unsent)
    assert sum(w.requests for w in report.service) == report.n_requests
    assert sum(w.failures + w.rejects for w in report.service) == 0

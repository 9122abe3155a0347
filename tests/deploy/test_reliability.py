"""Reliability of the real service: fuzzed OpenAPI, 10,000 requests, kill -9 under load, auth.

The server runs as a `workbench serve` subprocess on 127.0.0.1 (schemathesis talks to an
in-process uvicorn); every test stops what it started.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import threading

import httpx
import pandas as pd
import pytest
import schemathesis
from _deploy_server import start_server, stop_server
from conftest import free_port, json_records, serving
from hypothesis import HealthCheck, given, settings

from workbench.deploy import create_app, read_prediction_log, read_requests
from workbench.deploy._loadgen import drive
from workbench.deploy.predlog import log_path
from workbench.project import Project

pytestmark = pytest.mark.slow
TOKEN = "reliable-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def project(trained, tmp_path_factory):
    root = tmp_path_factory.mktemp("reliability") / "proj"
    shutil.copytree(trained.project.root, root)
    (root / "token").write_text(TOKEN)
    return Project.load(root)


@pytest.fixture(scope="module")
def fuzzed(project, trained):
    with serving(create_app(project, trained.model_uri, token=TOKEN), headers=AUTH) as client:
        yield client


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_fuzzed_requests_never_get_a_server_error(fuzzed, mode):
    schema = schemathesis.openapi.from_url(f"{fuzzed.base_url}/openapi.json", headers=AUTH)
    strategy = schema.as_strategy(schemathesis.GenerationMode(mode), headers=AUTH)
    seen: set[str] = set()

    @given(strategy)
    @settings(max_examples=80, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def call(case):
        seen.add(f"{case.method} {case.path}")
        response = case.call(base_url=str(fuzzed.base_url), headers=AUTH)
        assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:500]}"

    call()
    assert {"POST /v1/predict", "POST /invocations", "POST /v1/feedback"} <= seen


def _bodies(trained, n: int) -> list:
    records = json_records(trained.split.X_test.head(200))
    bodies: list = [[records[i % len(records)]] for i in range(n)]
    for i in range(0, n, 97):  # some bad requests: logged as 422, never as prediction rows
        bodies[i] = [{**records[0], "income": "lots"}]
    return bodies


def test_ten_thousand_requests_one_log_row_each(project, trained):
    port = free_port()
    server = start_server(project.root, trained.model_uri, port, project.root / "token")
    since = pd.Timestamp.now(tz="UTC")
    try:
        results = asyncio.run(drive("127.0.0.1", port, "/v1/predict", _bodies(trained, 10_000), headers=AUTH))
    finally:
        stop_server(server)
    ok = [body["request_id"] for status, body, _ in results if status == 200]
    rejected = [body["request_id"] for status, body, _ in results if status == 422]
    assert len(results) == 10_000 and len(ok) + len(rejected) == 10_000 and len(rejected) == 104
    log, requests = read_prediction_log(project, since=since), read_requests(project, since=since)
    assert len(log) == len(ok) and set(log["request_id"]) == set(ok) and log["request_id"].is_unique
    assert set(requests.loc[requests["status_code"] == 422, "request_id"]) == set(rejected)
    assert len(requests) == 10_000


def test_kill_9_under_load_leaves_a_clean_log(project, trained):
    port = free_port()
    server = start_server(project.root, trained.model_uri, port, project.root / "token")
    results: list = []
    load = threading.Thread(target=lambda: asyncio.run(drive(
        "127.0.0.1", port, "/v1/predict", _bodies(trained, 500), headers=AUTH, seconds=30, results=results)))
    load.start()
    try:
        while sum(1 for status, _, _ in results if status == 200) < 300 and load.is_alive():
            threading.Event().wait(0.05)
    finally:
        stop_server(server, signal.SIGKILL)
        load.join(60)
    assert any(status == 0 for status, _, _ in results), "the server was killed before the load ended"
    conn = sqlite3.connect(log_path(project))
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    answered = {body["request_id"] for status, body, _ in results if status == 200}
    restarted = start_server(project.root, trained.model_uri, port, project.root / "token")
    try:
        response = httpx.post(f"http://127.0.0.1:{port}/v1/predict", json=_bodies(trained, 2)[1], headers=AUTH)
    finally:
        stop_server(restarted)
    assert response.status_code == 200
    log, requests = read_prediction_log(project), read_requests(project)
    assert answered <= set(log["request_id"])  # every answered request was durable before its answer
    per_request = log.groupby("request_id").size()
    n_rows = requests.set_index("request_id")["n_rows"]
    assert (per_request == n_rows.reindex(per_request.index)).all()  # no partial requests


def test_no_token_is_401_everywhere_but_health(project, trained):
    with serving(create_app(project, trained.model_uri, token=TOKEN)) as client:
        before = len(read_requests(project))
        record = json_records(trained.split.X_test.head(1))
        for method, path, body in [("POST", "/v1/predict", record), ("POST", "/invocations", {"inputs": record}),
                                   ("POST", "/v1/feedback", {"request_id": "x", "labels": [1]}),
                                   ("GET", "/v1/model", None), ("GET", "/metrics", None), ("GET", "/ready", None)]:
            assert client.request(method, path, json=body).status_code == 401, path
            wrong = client.request(method, path, json=body, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401, path
        assert client.get("/health").status_code == 200
        assert len(read_requests(project)) == before

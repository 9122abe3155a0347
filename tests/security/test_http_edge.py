"""Attacks on the service's HTTP edge (issue 18, findings 11 and 12), each with its expected refusal.

* a cross-origin page POSTs ``text/plain`` (or a body with no type, or a form) to ``/v1/predict``
  of a service without a token -> 415 on every JSON endpoint, nothing scored, nothing logged;
* a page that rebinds its own name to 127.0.0.1 calls the service -> its ``Host`` is not a name
  the service answers to: 400 (``--allowed-hosts``; default the bind address and localhost);
* a client opens connections and never finishes its request head (nothing, half a head, a head
  dripped a byte at a time, half of a second request on a kept-alive connection) -> closed with
  a 408 at ``--header-timeout``, while complete requests are served as before.

The service is a real ``workbench serve`` subprocess on 127.0.0.1 (no token, ``--header-timeout 1``),
started once for the module and stopped after it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import free_port, json_records

import workbench
from workbench.cli import main
from workbench.deploy import read_requests
from workbench.deploy._edge import default_allowed_hosts, is_json
from workbench.project import Project

pytestmark = pytest.mark.slow
HEADER_TIMEOUT = 1.0
SLACK = 1.5  # seconds: event-loop and scheduling delays on a busy machine


@pytest.fixture(scope="module")
def served(trained, tmp_path_factory):
    """``workbench serve`` on 127.0.0.1 without a token; yields (project, base URL, port, records)."""
    root = tmp_path_factory.mktemp("edge") / "proj"
    shutil.copytree(trained.project.root, root)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(workbench.__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "serve", trained.model_uri, "--port", str(port), "-P", str(root),
         "--header-timeout", str(HEADER_TIMEOUT)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        yield Project.load(root), base, port, json_records(trained.split.X_test.head(2))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        proc.stderr.close()


def _logged(project) -> int:
    return len(read_requests(project))


@pytest.mark.parametrize("path", ["/v1/predict", "/invocations", "/v1/feedback"])
@pytest.mark.parametrize("content_type", [
    "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    None,  # fetch(url, {method: "POST", body: new Blob([json])}) sends no type: still a simple request
])
def test_a_body_a_cross_origin_page_can_send_without_preflight_is_415(served, path, content_type):
    project, base, _, records = served
    before = _logged(project)
    body = httpx.Request("POST", f"{base}{path}", json=records).content
    headers = {"Origin": "https://evil.example"} | ({"Content-Type": content_type} if content_type else {})
    answer = httpx.post(f"{base}{path}", content=body, headers=headers)
    assert answer.status_code == 415, answer.text
    sent = content_type[:100] if content_type else "none"
    assert answer.json() == {"detail": f"the body must be JSON sent with Content-Type: application/json (got {sent})"}
    assert _logged(project) == before  # refused before it was read: nothing scored, nothing logged


def test_json_bodies_are_still_served(served):
    project, base, _, records = served
    before = _logged(project)
    for content_type in ("application/json", "application/json; charset=utf-8", "application/vnd.api+json"):
        body = httpx.Request("POST", base, json=records).content
        answer = httpx.post(f"{base}/v1/predict", content=body, headers={"Content-Type": content_type})
        assert answer.status_code == 200, (content_type, answer.text)
    assert _logged(project) == before + 3


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "[::2]:80"])
def test_a_host_the_service_is_not_served_under_is_400(served, host):
    """DNS rebinding: the browser calls the service as ``host``, which it names in its Host header."""
    project, base, _, records = served
    before = _logged(project)
    for method, path in (("GET", "/health"), ("GET", "/v1/model"), ("POST", "/v1/predict")):
        answer = httpx.request(method, f"{base}{path}", json=records if method == "POST" else None,
                               headers={"Host": host})
        assert answer.status_code == 400, (method, path, answer.text)
        assert answer.json()["detail"] == (
            f"this service does not answer to the Host {host!r} (it answers to: 127.0.0.1, ::1, localhost); "
            "serve with --allowed-hosts to add a name")
    assert _logged(project) == before


def test_the_served_names_are_answered(served):
    _, _, port, records = served
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", f"[::1]:{port}"):
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/predict", json=records, headers={"Host": host})
        assert answer.status_code == 200, (host, answer.text)


def _closed_within(port: int, send: bytes | list[bytes], *, seconds: float, every: float = 0.0) -> tuple[float, bytes]:
    """Open a raw connection, send ``send`` (a list: one piece every ``every`` s), read until the
    server closes it; (seconds until it did, what it sent). Fails if it stays open ``seconds``."""
    pieces = send if isinstance(send, list) else [send]
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as sock:
        started, received = time.monotonic(), b""
        for piece in pieces:
            try:
                sock.sendall(piece)
            except OSError:
                break  # already closed: the deadline passed while dripping
            if every:
                time.sleep(every)
        sock.settimeout(max(seconds - (time.monotonic() - started), 0.01))
        while chunk := sock.recv(4096):
            received += chunk
        return time.monotonic() - started, received


@pytest.mark.parametrize(("case", "send", "every"), [
    ("nothing at all", b"", 0.0),
    ("half a request head", b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty", 0.0),
    ("a head dripped a byte every 0.2 s", [bytes([b]) for b in b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                                                                  b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"], 0.2),
])
def test_a_connection_that_never_finishes_its_head_is_closed_at_the_header_timeout(served, case, send, every):
    _, _, port, _ = served
    took, received = _closed_within(port, send, seconds=HEADER_TIMEOUT + SLACK + 10 * every, every=every)
    assert HEADER_TIMEOUT - 0.1 <= took <= HEADER_TIMEOUT + SLACK, (case, took)
    assert received.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), (case, received)


def test_half_a_second_request_on_a_kept_alive_connection_is_closed_too(served):
    _, _, port, _ = served
    first = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(first)
        answer = b""
        while b'{"status":"ok"}' not in answer:
            answer += sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200")
        time.sleep(HEADER_TIMEOUT + 0.3)  # idle past the header timeout: a kept-alive wait is not a head
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # ... and never the blank line
        started, rest = time.monotonic(), b""
        while chunk := sock.recv(4096):
            rest += chunk
        took = time.monotonic() - started
    assert took <= HEADER_TIMEOUT + SLACK, took
    assert rest.startswith(b"HTTP/1.1 408"), rest


def test_complete_requests_on_one_connection_are_served_past_the_header_timeout(served):
    _, base, _, records = served
    with httpx.Client(base_url=base) as client:
        for _ in range(3):
            assert client.post("/v1/predict", json=records).status_code == 200
            time.sleep(HEADER_TIMEOUT / 2)
        assert client.get("/health").status_code == 200


def test_the_edge_options_are_checked_before_the_model_loads(tmp_path, capsys):
    nowhere = str(tmp_path / "no-project")
    assert main(["serve", "models:/m@champion", "--allowed-hosts", "good.example,bad name!", "-P", nowhere]) == 2
    assert "'bad name!' is not a host name or an IP address" in capsys.readouterr().err
    for timeout in ("0", "-1", "nan", "1e9"):
        assert main(["serve", "models:/m@champion", "--header-timeout", timeout, "-P", nowhere]) == 2
        assert "--header-timeout must be in (0, 300] seconds" in capsys.readouterr().err
    assert default_allowed_hosts("127.0.0.1") == ("127.0.0.1", "localhost", "::1")
    assert default_allowed_hosts("::1") == ("::1", "localhost", "127.0.0.1")
    assert default_allowed_hosts("10.0.0.5") == ("10.0.0.5", "localhost", "127.0.0.1", "::1")
    assert default_allowed_hosts("0.0.0.0") == default_allowed_hosts("::") == ("*",)
    assert [is_json(v) for v in (b"application/json", b"Application/JSON; charset=utf-8", b"application/ld+json",
                                 b"text/json", b"text/plain", b"", None)] == [True, True, True, False, False, False, False]

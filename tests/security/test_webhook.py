"""Attacks through the alert path (issue 18, findings 7 and 8), each with its expected refusal.

* a ``[monitor] webhook_url`` that is not an http(s) URL (``file:///etc/passwd``, ``not a url``)
  -> a ConfigError naming the key when the project opens; ``send_webhook`` never opens it either;
* a webhook that answers one byte every 2 s -> cut off at ``webhook_timeout`` (a deadline for the
  whole call, not per read), with the failure recorded and printed, and the alerts kept;
* a webhook that refuses connections, a pipeline that cannot start, a run store that cannot open
  -> every alert is in ``alerts.jsonl`` before the first side effect starts, each failed side
  effect is one line recorded with its alert, and ``workbench monitor`` exits 3, no traceback.

The slow and refusing servers are real sockets on 127.0.0.1, started and stopped by each test.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.config import load_config
from workbench.deploy.predlog import connect, write_request
from workbench.exceptions import ConfigError
from workbench.monitor import alert_history
from workbench.monitor.alerts import send_webhook
from workbench.project import Project

SLACK = 1.0  # seconds a deadline may be overrun by thread scheduling on a busy machine
ANSWER = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

CONFIG = """
[project]
name = "hooked"

[data]
path = "data.csv"
target = "y"

[monitor]
window = "1D"
webhook_url = {url}
webhook_timeout = {timeout}

[[alerts]]
name = "traffic"
metric = "requests"
op = ">="
threshold = 1
pipeline = "retrain"

[[alerts]]
name = "rejects"
metric = "reject_rate"
op = ">"
threshold = 0.5
"""


def _project(root: Path, url: str, timeout: float = 3) -> Path:
    """A project whose request log holds three refused requests: both rules fire on it."""
    root.mkdir(parents=True)
    (root / "data.csv").write_text("x,y\n1,0\n2,1\n")
    (root / "workbench.toml").write_text(CONFIG.format(url=json.dumps(url), timeout=timeout))
    conn = connect(Project.load(root))
    try:
        for k in range(3):
            write_request(conn, request_id=f"r{k}", timestamp=f"2026-01-0{k + 1}T00:00:00+00:00", status_code=422,
                          latency_ms=1.0, n_rows=0, variant="champion", error="bad field")
    finally:
        conn.close()
    return root


@contextmanager
def _webhook(*, byte_every: float | None = None, on_request: Callable[[], None] = lambda: None) -> Iterator[str]:
    """A real HTTP endpoint on 127.0.0.1: it reads the POST, calls ``on_request``, then answers 204
    at once or one byte every ``byte_every`` seconds. Yields its URL; stops every thread after."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop, workers = threading.Event(), []

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                received = b""
                while b"\r\n\r\n" not in received:
                    received += conn.recv(65536)
                head, body = received.split(b"\r\n\r\n", 1)
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(body) < length:
                    body += conn.recv(65536)
                on_request()
                for k in range(len(ANSWER)) if byte_every else [None]:
                    if k is None:
                        conn.sendall(ANSWER)
                    elif stop.wait(byte_every):
                        return
                    else:
                        conn.sendall(ANSWER[k:k + 1])
            except OSError:
                return  # the client hung up: what a deadline does

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            worker = threading.Thread(target=answer, args=(conn,), daemon=True)
            worker.start()
            workers.append(worker)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook?token=s3cret"
    finally:
        stop.set()
        acceptor.join(5)
        for worker in workers:
            worker.join(5)
        listener.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(("url", "why"), [
    ("file:///etc/passwd", "its scheme is file:"),
    ("not a url", "it holds whitespace"),
    ("ftp://example.org/hook", "its scheme is ftp:"),
    ("gopher://127.0.0.1:70/_GET", "its scheme is gopher:"),
    ("http://", "it names no host"),
    ("http://127.0.0.1:99999/hook", "its port is not a number from 1 to 65535"),
    ("https://user:pw@example.org/hook", "it holds credentials"),
])
def test_a_webhook_url_that_is_not_http_is_a_config_error_naming_the_key(tmp_path, capsys, url, why):
    root = _project(tmp_path / "proj", "http://127.0.0.1:9/ok")
    config = root / "workbench.toml"
    config.write_text(config.read_text().replace('"http://127.0.0.1:9/ok"', json.dumps(url)))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.key == "monitor.webhook_url" and caught.value.value == url
    assert f"'monitor.webhook_url' = {url!r} is not allowed: alerts are POSTed to an http(s) URL, and {why}" \
        in str(caught.value)
    assert main(["monitor", "-P", str(root)]) == 2
    err = capsys.readouterr().err
    assert "'monitor.webhook_url'" in err and "Traceback" not in err
    assert not (root / ".workbench" / "alerts.jsonl").exists()


def test_send_webhook_never_opens_what_is_not_http_and_never_raises():
    """Called directly (a URL that never went through the config): no file is read, no traceback."""
    for url in ("file:///etc/passwd", "not a url", "data:text/plain,hello"):
        outcome = send_webhook(url, {"alert": {"rule": "r"}}, timeout=1)
        assert outcome.startswith("failed: the webhook URL is not an http(s) URL"), outcome
        assert "root:" not in outcome
    for timeout in (1e308, float("nan"), 0, -1, True):
        outcome = send_webhook("http://127.0.0.1:9/hook", {"alert": {}}, timeout=timeout)
        assert outcome == f"failed: the webhook timeout must be a number of seconds in (0, 300], not {timeout!r}"


def test_a_webhook_answering_one_byte_every_two_seconds_is_cut_at_the_deadline():
    """Issue 18 #8: before, 5 s per read held `workbench monitor` 172 s; now 3 s is 3 s for the call."""
    with _webhook(byte_every=2.0) as url:
        started = time.monotonic()
        outcome = send_webhook(url, {"alert": {"rule": "r"}}, timeout=3)
        took = time.monotonic() - started
    assert outcome == "failed: no answer within the 3 s deadline"
    assert 3 - 0.05 <= took <= 3 + SLACK, took


def test_a_webhook_that_answers_is_ok_and_one_that_refuses_is_a_reason():
    with _webhook() as url:
        assert send_webhook(url, {"alert": {"rule": "r"}}, timeout=3) == "ok"
    started = time.monotonic()
    assert send_webhook(f"http://127.0.0.1:{_closed_port()}/hook", {"alert": {}}, timeout=3) \
        == "failed: connection refused"
    assert time.monotonic() - started < 1 + SLACK


def test_monitor_records_every_alert_before_its_slow_webhook_and_failing_pipeline(tmp_path, capsys):
    """Finding 7 and 8 end to end: two alerts, a pipeline that does not exist, a dripping webhook."""
    root = tmp_path / "proj"
    seen_at_each_post: list[list[str]] = []

    def look() -> None:
        seen_at_each_post.append([a["rule"] for a in alert_history(Project.load(root, check_data=False))])

    with _webhook(byte_every=2.0, on_request=look) as url:
        _project(root, url, timeout=2)
        started = time.monotonic()
        assert main(["monitor", "-P", str(root)]) == 3
        took = time.monotonic() - started
    out = capsys.readouterr()
    assert took <= 2 + 3 * SLACK, took  # one webhook deadline (both alerts POST together) and the review
    assert seen_at_each_post == [["traffic", "rejects"]] * 2  # both recorded before any side effect
    history = alert_history(Project.load(root, check_data=False))
    assert [a["rule"] for a in history] == ["traffic", "rejects"]
    traffic, rejects = history
    assert traffic["pipeline_status"].startswith("failed: The project") and "defines no pipeline" \
        in traffic["pipeline_status"] and traffic["pipeline_run"] is None
    assert traffic["sinks"] == {"log": ".workbench/alerts.log",
                                "webhook": "failed: no answer within the 2 s deadline"}
    assert traffic["failures"] == [f"pipeline retrain {traffic['pipeline_status']}",
                                   "webhook failed: no answer within the 2 s deadline"]
    assert rejects["failures"] == ["webhook failed: no answer within the 2 s deadline"]
    for failure in traffic["failures"] + rejects["failures"]:
        assert f"    {failure}" in out.out
    assert "Traceback" not in out.err and "s3cret" not in out.out


def test_a_run_store_that_cannot_open_and_a_refused_webhook_lose_no_alert(tmp_path, capsys):
    """A pipeline start that fails with a non-Workbench error (SQLite cannot open runs.db) is caught."""
    root = _project(tmp_path / "proj", f"http://127.0.0.1:{_closed_port()}/hook")
    (root / ".workbench" / "runs.db").mkdir()
    assert main(["monitor", "-P", str(root)]) == 3
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    history = alert_history(Project.load(root, check_data=False))
    assert [a["rule"] for a in history] == ["traffic", "rejects"]
    assert history[0]["pipeline_status"] == "failed: OperationalError: unable to open database file"
    assert history[0]["failures"] == ["pipeline retrain failed: OperationalError: unable to open database file",
                                      "webhook failed: connection refused"]
    assert "    pipeline retrain failed: OperationalError: unable to open database file" in out.out
    lines = (root / ".workbench" / "alerts.jsonl").read_text().splitlines()
    first = [json.loads(line) for line in lines[:2]]
    assert [a["pipeline_status"] for a in first] == ["pending", None]  # recorded before anything ran
    assert [a["sinks"]["webhook"] for a in first] == ["pending", "pending"]
    assert main(["alerts", "-P", str(root)]) == 0
    assert "    webhook failed: connection refused" in capsys.readouterr().out

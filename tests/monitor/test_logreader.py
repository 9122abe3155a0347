"""Monitor over one log that many replicas write: per-replica service figures, incremental reading.

Each test runs on a SQLite file and on a real PostgreSQL database (tests/pg.py).
"""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main
from workbench.deploy.predlog import (
    open_log,
    prediction_rows,
    read_prediction_log,
    read_requests,
    write_request,
)
from workbench.monitor import monitor
from workbench.monitor.logreader import read_log
from workbench.monitor.service import service_totals

START = pd.Timestamp("2026-03-01", tz="UTC")
# Per replica: latency (ms) of each answered request, and the statuses logged besides.
TRAFFIC = {"pod-a": {"latencies": [10.0, 12.0, 30.0, 11.0], "failed": [500]},
           "pod-b": {"latencies": [20.0, 25.0, 90.0], "failed": [422, 422, 503]}}


@pytest.fixture(params=["sqlite", "postgresql"])
def log_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared-log.db'}"
    return request.getfixturevalue("postgres_url")


def _serve(project, url: str, replica: str, monkeypatch, *, latencies, failed, day: int = 0) -> int:
    """Log what one replica answered (as the service writes it); returns the rows logged."""
    monkeypatch.setenv("WORKBENCH_REPLICA", replica)
    frame = project.load_data().drop(columns=[project.config.data.target])
    log = open_log(url)
    rows = 0
    try:
        for k, latency in enumerate([*latencies, *([1.0] * len(failed))]):
            stamp = (START + pd.Timedelta(days=day, hours=k)).isoformat()
            request_id = f"{replica}-{day}-{k}"
            if k >= len(latencies):
                write_request(log, request_id=request_id, timestamp=stamp, status_code=failed[k - len(latencies)],
                              latency_ms=latency, n_rows=1, variant="champion", error="refused")
                continue
            part = frame.iloc[(k * 20) % 1000:(k * 20) % 1000 + 20]
            result = types.SimpleNamespace(predictions=np.arange(20) % 2, probabilities=np.tile([0.4, 0.6], (20, 1)),
                                           classes=[0, 1], task="binary")
            logged = prediction_rows(part, result, request_id=request_id, timestamp=stamp, model_name="credit",
                                     model_version="1", variant="champion")
            write_request(log, request_id=request_id, timestamp=stamp, status_code=200, latency_ms=latency,
                          n_rows=20, variant="champion", model_name="credit", model_version="1", rows=logged,
                          task="binary", classes=[0, 1])
            rows += 20
    finally:
        log.close()
    return rows


def test_monitor_reviews_every_replica_of_one_log(project, log_url, monkeypatch):
    for replica, traffic in TRAFFIC.items():
        _serve(project, log_url, replica, monkeypatch, **traffic)
    monkeypatch.delenv("WORKBENCH_REPLICA")
    monkeypatch.setenv("WORKBENCH_PREDICTION_LOG", log_url)
    report = monitor(project, record=False)
    assert report.n_requests == sum(len(t["latencies"]) + len(t["failed"]) for t in TRAFFIC.values())
    assert report.n_predictions == 20 * 7
    assert [r.replica for r in report.replicas] == ["pod-a", "pod-b"]
    for found in report.replicas:
        traffic = TRAFFIC[found.replica]
        latencies = np.array([*traffic["latencies"], *([1.0] * len(traffic["failed"]))])
        assert found.requests == len(latencies)
        assert found.p99_latency_ms == pytest.approx(np.percentile(latencies, 99), rel=1e-12)
        assert found.p50_latency_ms == pytest.approx(np.percentile(latencies, 50), rel=1e-12)
        assert found.failures == sum(s >= 500 for s in traffic["failed"])
        assert found.rejects == sum(400 <= s < 500 for s in traffic["failed"])
    totals = service_totals(read_requests(log_url))
    assert sum(r.requests for r in report.replicas) == totals["requests"]
    assert report.figures["p99_latency_ms"] == pytest.approx(totals["p99_latency_ms"], rel=1e-12)
    assert "***" in report.log or log_url.startswith("sqlite")
    assert "from 2 replicas" in report.summary()
    again = type(report).from_dict(report.to_dict())
    assert again.replicas == report.replicas and again.log == report.log
    page = report.to_html()
    assert "<td>pod-a</td>" in page and "<td>pod-b</td>" in page and "p99 ms" in page


def test_reading_is_incremental_and_equals_a_full_read(project, log_url, monkeypatch):
    first = _serve(project, log_url, "pod-a", monkeypatch, **TRAFFIC["pod-a"])
    frames = read_log(project, log=log_url)
    assert frames.new_predictions == first and frames.new_requests == 5
    added = _serve(project, log_url, "pod-b", monkeypatch, day=1, **TRAFFIC["pod-b"])
    frames = read_log(project, log=log_url)
    assert frames.new_predictions == added and frames.new_requests == 6  # only what came since
    assert read_log(project, log=log_url).new_predictions == 0
    full = read_prediction_log(log_url)
    pd.testing.assert_frame_equal(frames.predictions, full)
    pd.testing.assert_frame_equal(frames.requests, read_requests(log_url))
    window = read_log(project, log=log_url, since=START + pd.Timedelta(days=1))
    pd.testing.assert_frame_equal(window.predictions, read_prediction_log(log_url, since=START + pd.Timedelta(days=1)))


def test_a_recreated_log_starts_a_new_cache(project, tmp_path, monkeypatch):
    path = tmp_path / "recreated.db"
    _serve(project, str(path), "pod-a", monkeypatch, **TRAFFIC["pod-a"])
    assert len(read_log(project, log=str(path)).requests) == 5
    path.unlink()
    _serve(project, str(path), "pod-b", monkeypatch, **TRAFFIC["pod-b"])
    frames = read_log(project, log=str(path))
    assert set(frames.requests["replica"]) == {"pod-b"} and len(frames.requests) == 6


def test_cli_monitor_reviews_the_log_it_is_given(project, postgres_url, monkeypatch, capsys):
    for replica, traffic in TRAFFIC.items():
        _serve(project, postgres_url, replica, monkeypatch, **traffic)
    monkeypatch.delenv("WORKBENCH_REPLICA")
    assert main(["monitor", "-P", str(project.root), "--log", postgres_url, "--dry-run"]) in (0, 3)
    out = capsys.readouterr().out
    password = postgres_url.split(":")[2].split("@")[0]
    assert "11 requests from 2 replicas" in out and password not in out
    assert "replica pod-a: 5 requests" in out and "replica pod-b: 6 requests" in out
    assert main(["monitor", "-P", str(project.root), "--log", "oracle://u:pw@h/db"]) == 2
    err = capsys.readouterr().err
    assert "oracle://u:***@h/db uses oracle://, which the log does not support" in err


def test_a_log_path_that_does_not_exist_is_refused_not_created(project, capsys):
    missing = project.root / "no-such" / "predictions.db"
    assert main(["monitor", "-P", str(project.root), "--log", str(missing), "--dry-run"]) == 2
    assert f"there is no prediction log at {missing}" in capsys.readouterr().err
    assert not missing.exists() and not missing.parent.exists()

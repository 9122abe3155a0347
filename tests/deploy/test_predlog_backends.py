"""The prediction log on SQLite and on a real PostgreSQL server: the same guarantees on both.

Every test that takes ``log_url`` runs twice: on a SQLite file and on a fresh PostgreSQL database
(tests/pg.py starts the server). ``data/predictions_main.db`` is a log written by the version before
this one (commit 4427731's ``workbench/deploy/predlog.py``: a binary and a multiclass request, a
422, two labels of which one replaced) and must open, migrated, with nothing rewritten.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from workbench.deploy.predlog import (
    PredictionLog,
    open_log,
    prediction_rows,
    read_feedback,
    read_prediction_log,
    read_requests,
    write_feedback,
    write_request,
    write_requests,
)
from workbench.exceptions import DuplicateLabelError, PredictionLogError

MAIN_LOG = Path(__file__).parent / "data" / "predictions_main.db"
HEAD = "0002"


@pytest.fixture(params=["sqlite", "postgresql"])
def log_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.db'}"
    return request.getfixturevalue("postgres_url")


def _scored(n: int, offset: int = 0):
    frame = pd.DataFrame({"income": np.arange(offset, offset + n, dtype=float), "purpose": ["car"] * n})
    result = types.SimpleNamespace(predictions=np.arange(n) % 2, probabilities=np.tile([0.3, 0.7], (n, 1)),
                                   classes=[0, 1], task="binary")
    return frame, result


def _write(log: PredictionLog, request_id: str, n: int = 3, *, stamp: str = "2026-01-01T00:00:00+00:00") -> None:
    frame, result = _scored(n)
    rows = prediction_rows(frame, result, request_id=request_id, timestamp=stamp, model_name="credit",
                           model_version="1", variant="champion")
    write_request(log, request_id=request_id, timestamp=stamp, status_code=200, latency_ms=2.0, n_rows=n,
                  variant="champion", model_name="credit", model_version="1", rows=rows, task="binary",
                  classes=[0, 1])


def test_requests_rows_and_feedback_round_trip_with_the_replica(log_url, monkeypatch):
    monkeypatch.setenv("WORKBENCH_REPLICA", "pod-a")
    log = open_log(log_url)
    try:
        _write(log, "r1", 3)
        assert write_feedback(log_url, "r1", [1, 0, 1]) == 3
        with pytest.raises(DuplicateLabelError, match=r"row\(s\) 0 of request r1 already have a label"):
            write_feedback(log_url, "r1", {"0": 0})
        assert write_feedback(log_url, "r1", {"0": 0}, replace=True) == 1
    finally:
        log.close()
    rows, requests, labels = read_prediction_log(log_url), read_requests(log_url), read_feedback(log_url)
    assert rows[["row", "prediction", "probability", "income"]].values.tolist() == [
        [0, 0, 0.7, 0.0], [1, 1, 0.7, 1.0], [2, 0, 0.7, 2.0]]
    assert requests[["request_id", "status_code", "n_rows", "replica"]].values.tolist() == [["r1", 200, 3, "pod-a"]]
    assert labels.sort_values("row")[["label", "replaced"]].values.tolist() == [[0, 1], [0, 0], [1, 0]]


def test_concurrent_labels_for_one_row_record_one_and_refuse_the_other(log_url):
    """Two posts without replace race for row 0 (a barrier lines them up): one is recorded, one refused."""
    log = open_log(log_url)
    try:
        for attempt in range(20):
            request_id = f"race{attempt}"
            _write(log, request_id, 1)
            start, outcome = threading.Barrier(2), {}

            def post(label: int, request_id: str = request_id, start: threading.Barrier = start,
                     outcome: dict = outcome) -> None:
                start.wait()
                try:
                    outcome[label] = write_feedback(log_url, request_id, {"0": label})
                except DuplicateLabelError as err:
                    outcome[label] = err

            threads = [threading.Thread(target=post, args=(label,)) for label in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            recorded = [label for label, result in outcome.items() if result == 1]
            refused = [result for result in outcome.values() if isinstance(result, DuplicateLabelError)]
            assert len(recorded) == len(refused) == 1, outcome
            assert str(refused[0]).startswith(f"row(s) 0 of request {request_id} already have a label")
            labels = read_feedback(log_url)
            assert labels.loc[labels["request_id"] == request_id, ["label", "replaced"]].values.tolist() == [
                [recorded[0], 0]]
    finally:
        log.close()


def test_a_micro_batch_is_one_transaction(log_url):
    """A batch whose last row breaks a constraint leaves nothing of the batch behind."""
    log = open_log(log_url)
    try:
        _write(log, "before", 1)
        frame, result = _scored(2)
        rows = prediction_rows(frame, result, request_id="a", timestamp="2026-01-01T00:00:00+00:00",
                               model_name="credit", model_version="1", variant="champion")
        request = ("a", "2026-01-01T00:00:00+00:00", 200, 1.0, 2, "champion", "credit", "1", None)
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            write_requests(log, [request, ("b", *request[1:])], [*rows, rows[0]])  # row 0 of "a" twice
    finally:
        log.close()
    assert read_requests(log_url)["request_id"].tolist() == ["before"]
    assert len(read_prediction_log(log_url)) == 1


def test_concurrent_writers_and_an_incremental_reader_see_every_row_once(log_url):
    """Four writer threads (their own connections) while a reader reads boundary to boundary."""
    log = open_log(log_url)
    seen: list[pd.DataFrame] = []
    last = {"requests": 0, "predictions": 0}

    def read_new() -> None:
        upto = log.boundary()
        seen.append(read_requests(log, span=(last["requests"], upto["requests"])))
        last.update(upto)

    def writer(k: int) -> None:
        mine = open_log(log_url)
        try:
            for i in range(40):
                _write(mine, f"w{k}-{i}", 2)
        finally:
            mine.close()

    try:
        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            read_new()
        for thread in threads:
            thread.join()
        read_new()
    finally:
        log.close()
    ids = pd.concat(seen)["request_id"].tolist()
    assert len(ids) == len(set(ids)) == 160
    assert set(ids) == set(read_requests(log_url)["request_id"])
    assert len(seen) > 2  # the reader really read while the writers wrote


def test_a_log_written_by_the_previous_version_is_migrated_on_open(tmp_path):
    path = tmp_path / "predictions.db"
    shutil.copy(MAIN_LOG, path)
    with sqlite3.connect(path) as conn:
        before = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                  for t in ("requests", "predictions", "feedback")}
    rows = read_prediction_log(path)
    assert rows[["request_id", "prediction", "probability", "income", "purpose"]].values.tolist()[:1] == [
        ["bin", 1, 0.8, 1200.5, "car"]]
    assert pd.isna(rows["income"].iloc[1]) and rows["purpose"].iloc[1] == "house"
    assert rows["probabilities"].iloc[4] == {"a": 0.1, "b": 0.2, "c": 0.7}
    assert read_requests(path)["replica"].isna().all()  # old rows: the writer is unknown
    assert read_feedback(path).sort_values("row")[["label", "replaced"]].values.tolist() == [[1, 0], [1, 1]]
    with sqlite3.connect(path) as conn:
        after = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                 for t in ("requests", "predictions", "feedback")}
        assert conn.execute("SELECT version_num FROM workbench_log_version").fetchall() == [(HEAD,)]
    for table, old in before.items():  # nothing rewritten: the old values, then NULL in the added column
        assert [row[:len(old[0])] for row in after[table]] == old
    assert write_feedback(path, "multi", ["c"]) == 1  # the recorded classes still read labels
    log = open_log(path)
    try:
        _write(log, "new", 2)
    finally:
        log.close()
    assert set(read_requests(path)["request_id"]) == {"bin", "multi", "bad", "new"}


def test_two_opens_of_a_new_log_migrate_it_once(postgres_url):
    """Concurrent first opens (workers starting together) end with one head revision and one log id."""
    from workbench.deploy.predlog import _store

    errors: list[BaseException] = []

    def opener() -> None:
        try:
            log = PredictionLog(__import__("sqlalchemy").engine.make_url(postgres_url))
            log.migrate()  # each thread opens it as a new process would
            log.close()
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    log = open_log(postgres_url)
    try:
        with log.read() as conn:
            assert conn.execute(text("SELECT version_num FROM workbench_log_version")).fetchall() == [(HEAD,)]
            assert conn.execute(text("SELECT count(*) FROM workbench_log_info")).scalar_one() == 1
    finally:
        log.close()
    assert _store.REPLICA_ENV == "WORKBENCH_REPLICA"


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://ann:s3cret@db:3306/log", r"mysql://ann:\*\*\*@db:3306/log uses mysql://, which the log does not support"),
    ("postgresql://ann:s3cret@/log", r"postgresql\+psycopg://ann:\*\*\*@/log names no host or no database"),
    ("postgresql://ann:s3cret@db:notaport/log", r"postgresql://ann:\*\*\*@db:notaport/log cannot be read"),
])
def test_a_wrong_url_is_refused_naming_it_with_the_password_masked(url, message):
    with pytest.raises(PredictionLogError, match=message) as caught:
        open_log(url)
    assert "s3cret" not in str(caught.value)
    assert "postgresql://USER:PASSWORD@HOST:PORT/DATABASE" in str(caught.value)


def test_a_password_with_an_unescaped_at_sign_is_refused_and_masked_whole():
    from workbench.deploy.predlog import masked

    assert masked("postgresql://ann:s3c@ret@db:5432/log") == "postgresql://ann:***@db:5432/log"
    with pytest.raises(PredictionLogError, match=r"postgresql://ann:\*\*\*@db/log has an '@'") as caught:
        open_log("postgresql://ann:s3c@ret@db/log")
    assert "s3c" not in str(caught.value)
    assert "%40" in caught.value.hint


def test_an_unreachable_or_refusing_database_is_named_with_the_password_masked(postgres_server):
    from conftest import free_port

    nobody = f"postgresql://ann:s3cret@127.0.0.1:{free_port()}/log"
    with pytest.raises(PredictionLogError, match=r"cannot open the prediction log at postgresql\+psycopg://ann:\*\*\*@"
                                                 r"127\.0\.0\.1:\d+/log: .*(refused|failed)") as caught:
        open_log(nobody)
    assert "s3cret" not in str(caught.value) and "WORKBENCH_PREDICTION_LOG" in str(caught.value)
    wrong = postgres_server.url().replace(postgres_server.password, "s3cret")
    with pytest.raises(PredictionLogError, match="password authentication failed") as caught:
        open_log(wrong)
    assert "s3cret" not in str(caught.value) and postgres_server.password not in str(caught.value)


def test_the_config_names_the_log_and_the_environment_wins(project, postgres_url, tmp_path, monkeypatch):
    from workbench.deploy.predlog import configured_log, log_batch

    monkeypatch.delenv("WORKBENCH_PREDICTION_LOG", raising=False)
    config = project.config.path
    config.write_text(config.read_text() + f'\n[deploy]\nprediction_log = "{postgres_url}"\n')
    project = type(project).load(project.root)
    assert configured_log(project) == postgres_url
    frame, result = _scored(2)
    rid = log_batch(project, frame, result, model_name="credit", model_version="1")
    assert read_requests(postgres_url)["request_id"].tolist() == [rid]
    assert not (project.state_dir / "predictions.db").exists()
    monkeypatch.setenv("WORKBENCH_PREDICTION_LOG", "logs/local.db")  # a path: relative to the project
    rid = log_batch(project, frame, result, model_name="credit", model_version="1")
    assert read_requests(project.root / "logs" / "local.db")["request_id"].tolist() == [rid]


def test_a_commit_whose_acknowledgement_was_lost_is_a_clear_log_error(tmp_path) -> None:
    """The first attempt commits, then its connection drops before the acknowledgement; the retry
    breaks the request's unique key. The client gets a log error with no SQL or parameters in it,
    and the request is in the log once."""
    from sqlalchemy.exc import OperationalError

    log = open_log(f"sqlite:///{tmp_path / 'log.db'}")
    _write(log, "lost-ack")  # what the first attempt committed
    attempts: list[int] = []

    def work(conn) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection"),
                                   connection_invalidated=True)
        conn.execute(text("INSERT INTO requests (request_id) VALUES ('lost-ack')"))

    with pytest.raises(PredictionLogError) as caught:
        log.write(work)
    message = str(caught.value)
    assert len(attempts) == 2 and "was logged but not answered" in message and "INSERT" not in message
    assert "lost-ack" not in message and read_requests(log)["request_id"].tolist() == ["lost-ack"]
    log.close()

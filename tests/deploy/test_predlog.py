"""The prediction log: round trips, filters, feedback, and crash safety with a killed writer."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from workbench.deploy import (
    log_batch,
    read_feedback,
    read_prediction_log,
    read_requests,
    write_feedback,
)
from workbench.deploy.predlog import log_path
from workbench.exceptions import DataError, DuplicateLabelError, LabelError

HEAD = "0002"  # the newest revision of workbench/deploy/predlog/_migrations


def _result(n: int, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    return SimpleNamespace(predictions=(p > 0.5).astype(int), probabilities=np.column_stack([1 - p, p]))


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"income": np.arange(n) * 1000.0, "loan_purpose": ["car"] * n,
                         "when": pd.date_range("2026-01-01", periods=n, tz="UTC")})


def test_log_batch_round_trip(project):
    frame, result = _frame(5), _result(5)
    rid = log_batch(project, frame, result, model_name="credit", model_version="3",
                    timestamp="2026-02-01T12:00:00")
    log = read_prediction_log(project)
    assert list(log.columns[:8]) == ["request_id", "row", "timestamp", "model_name", "model_version",
                                     "variant", "prediction", "probability"]
    assert (log["request_id"] == rid).all() and list(log["row"]) == [0, 1, 2, 3, 4]
    assert str(log["timestamp"].dt.tz) == "UTC" and log["timestamp"].iloc[0] == pd.Timestamp("2026-02-01 12:00", tz="UTC")
    assert list(log["prediction"]) == list(result.predictions)
    np.testing.assert_allclose(log["probability"], result.probabilities[:, 1])
    assert list(log["income"]) == list(frame["income"]) and set(log["variant"]) == {"batch"}
    requests = read_requests(project)
    assert requests[["request_id", "status_code", "n_rows", "variant"]].iloc[0].tolist() == [rid, 200, 5, "batch"]


def test_rows_written_with_numpy_numbers_are_stored_as_numbers(project):
    """Rows built by a caller with numpy scalars (a float32 probability, an int64 row number) are
    stored as SQLite numbers, as SQLAlchemy's types would store them, never as bytes."""
    from workbench.deploy.predlog import connect, write_requests, write_shadow

    log = connect(project)
    try:
        row = ("r1", np.int64(0), "2026-02-01T12:00:00+00:00", "credit", "3", "champion", "1",
               np.float32(0.25), "{}", None)
        write_requests(log, [("r1", "2026-02-01T12:00:00+00:00", 200, 1.0, 1, "champion")], [row])
        write_shadow(log, [])  # nothing to add: nothing written, no error
    finally:
        log.close()
    with sqlite3.connect(log_path(project)) as db:
        stored = db.execute("SELECT typeof(row), row, typeof(probability), probability FROM predictions").fetchall()
    assert stored == [("integer", 0, "real", 0.25)]


def test_text_labels_are_logged_one_per_row(project):
    labels = np.array(["no", "yes, with a comma", 'say "yes"'])
    result = SimpleNamespace(predictions=labels, probabilities=None)
    log_batch(project, _frame(3), result, model_name="credit", model_version="3")
    assert list(read_prediction_log(project)["prediction"]) == list(labels)


def test_filters_by_time_and_variant(project):
    log_batch(project, _frame(2), _result(2), model_name="m", model_version="1", timestamp="2026-01-01")
    log_batch(project, _frame(3), _result(3), model_name="m", model_version="2", variant="champion",
              timestamp="2026-01-05")
    assert len(read_prediction_log(project)) == 5
    assert len(read_prediction_log(project, since="2026-01-03")) == 3
    assert len(read_prediction_log(project, until="2026-01-03")) == 2
    assert set(read_prediction_log(project, variant="champion")["model_version"]) == {"2"}
    assert len(read_requests(project, variant="batch")) == 1


def test_feedback_by_request_id(project):
    rid = log_batch(project, _frame(3), _result(3), model_name="m", model_version="1", classes=[0, 1])
    assert write_feedback(project, rid, [1, 0, 1]) == 3
    with pytest.raises(DuplicateLabelError, match=f"row\\(s\\) 1 of request {rid} already have a label") as err:
        write_feedback(project, rid, {1: 0})  # a second label for a row is refused ...
    assert err.value.rows == [1] and "replace=true" in err.value.hint
    assert write_feedback(project, rid, {1: 1}, replace=True) == 1  # ... unless it says it corrects one
    fb = read_feedback(project).sort_values("row")
    assert fb["label"].tolist() == [1, 1, 1] and set(fb["request_id"]) == {rid}
    assert fb["replaced"].tolist() == [0, 1, 0]
    with pytest.raises(DataError, match="unknown request id"):
        write_feedback(project, "nope", [1])
    with pytest.raises(LabelError, match="rows 7 out of range"):
        write_feedback(project, rid, {7: 1})
    with pytest.raises(LabelError, match=f"4 labels for request {rid}, which has 3 row"):
        write_feedback(project, rid, [1, 0, 1, 0])


def test_log_is_parsed_in_one_call_per_column_into_the_same_frame(tmp_path, monkeypatch):
    """Reading parses each JSON column at once (no per-row loads) and yields what per-row parsing gave."""
    project = SimpleNamespace(state_dir=tmp_path)
    n = 300
    frame = pd.DataFrame({"income": [None if i % 7 == 0 else i * 1.5 for i in range(n)],
                          "age": np.arange(n), "mixed": [10**30 if i % 2 else f"s{i}" for i in range(n)],
                          "purpose": [None if i % 5 == 0 else "car" for i in range(n)]})
    result = SimpleNamespace(predictions=np.arange(n) % 2, probabilities=None)
    rid = log_batch(project, frame, result, model_name="m", model_version="1", timestamp="2026-01-01")
    write_feedback(project, rid, {0: 1, 1: 0.0, 2: "1"})  # read as the logged predictions' kind: integers
    with sqlite3.connect(log_path(project)) as conn:
        rows = conn.execute("SELECT prediction, inputs FROM predictions ORDER BY row").fetchall()
    expected = pd.DataFrame([json.loads(inputs) for _, inputs in rows])
    loads = json.loads
    calls = []
    monkeypatch.setattr(json, "loads", lambda *a, **k: calls.append(1) or loads(*a, **k))
    log, feedback = read_prediction_log(project), read_feedback(project)
    assert len(calls) == 3  # prediction, inputs, label: one parse each, whatever the row count
    pd.testing.assert_frame_equal(log[list(expected.columns)], expected)
    assert log["mixed"].iloc[1] == 10**30 and isinstance(log["mixed"].iloc[1], int)
    assert list(log["prediction"]) == [json.loads(p) for p, _ in rows]
    assert list(feedback["label"]) == [1, 0, 1]


def test_mismatched_lengths_are_refused(project):
    with pytest.raises(DataError, match="3 input rows but 2 predictions"):
        log_batch(project, _frame(3), _result(2), model_name="m", model_version="1")
    assert read_requests(project).empty


_WRITER = """
import sys, numpy as np, pandas as pd
from types import SimpleNamespace
from workbench.deploy.predlog import connect, prediction_rows, write_request
conn = connect(sys.argv[1])
frame = pd.DataFrame({"x": np.arange(200.0)})
res = SimpleNamespace(predictions=np.zeros(200, int), probabilities=None)
i = 0
while True:
    rid = f"r{i}"
    rows = prediction_rows(frame, res, request_id=rid, timestamp="2026-01-01T00:00:00+00:00",
                           model_name="m", model_version="1", variant="champion")
    write_request(conn, request_id=rid, timestamp="2026-01-01T00:00:00+00:00", status_code=200,
                  latency_ms=1.0, n_rows=200, variant="champion", rows=rows)
    i += 1
    if i == 5:
        print("ready", flush=True)
"""


def test_killed_writer_leaves_no_partial_rows(project):
    path = log_path(project)
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(_WRITER), str(path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.5)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    log, requests = read_prediction_log(project), read_requests(project)
    assert len(requests) >= 5
    assert len(log) == 200 * len(requests)  # every committed request is complete, nothing else
    assert (log.groupby("request_id").size() == 200).all()


@pytest.fixture(scope="module")
def wine_model():
    """A real multiclass model on scikit-learn's wine data (classes 0, 1, 2), wrapped."""
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from workbench.develop import wrap_model
    from workbench.explore.schema import infer_schema

    X, y = load_wine(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    return wrap_model(model, infer_schema(X)), X


def test_a_multiclass_log_keeps_every_class_probability(project, wine_model):
    robust, X = wine_model
    rows = X.iloc[::20].reset_index(drop=True)
    result = robust.predict(rows)
    rid = log_batch(project, rows, result, model_name="wine", model_version="1")
    log = read_prediction_log(project)
    assert list(log.columns[:9]) == ["request_id", "row", "timestamp", "model_name", "model_version", "variant",
                                     "prediction", "probability", "probabilities"]
    expected = robust.model.predict_proba(rows)
    assert list(log["prediction"]) == robust.model.predict(rows).tolist()
    assert all(isinstance(p, int) for p in log["prediction"])
    np.testing.assert_allclose(log["probability"], expected.max(axis=1), rtol=1e-12)  # the predicted class's
    stored = np.array([[row[key] for key in ("0", "1", "2")] for row in log["probabilities"]])
    np.testing.assert_allclose(stored, expected, rtol=1e-12)
    with sqlite3.connect(log_path(project)) as conn:
        assert conn.execute("SELECT task, classes FROM requests WHERE request_id = ?", (rid,)).fetchone() == \
            ("multiclass", "[0, 1, 2]")
    assert write_feedback(project, rid, [2.0, True, "0"] + [1] * (len(rows) - 3)) == len(rows)
    assert read_feedback(project)["label"].tolist()[:3] == [2, 1, 0]
    other = log_batch(project, rows, result, model_name="wine", model_version="1")
    with pytest.raises(LabelError, match=r"7 is not a class of the model \(its classes: 0, 1, 2\)"):
        write_feedback(project, other, {"0": 7})


def test_multiclass_probabilities_without_classes_log_the_highest(project, wine_model):
    """A result that does not carry its classes (a bare predict/predict_proba pair) still logs."""
    robust, X = wine_model
    rows = X.head(5)
    bare = SimpleNamespace(predictions=robust.model.predict(rows), probabilities=robust.model.predict_proba(rows))
    rid = log_batch(project, rows, bare, model_name="wine", model_version="1")
    log = read_prediction_log(project)
    np.testing.assert_allclose(log["probability"], bare.probabilities.max(axis=1), rtol=1e-12)
    assert log["probabilities"].isna().all()  # which column is which class is not known
    assert write_feedback(project, rid, ["0", 1.0, 2, 0, 0]) == 5  # read as the predictions' kind: integers
    assert read_feedback(project)["label"].tolist() == [0, 1, 2, 0, 0]


def test_a_regression_log_has_numbers_and_no_probabilities(project):
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    from workbench.develop import wrap_model
    from workbench.explore.schema import infer_schema

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    robust = wrap_model(Ridge().fit(X, y), infer_schema(X))
    rows = X.head(4)
    rid = log_batch(project, rows, robust.predict(rows), model_name="d", model_version="1")
    log = read_prediction_log(project)
    np.testing.assert_allclose(log["prediction"].to_numpy(dtype=float), robust.model.predict(rows), rtol=1e-12)
    assert log["probability"].isna().all() and log["probabilities"].isna().all()
    assert write_feedback(project, rid, [151, "75.5", 1e2, 0]) == 4
    assert read_feedback(project)["label"].tolist() == [151.0, 75.5, 100.0, 0.0]
    with pytest.raises(LabelError, match="row 0: true is not a number"):
        write_feedback(project, rid, [True], replace=True)


_V1_LOG = """
CREATE TABLE requests (request_id TEXT PRIMARY KEY, timestamp TEXT NOT NULL, status_code INTEGER NOT NULL,
    latency_ms REAL, n_rows INTEGER NOT NULL, variant TEXT NOT NULL, model_name TEXT, model_version TEXT, error TEXT);
CREATE TABLE predictions (request_id TEXT NOT NULL, row INTEGER NOT NULL, timestamp TEXT NOT NULL, model_name TEXT,
    model_version TEXT, variant TEXT NOT NULL, prediction TEXT, probability REAL, inputs TEXT NOT NULL,
    PRIMARY KEY (request_id, variant, row));
CREATE TABLE feedback (request_id TEXT NOT NULL, row INTEGER NOT NULL, label TEXT, timestamp TEXT NOT NULL,
    PRIMARY KEY (request_id, row));
INSERT INTO requests VALUES ('old', '2026-01-01T00:00:00+00:00', 200, 3.0, 2, 'champion', 'm', '1', NULL);
INSERT INTO predictions VALUES ('old', 0, '2026-01-01T00:00:00+00:00', 'm', '1', 'champion', '1', 0.9, '{"x": 1.5}');
INSERT INTO predictions VALUES ('old', 1, '2026-01-01T00:00:00+00:00', 'm', '1', 'champion', '0', 0.2, '{"x": 0.5}');
INSERT INTO feedback VALUES ('old', 0, '1', '2026-01-02T00:00:00+00:00');
"""


def test_a_log_of_the_first_version_opens_and_takes_typed_labels(project):
    path = log_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(_V1_LOG)
    log = read_prediction_log(project)  # migrated on opening: new columns, old rows untouched
    assert log[["prediction", "probability", "x"]].values.tolist() == [[1, 0.9, 1.5], [0, 0.2, 0.5]]
    assert log["probabilities"].isna().all()
    assert read_feedback(project)[["row", "label", "replaced"]].values.tolist() == [[0, 1, 0]]
    # The old log does not record the model's classes: labels take the logged predictions' kind (integers).
    assert write_feedback(project, "old", {"1": "0.0"}) == 1
    assert read_feedback(project).sort_values("row")["label"].tolist() == [1, 0]
    with pytest.raises(LabelError, match=r"row 1: text 'no' is not a number"):
        write_feedback(project, "old", {"1": "no"}, replace=True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM workbench_log_version").fetchall() == [(HEAD,)]
        columns = [row[1] for row in conn.execute("PRAGMA table_info(requests)")]
    assert columns[-3:] == ["task", "classes", "replica"]
    rid = log_batch(project, _frame(2), _result(2), model_name="m", model_version="2", classes=[0, 1])
    assert set(read_prediction_log(project)["request_id"]) == {"old", rid}

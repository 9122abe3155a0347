"""Durable prediction log: SQLite in WAL mode inside the project, one transaction per request.

A request and its rows are written inside a single transaction, so a process killed mid-write
leaves either the whole request or nothing: no partial or corrupt rows. The Monitor phase
reads the log with :func:`read_prediction_log`, :func:`read_requests` and :func:`read_feedback`.

Each row keeps ``prediction`` (the class label or the number) and ``probability`` (binary: the
positive class's; multiclass: the predicted class's; regression: NULL); a multiclass row also
keeps every class's probability (``probabilities``, JSON keyed by class label). Each request
records its model's task and classes, so labels posted later are read as that model's classes
(:mod:`workbench.deploy.labels`). A log written by an older version is brought up to date
(columns added, nothing rewritten) when it is opened.
"""

from __future__ import annotations

import json
import math
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.develop.answers import Scored, answer_format
from workbench.exceptions import DataError

# Columns added after the first version of the log are at the end of their table, in the
# order _ADDED lists them, whether the table was created with them or migrated.
_DDL = """
CREATE TABLE IF NOT EXISTS requests (
    request_id TEXT PRIMARY KEY, timestamp TEXT NOT NULL, status_code INTEGER NOT NULL,
    latency_ms REAL, n_rows INTEGER NOT NULL, variant TEXT NOT NULL, model_name TEXT,
    model_version TEXT, error TEXT, task TEXT, classes TEXT);
CREATE TABLE IF NOT EXISTS predictions (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, timestamp TEXT NOT NULL, model_name TEXT,
    model_version TEXT, variant TEXT NOT NULL, prediction TEXT, probability REAL,
    inputs TEXT NOT NULL, probabilities TEXT, PRIMARY KEY (request_id, variant, row));
CREATE TABLE IF NOT EXISTS feedback (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, label TEXT, timestamp TEXT NOT NULL,
    replaced INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (request_id, row));
CREATE INDEX IF NOT EXISTS predictions_time ON predictions (timestamp);
"""
LOG_VERSION = 2
_ADDED = {  # table -> columns added since version 1: (name, declaration)
    "requests": (("task", "TEXT"), ("classes", "TEXT")),
    "predictions": (("probabilities", "TEXT"),),
    "feedback": (("replaced", "INTEGER NOT NULL DEFAULT 0"),),
}
_REQUEST_COLUMNS = ("request_id", "timestamp", "status_code", "latency_ms", "n_rows", "variant", "model_name",
                    "model_version", "error", "task", "classes")
_ROW_COLUMNS = ("request_id", "row", "timestamp", "model_name", "model_version", "variant", "prediction",
                "probability", "inputs", "probabilities")
_INSERT_REQUESTS = f"INSERT INTO requests ({', '.join(_REQUEST_COLUMNS)}) VALUES ({','.join('?' * len(_REQUEST_COLUMNS))})"
_INSERT_ROWS = f"INSERT INTO predictions ({', '.join(_ROW_COLUMNS)}) VALUES ({','.join('?' * len(_ROW_COLUMNS))})"


def log_path(project: Any) -> Path:
    """Path of the project's prediction log (``.workbench/predictions.db``)."""
    return Path(project.state_dir) / "predictions.db"


def connect(project_or_path: Any) -> sqlite3.Connection:
    """Open (and create) the prediction log with WAL journaling and ``synchronous=NORMAL`` commits.

    In WAL mode NORMAL syncs at checkpoints rather than on every commit: a committed batch
    survives a crash of the process (kill -9 included) and the log is never corrupt, but the
    last commits before a power loss or an operating-system crash may be lost.
    """
    path = Path(project_or_path) if isinstance(project_or_path, str | Path) else log_path(project_or_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_DDL)
    _migrate(conn)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    """Add the columns a log of an older version lacks (idempotent; concurrent openers are fine)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] >= LOG_VERSION:
        return
    for table, columns in _ADDED.items():
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, declaration in columns:
            if name in present:
                continue
            try:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
            except sqlite3.OperationalError as err:  # another process added it first
                if "duplicate column" not in str(err):
                    raise
    conn.execute(f"PRAGMA user_version = {LOG_VERSION}")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def json_lines(frame: pd.DataFrame) -> list[str]:
    """One JSON object per row of ``frame`` (missing values as null, times as ISO 8601), vectorised."""
    if frame.empty:
        return ["{}"] * len(frame)
    text = frame.to_json(orient="records", lines=True, date_format="iso", date_unit="us", double_precision=15)
    return text.splitlines()


def _json_values(values: Any) -> list[str]:
    series = pd.Series(np.asarray(values))
    if series.empty:
        return []
    if series.dtype.kind in "biufcmM":
        return series.to_json(orient="records", lines=True, double_precision=15).splitlines()
    # Text labels: pandas writes a string Series as one comma-separated line, not one per value.
    return [json.dumps(v, default=str) for v in series.astype(object).where(series.notna(), None).tolist()]


def answer_kind(result: Any = None, *, task: str | None = None,
                classes: Sequence[Any] | None = None) -> tuple[str | None, list[Any] | None]:
    """``(task, classes)`` of a scored result: as given, else the result's own, else read from its shape.

    Probabilities of two columns without a task read as binary (positive class last), of more
    as multiclass; without its classes a multiclass row logs the highest probability and no
    per-class probabilities. Without probabilities or classes the task is unknown (None).
    """
    classes = list(classes) if classes is not None else getattr(result, "classes", None)
    task = task or getattr(result, "task", None)
    probabilities = getattr(result, "probabilities", None)
    if task is None and classes is not None:
        task = "binary" if len(classes) <= 2 else "multiclass"
    if task is None and probabilities is not None:
        task = "binary" if np.asarray(probabilities).shape[-1] <= 2 else "multiclass"
    return task, None if classes is None else [_jsonable(c) for c in classes]


def log_rows(frame: pd.DataFrame, predictions: Any, probabilities: Any, *, request_ids: Sequence[str],
             rows: Sequence[int], timestamps: Sequence[str], model_name: str | None, model_version: str | None,
             variant: str, task: str | None = None, classes: Sequence[Any] | None = None) -> list[tuple]:
    """Rows for the ``predictions`` table, one per row of ``frame`` (several requests at once).

    ``task`` and ``classes`` decide ``probability`` and ``probabilities`` (:func:`answer_kind`
    when not given).
    """
    n = len(frame)
    if len(predictions) != n:
        raise DataError(f"{n} input rows but {len(predictions)} predictions")
    scored = Scored(np.asarray(predictions), probabilities, None)
    task, classes = answer_kind(scored, task=task, classes=classes)
    probability, texts = answer_format(task or "binary").logged(Scored(scored.predictions, probabilities, classes))
    version = None if model_version is None else str(model_version)
    return list(zip(request_ids, rows, timestamps, [model_name] * n, [version] * n, [variant] * n,
                    _json_values(predictions), probability, json_lines(frame), texts, strict=True))


def prediction_rows(frame: pd.DataFrame, result: Any, *, request_id: str, timestamp: str,
                    model_name: str | None, model_version: str | None, variant: str) -> list[tuple]:
    """Rows for the ``predictions`` table from an input frame and a prediction result."""
    n = len(frame)
    task, classes = answer_kind(result)
    return log_rows(frame, np.asarray(result.predictions), getattr(result, "probabilities", None),
                    request_ids=[request_id] * n, rows=range(n), timestamps=[timestamp] * n,
                    model_name=model_name, model_version=model_version, variant=variant, task=task,
                    classes=classes)


def classes_text(classes: Sequence[Any] | None) -> str | None:
    """The ``classes`` column of the request log: the classes as a JSON list (None for a regressor)."""
    return None if classes is None else json.dumps([_jsonable(c) for c in classes])


def write_request(conn: sqlite3.Connection, *, request_id: str, timestamp: str, status_code: int,
                  latency_ms: float | None, n_rows: int, variant: str, model_name: str | None = None,
                  model_version: str | None = None, error: str | None = None,
                  rows: Sequence[tuple] = (), task: str | None = None, classes: Sequence[Any] | None = None) -> None:
    """Write one request and its prediction rows in a single transaction (all or nothing).

    ``task`` and ``classes`` record the answering model's task and class labels (what feedback
    labels are read as).
    """
    write_requests(conn, [(request_id, timestamp, status_code, latency_ms, n_rows, variant, model_name,
                           None if model_version is None else str(model_version), error, task,
                           classes_text(classes))], rows)


def write_requests(conn: sqlite3.Connection, requests: Sequence[tuple], rows: Sequence[tuple] = ()) -> None:
    """Write many requests (tuples in ``requests`` column order) and their rows in one transaction.

    A request tuple may stop after ``error`` (task and classes unknown).
    """
    width = len(_REQUEST_COLUMNS)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(_INSERT_REQUESTS, [tuple(r) + (None,) * (width - len(r)) for r in requests])
        if rows:
            conn.executemany(_INSERT_ROWS, rows)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def write_shadow(conn: sqlite3.Connection, rows: Sequence[tuple]) -> None:
    """Add a shadow model's prediction rows to an already logged request (one transaction)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(_INSERT_ROWS, rows)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def log_batch(project: Any, frame: pd.DataFrame, result: Any, *, model_name: str | None,
              model_version: str | None, variant: str = "batch", timestamp: Any = None,
              task: str | None = None, classes: Sequence[Any] | None = None) -> str:
    """Append a scored frame to the prediction log as one request; returns its request id.

    Parameters
    ----------
    project : Project
        The project whose ``.workbench/predictions.db`` receives the rows.
    frame : DataFrame
        The model inputs, one row per prediction.
    result : Prediction
        Anything with ``predictions`` (and optionally ``probabilities`` in the order of the
        classes, positive class last; a :class:`~workbench.develop.Prediction` also carries
        its ``task`` and ``classes``).
    model_name, model_version : str or None
        The model that scored the frame.
    variant : str
        ``"champion"``, ``"challenger"`` or ``"batch"``.
    timestamp : datetime or str, optional
        Time of the request (default: now, UTC); lets tests and the demo simulate history.
    task, classes : optional
        The model's task and class labels (default: the result's own, else read from its
        probabilities, see :func:`answer_kind`). Labels posted for the request are read as these
        classes; pass them when ``result`` does not carry them.
    """
    stamp = _now() if timestamp is None else _utc(timestamp)
    request_id = uuid.uuid4().hex
    task, classes = answer_kind(result, task=task, classes=classes)
    n = len(frame)
    rows = log_rows(frame, np.asarray(result.predictions), getattr(result, "probabilities", None),
                    request_ids=[request_id] * n, rows=range(n), timestamps=[stamp] * n, model_name=model_name,
                    model_version=model_version, variant=variant, task=task, classes=classes)
    conn = connect(project)
    try:
        write_request(conn, request_id=request_id, timestamp=stamp, status_code=200, latency_ms=None,
                      n_rows=len(rows), variant=variant, model_name=model_name, model_version=model_version,
                      rows=rows, task=task, classes=classes)
    finally:
        conn.close()
    return request_id


def write_feedback(project: Any, request_id: str, labels: Sequence[Any] | Mapping[Any, Any], *,
                   replace: bool = False) -> int:
    """Record labels that arrived later for a request answered 200; returns the number of rows labelled.

    ``labels`` is one label per row in order, or ``{row: label}`` (row keys may be digit strings,
    as JSON objects send them). Each label is read as the class type of the model that answered
    (``1.0``, ``true`` and ``"1"`` are the class ``1`` of a model whose classes are integers), or
    as a finite number for a regressor: :mod:`workbench.deploy.labels` documents the coercion.
    A label that is not a class of the model, not a finite number for a regressor, null, an
    object, a list or long text refuses the whole call (:class:`~workbench.exceptions.LabelError`);
    nothing is recorded.

    A row that already has a label is refused (:class:`~workbench.exceptions.DuplicateLabelError`,
    naming the rows) unless ``replace`` is True: then the new label replaces the old one and the
    row's ``replaced`` count (in :func:`read_feedback`) goes up by one.

    Examples
    --------
    >>> write_feedback(project, request_id, [1, 0, 1])  # doctest: +SKIP
    3
    >>> write_feedback(project, request_id, {"1": 1}, replace=True)  # a correction  # doctest: +SKIP
    1
    """
    from workbench.deploy.labels import labelled_request, read_labels, row_pairs, store_labels

    conn = connect(project)
    try:
        n_rows, kind = labelled_request(conn, request_id)
        pairs = read_labels(row_pairs(labels, n_rows, request_id), kind, request_id=request_id)
        stamp = _now()
        records = [(request_id, row, json.dumps(label), stamp) for row, label in pairs]
        conn.execute("BEGIN IMMEDIATE")  # the duplicate check and the write see the same log
        try:
            store_labels(conn, request_id, records, replace=replace)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()
    return len(records)


def _where(since: Any, until: Any, variant: str | None) -> tuple[str, list[Any]]:
    clauses, args = [], []
    if since is not None:
        clauses.append("timestamp >= ?")
        args.append(_utc(since))
    if until is not None:
        clauses.append("timestamp < ?")
        args.append(_utc(until))
    if variant is not None:
        clauses.append("variant = ?")
        args.append(variant)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _utc(value: Any) -> str:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return stamp.isoformat()


def _query(project: Any, sql: str, args: Sequence[Any] = ()) -> pd.DataFrame:
    conn = connect(project)
    try:
        cursor = conn.execute(sql, args)
        names = [d[0] for d in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=names)
    finally:
        conn.close()


def _parse_json_column(texts: pd.Series) -> list[Any]:
    """The JSON texts of a column (SQL NULL as None) parsed as one JSON array: one call, not one a row.

    The standard parser keeps exactly what a per-row ``json.loads`` gave (integers of any size,
    ``NaN``), so the frames read are unchanged.
    """
    if texts.empty:
        return []
    return list(json.loads("[" + ",".join(texts.where(texts.notna(), "null").tolist()) + "]"))


def read_prediction_log(project: Any, *, since: Any = None, until: Any = None,
                        variant: str | None = None) -> pd.DataFrame:
    """One row per predicted row with the input feature columns expanded.

    Columns: ``request_id, row, timestamp (UTC), model_name, model_version, variant, prediction,
    probability, probabilities`` followed by the model's input columns. ``prediction`` is the
    class label or the number; ``probability`` the positive class's (binary), the predicted
    class's (multiclass) or missing (regression); ``probabilities`` a multiclass row's
    ``{class: probability}`` for every class (keys are the labels' JSON text, as in the HTTP
    answer), None otherwise.
    """
    where, args = _where(since, until, variant)
    columns = ", ".join(c for c in _ROW_COLUMNS if c != "inputs")
    raw = _query(project, f"SELECT {columns}, inputs FROM predictions{where} ORDER BY timestamp, request_id, row",
                 args)
    raw["timestamp"] = pd.to_datetime(raw["timestamp"], utc=True, format="ISO8601")
    raw["prediction"] = _parse_json_column(raw["prediction"])
    texts = raw["probabilities"]
    # Binary and regression logs hold no per-class probabilities: nothing to parse.
    raw["probabilities"] = _parse_json_column(texts) if texts.notna().any() else [None] * len(raw)
    inputs = pd.DataFrame(_parse_json_column(raw.pop("inputs")), index=raw.index)
    inputs = inputs.drop(columns=[c for c in inputs.columns if c in raw.columns])
    return pd.concat([raw, inputs], axis=1)


def read_requests(project: Any, *, since: Any = None, until: Any = None,
                  variant: str | None = None) -> pd.DataFrame:
    """One row per request: ``request_id, timestamp, status_code, latency_ms, n_rows, variant, error``."""
    where, args = _where(since, until, variant)
    frame = _query(project, "SELECT request_id, timestamp, status_code, latency_ms, n_rows, variant, model_name, "
                            f"model_version, error FROM requests{where} ORDER BY timestamp", args)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    return frame


def read_feedback(project: Any) -> pd.DataFrame:
    """Labels posted after the fact: ``request_id, row, label, timestamp, replaced``.

    ``label`` is the class label (or number) as :func:`write_feedback` read it; ``replaced``
    counts how many times the row's label was replaced by a correction.
    """
    frame = _query(project, "SELECT request_id, row, label, timestamp, replaced FROM feedback ORDER BY timestamp")
    frame["label"] = _parse_json_column(frame["label"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    return frame

"""Durable prediction log: SQLite in WAL mode inside the project, one transaction per request.

A request and its rows are written inside a single transaction, so a process killed mid-write
leaves either the whole request or nothing: no partial or corrupt rows. The Monitor phase
reads the log with :func:`read_prediction_log`, :func:`read_requests` and :func:`read_feedback`.
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

from workbench.exceptions import DataError

_DDL = """
CREATE TABLE IF NOT EXISTS requests (
    request_id TEXT PRIMARY KEY, timestamp TEXT NOT NULL, status_code INTEGER NOT NULL,
    latency_ms REAL, n_rows INTEGER NOT NULL, variant TEXT NOT NULL, model_name TEXT,
    model_version TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS predictions (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, timestamp TEXT NOT NULL, model_name TEXT,
    model_version TEXT, variant TEXT NOT NULL, prediction TEXT, probability REAL,
    inputs TEXT NOT NULL, PRIMARY KEY (request_id, variant, row));
CREATE TABLE IF NOT EXISTS feedback (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, label TEXT, timestamp TEXT NOT NULL,
    PRIMARY KEY (request_id, row));
CREATE INDEX IF NOT EXISTS predictions_time ON predictions (timestamp);
"""


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
    return conn


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


def _positive_probability(probabilities: Any, n: int) -> list[float | None]:
    if probabilities is None:
        return [None] * n
    values = np.asarray(probabilities, dtype=float)
    return (values[:, -1] if values.ndim == 2 else values).tolist()


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


def log_rows(frame: pd.DataFrame, predictions: Any, probabilities: Any, *, request_ids: Sequence[str],
             rows: Sequence[int], timestamps: Sequence[str], model_name: str | None, model_version: str | None,
             variant: str) -> list[tuple]:
    """Rows for the ``predictions`` table, one per row of ``frame`` (several requests at once)."""
    n = len(frame)
    if len(predictions) != n:
        raise DataError(f"{n} input rows but {len(predictions)} predictions")
    version = None if model_version is None else str(model_version)
    return list(zip(request_ids, rows, timestamps, [model_name] * n, [version] * n, [variant] * n,
                    _json_values(predictions), _positive_probability(probabilities, n), json_lines(frame), strict=True))


def prediction_rows(frame: pd.DataFrame, result: Any, *, request_id: str, timestamp: str,
                    model_name: str | None, model_version: str | None, variant: str) -> list[tuple]:
    """Rows for the ``predictions`` table from an input frame and a prediction result."""
    n = len(frame)
    return log_rows(frame, np.asarray(result.predictions), getattr(result, "probabilities", None),
                    request_ids=[request_id] * n, rows=range(n), timestamps=[timestamp] * n,
                    model_name=model_name, model_version=model_version, variant=variant)


def write_request(conn: sqlite3.Connection, *, request_id: str, timestamp: str, status_code: int,
                  latency_ms: float | None, n_rows: int, variant: str, model_name: str | None = None,
                  model_version: str | None = None, error: str | None = None,
                  rows: Sequence[tuple] = ()) -> None:
    """Write one request and its prediction rows in a single transaction (all or nothing)."""
    write_requests(conn, [(request_id, timestamp, status_code, latency_ms, n_rows, variant, model_name,
                           None if model_version is None else str(model_version), error)], rows)


def write_requests(conn: sqlite3.Connection, requests: Sequence[tuple], rows: Sequence[tuple] = ()) -> None:
    """Write many requests (tuples in ``requests`` column order) and their rows in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("INSERT INTO requests VALUES (?,?,?,?,?,?,?,?,?)", requests)
        if rows:
            conn.executemany("INSERT INTO predictions VALUES (?,?,?,?,?,?,?,?,?)", rows)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def write_shadow(conn: sqlite3.Connection, rows: Sequence[tuple]) -> None:
    """Add a shadow model's prediction rows to an already logged request (one transaction)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("INSERT INTO predictions VALUES (?,?,?,?,?,?,?,?,?)", rows)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def log_batch(project: Any, frame: pd.DataFrame, result: Any, *, model_name: str | None,
              model_version: str | None, variant: str = "batch", timestamp: Any = None) -> str:
    """Append a scored frame to the prediction log as one request; returns its request id.

    Parameters
    ----------
    project : Project
        The project whose ``.workbench/predictions.db`` receives the rows.
    frame : DataFrame
        The model inputs, one row per prediction.
    result : PredictionResult
        Anything with ``predictions`` (and optionally ``probabilities``, positive class last).
    model_name, model_version : str or None
        The model that scored the frame.
    variant : str
        ``"champion"``, ``"challenger"`` or ``"batch"``.
    timestamp : datetime or str, optional
        Time of the request (default: now, UTC); lets tests and the demo simulate history.
    """
    stamp = _now() if timestamp is None else _utc(timestamp)
    request_id = uuid.uuid4().hex
    rows = prediction_rows(frame, result, request_id=request_id, timestamp=stamp, model_name=model_name,
                           model_version=model_version, variant=variant)
    conn = connect(project)
    try:
        write_request(conn, request_id=request_id, timestamp=stamp, status_code=200, latency_ms=None,
                      n_rows=len(rows), variant=variant, model_name=model_name, model_version=model_version,
                      rows=rows)
    finally:
        conn.close()
    return request_id


def write_feedback(project: Any, request_id: str, labels: Sequence[Any] | Mapping[Any, Any]) -> int:
    """Record labels that arrived later for a request answered 200; returns the number of rows labelled.

    ``labels`` is one label per row in order, or ``{row: label}`` (row keys may be digit strings,
    as JSON objects send them).
    """
    conn = connect(project)
    try:
        known = conn.execute("SELECT n_rows, status_code FROM requests WHERE request_id = ?", (request_id,)).fetchone()
        if known is None:
            raise DataError(f"unknown request id {request_id!r}", hint="use the request_id of a logged response")
        if known[1] != 200:
            raise DataError(f"request {request_id} was answered {known[1]}, not 200: it has no predictions to label",
                            hint="post labels only for the request_id of a successful (200) answer")
        items = labels.items() if isinstance(labels, Mapping) else enumerate(labels)
        pairs = [(request_id, _row_number(row), json.dumps(_jsonable(label)), _now()) for row, label in items]
        bad = [row for _, row, _, _ in pairs if not 0 <= row < known[0]]
        if bad:
            raise DataError(f"rows {bad} out of range for request {request_id} ({known[0]} rows)")
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR REPLACE INTO feedback VALUES (?,?,?,?)", pairs)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return len(pairs)


def _row_number(row: Any) -> int:
    """A row index from a labels list position or a ``{row: label}`` key (JSON keys are text)."""
    try:
        return int(row)
    except (TypeError, ValueError) as err:
        raise DataError(f"label key {row!r} is not a row number",
                        hint='key labels by row index, e.g. {"0": 1, "2": 0}, or send a list') from err


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
    probability`` followed by the model's input columns.
    """
    where, args = _where(since, until, variant)
    raw = _query(project, f"SELECT * FROM predictions{where} ORDER BY timestamp, request_id, row", args)
    raw["timestamp"] = pd.to_datetime(raw["timestamp"], utc=True, format="ISO8601")
    raw["prediction"] = _parse_json_column(raw["prediction"])
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
    """Labels posted after the fact: ``request_id, row, label, timestamp``."""
    frame = _query(project, "SELECT request_id, row, label, timestamp FROM feedback ORDER BY timestamp")
    frame["label"] = _parse_json_column(frame["label"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    return frame

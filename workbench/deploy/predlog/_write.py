"""Writing the log: requests with their rows, shadow rows, a scored batch, feedback labels.

Each function is one transaction of :meth:`PredictionLog.write`: all or nothing. Every request
and row records the ``replica`` that wrote it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from workbench.deploy.predlog._rows import answer_kind, classes_text, log_rows, now, utc_text
from workbench.deploy.predlog._schema import REQUEST_COLUMNS, ROW_COLUMNS, predictions, requests
from workbench.deploy.predlog._store import PredictionLog, open_log

__all__ = ["connect", "log_batch", "write_feedback", "write_request", "write_requests", "write_shadow"]


def connect(target: Any) -> PredictionLog:
    """Open (create, migrate) the log of a project, a SQLite path or a log URL; close it when done."""
    return open_log(target)


def write_request(log: PredictionLog, *, request_id: str, timestamp: str, status_code: int,
                  latency_ms: float | None, n_rows: int, variant: str, model_name: str | None = None,
                  model_version: str | None = None, error: str | None = None,
                  rows: Sequence[tuple] = (), task: str | None = None, classes: Sequence[Any] | None = None) -> None:
    """Write one request and its prediction rows in a single transaction (all or nothing).

    ``task`` and ``classes`` record the answering model's task and class labels (what feedback
    labels are read as).
    """
    write_requests(log, [(request_id, timestamp, status_code, latency_ms, n_rows, variant, model_name,
                          None if model_version is None else str(model_version), error, task,
                          classes_text(classes))], rows)


def write_requests(log: PredictionLog, request_rows: Sequence[tuple], rows: Sequence[tuple] = ()) -> None:
    """Write many requests (tuples in ``REQUEST_COLUMNS`` order) and their rows in one transaction.

    A request tuple may stop after ``error`` (task and classes unknown).
    """
    replica = log.replica
    width = len(REQUEST_COLUMNS)
    request_records = [dict(zip(REQUEST_COLUMNS, tuple(r) + (None,) * (width - len(r)), strict=True),
                            replica=replica) for r in request_rows]

    def insert_all(conn: Connection) -> None:
        conn.execute(insert(requests), request_records)
        if rows:
            _insert_rows(conn, rows, replica)

    log.write(insert_all)


def write_shadow(log: PredictionLog, rows: Sequence[tuple]) -> None:
    """Add a shadow model's prediction rows to an already logged request (one transaction)."""
    replica = log.replica
    log.write(lambda conn: _insert_rows(conn, rows, replica))


def _insert_rows(conn: Connection, rows: Sequence[tuple], replica: str) -> None:
    """Insert prediction rows (tuples in ``ROW_COLUMNS`` order), each with ``replica``.

    The statement is SQLAlchemy's, compiled for the connection's dialect. A driver that takes
    positional parameters (SQLite's) gets the tuples as they are, through its own ``executemany``:
    a dict per row and SQLAlchemy's processing of every parameter set cost more than SQLite's own
    work (a batch chunk of 50,000 rows: 0.45 s of 1.5 s). Every column is text or a number; the
    row number and the probability are made Python ``int`` and ``float`` here, as SQLAlchemy's
    types would (a numpy ``float32`` would otherwise be stored as bytes). Other drivers get the
    usual ``execute`` of dicts (PostgreSQL's sends them as multi-row inserts).
    """
    if not rows:
        return
    keys = (*ROW_COLUMNS, "replica")
    if not conn.dialect.positional:
        conn.execute(insert(predictions), [dict(zip(keys, (*row, replica), strict=True)) for row in rows])
        return
    compiled = insert(predictions).compile(dialect=conn.dialect, column_keys=list(keys))
    assert tuple(compiled.positiontup or ()) == keys, compiled.positiontup
    conn.exec_driver_sql(compiled.string, [
        (request, int(number), stamp, name, version, variant, prediction,
         None if probability is None else float(probability), inputs, probabilities, replica)
        for request, number, stamp, name, version, variant, prediction, probability, inputs, probabilities in rows
    ])


def log_batch(project: Any, frame: pd.DataFrame, result: Any, *, model_name: str | None,
              model_version: str | None, variant: str = "batch", timestamp: Any = None,
              task: str | None = None, classes: Sequence[Any] | None = None) -> str:
    """Append a scored frame to the prediction log as one request; returns its request id.

    Parameters
    ----------
    project : Project
        The project whose prediction log (``.workbench/predictions.db`` unless ``[deploy]
        prediction_log`` names another) receives the rows.
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

    Examples
    --------
    >>> log_batch(project, frame, model.predict_frame(frame), model_name="credit", model_version="3")  # doctest: +SKIP
    '5f0c...'
    """
    stamp = now() if timestamp is None else utc_text(timestamp)
    request_id = uuid.uuid4().hex
    task, classes = answer_kind(result, task=task, classes=classes)
    n = len(frame)
    rows = log_rows(frame, np.asarray(result.predictions), getattr(result, "probabilities", None),
                    request_ids=[request_id] * n, rows=range(n), timestamps=[stamp] * n, model_name=model_name,
                    model_version=model_version, variant=variant, task=task, classes=classes)
    log = open_log(project)
    try:
        write_request(log, request_id=request_id, timestamp=stamp, status_code=200, latency_ms=None,
                      n_rows=len(rows), variant=variant, model_name=model_name, model_version=model_version,
                      rows=rows, task=task, classes=classes)
    finally:
        log.close()
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

    def label(conn: Connection) -> int:  # the duplicate check and the write see the same log
        n_rows, kind = labelled_request(conn, request_id)
        pairs = read_labels(row_pairs(labels, n_rows, request_id), kind, request_id=request_id)
        stamp = now()
        records = [(request_id, row, json.dumps(label), stamp) for row, label in pairs]
        store_labels(conn, request_id, records, replace=replace)
        return len(records)

    log = open_log(project)
    try:
        return log.write(label)
    finally:
        log.close()

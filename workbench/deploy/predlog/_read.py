"""Reading the log into frames: predicted rows (inputs expanded), requests, feedback.

Each read takes a time range, or (for incremental readers) a range of the log's commit order:
rows after one stable boundary up to the next (:meth:`PredictionLog.boundary`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Select, Table, literal_column, select

from workbench.deploy.predlog._rows import utc_text
from workbench.deploy.predlog._schema import ROW_COLUMNS, feedback, predictions, requests
from workbench.deploy.predlog._store import PredictionLog, open_log

__all__ = ["read_feedback", "read_prediction_log", "read_requests"]

REQUEST_FIELDS = ("request_id", "timestamp", "status_code", "latency_ms", "n_rows", "variant", "model_name",
                  "model_version", "error", "replica")


def _filtered(query: Select, table: Table, *, since: Any, until: Any, variant: str | None) -> Select:
    if since is not None:
        query = query.where(table.c.timestamp >= utc_text(since))
    if until is not None:
        query = query.where(table.c.timestamp < utc_text(until))
    if variant is not None:
        query = query.where(table.c.variant == variant)
    return query


def _in_range(query: Select, log: PredictionLog, span: tuple[int, int] | None) -> Select:
    """Rows committed after ``span[0]`` and up to ``span[1]`` in the log's commit order."""
    if span is None:
        return query
    order: Any = literal_column(log.backend.order_column)
    return query.where(order > span[0], order <= span[1])


def _frame(log: PredictionLog, query: Select) -> pd.DataFrame:
    with log.read() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _opened(target: Any) -> tuple[PredictionLog, bool]:
    """The log of ``target`` (a project, path, URL or an open log) and whether we opened it here."""
    return (target, False) if isinstance(target, PredictionLog) else (open_log(target), True)


def _parse_json_column(texts: pd.Series) -> list[Any]:
    """The JSON texts of a column (SQL NULL as None) parsed as one JSON array: one call, not one a row.

    The standard parser keeps exactly what a per-row ``json.loads`` gave (integers of any size,
    ``NaN``), so the frames read are unchanged.
    """
    if texts.empty:
        return []
    return list(json.loads("[" + ",".join(texts.where(texts.notna(), "null").tolist()) + "]"))


def read_prediction_log(target: Any, *, since: Any = None, until: Any = None, variant: str | None = None,
                        span: tuple[int, int] | None = None) -> pd.DataFrame:
    """One row per predicted row with the input feature columns expanded.

    Columns: ``request_id, row, timestamp (UTC), model_name, model_version, variant, prediction,
    probability, probabilities`` followed by the model's input columns. ``prediction`` is the
    class label or the number; ``probability`` the positive class's (binary), the predicted
    class's (multiclass) or missing (regression); ``probabilities`` a multiclass row's
    ``{class: probability}`` for every class (keys are the labels' JSON text, as in the HTTP
    answer), None otherwise.

    ``target`` is a project (its configured log), a SQLite path, a log URL or an open log;
    ``span`` (incremental readers) limits the rows to a range of the log's commit order.
    """
    log, opened = _opened(target)
    try:
        columns = [predictions.c[c] for c in ROW_COLUMNS if c != "inputs"] + [predictions.c.inputs]
        query = _filtered(select(*columns), predictions, since=since, until=until, variant=variant)
        query = _in_range(query, log, span).order_by(predictions.c.timestamp, predictions.c.request_id,
                                                     predictions.c.row)
        raw = _frame(log, query)
    finally:
        if opened:
            log.close()
    return _expanded(raw)


def _expanded(raw: pd.DataFrame) -> pd.DataFrame:
    raw["timestamp"] = pd.to_datetime(raw["timestamp"], utc=True, format="ISO8601")
    raw["prediction"] = _parse_json_column(raw["prediction"])
    texts = raw["probabilities"]
    # Binary and regression logs hold no per-class probabilities: nothing to parse.
    raw["probabilities"] = _parse_json_column(texts) if texts.notna().any() else [None] * len(raw)
    inputs = pd.DataFrame(_parse_json_column(raw.pop("inputs")), index=raw.index)
    inputs = inputs.drop(columns=[c for c in inputs.columns if c in raw.columns])
    return pd.concat([raw, inputs], axis=1)


def read_requests(target: Any, *, since: Any = None, until: Any = None, variant: str | None = None,
                  span: tuple[int, int] | None = None) -> pd.DataFrame:
    """One row per request: ``request_id, timestamp, status_code, latency_ms, n_rows, variant,
    model_name, model_version, error, replica`` (``replica``: the process that answered; None in
    rows of logs written before it was recorded)."""
    log, opened = _opened(target)
    try:
        query = _filtered(select(*(requests.c[c] for c in REQUEST_FIELDS)), requests, since=since, until=until,
                          variant=variant)
        frame = _frame(log, _in_range(query, log, span).order_by(requests.c.timestamp))
    finally:
        if opened:
            log.close()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    return frame


def read_feedback(target: Any) -> pd.DataFrame:
    """Labels posted after the fact: ``request_id, row, label, timestamp, replaced``.

    ``label`` is the class label (or number) as :func:`write_feedback` read it; ``replaced``
    counts how many times the row's label was replaced by a correction.
    """
    log, opened = _opened(target)
    columns: Sequence[str] = ("request_id", "row", "label", "timestamp", "replaced")
    try:
        frame = _frame(log, select(*(feedback.c[c] for c in columns)).order_by(feedback.c.timestamp))
    finally:
        if opened:
            log.close()
    frame["label"] = _parse_json_column(frame["label"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    return frame

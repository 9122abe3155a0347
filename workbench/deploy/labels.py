"""Feedback labels read as the model's answers: a known class, or a finite number.

A label that arrives later (``/v1/feedback``, :func:`workbench.deploy.write_feedback`) is
compared with the prediction the model made, so it must be a value of the same kind. What each
kind of model accepts, and how a JSON value is read as it (the documented coercion):

========================  =================================================================
classes that are ints     ``1``; ``1.0`` (a whole number); ``true``/``false`` (1/0); ``"1"``
                          and ``"1.0"`` (text of a whole number)
classes that are floats   any finite number, ``true``/``false``, text of a finite number
classes that are bools    ``true``/``false``; ``1``/``0``; ``"true"``/``"false"``/``"1"``/``"0"``
classes that are text     the text itself (exactly); a number as its text (``1`` → ``"1"``)
regression                a finite number, or the text of one; ``true``/``false`` are refused
========================  =================================================================

A classifier's label must then be one of the model's classes (refused otherwise, naming the
label and listing the classes). Null, objects, lists and text over :data:`MAX_LABEL_CHARS`
characters are refused for every model: nothing arbitrary is stored. When the log does not
record the model's classes (logs written before they were recorded, or ``log_batch`` without
them), labels take the kind of the request's logged predictions and are not checked against
a class list.

The second half records them for :func:`workbench.deploy.write_feedback`: the request's row
count and label kind from the log, the rows a body labels (each once, in range), and the write
that refuses a row already labelled unless it replaces (and counts) the label.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from workbench.deploy.predlog._schema import requests
from workbench.exceptions import DataError, DuplicateLabelError, LabelError

__all__ = ["MAX_LABEL_CHARS", "LabelKind", "labelled_request", "read_labels", "row_pairs", "store_labels"]

MAX_LABEL_CHARS = 256
_SHOWN = 10  # refused labels listed in an error (the count says how many there were)


class _Refused(ValueError):
    """One label that cannot be read; the message says why."""


@dataclasses.dataclass(frozen=True)
class LabelKind:
    """What a request's labels must be: ``reader`` names a row of the table above.

    ``classes`` (a classifier's, when known) are the values a label must be one of.
    """

    reader: str
    classes: tuple[Any, ...] | None = None

    @classmethod
    def for_model(cls, task: str | None, classes: Sequence[Any] | None) -> LabelKind | None:
        """The kind for a model's ``task`` and ``classes``; None when neither says anything."""
        if task == "regression":
            return cls("number")
        if classes:
            return cls(_class_reader(classes[0]), tuple(classes))
        return None

    @classmethod
    def like(cls, prediction: Any) -> LabelKind:
        """The kind of labels comparable with a logged ``prediction`` (no class list)."""
        return cls(_class_reader(prediction) if prediction is not None else "text")


def _class_reader(sample: Any) -> str:
    if isinstance(sample, bool):
        return "boolean"
    if isinstance(sample, int):
        return "integer"
    if isinstance(sample, float):
        return "float"
    return "text"


def short(value: Any, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters (a 1 MB string stays a short message)."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"… ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _number(value: Any) -> float:
    """A finite float from a JSON number or the text of one."""
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _Refused(f"text {short(value)} is not a number") from None
    else:
        try:
            number = float(value)
        except OverflowError:
            raise _Refused("a number too large for a float") from None
    if not math.isfinite(number):
        raise _Refused(f"{short(value)} is not a finite number")
    return number


def _read_number(value: Any) -> float:
    if isinstance(value, bool):
        raise _Refused(f"{str(value).lower()} is not a number")
    return _number(value)


def _read_integer(value: Any) -> int:
    if isinstance(value, bool | int):
        return int(value)
    number = _number(value)
    if not number.is_integer():
        raise _Refused(f"{short(value)} is not a whole number")
    return int(number)


def _read_float(value: Any) -> float:
    return float(value) if isinstance(value, bool) else _number(value)


_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})


def _read_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else str(_number(value)).removesuffix(".0")
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise _Refused(f"{short(value)} is not true or false")


def _read_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise _Refused(f"{str(value).lower()} is not a class name (send the class as text)")
    number = _number(value)
    return str(int(number)) if number.is_integer() else str(number)


# How a JSON value is read as a label of each kind (the table in the module docstring).
READERS: dict[str, Callable[[Any], Any]] = {
    "number": _read_number,
    "integer": _read_integer,
    "float": _read_float,
    "boolean": _read_boolean,
    "text": _read_text,
}


def _scalar(value: Any) -> None:
    """Refuse what is never a label: null, objects, lists, long text."""
    if value is None:
        raise _Refused("null is not a label (leave the row out instead)")
    if isinstance(value, Mapping):
        raise _Refused("an object is not a label")
    if isinstance(value, list | tuple | set):
        raise _Refused("a list is not a label")
    if isinstance(value, str) and len(value) > MAX_LABEL_CHARS:
        raise _Refused(f"text of {len(value):,} characters (a label has at most {MAX_LABEL_CHARS})")
    if not isinstance(value, str | int | float):
        raise _Refused(f"a {type(value).__name__} is not a label")


def read_label(value: Any, kind: LabelKind) -> Any:
    """``value`` as a label of ``kind``; raises ``_Refused`` with the reason."""
    _scalar(value)
    label = READERS[kind.reader](value)
    if kind.classes is not None and label not in kind.classes:
        listed = ", ".join(short(c, 30) for c in kind.classes)
        raise _Refused(f"{short(value)} is not a class of the model (its classes: {listed})")
    return label


def read_labels(pairs: Sequence[tuple[int, Any]], kind: LabelKind, *, request_id: str) -> list[tuple[int, Any]]:
    """Each ``(row, label)`` with its label read as ``kind``; any refusal is a :class:`LabelError` naming them."""
    read: list[tuple[int, Any]] = []
    problems: list[dict[str, Any]] = []
    refused = 0
    for row, value in pairs:
        try:
            read.append((row, read_label(value, kind)))
        except _Refused as err:
            refused += 1
            if len(problems) < _SHOWN:
                problems.append({"row": row, "label": short(value), "error": str(err)})
    if refused:
        first = problems[0]
        raise LabelError(
            f"{refused:,} label(s) for request {request_id} refused; first: row {first['row']}: {first['error']}.",
            problems=problems, count=refused,
            hint=_HINTS[kind.reader] if kind.classes is None else f"Send one of the model's classes per row "
            f"({', '.join(short(c, 30) for c in kind.classes)}); nothing was recorded.",
        )
    return read


_HINTS = {
    "number": "Send a finite number per row (the observed value); nothing was recorded.",
    "integer": "Send a whole number per row, like the predictions; nothing was recorded.",
    "float": "Send a number per row, like the predictions; nothing was recorded.",
    "boolean": "Send true or false per row, like the predictions; nothing was recorded.",
    "text": "Send the class as text per row, like the predictions; nothing was recorded.",
}


# -- recording: which request, which rows, and the write ------------------------------------
def labelled_request(conn: Connection, request_id: str) -> tuple[int, LabelKind]:
    """The row count of a request answered 200, and the kind its labels are read as."""
    known = conn.execute(text("SELECT n_rows, status_code, task, classes FROM requests WHERE request_id = :id"),
                         {"id": request_id}).fetchone()
    if known is None:
        raise DataError(f"unknown request id {short(request_id, 80)}", hint="use the request_id of a logged response")
    n_rows, status, task, classes = known
    if status != 200:
        raise DataError(f"request {request_id} was answered {status}, not 200: it has no predictions to label",
                        hint="post labels only for the request_id of a successful (200) answer")
    kind = LabelKind.for_model(task, json.loads(classes) if classes else None)
    if kind is None:  # a log that does not say: labels take the kind of the logged predictions
        first = conn.execute(text("SELECT prediction FROM predictions WHERE request_id = :id "
                                  "AND variant != 'shadow' LIMIT 1"), {"id": request_id}).fetchone()
        kind = LabelKind.like(json.loads(first[0]) if first and first[0] is not None else None)
    return int(n_rows), kind


def row_pairs(labels: Any, n_rows: int, request_id: str) -> list[tuple[int, Any]]:
    """``(row, label)`` pairs of a labels list or ``{row: label}``; bad or repeated rows are a LabelError."""
    if isinstance(labels, str | bytes) or not isinstance(labels, Sequence | Mapping):
        raise LabelError(f"labels must be a list (one per row) or an object {{row: label}}, not "
                         f"{type(labels).__name__}", hint='send e.g. [1, 0] or {"0": 1}')
    if len(labels) > n_rows:  # before any per-label work: a huge body costs one comparison
        raise LabelError(f"{len(labels):,} labels for request {request_id}, which has {n_rows:,} row(s)",
                         count=len(labels), hint="send at most one label per row of the request")
    items = labels.items() if isinstance(labels, Mapping) else enumerate(labels)
    pairs = [(row_number(row), label) for row, label in items]
    rows = [row for row, _ in pairs]
    bad = [row for row in rows if not 0 <= row < n_rows]
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (f" and {len(bad) - 10:,} more" if len(bad) > 10 else "")
        raise LabelError(f"rows {shown} out of range for request {request_id} ({n_rows} rows)", count=len(bad),
                         hint=f"rows are numbered from 0 to {n_rows - 1}")
    if len(set(rows)) != len(rows):
        repeated = sorted(row for row, count in Counter(rows).items() if count > 1)[:10]
        raise LabelError(f"row(s) {', '.join(map(str, repeated))} labelled more than once in one call",
                         hint="send each row's label once")
    return pairs


def store_labels(conn: Connection, request_id: str, records: list[tuple], *, replace: bool) -> None:
    """Insert labels; a row already labelled is refused unless ``replace`` (then counted in ``replaced``)."""
    _lock_request(conn, request_id)
    if not replace:
        done = {row for (row,) in conn.execute(text("SELECT row FROM feedback WHERE request_id = :id"),
                                               {"id": request_id})}
        again = sorted(done.intersection(row for _, row, _, _ in records))
        if again:
            shown = ", ".join(map(str, again[:10])) + (f" and {len(again) - 10:,} more" if len(again) > 10 else "")
            raise DuplicateLabelError(
                f"row(s) {shown} of request {request_id} already have a label; nothing was recorded",
                rows=again[:10],
                hint="send only rows without a label, or replace=true (\"replace\": true in /v1/feedback) "
                     "to correct them (each replacement is counted in the feedback's 'replaced' column)",
            )
    # The same upsert on SQLite and PostgreSQL.
    conn.execute(text(
        "INSERT INTO feedback (request_id, row, label, timestamp) VALUES (:request_id, :row, :label, :timestamp) "
        "ON CONFLICT (request_id, row) DO UPDATE SET label = excluded.label, timestamp = excluded.timestamp, "
        "replaced = feedback.replaced + 1"),
        [dict(zip(("request_id", "row", "label", "timestamp"), record, strict=True)) for record in records])


def _lock_request(conn: Connection, request_id: str) -> None:
    """Hold the request's row until commit, so feedback for one request is written one post at a time.

    Without it, two concurrent posts on PostgreSQL (READ COMMITTED) both find a row unlabelled and
    the second overwrites the first through the upsert, answered 200, where it must be refused.
    SQLAlchemy leaves ``FOR UPDATE`` out on SQLite, whose ``BEGIN IMMEDIATE`` already serialises writers.
    """
    conn.execute(select(requests.c.request_id).where(requests.c.request_id == request_id).with_for_update())


def row_number(row: Any) -> int:
    """A row index from a labels list position or a ``{row: label}`` key (JSON keys are text)."""
    if isinstance(row, int) and not isinstance(row, bool):
        return row
    text = row.strip() if isinstance(row, str) else None
    if text is None or not text.lstrip("-").isdigit() or len(text) > 12:
        raise LabelError(f"label key {short(row)} is not a row number",
                         hint='key labels by row index, e.g. {"0": 1, "2": 0}, or send a list')
    return int(text)

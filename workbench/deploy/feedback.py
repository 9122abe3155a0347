"""``/v1/feedback``: a labels body read with bounded work, then :func:`~workbench.deploy.write_feedback`.

The body is ``{"request_id": "...", "labels": [...] or {"<row>": label}, "replace": false}``.
What the service answers:

* 200 ``{"labelled": n}`` — the labels were recorded;
* 409 — a row already has a label (send ``"replace": true`` to correct it; the replacement is
  counted in the log);
* 413 — a body over :func:`max_feedback_bytes` (refused before it is parsed) or more labels
  than a request may have rows (refused before any label is looked at);
* 503 — the prediction log is unavailable (its database went away): nothing was recorded, retry;
* 422 — anything else that cannot be recorded: not JSON, a missing or mistyped key, an unknown
  request, a request not answered 200, a row out of range, a label that is not a class of the
  model (or a finite number, for a regressor). Errors list at most ten rows, never the body.
"""

from __future__ import annotations

import logging
from typing import Any

from workbench.deploy.labels import MAX_LABEL_CHARS
from workbench.deploy.predlog import write_feedback
from workbench.exceptions import DataError, DuplicateLabelError, LabelError, PredictionLogError

__all__ = ["FEEDBACK_SHAPE", "answer_feedback", "max_feedback_bytes"]

FEEDBACK_SHAPE = ('{"request_id": "<request_id of a 200 answer>", "labels": [<label of row 0>, ...] or '
                  '{"<row>": <label>}, "replace": false}')
# A labelled row costs at most this many bytes beyond its label: the row key, quotes, separators.
_ROW_OVERHEAD = 24
_HEAD_BYTES = 4_096  # the request id, the keys and some whitespace


def max_feedback_bytes(max_rows: int) -> int:
    """The largest feedback body that can be valid for requests of at most ``max_rows`` rows."""
    return _HEAD_BYTES + max_rows * (MAX_LABEL_CHARS + _ROW_OVERHEAD)


def _fields(payload: Any) -> tuple[str, Any, bool]:
    """``(request_id, labels, replace)`` of a feedback body; a missing or mistyped key is a DataError naming it."""
    if not isinstance(payload, dict):
        raise DataError(f"the feedback must be a JSON object; expected {FEEDBACK_SHAPE}")
    for key in ("request_id", "labels"):
        if key not in payload:
            raise DataError(f"the feedback has no {key!r}; expected {FEEDBACK_SHAPE}")
    request_id, labels, replace = payload["request_id"], payload["labels"], payload.get("replace", False)
    if not isinstance(request_id, str):
        raise DataError(f"'request_id' must be a string, not {type(request_id).__name__}; expected {FEEDBACK_SHAPE}")
    if not isinstance(replace, bool):
        raise DataError(f"'replace' must be true or false, not {type(replace).__name__}")
    if isinstance(labels, list | dict):
        return request_id, labels, replace
    return request_id, [labels], replace  # one label: the request's only row


def _error(status: int, err: DataError) -> tuple[int, dict[str, Any]]:
    content: dict[str, Any] = {"detail": err.message}
    if err.hint:
        content["hint"] = err.hint
    if isinstance(err, LabelError) and err.problems:
        content["problems"] = err.problems
    if isinstance(err, DuplicateLabelError):
        content["rows"] = err.rows
    return status, content


def _parse(body: bytes, max_rows: int) -> tuple[str, Any, bool]:
    import orjson

    limit = max_feedback_bytes(max_rows)
    if len(body) > limit:
        raise LabelError(f"a feedback body of {len(body):,} bytes; at most {limit:,} are read", too_many=True,
                         hint=f"send at most {max_rows:,} labels per call")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise DataError(f"the body is not valid JSON: {str(err)[:200]}; expected {FEEDBACK_SHAPE}") from err
    request_id, labels, replace = _fields(payload)
    if len(labels) > max_rows:
        raise LabelError(f"{len(labels):,} labels in one call; a request has at most {max_rows:,} rows",
                         count=len(labels), too_many=True, hint="send at most one label per row of the request")
    return request_id, labels, replace


async def answer_feedback(project: Any, body: bytes, *, max_rows: int) -> tuple[int, dict[str, Any]]:
    """The status and JSON answer of a ``/v1/feedback`` body (the log is written on a worker thread)."""
    from starlette.concurrency import run_in_threadpool

    try:
        request_id, labels, replace = _parse(body, max_rows)
        labelled = await run_in_threadpool(write_feedback, project, request_id, labels, replace=replace)
    except DuplicateLabelError as err:
        return _error(409, err)
    except LabelError as err:
        return _error(413 if err.too_many else 422, err)
    except DataError as err:
        return _error(422, err)
    except PredictionLogError as err:
        # The log's address is for the operator's log, not for clients.
        logging.getLogger(__name__).warning("feedback not recorded: %s", err.message)
        return 503, {"detail": "the prediction log is unavailable, so nothing was recorded", "hint": err.hint}
    return 200, {"labelled": labelled}

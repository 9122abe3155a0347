"""The REST model service (FastAPI): validation, prediction log, Prometheus metrics, token auth.

Input validation uses the model's stored input schema (``workbench_input_schema``). Until the
Develop area's ``RobustModel`` is available this module validates with :func:`validate_records`.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import threading
import time
import uuid
from typing import Any

import numpy as np
import pandas as pd
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from workbench.deploy.predlog import (
    connect,
    prediction_rows,
    write_feedback,
    write_request,
    write_shadow,
)
from workbench.exceptions import DataError, ServingError

MAX_ROWS = 10_000
MAX_BYTES = 5_000_000


def validate_records(records: list[dict[str, Any]], schema: Any) -> tuple[pd.DataFrame, list[list[str]], list[dict]]:
    """Check records against the schema; returns (frame, per-row warnings, errors naming each bad field)."""
    errors: list[dict] = []
    warnings: list[list[str]] = [[] for _ in records]
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            errors.append({"row": i, "field": None, "error": "a record must be a JSON object"})
            continue
        for col in schema.columns:
            value = record.get(col.name)
            if value is None:
                if col.name not in record:
                    errors.append({"row": i, "field": col.name, "error": "missing"})
                elif not col.nullable:
                    warnings[i].append(f"{col.name}: null where none was seen in training")
            elif col.kind in ("numeric", "integer"):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    errors.append({"row": i, "field": col.name, "error": f"expected a number, got {value!r}"})
                elif (col.minimum is not None and value < col.minimum) or (col.maximum is not None and value > col.maximum):
                    warnings[i].append(f"{col.name}: {value} outside the training range")
            elif col.kind == "categorical" and col.categories and str(value) not in col.categories:
                warnings[i].append(f"{col.name}: unseen category {value!r}")
    if errors:
        return pd.DataFrame(), warnings, errors
    frame = pd.DataFrame.from_records(records, columns=schema.names)
    for col in schema.columns:
        if col.kind in ("numeric", "integer"):
            frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce").astype(float)
        else:
            frame[col.name] = frame[col.name].astype(object)
    return frame, warnings, []


def _records_from_invocations(payload: Any) -> list[dict]:
    """MLflow's ``dataframe_split``, ``dataframe_records`` and ``inputs`` payloads as records."""
    if not isinstance(payload, dict):
        raise DataError("the payload must be a JSON object")
    if "dataframe_split" in payload:
        split = payload["dataframe_split"]
        return [dict(zip(split["columns"], row, strict=True)) for row in split["data"]]
    if "dataframe_records" in payload:
        return list(payload["dataframe_records"])
    if "inputs" in payload:
        inputs = payload["inputs"]
        if isinstance(inputs, dict):
            return pd.DataFrame(inputs).to_dict(orient="records")
        return list(inputs)
    raise DataError("expected one of dataframe_split, dataframe_records or inputs")


class _Service:
    def __init__(self, project: Any, model_uri: str, variant: str = "champion") -> None:
        import mlflow.sklearn

        from workbench.tracking import Tracker, model_schema

        Tracker(project)  # points MLflow at the project's store
        self.project, self.uri = project, model_uri
        self.schema = model_schema(model_uri)
        if self.schema is None:
            raise ServingError(f"the model at {model_uri} has no stored input schema",
                               hint="log it with run.log_model(..., schema=infer_schema(X))")
        self.model = mlflow.sklearn.load_model(model_uri)
        self.name = project.config.model_name
        self.version = model_uri.rsplit("/", 1)[-1]
        self.conn = connect(project)
        self.lock = threading.Lock()
        self.variant = variant


MODES = ("shadow", "canary")
KEY_HEADER = "x-workbench-key"


def canary_share(key: str) -> float:
    """A stable number in [0, 1) for ``key``: the same key always lands on the same side of a fraction."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _check_challenger(challenger_uri: str | None, mode: str | None, fraction: float) -> None:
    if (challenger_uri is None) != (mode is None):
        raise ServingError("a challenger needs a mode and a mode needs a challenger",
                           hint="pass both --challenger MODEL and --mode shadow|canary")
    if mode is not None and mode not in MODES:
        raise ServingError(f"unknown challenger mode {mode!r}", hint="use --mode shadow or --mode canary")
    if not 0.0 < fraction <= 1.0:
        raise ServingError(f"the canary fraction must be in (0, 1], not {fraction}", hint="e.g. --fraction 0.1")


def _metrics(registry: Any) -> dict[str, Any]:
    from prometheus_client import Counter, Histogram

    return {
        "requests": Counter("workbench_requests", "Requests by endpoint and status", ["endpoint", "status"], registry=registry),
        "latency": Histogram("workbench_latency_seconds", "Request latency", registry=registry),
        "preds": Counter("workbench_predictions", "Predictions by class", ["prediction"], registry=registry),
        "invalid": Counter("workbench_validation_failures", "Rejected requests", registry=registry),
    }


def create_app(project: Any, model_uri: str, *, challenger_uri: str | None = None, mode: str | None = None,
               fraction: float = 0.1, token: str | None = None) -> FastAPI:
    """Build the model service for ``model_uri``, optionally with a challenger.

    In ``shadow`` mode the challenger scores every valid request too; its predictions are logged
    (variant ``shadow``) and never returned. In ``canary`` mode a ``fraction`` of requests is
    served by the challenger (variant ``challenger``), sticky per ``X-Workbench-Key`` header when
    one is sent, random otherwise.

    Parameters
    ----------
    project : Project
        The project whose prediction log receives every request.
    model_uri : str
        An MLflow model URI logged with a workbench input schema.
    challenger_uri, mode, fraction : optional
        The challenger model, ``"shadow"`` or ``"canary"``, and the canary's share of traffic.
    token : str, optional
        When set, every endpoint but ``/health`` needs ``Authorization: Bearer <token>``.
    """
    _check_challenger(challenger_uri, mode, fraction)
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    svc, registry = _Service(project, model_uri), CollectorRegistry()
    challenger = _Service(project, challenger_uri, "challenger") if challenger_uri else None
    metrics = _metrics(registry)
    app = FastAPI(title="workbench model service")

    @app.middleware("http")
    async def _guard(request: Request, call_next: Any) -> Any:
        if token and request.url.path != "/health":
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given, f"Bearer {token}"):
                return JSONResponse({"detail": "missing or wrong bearer token"}, status_code=401)
        if int(request.headers.get("content-length") or 0) > MAX_BYTES:
            return JSONResponse({"detail": f"payload over {MAX_BYTES} bytes"}, status_code=413)
        return await call_next(request)

    def _route(request: Request) -> _Service:
        if challenger is None or mode != "canary":
            return svc
        key = request.headers.get(KEY_HEADER)
        share = canary_share(key) if key else random.random()
        return challenger if share < fraction else svc

    def _shadow(records: list[dict], rid: str) -> None:
        if challenger is None or mode != "shadow":
            return
        status, body = _predict(challenger, records, rid, variant="shadow")
        if status == 200:
            with svc.lock:
                write_shadow(svc.conn, body["_rows"])

    def _score(records: list[dict], endpoint: str, request: Request) -> JSONResponse:
        start, rid, stamp = time.perf_counter(), uuid.uuid4().hex, pd.Timestamp.now(tz="UTC").isoformat()
        serving = _route(request)
        status, body = _predict(serving, records, rid)
        latency = (time.perf_counter() - start) * 1000
        rows = body.pop("_rows", ())
        with svc.lock:
            write_request(svc.conn, request_id=rid, timestamp=stamp, status_code=status, latency_ms=latency,
                          n_rows=len(records) if isinstance(records, list) else 0, variant=serving.variant,
                          model_name=serving.name, model_version=serving.version,
                          error=None if status == 200 else str(body.get("detail"))[:500], rows=rows)
        metrics["requests"].labels(endpoint, str(status)).inc()
        metrics["latency"].observe(latency / 1000)
        if status == 422:
            metrics["invalid"].inc()
        for p in body.get("predictions", []):
            metrics["preds"].labels(str(p)).inc()
        if status == 200:
            _shadow(records, rid)
        return JSONResponse(body, status_code=status)

    @app.post("/v1/predict")
    def predict(request: Request, records: list[dict[str, Any]] = Body(...)) -> JSONResponse:  # noqa: B008
        return _score(records, "/v1/predict", request)

    @app.post("/invocations")
    def invocations(request: Request, payload: dict[str, Any] = Body(...)) -> JSONResponse:  # noqa: B008
        try:
            records = _records_from_invocations(payload)
        except (DataError, KeyError, TypeError, ValueError) as err:
            return JSONResponse({"detail": str(err)}, status_code=422)
        return _score(records, "/invocations", request)

    @app.post("/v1/feedback")
    def feedback(payload: dict[str, Any] = Body(...)) -> JSONResponse:  # noqa: B008
        try:
            labels = payload["labels"]
            n = write_feedback(project, str(payload["request_id"]), labels if isinstance(labels, list) else [labels])
        except (DataError, KeyError, TypeError, ValueError) as err:
            return JSONResponse({"detail": str(err)}, status_code=422)
        return JSONResponse({"labelled": n})

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> dict[str, Any]:
        found = {"ready": True, "model": svc.name, "version": svc.version}
        if challenger is not None:
            found["challenger"] = {"version": challenger.version, "mode": mode, "fraction": fraction}
        return found

    @app.get("/v1/model")
    def model_info() -> dict[str, Any]:
        return {"name": svc.name, "version": svc.version, "uri": svc.uri, "schema": svc.schema.to_dict()}

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _predict(svc: _Service, records: list[dict], rid: str, variant: str | None = None) -> tuple[int, dict[str, Any]]:
    if not records:
        return 422, {"detail": "no records", "request_id": rid}
    if len(records) > MAX_ROWS:
        return 413, {"detail": f"{len(records)} rows; at most {MAX_ROWS} per request", "request_id": rid}
    frame, warnings, errors = validate_records(records, svc.schema)
    if errors:
        return 422, {"detail": errors, "request_id": rid}
    preds = svc.model.predict(frame)
    proba = svc.model.predict_proba(frame) if hasattr(svc.model, "predict_proba") else None
    result = type("R", (), {"predictions": preds, "probabilities": proba})
    rows = prediction_rows(frame, result, request_id=rid, timestamp=pd.Timestamp.now(tz="UTC").isoformat(),
                           model_name=svc.name, model_version=svc.version, variant=variant or svc.variant)
    body = {"request_id": rid, "model": svc.name, "version": svc.version,
            "predictions": np.asarray(preds).tolist(), "warnings": warnings, "_rows": rows}
    if proba is not None:
        body["probabilities"] = np.asarray(proba)[:, -1].round(6).tolist()
    return 200, body

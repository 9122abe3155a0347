"""The REST model service (FastAPI): validation, micro-batched scoring, prediction log, metrics, auth.

Every request is checked by the model's :class:`~workbench.develop.RobustModel` (a bad field is
a 422 naming it; an oversized body or too many rows a 413), scored in a micro-batch with
concurrent requests (:mod:`workbench.deploy.serving`) and written to the prediction log before
it is answered. Responses are serialised with orjson.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import random
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from workbench.deploy._edge import JSON_ENDPOINTS, AllowedHosts, is_json
from workbench.deploy._payloads import records_from_invocations, request_body_schema
from workbench.deploy.feedback import answer_feedback
from workbench.deploy.serving import Batcher, Job, Scorer, Variant
from workbench.exceptions import DataError, ServingError

MAX_ROWS = 10_000
MAX_BYTES = 5_000_000


class ORJSONResponse(JSONResponse):
    """JSON responses by orjson (numpy-aware; NaN becomes null)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


MODES = ("shadow", "canary")
KEY_HEADER = "x-workbench-key"


def canary_share(key: str) -> float:
    """A stable number in [0, 1) for ``key``: the same key always lands on the same side of a fraction."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class _Guard:
    """The allowed Host names, bearer-token auth (all but ``/health``), JSON-only bodies on the
    JSON endpoints and the body-size cap, as plain ASGI (see :mod:`workbench.deploy._edge`).

    A request naming another Host is a 400, one without the token a 401, a POST to a JSON
    endpoint whose ``Content-Type`` is not JSON a 415 (so a cross-origin page cannot send a
    body without a CORS preflight). The cap holds for the declared ``Content-Length`` and, for a chunked body that declares
    none, for the bytes actually received: the answer is a 413 as soon as they pass it. Every
    refusal is counted in ``/metrics`` (requests by endpoint and status), and a 413 on a scoring
    endpoint is also written to the request log (status, latency, error; no inputs), so the
    monitor's reject rate sees it.

    Plain ASGI rather than ``@app.middleware("http")``: that wrapper costs more per request
    than scoring a row in a micro-batch does.
    """

    def __init__(self, app: Any, token: str | None, score: Any, reject: Any, hosts: AllowedHosts | None = None) -> None:
        self.app, self.score, self.reject, self.hosts = app, score, reject, hosts
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        headers = dict(scope["headers"])
        if self.hosts is not None and not self.hosts.allows(headers.get(b"host")):
            host = headers.get(b"host", b"").decode("latin-1")[:200]
            return await self._refuse(400, f"this service does not answer to the Host {host!r} (it answers to: "
                                      f"{self.hosts.describe()}); serve with --allowed-hosts to add a name",
                                      started, scope, receive, send)
        if self.expected is not None and scope["path"] != "/health" and \
                not hmac.compare_digest(headers.get(b"authorization", b""), self.expected):
            return await self._refuse(401, "missing or wrong bearer token", started, scope, receive, send)
        if scope["method"] == "POST" and scope["path"] in JSON_ENDPOINTS and not is_json(headers.get(b"content-type")):
            kind = headers.get(b"content-type", b"").decode("latin-1")[:100] or "none"
            return await self._refuse(415, f"the body must be JSON sent with Content-Type: application/json "
                                      f"(got {kind})", started, scope, receive, send)
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > MAX_BYTES:
            return await self._refuse(413, f"payload over {MAX_BYTES} bytes", started, scope, receive, send)
        if scope["method"] != "POST":
            return await self.app(scope, receive, send)
        body = await _read_body(receive)
        if body is None:  # over the cap, or the client left
            return await self._refuse(413, f"payload over {MAX_BYTES} bytes", started, scope, receive, send)
        if scope["path"] in _PARSERS:
            return await _fast_score(self.score, scope, body, send, headers)
        return await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, status: int, detail: str, started: float, scope: dict, receive: Any, send: Any) -> None:
        """Answer ``status`` without the app; ``reject`` counts it (and logs a refused scoring request)."""
        status, content = await self.reject(status, scope["path"], detail, started)
        await ORJSONResponse(content, status_code=status)(scope, receive, send)


async def _read_body(receive: Any) -> bytes | None:
    """The whole request body, or None once it passes ``MAX_BYTES`` (or the client disconnects)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that hands the already read ``body`` to the app, then defers to the server."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> dict:
        return pending.pop() if pending else await receive()

    return replayed


async def _fast_score(score: Any, scope: dict, body: bytes, send: Any, headers: dict) -> None:
    """Scoring requests straight to the batcher: the documented FastAPI routes do the same, slower."""
    key = headers.get(KEY_HEADER.encode())
    status, content = await score(body, key.decode("latin-1") if key else None, scope["path"])
    payload = orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})



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
        "preds": Counter("workbench_predictions", "Predictions by class (classifiers only)", ["prediction"],
                         registry=registry),
        "invalid": Counter("workbench_validation_failures", "Rejected requests", registry=registry),
        "shadow_failures": Counter("workbench_shadow_failures", "Shadow batches that failed to score or log",
                                   registry=registry),
    }


def create_app(project: Any, model_uri: str, *, challenger_uri: str | None = None, mode: str | None = None,
               fraction: float = 0.1, token: str | None = None, max_rows: int = MAX_ROWS,
               max_wait_ms: float = 2.0, allowed_hosts: Sequence[str] | None = None,
               expected_sha256: str | None = None) -> FastAPI:
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
        When set, every endpoint but ``/health`` needs ``Authorization: Bearer <token>``; an empty
        token is refused (it would switch auth off).
    max_rows : int
        The most rows one request may hold (more is a 413).
    max_wait_ms : float
        How long a micro-batch waits for more concurrent requests (never when traffic is serial).
    allowed_hosts : sequence of str, optional
        The ``Host`` names the service answers to (``"*"``: any); another is a 400. None (the
        default here) checks no Host: ``workbench serve`` passes the names of its bind address
        (:func:`workbench.deploy._edge.default_allowed_hosts`) or ``--allowed-hosts``.
    expected_sha256 : str, optional
        When ``model_uri`` is a bundle: the sha256 its manifest must have. Without it the bundle
        must be anchored by ``project``'s registry (see :func:`workbench.package.load_bundle`).
    """
    _check_challenger(challenger_uri, mode, fraction)
    hosts = AllowedHosts(allowed_hosts) if allowed_hosts is not None else None
    if token is not None and not token.strip():
        raise ServingError("an empty bearer token would switch auth off",
                           hint="pass a non-empty token, or token=None to serve without auth")
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    from workbench.deploy.predlog import open_log

    open_log(project).close()  # a wrong or unreachable log stops start-up here, naming it (password masked)
    champion = Variant(project, model_uri, "champion", max_rows=max_rows, expected_sha256=expected_sha256)
    challenger = Variant(project, challenger_uri, "challenger", max_rows=max_rows) if challenger_uri else None
    registry = CollectorRegistry()
    metrics = _metrics(registry)
    scorer = Scorer(project, challenger if mode == "shadow" else None, shadow_failures=metrics["shadow_failures"])
    batcher = Batcher(scorer, max_wait_ms=max_wait_ms)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        batcher.close()

    app = FastAPI(title="workbench model service", lifespan=lifespan, default_response_class=ORJSONResponse)
    app.state.batcher = batcher

    def _route(key: str | None) -> Variant:
        if challenger is None or mode != "canary":
            return champion
        share = canary_share(key) if key else random.random()
        return challenger if share < fraction else champion

    async def score(body: bytes, key: str | None, endpoint: str) -> tuple[int, dict[str, Any]]:
        job = Job(records=[], variant=_route(key), started=time.perf_counter())
        if len(body) > MAX_BYTES:
            job.status, job.body = 413, {"detail": f"payload over {MAX_BYTES} bytes"}
        else:
            _read(job, body, _PARSERS[endpoint], max_rows)
        job = await batcher.submit(job)
        _count(metrics, endpoint, job)
        return job.answer()

    app.add_middleware(_Guard, token=token, score=score, reject=_rejecter(app, batcher, champion, metrics), hosts=hosts)

    async def _score(request: Request, endpoint: str) -> Response:
        status, content = await score(await request.body(), request.headers.get(KEY_HEADER), endpoint)
        return ORJSONResponse(content, status_code=status)

    @app.post("/v1/predict", openapi_extra=request_body_schema(champion.schema, "records"))
    async def predict(request: Request) -> Response:
        """Score JSON records (a list of objects, one per row)."""
        return await _score(request, "/v1/predict")

    @app.post("/invocations", openapi_extra=request_body_schema(champion.schema, "invocations"))
    async def invocations(request: Request) -> Response:
        """MLflow's scoring protocol: ``dataframe_split``, ``dataframe_records`` or ``inputs``."""
        return await _score(request, "/invocations")

    @app.post("/v1/feedback", openapi_extra=_FEEDBACK_SCHEMA)
    async def feedback(request: Request) -> Response:
        """Labels that arrived later, by request id: a list (one per row) or ``{row: label}``.

        Labels are read as the model's classes (or finite numbers for a regressor); a row already
        labelled is a 409 unless ``"replace": true``. See :mod:`workbench.deploy.feedback`.
        """
        status, content = await answer_feedback(project, await request.body(), max_rows=max_rows)
        return ORJSONResponse(content, status_code=status)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> dict[str, Any]:
        found: dict[str, Any] = {"ready": True, "model": champion.name, "version": champion.version}
        if challenger is not None:
            found["challenger"] = {"version": challenger.version, "mode": mode, "fraction": fraction}
        return found

    @app.get("/v1/model")
    def model_info() -> dict[str, Any]:
        return {"name": champion.name, "version": champion.version, "uri": champion.uri, "alias": _alias(champion.uri),
                **champion.head(), "schema": champion.schema.to_dict(), "policy": vars(champion.robust.policy) | {"max_rows": max_rows},
                "lineage": _lineage(project, champion.uri)}

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _rejecter(app: FastAPI, batcher: Batcher, champion: Variant, metrics: dict[str, Any]) -> Any:
    """What the guard calls for a request it refuses: count it, and log a 413 on a scoring endpoint."""

    async def reject(status: int, path: str, detail: str, started: float) -> tuple[int, dict[str, Any]]:
        if status == 413 and path in _PARSERS:
            job = await batcher.submit(Job(records=[], variant=champion, started=started, status=413,
                                           body={"detail": detail}))
            _count(metrics, path, job)
            return job.answer()
        routes = {getattr(route, "path", None) for route in app.routes}
        endpoint = path if path in routes else "other"  # a scanner's paths must not each become a series
        metrics["requests"].labels(endpoint, str(status)).inc()
        return status, {"detail": detail}

    return reject


_FEEDBACK_SCHEMA = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["request_id", "labels"],
    "properties": {"request_id": {"type": "string"},
                   "labels": {"anyOf": [{"type": "array", "items": {"type": ["string", "number", "boolean"]}},
                                        {"type": "object",
                                         "additionalProperties": {"type": ["string", "number", "boolean"]}}]},
                   "replace": {"type": "boolean", "default": False}}}}}}}


def _records(payload: Any) -> list[Any]:
    if not isinstance(payload, list):
        raise DataError("the body must be a JSON array of records (objects)")
    return payload


_PARSERS = {"/v1/predict": _records, "/invocations": records_from_invocations}


def _read(job: Job, body: bytes, parse: Any, max_rows: int) -> None:
    """Parse the body into ``job.records``, or set a 4xx status that only needs logging."""
    try:
        job.records = parse(orjson.loads(body))
    except orjson.JSONDecodeError as err:
        job.status, job.body = 422, {"detail": f"the body is not valid JSON: {err}"}
        return
    except (DataError, KeyError, TypeError, ValueError) as err:
        job.status, job.body = 422, {"detail": str(err)}
        return
    if len(job.records) > max_rows:
        job.status, job.body = 413, {"detail": f"{len(job.records)} rows; at most {max_rows} per request"}
    elif not job.records:
        job.status, job.body = 422, {"detail": "no records"}
    else:
        job.missing = job.variant.robust.missing_columns(_keys(job.records))


def _keys(records: list[Any]) -> set[str]:
    if len(records) == 1:
        return set(records[0]) if isinstance(records[0], dict) else set()
    return set().union(*(r for r in records if isinstance(r, dict)))


def _count(metrics: dict[str, Any], endpoint: str, job: Job) -> None:
    metrics["requests"].labels(endpoint, str(job.status)).inc()
    metrics["latency"].observe(time.perf_counter() - job.started)
    if job.status == 422:
        metrics["invalid"].inc()
    if job.status != 200 or not job.variant.classifier:  # a regressor's floats would each become a series
        return
    if len(job.body["predictions"]) == 1:
        metrics["preds"].labels(str(job.body["predictions"][0])).inc()
    else:
        labels, counts = np.unique(np.asarray(job.body["predictions"]).astype(str), return_counts=True)
        for label, count in zip(labels.tolist(), counts.tolist(), strict=True):
            metrics["preds"].labels(label).inc(count)


def _alias(uri: str) -> str | None:
    return uri.split("@", 1)[1] if uri.startswith("models:/") and "@" in uri else None


def _lineage(project: Any, uri: str) -> dict[str, Any]:
    """Run id, phase, notebook, git commit and data fingerprint of the served model's run."""
    import mlflow.models

    try:
        run_id = mlflow.models.get_model_info(uri).run_id
        tags = mlflow.MlflowClient().get_run(run_id).data.tags if run_id else {}
    except Exception:
        return {}
    keys = ("phase", "notebook", "notebook_hash", "git_commit", "data_fingerprint")
    return {"run_id": run_id, **{k: tags.get(f"workbench.{k}") for k in keys}}

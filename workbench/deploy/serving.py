"""Scoring for the model service: loaded variants and the micro-batcher.

Concurrent requests are queued and scored together: the batcher takes whatever is queued
(waiting at most ``max_wait_ms`` once traffic is concurrent), prepares all their records with
one :meth:`RobustModel.screen`, predicts the valid rows with one model call, writes every
request and its rows to the prediction log in one transaction, and only then answers each
request. A request with a bad row gets its own 422; the others in the batch are unaffected.
A shadow challenger scores the batch only after those answers are out, and its failures never
change them. All scoring and logging runs on one worker thread, the log's only writer.

An answer has the shape of the model's task (:mod:`workbench.develop.answers`): ``task``,
``classes`` (classifiers), ``predictions``, and the probabilities the task has.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np

from workbench.deploy.predlog import classes_text, connect, log_rows, write_requests, write_shadow
from workbench.develop.answers import Scored, answer_format
from workbench.exceptions import InputError, ServingError

_log = logging.getLogger(__name__)
UNLOGGED = ("the prediction log is unavailable, so nothing was answered or logged; "
            "retry shortly (the service recovers by itself when the log is back)")


class Variant:
    """One served model: the robust pipeline, its name, version, variant label, task and classes."""

    def __init__(self, project: Any, model_uri: str, variant: str, *, max_rows: int,
                 expected_sha256: str | None = None) -> None:
        from workbench.develop import wrap_model
        from workbench.evaluate.model_code import load_logged_model
        from workbench.package.verify import check_served_bundle
        from workbench.tracking import Tracker, model_schema

        Tracker(project)  # points MLflow at the project's store
        # A bundle is checked and anchored before anything in it is unpickled; its registered
        # version comes from the anchor (the registry's record), never from the folder's name.
        bundle = check_served_bundle(project, model_uri, expected_sha256=expected_sha256)
        policy = bundle.policy if bundle is not None else {}
        model_uri = bundle.model_uri if bundle is not None else model_uri
        self.uri, self.variant = model_uri, variant
        schema = model_schema(model_uri)
        if schema is None:
            raise ServingError(f"the model at {model_uri} has no stored input schema",
                               hint="log it with run.log_model(..., schema=infer_schema(X))")
        from sklearn.base import is_classifier

        self.schema = schema
        model = load_logged_model(model_uri)
        self.robust = wrap_model(model, schema, max_rows=max_rows, **policy)
        self.classifier = bool(is_classifier(model)) or self.robust.classes is not None
        self.task, self.classes = self.robust.task, self.robust.classes
        self.format = answer_format(self.task)
        self.classes_text = classes_text(self.classes)  # once: every request row records it
        self.name = project.config.model_name
        self.version = bundle.version if bundle is not None else _version(model_uri)

    def head(self) -> dict[str, Any]:
        """The part of every answer that describes the model: task and (classifiers) classes."""
        return {"task": self.task, "classes": self.classes} if self.classes is not None else {"task": self.task}


def _version(model_uri: str) -> str:
    """The registry version a ``models:/name@alias`` URI points at now (else the URI's last part)."""
    tail = model_uri.rsplit("/", 1)[-1]
    if model_uri.startswith("models:/") and "@" in tail:
        import mlflow

        name, alias = tail.split("@", 1)
        try:
            return str(mlflow.MlflowClient().get_model_version_by_alias(name, alias).version)
        except Exception:
            return tail
    return tail


@dataclasses.dataclass
class Job:
    """One request waiting to be scored (or, with ``status`` set, only to be logged)."""

    records: list[Any]
    variant: Variant
    started: float
    request_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)
    timestamp: str = dataclasses.field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="microseconds"))
    status: int | None = None
    body: dict[str, Any] = dataclasses.field(default_factory=dict)
    future: Any = None
    missing: list[str] = dataclasses.field(default_factory=list)  # columns absent from every record

    def answer(self) -> tuple[int, dict[str, Any]]:
        """The status and JSON body of a scored (or refused) job, with its request id."""
        assert self.status is not None, "the job has not been scored"
        return self.status, {**self.body, "request_id": self.request_id}


class Scorer:
    """Scores batches of jobs on the worker thread and logs them (champion, plus an optional shadow).

    Calling the scorer scores and logs the served answers; :meth:`shadow_score` runs afterwards,
    once those answers have been sent, and no failure of the shadow model or of its log write
    ever reaches them: it is counted (``shadow_failures``, a Prometheus counter) and dropped.
    """

    def __init__(self, project: Any, shadow: Variant | None = None, *, shadow_failures: Any = None) -> None:
        self.project, self.shadow, self.shadow_failures = project, shadow, shadow_failures
        self.conn: Any = None

    def __call__(self, jobs: list[Job]) -> None:
        if self.conn is None:
            self.conn = connect(self.project)
        for variant in {id(j.variant): j.variant for j in jobs if j.status is None}.values():
            self._score(variant, [j for j in jobs if j.status is None and j.variant is variant])
        requests, rows = [], []
        for job in jobs:
            requests.append(_request_row(job))
            rows += job.body.pop("_rows", ())
        write_requests(self.conn, requests, rows)

    def _score(self, variant: Variant, jobs: list[Job]) -> None:
        try:
            _score_together(variant, jobs)
        except Exception:
            if len(jobs) == 1:
                _fail(jobs[0], variant)
                return
            for job in jobs:  # find the one that breaks the batch; the others still get answers
                try:
                    _score_together(variant, [job])
                except Exception:
                    _fail(job, variant)

    def shadow_score(self, jobs: list[Job]) -> None:
        """Score the answered (200) jobs with the shadow model and log its rows; never raises."""
        served = [j for j in jobs if j.status == 200]
        if self.shadow is None or not served:
            return
        try:
            if self.conn is None:
                self.conn = connect(self.project)
            screened, spans = _screen(self.shadow, served)
            good = ~screened.bad
            predictions, probabilities = self.shadow.robust.predict_frame(screened.frame[good])
            ids, rows, stamps = _row_keys(served, spans, good)
            write_shadow(self.conn, log_rows(
                screened.frame[good], predictions, probabilities, request_ids=ids, rows=rows, timestamps=stamps,
                model_name=self.shadow.name, model_version=self.shadow.version, variant="shadow",
                task=self.shadow.task, classes=self.shadow.classes))
        except Exception:  # a shadow that cannot score is logged by its absence, never answered
            if self.shadow_failures is not None:
                self.shadow_failures.inc()


def _request_row(job: Job) -> tuple:
    variant = job.variant
    error = None if job.status == 200 else str(job.body.get("detail"))[:500]
    latency = (time.perf_counter() - job.started) * 1000
    return (job.request_id, job.timestamp, job.status, latency, len(job.records), variant.variant,
            variant.name, variant.version, error, variant.task, variant.classes_text)


def _screen(variant: Variant, jobs: list[Job]) -> tuple[Any, list[tuple[int, int]]]:
    records: list[Any] = []
    spans = []
    for job in jobs:
        spans.append((len(records), len(records) + len(job.records)))
        if job.missing:  # screen the columns that are there, so every bad field is named at once
            blank = dict.fromkeys(job.missing)
            records += [{**blank, **r} if isinstance(r, dict) else r for r in job.records]
        else:
            records += job.records
    return variant.robust.screen(records), spans


def _row_keys(jobs: list[Job], spans: list[tuple[int, int]], keep: np.ndarray) -> tuple[list, list, list]:
    """Request id, row within its request and timestamp of every kept row."""
    ids, rows, stamps = [], [], []
    for job, (start, end) in zip(jobs, spans, strict=True):
        positions = np.flatnonzero(keep[start:end])
        ids += [job.request_id] * positions.size
        rows += positions.tolist()
        stamps += [job.timestamp] * positions.size
    return ids, rows, stamps


def _score_together(variant: Variant, jobs: list[Job]) -> None:
    screened, spans = _screen(variant, jobs)
    by_row = _problems_by_request(screened.problems, spans)
    ok = np.ones(len(screened.frame), dtype=bool)
    for job, (start, end), problems in zip(jobs, spans, by_row, strict=True):
        if job.missing or screened.bad[start:end].any():
            ok[start:end] = False
            missing = [{"row": None, "field": m, "error": "missing column"} for m in job.missing]
            job.status, job.body = 422, {"detail": missing + problems, "request_id": job.request_id}
    if not ok.any():
        return
    frame = screened.frame[ok]
    predictions, probabilities = variant.robust.predict_frame(frame)
    good_jobs = [(job, span) for job, span in zip(jobs, spans, strict=True) if job.status is None]
    ids, rows, stamps = _row_keys(jobs, spans, ok)
    logged = log_rows(frame, predictions, probabilities, request_ids=ids, rows=rows, timestamps=stamps,
                      model_name=variant.name, model_version=variant.version, variant=variant.variant,
                      task=variant.task, classes=variant.classes)
    fields = variant.format.fields(Scored(predictions, probabilities, variant.classes))
    head = variant.head()
    offset = 0
    for job, (start, end) in good_jobs:
        n = end - start
        body = {"request_id": job.request_id, "model": variant.name, "version": variant.version, **head,
                **{key: values[offset:offset + n] for key, values in fields.items()},
                "warnings": screened.warnings[start:end], "_rows": logged[offset:offset + n]}
        job.status, job.body = 200, body
        offset += n


def _problems_by_request(problems: list[dict], spans: list[tuple[int, int]]) -> list[list[dict]]:
    starts = np.array([s for s, _ in spans])
    found: list[list[dict]] = [[] for _ in spans]
    for problem in problems:
        i = int(np.searchsorted(starts, problem["row"], side="right") - 1)
        found[i].append({**problem, "row": problem["row"] - spans[i][0]})
    return found


def _fail(job: Job, variant: Variant) -> None:
    try:
        _score_together(variant, [job])
    except InputError as err:
        job.status = 413 if err.reason == "too_many_rows" else 422
        job.body = {"detail": err.problems or err.message, "request_id": job.request_id}
    except Exception as err:
        job.status = 500
        job.body = {"detail": f"the model failed: {type(err).__name__}: {err}"[:500], "request_id": job.request_id}


class Batcher:
    """Collects concurrent jobs into micro-batches and runs them on one worker thread."""

    def __init__(self, scorer: Scorer, *, max_rows: int = 512, max_wait_ms: float = 2.0) -> None:
        self.scorer, self.max_rows, self.max_wait = scorer, max_rows, max_wait_ms / 1000
        self.queue: asyncio.Queue[Job] | None = None
        self.task: asyncio.Task | None = None
        self.executor: concurrent.futures.ThreadPoolExecutor | None = None  # made by the first request
        self.last_batch = 1

    async def submit(self, job: Job) -> Job:
        """Queue ``job`` and wait until it is scored and logged."""
        if self.task is None or self.task.done():  # first use, or its event loop ended
            self.close()
            self.queue = asyncio.Queue()
            self.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="workbench-scorer",
                                                                  initializer=_one_thread)
            self.task = asyncio.create_task(self._run())
        assert self.queue is not None
        job.future = asyncio.get_running_loop().create_future()
        self.queue.put_nowait(job)
        return await job.future

    async def _collect(self) -> list[Job]:
        assert self.queue is not None
        jobs = [await self.queue.get()]
        rows = len(jobs[0].records)
        wait = self.max_wait if self.last_batch > 1 else 0.0  # a lone client never waits
        deadline = time.perf_counter() + wait
        while rows < self.max_rows:
            if self.queue.empty():
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                await asyncio.sleep(min(remaining, 0.0005))
                continue
            job = self.queue.get_nowait()
            jobs.append(job)
            rows += len(job.records)
        self.last_batch = len(jobs)
        return jobs

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = await self._collect()
            try:
                await loop.run_in_executor(self.executor, self.scorer, jobs)
            except Exception as err:  # the log could not be written: answer 503, never hang
                # The cause (the database's address, its driver's message) is for the operator's
                # log, not for every client: the body is one fixed sentence.
                _log.warning("prediction log write failed; %d request(s) answered 503: %s", len(jobs), err)
                for job in jobs:
                    job.status, job.body = 503, {"detail": UNLOGGED, "request_id": job.request_id}
            for job in jobs:
                if not job.future.done():
                    job.future.set_result(job)
            if self.scorer.shadow is not None:  # after the answers: the shadow only adds to the log
                with contextlib.suppress(Exception):  # shadow_score counts its own failures
                    await loop.run_in_executor(self.executor, self.scorer.shadow_score, jobs)

    def close(self) -> None:
        """Stop the worker and close the log; the next request (a new start-up) starts afresh."""
        if self.task is not None:
            self.task.cancel()
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        if self.scorer.conn is not None:
            self.scorer.conn.close()
        self.task, self.queue, self.executor, self.scorer.conn = None, None, None, None


def _one_thread() -> None:
    """Set up the scoring thread: one OpenMP thread, no repeated input checks.

    Small batches: OpenMP thread start-up would cost more than it saves. The robust pipeline
    has already checked every value, so scikit-learn's own finiteness and parameter checks
    are skipped (scikit-learn's configuration is per thread: this one only).
    """
    import sklearn
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    sklearn.set_config(assume_finite=True, skip_parameter_validation=True)

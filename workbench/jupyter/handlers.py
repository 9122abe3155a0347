"""Tornado handlers of ``/workbench/api/``: authenticated, thin, JSON in and out.

Each handler parses the request, calls :class:`~workbench.jupyter.api.WorkbenchAPI` in a worker
thread (the package reads files and MLflow; the server's event loop must not wait on them) and
answers JSON. A :class:`~workbench.exceptions.WorkbenchError` becomes a 4xx answer carrying the
message and the hint; nothing is served to an unauthenticated caller.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from workbench.exceptions import (
    ApprovalError,
    ConfigError,
    DataError,
    ParameterError,
    PipelineError,
    ReportError,
    WorkbenchError,
)
from workbench.jupyter._paths import RequestError
from workbench.jupyter.api import WorkbenchAPI

__all__ = ["API_PREFIX", "handlers"]

API_PREFIX = "workbench/api"
AUTH_RESOURCE = "workbench"
MAX_BODY = 1_000_000
MAX_DEPTH = 32  # no request of the panel nests deeper; a deeper one is refused before any handler walks it
_ANONYMOUS_ID = re.compile(r"[0-9a-f]{32}")

# Input problems are the client's to fix (4xx); anything else is the server's (500).
STATUS_BY_ERROR: tuple[tuple[type[WorkbenchError], int], ...] = (
    (ApprovalError, 409),
    (ParameterError, 422),
    (ConfigError, 400),
    (DataError, 400),
    (PipelineError, 400),
    (ReportError, 400),
)


def error_status(err: WorkbenchError) -> int:
    """The HTTP status for ``err``."""
    if isinstance(err, RequestError):
        return err.status
    for cls, status in STATUS_BY_ERROR:
        if isinstance(err, cls):
            return status
    return 500


class WorkbenchHandler(APIHandler):
    """Base: the API object, JSON bodies, and errors as JSON with message and hint."""

    auth_resource = AUTH_RESOURCE

    @property
    def api(self) -> WorkbenchAPI:
        return self.settings["workbench_api"]

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object; a 400 naming the problem otherwise."""
        raw = self.request.body or b"{}"
        if len(raw) > MAX_BODY:
            raise RequestError(f"The request body is {len(raw)} bytes; at most {MAX_BODY} are accepted.", status=413)
        try:
            body = json.loads(raw)
        except RecursionError as err:
            raise RequestError(f"The request body nests deeper than {MAX_DEPTH} levels.") from err
        # ValueError: not JSON, not UTF-8, or an integer longer than Python converts (4,300 digits).
        except ValueError as err:
            raise RequestError(f"The request body is not valid JSON: {err}.") from err
        if not isinstance(body, dict):
            raise RequestError(f"The request body must be a JSON object, got {type(body).__name__}.")
        if _depth(body) > MAX_DEPTH:
            raise RequestError(f"The request body nests deeper than {MAX_DEPTH} levels.")
        return body

    def approver(self) -> str | None:
        """The authenticated user's name; None for jupyter_server's anonymous user of the shared token.

        With one shared token, whoever holds it acts as the user running the server, so the
        approval names that user (as ``workbench approve`` would), never a name the client sends.
        """
        user = self.current_user
        username = str(getattr(user, "username", "") or "")
        name = str(getattr(user, "name", "") or "")
        if not username or (_ANONYMOUS_ID.fullmatch(username) and name.startswith("Anonymous ")):
            return None
        return username

    async def answer(self, call: Callable[..., dict[str, Any]], *args: Any, status: int = 200) -> None:
        """Run ``call(*args)`` in a worker thread and answer its result (or its error) as JSON."""
        try:
            payload = await asyncio.to_thread(call, *args)
        except WorkbenchError as err:
            code = error_status(err)
            if code >= 500:
                self.log.error("workbench: %s", err)
            self.set_status(code)
            self.finish(json.dumps(err.to_dict(), default=str))
            return
        self.set_status(status)
        self.finish(json.dumps(payload, default=str))

    async def answer_body(self, call: Callable[[dict[str, Any]], dict[str, Any]], *, status: int = 200) -> None:
        """Parse the JSON body, then :meth:`answer` ``call(body)``."""
        try:
            body = self.json_body()
        except RequestError as err:
            self.set_status(err.status)
            self.finish(json.dumps(err.to_dict()))
            return
        await self.answer(call, body, status=status)


class ProjectsHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(self.api.projects)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self.answer_body(self.api.create_project, status=201)


class DataFilesHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(self.api.data_files)


class ColumnsHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(self.api.data_columns, self.get_argument("path", None))


class StatusHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(self.api.status, self.get_argument("project", ""))


class NotebooksHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(self.api.notebooks, self.get_argument("project", ""))


class NotebookHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(self.api.notebook, self.get_argument("path", None))


class ApproveHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        user = self.approver()
        await self.answer_body(lambda body: self.api.approve(body, user=user))


class RevokeHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self.answer_body(self.api.revoke)


class PipelinesHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(self.api.pipelines, self.get_argument("project", ""))


class RunsHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(self.api.runs, self.get_argument("project", ""), self.get_argument("limit", "20"))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self.answer_body(self.api.start_run, status=202)


class RunHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        await self.answer(self.api.run, self.get_argument("project", ""), run_id)


class RunOutputHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        await self.answer(self.api.run_output, self.get_argument("project", ""), run_id, self.get_argument("step", ""))


class ReportsHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(self.api.reports, self.get_argument("project", ""))


class ReportHandler(WorkbenchHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        await self.answer(self.api.report, self.get_argument("project", ""), name)


ROUTES: tuple[tuple[str, type[WorkbenchHandler]], ...] = (
    ("projects", ProjectsHandler),
    ("datafiles", DataFilesHandler),
    ("columns", ColumnsHandler),
    ("status", StatusHandler),
    ("notebooks", NotebooksHandler),
    ("notebook", NotebookHandler),
    ("approve", ApproveHandler),
    ("revoke", RevokeHandler),
    ("pipelines", PipelinesHandler),
    ("runs", RunsHandler),
    ("runs/([^/]+)", RunHandler),
    ("runs/([^/]+)/output", RunOutputHandler),
    ("reports", ReportsHandler),
    ("reports/([^/]+)", ReportHandler),
)


def _depth(value: Any) -> int:
    """How deeply ``value`` (parsed JSON) nests lists and objects, walked without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, level = pending.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                pending.extend((item, level + 1) for item in node)
    return deepest


def handlers(base_url: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    """The URL patterns of the API under ``base_url``."""
    return [(url_path_join(base_url, API_PREFIX, pattern), handler) for pattern, handler in ROUTES]

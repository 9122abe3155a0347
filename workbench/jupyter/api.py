"""What the REST handlers answer: plain JSON-ready dictionaries from the package's own functions.

:class:`WorkbenchAPI` is bound to the Jupyter server's root folder. Each method validates its
input (paths confined to the root, types, sizes), calls the same package functions as the
command line, and returns a dictionary; problems are :class:`~workbench.exceptions.WorkbenchError`
subclasses that the handlers turn into 4xx answers with the message and its fix.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.config import CONFIG_NAME
from workbench.jupyter import _newproject, _runs
from workbench.jupyter._paths import (
    RequestError,
    confine,
    find_projects,
    project_folder,
    server_path,
)

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["WorkbenchAPI"]

REPORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MAX_COMMENT = 2000


class WorkbenchAPI:
    """The panel's view of the projects under ``root`` (the Jupyter server's root folder)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    # -- projects -------------------------------------------------------------------------
    def projects(self) -> dict[str, Any]:
        """Every project folder at the root or up to two levels below it."""
        from workbench.config import load_config
        from workbench.exceptions import WorkbenchError

        listed = []
        for folder in find_projects(self.root):
            entry: dict[str, Any] = {"path": server_path(self.root, folder), "name": folder.name}
            try:
                entry["name"] = load_config(folder / CONFIG_NAME).name
            except WorkbenchError as err:
                entry["error"] = str(err)
            listed.append(entry)
        return {"root": self.root.name, "projects": listed}

    def data_files(self) -> dict[str, Any]:
        """The CSV and Parquet files the New project form offers."""
        return _newproject.data_files(self.root)

    def data_columns(self, path: object) -> dict[str, Any]:
        """The columns of one data file (the form's target and sensitive choices)."""
        return _newproject.data_columns(self.root, path)

    def create_project(self, body: dict[str, Any]) -> dict[str, Any]:
        """A new project from the user's data, made like ``workbench init DIR --data FILE --target COL``."""
        return _newproject.create_project(self.root, body)

    def open_project(self, path: object) -> Project:
        """The project in the folder ``path`` (relative to the root); 404 when there is none."""
        from workbench.project import Project

        folder = confine(self.root, "" if path is None else path, name="project")
        if not (folder / CONFIG_NAME).is_file():
            raise RequestError(
                f"No Workbench project in '{server_path(self.root, folder) or '.'}': it has no {CONFIG_NAME}.",
                status=404,
                hint="Open a folder made by `workbench init` or `workbench demo`.",
            )
        return Project.load(folder, check_data=False)

    def status(self, project_path: object) -> dict[str, Any]:
        """The lifecycle status: each phase's state, its gates with reasons, the next step."""
        from workbench.phases import PHASES, project_status

        project = self.open_project(project_path)
        status = project_status(project).to_dict()
        purposes = {phase.name: phase.purpose for phase in PHASES}
        for phase in status["phases"]:
            phase["purpose"] = purposes.get(phase["phase"], "")
            phase["path"] = self._server_path(project, phase["notebook"])
        return {"project_path": server_path(self.root, project.root), **status}

    # -- notebooks and approvals ---------------------------------------------------------------
    def notebooks(self, project_path: object) -> dict[str, Any]:
        """The project's notebooks with their phase and approval state.

        The state is approved|changed|none, or ``unreadable`` (with a ``reason``) for a file that
        is not a notebook: one broken file must not hide the others.
        """
        project = self.open_project(project_path)
        states = [self._notebook_state(project, project.relative(nb)) for nb in project.notebooks()]
        return {"project_path": server_path(self.root, project.root), "notebooks": states}

    def notebook(self, path: object) -> dict[str, Any]:
        """One notebook's project, phase and approval state (``project_path`` null outside projects)."""
        target = self._notebook_file(path)
        folder = project_folder(self.root, target)
        if folder is None:
            return {"path": server_path(self.root, target), "project_path": None, "phase": None, "state": None}
        project = self.open_project(server_path(self.root, folder))
        return self._notebook_state(project, project.relative(target))

    def approve(self, body: dict[str, Any], *, user: str | None = None) -> dict[str, Any]:
        """Approve the notebook at ``body["path"]`` as it is now, with ``body["comment"]``.

        The approval is recorded as the authenticated ``user`` (the handler passes the Jupyter
        server's user; None: the server's shared token, whose holder acts as the user running the
        server, so the same default as ``workbench approve``). A name the client states in
        ``body["by"]`` cannot replace it: when it differs it is kept next to it, labelled
        ``(stated: NAME)``.
        """
        from workbench.exceptions import PipelineError
        from workbench.pipelines import approval_states, approve_notebook
        from workbench.pipelines.approval import default_approver, unreadable_reason

        project, target = self._project_notebook(body)
        comment = _text(body.get("comment", ""), name="comment", limit=MAX_COMMENT)
        stated = body.get("by")
        if stated is not None:
            stated = _text(stated, name="by", limit=200) or None
        by = user or default_approver(project.root)
        if stated and stated != by:
            by = f"{by} (stated: {stated})"
        try:
            approval = approve_notebook(project, target, by=by, comment=comment)
        except PipelineError as err:
            raise RequestError(
                _unreadable(server_path(self.root, target), unreadable_reason(err)),
                hint="Restore or fix the file (it must be a valid .ipynb notebook), then approve it.",
            ) from err
        [state] = approval_states(project, [approval.notebook])
        return {"approval": vars(approval), **self._state_dict(project, state)}

    def revoke(self, body: dict[str, Any]) -> dict[str, Any]:
        """Remove the approval of the notebook at ``body["path"]``."""
        from workbench.pipelines import approval_states, revoke_approval

        project, target = self._project_notebook(body)
        revoked = revoke_approval(project, project.relative(target))
        [state] = approval_states(project, [project.relative(target)])
        return {"revoked": revoked, **self._state_dict(project, state)}

    # -- pipelines and runs -------------------------------------------------------------------------
    def pipelines(self, project_path: object) -> dict[str, Any]:
        """The project's pipelines with their typed parameters (for the Run pipeline form)."""
        project = self.open_project(project_path)
        return {"project_path": server_path(self.root, project.root), "pipelines": _runs.list_pipelines(project)}

    def runs(self, project_path: object, limit: object = 20) -> dict[str, Any]:
        """The project's newest runs with status, duration and cost."""
        project = self.open_project(project_path)
        runs = _runs.list_runs(self.root, project, limit)
        return {"project_path": server_path(self.root, project.root), "runs": runs}

    def run(self, project_path: object, run_id: str) -> dict[str, Any]:
        """One run with its steps."""
        return _runs.run_detail(self.root, self.open_project(project_path), run_id)

    def run_output(self, project_path: object, run_id: str, step: object) -> dict[str, Any]:
        """The executed notebook of one step of a run, as an HTML page."""
        return _runs.run_output(self.open_project(project_path), run_id, step)

    def start_run(self, body: dict[str, Any]) -> dict[str, Any]:
        """Start ``body["pipeline"]`` with ``body["parameters"]`` in the background; its run id."""
        return _runs.start_run(self.open_project(body.get("project", "")), body)

    # -- reports ----------------------------------------------------------------------------
    def reports(self, project_path: object) -> dict[str, Any]:
        """The latest report of each name in ``.workbench/reports/`` (name, time, size)."""
        project = self.open_project(project_path)
        folder = project.root / ".workbench" / "reports"
        files = sorted(p for p in folder.glob("*.json") if self._inside(p)) if folder.is_dir() else []
        listed = [
            {
                "name": path.stem,
                "modified": datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds"),
                "bytes": path.stat().st_size,
                "html": self._server_path(project, path.with_suffix(".html"))
                if path.with_suffix(".html").is_file() and self._inside(path.with_suffix(".html"))
                else None,
            }
            for path in files
        ]
        return {"project_path": server_path(self.root, project.root), "reports": listed}

    def report(self, project_path: object, name: str) -> dict[str, Any]:
        """The JSON of the latest report called ``name`` (never a file outside the server root)."""
        if not REPORT_NAME.match(name) or ".." in name:
            raise RequestError(f"{name!r} is not a report name (letters, digits, '_', '-', '.').")
        project = self.open_project(project_path)
        path = project.root / ".workbench" / "reports" / f"{name}.json"
        if not self._inside(path):
            raise RequestError(
                f"The report {name!r} leads outside the server's root folder (a symbolic link) and is not read.",
                status=403, hint="Replace the link with the report file itself.",
            )
        if not path.is_file():
            raise RequestError(
                f"No report called {name!r} in this project yet.",
                status=404,
                hint="Run the phase notebook that logs it.",
            )
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, ValueError) as err:
            raise RequestError(f"The report file {name}.json is not valid JSON: {err}.", status=500) from err

    # -- helpers ----------------------------------------------------------------------------
    def _inside(self, path: Path) -> bool:
        """Whether ``path``, links followed, is under the server root."""
        resolved = path.resolve()
        return resolved == self.root or self.root in resolved.parents

    def _server_path(self, project: Project, relative: Path | str) -> str:
        return server_path(self.root, project.root / relative)

    def _state_dict(self, project: Project, state: Any) -> dict[str, Any]:
        path = self._server_path(project, state.notebook)
        found = {**state.to_dict(), "path": path, "project_path": server_path(self.root, project.root)}
        if state.state == "unreadable":
            found["reason"] = _unreadable(path, state.reason)
        return found

    def _notebook_state(self, project: Project, notebook: str) -> dict[str, Any]:
        """``_state_dict`` of one notebook (state ``unreadable`` with a reason naming no server path)."""
        from workbench.pipelines import approval_states

        [state] = approval_states(project, [notebook])
        return self._state_dict(project, state)

    def _notebook_file(self, path: object) -> Path:
        target = confine(self.root, path)
        if target.suffix != ".ipynb":
            raise RequestError(f"'{path}' is not a notebook (.ipynb).")
        if not target.is_file():
            raise RequestError(f"No notebook at '{path}'.", status=404)
        return target

    def _project_notebook(self, body: dict[str, Any]) -> tuple[Project, Path]:
        target = self._notebook_file(body.get("path"))
        folder = project_folder(self.root, target)
        if folder is None:
            raise RequestError(
                f"'{body.get('path')}' is not inside a Workbench project (no {CONFIG_NAME} above it).",
                hint="Approvals belong to a project: open the notebook from a project folder.",
            )
        return self.open_project(server_path(self.root, folder)), target


def _unreadable(path: str, reason: str) -> str:
    """Why the notebook at ``path`` (relative to the server root) cannot be read, naming no server path."""
    return f"{path} is not a readable notebook: {reason}."


def _text(value: object, *, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise RequestError(f"'{name}' must be a string, got {type(value).__name__}.")
    if len(value) > limit:
        raise RequestError(f"'{name}' is {len(value)} characters long; at most {limit} are allowed.")
    return value.strip()

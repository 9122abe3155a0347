"""Approval of notebooks, locked to their content (code cells, parameters cell, kernel).

Approvals live in ``approvals.json`` at the project root so a team can review them in git.
Editing code invalidates an approval; re-running a notebook (new outputs) does not.
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench._io import locked, write_text
from workbench.exceptions import ApprovalError, PipelineError
from workbench.notebooks import content_hash, notebook_phase, read_notebook

__all__ = ["Approval", "ApprovalState", "approval_states", "approve_notebook", "default_approver", "revoke_approval"]

APPROVALS_FILE = "approvals.json"
LOCK_FILE = "approvals.lock"


@dataclass(frozen=True, kw_only=True)
class Approval:
    """One recorded approval: which notebook, its content hash, who, when and why."""

    notebook: str
    hash: str
    kernel: str
    approved_by: str
    approved_at: str
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class ApprovalState:
    """A notebook's approval state: ``approved``, ``changed`` (since approval), ``none``,
    ``unreadable`` (not a notebook that can be read now; ``reason`` says why) or ``missing``
    (a pipeline step or an approval names it, but there is no such file)."""

    notebook: str
    phase: str | None
    state: str
    approved_by: str | None = None
    approved_at: str | None = None
    comment: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _path(project: Any) -> Path:
    return Path(project.root) / APPROVALS_FILE


def _read(project: Any) -> dict[str, dict[str, Any]]:
    path = _path(project)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ApprovalError(
            f"{path} is not valid JSON: {err}.", hint="Fix or delete the file."
        ) from err
    return dict(data.get("approvals", {}))


def _write(project: Any, approvals: dict[str, dict[str, Any]]) -> None:
    payload = {"schema_version": 1, "approvals": dict(sorted(approvals.items()))}
    write_text(_path(project), json.dumps(payload, indent=2) + "\n")


@contextmanager
def _locked(project: Any) -> Iterator[None]:
    """Hold an exclusive lock on ``.workbench/approvals.lock`` for a read-modify-write.

    Jupyter runs handlers in threads: unlocked, two approvals at once each rewrite the file from
    the same old copy and one is lost. ``approvals.json`` itself is replaced on every write
    (atomic rename), so the lock lives on a sidecar file that is never replaced.
    """
    with locked(Path(project.state_dir) / LOCK_FILE):
        yield


def _relative(project: Any, notebook: Path | str) -> str:
    path = project.resolve(notebook, must_exist=True)
    return path.relative_to(Path(project.root).resolve()).as_posix()


def default_approver(root: Path | str) -> str:
    """``git config user.name`` as seen from the project (its repository's config), else the login."""
    try:
        out = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=5, check=False,
            cwd=str(root),
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    if out:
        return out
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER", "unknown")


def approve_notebook(
    project: Any, notebook: Path | str, *, by: str | None = None, comment: str = ""
) -> Approval:
    """Approve ``notebook`` as it is now (its content hash) and record it in ``approvals.json``.

    Parameters
    ----------
    project : Project
        The project holding the notebook.
    notebook : path
        The notebook, relative to the project root (or absolute inside it).
    by : str, optional
        Who approves; default: ``git config user.name`` in the project's folder (so a
        repository-local name counts), else the login name.
    comment : str
        Why it is approved.
    """
    rel = _relative(project, notebook)
    nb = read_notebook(Path(project.root) / rel)
    approval = Approval(
        notebook=rel,
        hash=content_hash(nb),
        kernel=str(nb.metadata.get("kernelspec", {}).get("name", "")),
        approved_by=by or default_approver(project.root),
        approved_at=datetime.now(UTC).isoformat(timespec="seconds"),
        comment=comment,
    )
    with _locked(project):
        approvals = _read(project)
        approvals[rel] = asdict(approval)
        _write(project, approvals)
    return approval


def revoke_approval(project: Any, notebook: Path | str) -> bool:
    """Remove the approval of ``notebook``; True when there was one."""
    rel = Path(notebook).as_posix()
    with _locked(project):
        approvals = _read(project)
        if rel not in approvals:
            rel = _relative(project, notebook)
        found = approvals.pop(rel, None) is not None
        if found:
            _write(project, approvals)
    return found


def unreadable_reason(err: Exception) -> str:
    """Why a notebook cannot be read, in one line that names no absolute path."""
    cause = err.__cause__
    # An OSError's text names the absolute file; its strerror does not.
    why = (cause.strerror or type(cause).__name__) if isinstance(cause, OSError) else str(cause or err)
    return why.splitlines()[0][:300] if why else type(err).__name__


def _state(project: Any, rel: str, record: dict[str, Any] | None) -> ApprovalState:
    path = Path(project.root) / rel
    recorded = {} if record is None else {
        "approved_by": record.get("approved_by"), "approved_at": record.get("approved_at"),
        "comment": record.get("comment", ""),
    }
    if not path.exists():
        return ApprovalState(notebook=rel, phase=None, state="missing", reason="no such file", **recorded)
    try:
        phase = notebook_phase(path)
        current = content_hash(path)
    except PipelineError as err:  # half-saved, merge-conflicted: list it, do not hide the others
        return ApprovalState(notebook=rel, phase=None, state="unreadable", reason=unreadable_reason(err))
    if record is None:
        return ApprovalState(notebook=rel, phase=phase, state="none")
    state = "approved" if current == record.get("hash") else "changed"
    return ApprovalState(notebook=rel, phase=phase, state=state, **recorded)


def _listed(project: Any, approvals: dict[str, Any]) -> list[str]:
    """Every notebook approvals are about: the project's, each pipeline step's, each approved one."""
    from workbench.exceptions import WorkbenchError
    from workbench.pipelines.spec import load_pipelines

    root = Path(project.root).resolve()
    names = {p.resolve().relative_to(root).as_posix() for p in project.notebooks()}
    try:
        for spec in load_pipelines(project).values():
            names.update(spec.notebooks)
    except WorkbenchError:  # a half-edited pipeline.yaml: `workbench run` names the problem
        pass
    names.update(approvals)
    return sorted(names)


def approval_states(project: Any, notebooks: list[str] | None = None) -> list[ApprovalState]:
    """The approval state of every notebook (or of ``notebooks``), in name order.

    Every notebook means: the project's phase notebooks (``notebooks/*.ipynb``), every notebook
    a pipeline step runs (wherever it is in the project), and every notebook ``approvals.json``
    names (state ``missing`` when its file is gone).
    """
    approvals = _read(project)
    names = notebooks if notebooks is not None else _listed(project, approvals)
    return [_state(project, rel, approvals.get(rel)) for rel in names]

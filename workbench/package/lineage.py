"""Lineage: where a model came from, read from its tracked run and the project as it is now.

The run's tags give the notebook (path and content hash), the git commit and the data
fingerprint at training time; the record adds the parameters, metrics and gate verdicts of
the run, the notebook approvals, and whether the notebook and the data still match.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from workbench.reports.base import jsonable
from workbench.tracking import TAG, git_commit

if TYPE_CHECKING:
    from workbench.package.source import ModelSource
    from workbench.project import Project
    from workbench.tracking import Tracker

__all__ = ["build_lineage", "current_fingerprint", "current_notebook_hash"]


def current_fingerprint(project: Project) -> str | None:
    """The ``sha256:`` fingerprint of the project's dataset as it is now (None if unreadable)."""
    from workbench.exceptions import DataError
    from workbench.explore.fingerprint import fingerprint

    try:
        return fingerprint(project.load_data()).tag
    except DataError:
        return None


def current_notebook_hash(project: Project, notebook: str | None) -> str | None:
    """The content hash of ``notebook`` (project-relative) as it is now, None when it is gone."""
    from workbench.notebooks import content_hash

    if not notebook:
        return None
    path = project.root / notebook
    return content_hash(path) if path.is_file() else None


def build_lineage(tracker: Tracker, source: ModelSource) -> dict[str, Any]:
    """The lineage record of the model ``source`` (plain JSON data)."""
    project = tracker.project
    run = tracker.client.get_run(source.run_id)
    tags = dict(run.data.tags)
    notebook = tags.get(TAG + "notebook")
    recorded_hash = tags.get(TAG + "notebook_hash")
    recorded_data = tags.get(TAG + "data_fingerprint")
    now_hash = current_notebook_hash(project, notebook)
    now_data = current_fingerprint(project)
    gates = tracker.load_gates(source.run_id)
    return jsonable({
        "model_uri": source.uri,
        "run_id": source.run_id,
        "experiment": project.config.experiment,
        "phase": tags.get(TAG + "phase"),
        "trained_at": _time(run.info.start_time),
        "registered": {"name": source.registered_name, "version": source.registered_version},
        "notebook": notebook,
        "notebook_hash": recorded_hash,
        "notebook_unchanged": (now_hash == recorded_hash) if recorded_hash and now_hash else None,
        "git_commit": tags.get(TAG + "git_commit"),
        "pipeline_run": tags.get(TAG + "pipeline_run"),
        "data_fingerprint": recorded_data,
        "data_unchanged": (now_data == recorded_data) if recorded_data and now_data else None,
        "params": dict(run.data.params),
        "metrics": dict(run.data.metrics),
        "gates": None if gates is None else {
            "phase": gates.phase, "passed": gates.passed,
            "results": [dict(jsonable(r), phase=gates.phase) for r in gates.results],
        },
        "approvals": _approvals(project, notebook),
        "packaged_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "packaged_from_commit": git_commit(project.root),
    })


def _time(millis: int | None) -> str | None:
    if not millis:
        return None
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC).isoformat(timespec="seconds")


def _approvals(project: Project, notebook: str | None) -> list[dict[str, Any]]:
    """Approval states of the project's notebooks (the training notebook first), when recorded."""
    from workbench.pipelines.approval import APPROVALS_FILE, approval_states

    if not (project.root / APPROVALS_FILE).is_file():
        return []
    states = [s.to_dict() for s in approval_states(project)]
    return sorted(states, key=lambda s: s["notebook"] != notebook)

"""Pipelines and runs for the panel: the specs with typed parameters, the run records with their
cost, starting a run in the background and cancelling one (the same functions as ``workbench
run``/``runs``/``cancel``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.jupyter._paths import RequestError, server_path

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["cancel_run", "list_pipelines", "list_runs", "run_detail", "run_output", "start_run"]

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MAX_RUNS = 200
# The panel's request waits this long for the runner to stop the run (it shows "Cancelling…"
# meanwhile); a runner that does not answer in time has its processes stopped.
CANCEL_WAIT_SECONDS = 30.0


def list_pipelines(project: Project) -> list[dict[str, Any]]:
    """Every pipeline of the project with its typed parameters and steps."""
    from workbench.pipelines import load_pipelines

    return [spec.to_dict() for spec in load_pipelines(project).values()]


def list_runs(root: Path, project: Project, limit: object) -> list[dict[str, Any]]:
    """The newest runs first, at most ``limit`` (1..200)."""
    from workbench.pipelines import RunStore

    count = _limit(limit)
    return [_run_dict(root, run) for run in RunStore(project).list_runs(limit=count)]


def run_detail(root: Path, project: Project, run_id: str) -> dict[str, Any]:
    """One run with its steps; 404 when the project has no run with that id."""
    from workbench.exceptions import PipelineError
    from workbench.pipelines import RunStore

    if not RUN_ID.match(run_id):
        raise RequestError(f"{run_id!r} is not a run id.")
    try:
        run = RunStore(project).get_run(run_id)
    except PipelineError as err:
        raise RequestError(str(err), status=404) from err
    return _run_dict(root, run)


def run_output(project: Project, run_id: str, step_name: object) -> dict[str, Any]:
    """The HTML export of a step's executed notebook (kept under ``.workbench/executed/``).

    JupyterLab does not open files in hidden folders, so the panel shows this page instead.
    """
    from workbench.exceptions import PipelineError
    from workbench.pipelines import RunStore

    if not RUN_ID.match(run_id):
        raise RequestError(f"{run_id!r} is not a run id.")
    if not isinstance(step_name, str) or not step_name:
        raise RequestError("'step' must name a step of the run.")
    try:
        step = RunStore(project).get_run(run_id).step(step_name)
    except PipelineError as err:
        raise RequestError(str(err), status=404) from err
    html = Path(step.output_html).resolve() if step.output_html else None
    if html is None or not html.is_file():
        raise RequestError(f"Step {step_name!r} of run {run_id} kept no executed notebook page.", status=404)
    if project.root not in html.parents:
        raise RequestError(f"The output of step {step_name!r} is outside the project folder.", status=400)
    return {
        "run_id": run_id, "step": step_name,
        "html": html.read_text(encoding="utf-8"),
    }


def start_run(project: Project, body: dict[str, Any]) -> dict[str, Any]:
    """Check the pipeline, its parameters and approvals, then start it in the background."""
    from workbench.pipelines import load_pipelines, start_pipeline, validate_parameters

    name = body.get("pipeline")
    if name is not None and not isinstance(name, str):
        raise RequestError(f"'pipeline' must be a pipeline name, got {name!r}.")
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict):
        raise RequestError(f"'parameters' must be a JSON object, got {type(parameters).__name__}.")
    pipelines = load_pipelines(project)
    if name is not None and name not in pipelines:
        raise RequestError(
            f"The project has no pipeline {name!r}.",
            status=404,
            hint=f"Its pipelines: {', '.join(sorted(pipelines)) or '(none)'}.",
        )
    if name is not None:
        validate_parameters(pipelines[name], parameters)
    run_id = start_pipeline(project, name, parameters=parameters, trigger="jupyterlab")
    return {"run_id": run_id, "pipeline": name}


def cancel_run(root: Path, project: Project, run_id: str, *, by: str | None) -> dict[str, Any]:
    """Cancel a queued or running run (its kernel stopped, its executed notebook kept); the record after."""
    from workbench.exceptions import PipelineError
    from workbench.pipelines.cancel import cancel_run as cancel
    from workbench.pipelines.store import RunStore

    if not RUN_ID.match(run_id):
        raise RequestError(f"{run_id!r} is not a run id.")
    try:
        RunStore(project).get_run(run_id)
    except PipelineError as err:
        raise RequestError(str(err), status=404) from err
    return _run_dict(root, cancel(project, run_id, by=by, wait=CANCEL_WAIT_SECONDS))


def _limit(value: object) -> int:
    try:
        count = int(str(value))
    except ValueError as err:
        raise RequestError(f"'limit' must be a whole number, got {value!r}.") from err
    if not 1 <= count <= MAX_RUNS:
        raise RequestError(f"'limit' must be between 1 and {MAX_RUNS}, got {count}.")
    return count


def _run_dict(root: Path, run: Any) -> dict[str, Any]:
    """``run.to_dict()`` with each step's outputs also as paths the panel can open."""
    record = run.to_dict()
    for step in record["steps"]:
        step["output_path"] = _openable(root, step.get("output_notebook"))
        step["output_html_path"] = _openable(root, step.get("output_html"))
    return record


def _openable(root: Path, path: str | None) -> str | None:
    if not path:
        return None
    target = Path(path).resolve()
    if target != root and root not in target.parents:
        return None
    return server_path(root, target)

"""Reproduce a model: re-run its training notebook with the recorded parameters and compare.

The notebook runs (papermill) in a scratch copy of the project with its own embedded tracking
store, so a reproduction never becomes the project's latest run. The report checks that the
data still has the fingerprint recorded at training, that the notebook is unchanged, and that
every recorded metric comes back within an absolute tolerance (``[package]
reproduce_tolerance``, default 1e-4).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from workbench.config import CONFIG_NAME
from workbench.exceptions import ModelError
from workbench.notebooks import parameter_defaults
from workbench.package.lineage import current_fingerprint, current_notebook_hash
from workbench.package.source import resolve_model
from workbench.reports.base import Report
from workbench.tracking import TAG, Tracker

__all__ = ["ReproduceReport", "compare_metrics", "reproduce"]

_COPIED_DIRS = ("notebooks",)
_SKIPPED = (".workbench", ".git", ".ipynb_checkpoints", "__pycache__")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReproduceReport(Report):
    """The outcome of re-running a model's training notebook."""

    kind = "reproduce"
    title = "Reproduction"
    model_uri: str
    run_id: str
    notebook: str
    parameters: dict[str, Any]
    ignored_parameters: list[str]
    tolerance: float
    checks: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    seconds: float
    executed_notebook: str | None = None

    @property
    def passed(self) -> bool:
        """True when the data, the notebook and every metric check passed."""
        return all(check["passed"] for check in self.checks)

    def summary(self) -> str:
        verdict = "reproduced" if self.passed else "NOT reproduced"
        failed = [c["check"] for c in self.checks if not c["passed"]]
        within = sum(bool(m["within"]) for m in self.metrics)
        text = (f"{self.model_uri} {verdict}: {within}/{len(self.metrics)} metrics within "
                f"{self.tolerance:g} after re-running {self.notebook} ({self.seconds:.0f} s)")
        return text + (f"; failed: {', '.join(failed)}" if failed else "")


def compare_metrics(recorded: dict[str, float], reproduced: dict[str, float], *, tolerance: float) -> list[dict[str, Any]]:
    """One row per metric: recorded, reproduced, absolute difference, within ``tolerance``."""
    rows = []
    for name in sorted(set(recorded) | set(reproduced)):
        before, after = recorded.get(name), reproduced.get(name)
        difference = abs(after - before) if before is not None and after is not None else None
        rows.append({"metric": name, "recorded": before, "reproduced": after, "difference": difference,
                     "within": difference is not None and difference <= tolerance})
    return rows


def reproduce(project: Any, model_uri: str, *, tolerance: float | None = None, timeout: int | None = None) -> ReproduceReport:
    """Re-run the notebook that trained ``model_uri`` and compare with what was recorded.

    Parameters
    ----------
    project : Project
        The project holding the model's run, notebook and data.
    model_uri : str
        ``runs:/<id>/model`` or ``models:/<name>@<alias>`` (a model logged by a notebook run).
    tolerance : float, optional
        Largest absolute metric difference accepted; default ``[package] reproduce_tolerance``.
    timeout : int, optional
        Seconds a notebook cell may run.

    Examples
    --------
    >>> report = reproduce(project, "models:/credit@champion")  # doctest: +SKIP
    >>> report.passed  # doctest: +SKIP
    True
    """
    tolerance = float(project.config.sections["package"]["reproduce_tolerance"] if tolerance is None else tolerance)
    if tolerance < 0:
        raise ModelError(f"The tolerance must be zero or positive, not {tolerance}.")
    tracker = Tracker(project)
    source = resolve_model(tracker, model_uri)
    run = tracker.client.get_run(source.run_id)
    tags = dict(run.data.tags)
    notebook = tags.get(TAG + "notebook")
    if not notebook or not (project.root / notebook).is_file():
        raise ModelError(
            f"The run {source.run_id} that trained {model_uri} records no notebook in this project "
            f"({notebook or 'no notebook tag'}), so it cannot be re-run.",
            hint="Reproduce models trained by a project notebook (run through papermill or Jupyter).",
        )
    parameters, ignored = _parameters(project.root / notebook, dict(run.data.params))
    started = time.perf_counter()
    reproduced, output = _run_in_scratch(project, notebook, tags.get(TAG + "phase") or "evaluate", parameters, timeout)
    checks = _checks(project, tags, notebook, reproduced["tags"])
    metrics = compare_metrics(dict(run.data.metrics), reproduced["metrics"], tolerance=tolerance)
    checks.append(_metric_check(metrics, tolerance))
    return ReproduceReport(
        model_uri=model_uri, run_id=source.run_id, notebook=notebook, parameters=parameters,
        ignored_parameters=ignored, tolerance=tolerance, checks=checks, metrics=metrics,
        seconds=round(time.perf_counter() - started, 2), executed_notebook=output,
    )


def _coerce(text: str, default: Any) -> Any:
    if isinstance(default, bool):
        return text.strip().lower() in ("true", "1", "yes")
    if isinstance(default, int):
        return int(float(text))
    if isinstance(default, float):
        return float(text)
    if isinstance(default, str):
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _parameters(notebook: Path, recorded: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The recorded parameters the notebook declares (typed like its defaults), and the others.

    A value redacted when it was logged (a secret) is not passed: the notebook's default stands.
    """
    from workbench.redaction import is_redacted

    defaults = parameter_defaults(notebook)
    used = {name: _coerce(value, defaults[name]) for name, value in recorded.items()
            if name in defaults and not is_redacted(value)}
    return used, sorted(set(recorded) - set(used))


def _scratch_project(project: Any, scratch: Path) -> Path:
    """A copy of the project without its state: notebooks and files copied, other folders linked."""
    root = scratch / project.root.name
    root.mkdir()
    for entry in project.root.iterdir():
        if entry.name in _SKIPPED:
            continue
        if entry.is_dir() and entry.name not in _COPIED_DIRS:
            (root / entry.name).symlink_to(entry.resolve(), target_is_directory=True)
        elif entry.is_dir():
            shutil.copytree(entry, root / entry.name, ignore=shutil.ignore_patterns(*_SKIPPED))
        else:
            shutil.copy2(entry, root / entry.name)
    config = root / CONFIG_NAME
    # The scratch run logs to its own embedded store, never to a configured tracking server.
    config.write_text(re.sub(r"(?m)^(\s*uri\s*=\s*).*$", r'\1""', config.read_text(encoding="utf-8")), encoding="utf-8")
    return root


def _run_in_scratch(project: Any, notebook: str, phase: str, parameters: dict[str, Any],
                    timeout: int | None) -> tuple[dict[str, Any], str]:
    from workbench.pipelines.execute import execute_notebook
    from workbench.project import Project

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    output = project.state_dir / "reproduced" / stamp / Path(notebook).name
    with tempfile.TemporaryDirectory(prefix="workbench-reproduce-") as tmp:
        scratch = Project.load(_scratch_project(project, Path(tmp)), check_data=False)
        execute_notebook(scratch, notebook, output=output, parameters=parameters, timeout=timeout,
                         env={"MLFLOW_TRACKING_URI": ""})
        latest = _latest_run(scratch, phase)
        if latest is None:
            raise ModelError(f"{notebook} ran but logged no '{phase}' run, so there is nothing to compare.")
        return {"metrics": dict(latest.data.metrics), "tags": dict(latest.data.tags)}, project.relative(output)


def _latest_run(scratch: Any, phase: str) -> Any:
    """The scratch store's newest run of ``phase`` (read directly: the global MLflow URI is left alone)."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{scratch.state_dir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(scratch.config.experiment)
    if experiment is None:
        return None
    runs = client.search_runs([experiment.experiment_id], filter_string=f"tags.`{TAG}phase` = '{phase}'",
                              order_by=["attributes.start_time DESC"], max_results=1)
    return runs[0] if runs else None


def _check(name: str, passed: bool, detail: str) -> dict[str, Any]:
    return {"check": name, "passed": bool(passed), "detail": detail}


def _checks(project: Any, tags: dict[str, str], notebook: str, reproduced_tags: dict[str, str]) -> list[dict[str, Any]]:
    recorded_data = tags.get(TAG + "data_fingerprint")
    now_data = current_fingerprint(project)
    rerun_data = reproduced_tags.get(TAG + "data_fingerprint")
    same_data = recorded_data is not None and recorded_data == now_data and (rerun_data in (None, recorded_data))
    data_detail = ("the data matches the fingerprint recorded at training" if same_data
                   else "the run recorded no data fingerprint" if recorded_data is None
                   else f"the data fingerprint is {now_data}, not the recorded {recorded_data}")
    recorded_hash = tags.get(TAG + "notebook_hash")
    now_hash = current_notebook_hash(project, notebook)
    same_code = recorded_hash is not None and recorded_hash == now_hash
    code_detail = (f"{notebook} is unchanged since training" if same_code
                   else f"{notebook} has no recorded hash" if recorded_hash is None
                   else f"{notebook} changed since training ({recorded_hash[:19]}… → {str(now_hash)[:19]}…)")
    return [_check("data fingerprint", same_data, data_detail), _check("notebook unchanged", same_code, code_detail)]


def _metric_check(metrics: list[dict[str, Any]], tolerance: float) -> dict[str, Any]:
    off = [m["metric"] for m in metrics if not m["within"]]
    detail = (f"all {len(metrics)} metrics within {tolerance:g}" if not off and metrics
              else "no metrics were recorded" if not metrics
              else f"outside {tolerance:g}: {', '.join(off)}")
    return _check("metrics within tolerance", bool(metrics) and not off, detail)

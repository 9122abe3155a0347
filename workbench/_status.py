"""What the lifecycle status is judged from, beyond each phase's newest MLflow run.

* The run store (``.workbench/runs.db``): a pipeline step that failed after a phase's newest
  MLflow run started (its notebook may have failed before it logged anything, or after) makes
  the phase FAILED; a step still running makes it RUNNING.
* The chosen Evaluate model (:mod:`workbench.selection`) against the model each later phase
  used, read from what its run recorded: Develop's and Package's ``model_uri`` parameter,
  Deploy's ``champion`` version. A different model makes the phase STALE, with the reason.
* The data: an Explore run on other data than the chosen model was trained on makes Evaluate
  STALE; a Deploy run after the newest Monitor run makes Monitor STALE.
* Monitor's own review: the alerts its logged ``monitor`` report fired.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.selection import is_side_experiment, model_run_id

if TYPE_CHECKING:
    from workbench.phases import Phase
    from workbench.project import Project
    from workbench.selection import ChosenModel
    from workbench.tracking import RunInfo, Tracker

__all__ = ["Evidence", "PipelineStep", "collect_evidence"]

FAILED_STEPS = ("failed", "interrupted")
FINGERPRINT = "workbench.data_fingerprint"
RECENT_PIPELINE_RUNS = 30


@dataclasses.dataclass(frozen=True)
class PipelineStep:
    """The newest failed or running pipeline step of one phase."""

    pipeline: str
    run_id: str
    step: str
    status: str
    started: float | None
    ended: float | None
    error: str | None

    def overrides(self, run: RunInfo | None) -> bool:
        """Is this step newer than the phase's newest MLflow run (so it speaks for the phase)?"""
        if run is None or run.start_time is None:
            return True
        moment = self.started if self.status == "running" else (self.ended or self.started)
        return moment is not None and moment >= run.start_time

    def describe(self) -> str:
        word = "is running" if self.status == "running" else "was interrupted" if self.status == "interrupted" \
            else "failed"
        error = f": {_first_line(self.error)}" if self.error and self.status != "running" else ""
        return f"pipeline {self.pipeline} (run {self.run_id}) step {self.step} {word}{error}"


@dataclasses.dataclass
class Evidence:
    """Everything one status computation reads, each read once."""

    project: Project
    tracker: Tracker
    chosen: ChosenModel | None
    steps: dict[str, PipelineStep]
    _runs: dict[str, list[RunInfo]] = dataclasses.field(default_factory=dict)

    def runs(self, phase: str) -> list[RunInfo]:
        """The phase's newest runs, newest first (read once)."""
        if phase not in self._runs:
            self._runs[phase] = self.tracker.runs(phase=phase, max_results=50 if phase == "evaluate" else 5)
        return self._runs[phase]

    def latest(self, phase: str) -> RunInfo | None:
        """The run that speaks for ``phase``: its newest, but for Evaluate see :meth:`evaluate_run`."""
        if phase == "evaluate":
            return self.evaluate_run()
        runs = self.runs(phase)
        return runs[0] if runs else None

    def evaluate_run(self) -> RunInfo | None:
        """Evaluate's run: the newest one unless it is a finished side experiment; once finished,
        the chosen model's run (which may be older: a choice by hand)."""
        runs = [r for r in self.runs("evaluate") if not (r.status == "FINISHED" and is_side_experiment(r))]
        if not runs:
            return None
        if runs[0].status != "FINISHED" or self.chosen is None:
            return runs[0]
        chosen = next((r for r in runs if r.run_id == self.chosen.run_id), None)
        return chosen or self._run(self.chosen.run_id) or runs[0]

    def side_experiments(self) -> int:
        return sum(1 for r in self.runs("evaluate") if r.status == "FINISHED" and is_side_experiment(r))

    def _run(self, run_id: str) -> RunInfo | None:
        run = self.tracker.reader.get_run(run_id)  # None: a challenger registered from a run of another store
        return run if run is not None and run.phase == "evaluate" else None

    # -- inputs ------------------------------------------------------------------------------
    def stale_reason(self, phase: str, run: RunInfo) -> str | None:
        """Why ``run`` of ``phase`` no longer speaks for the project's current inputs (None: it does)."""
        judge = _STALENESS.get(phase)
        return judge(self, run) if judge is not None else None

    def alerts(self, run: RunInfo) -> list[dict[str, Any]]:
        """The alerts fired by the review that Monitor run ``run`` logged."""
        payload = _report_json(self.tracker, run.run_id, "monitor")
        alerts = payload.get("alerts") if isinstance(payload, dict) else None
        return [a for a in alerts if isinstance(a, dict)] if isinstance(alerts, list) else []


def _against_chosen(evidence: Evidence, used: str | None, what: str) -> str | None:
    """``what`` (naming ``{run}``, the run whose model the phase used) when that is not the chosen model."""
    chosen = evidence.chosen
    if chosen is None or used is None or used == chosen.run_id:
        return None
    return (f"{what.format(run=used)}, but the chosen model is now the model of run {chosen.run_id} "
            f"(chosen by {chosen.chosen_by})")


def _develop(evidence: Evidence, run: RunInfo) -> str | None:
    used = model_run_id(evidence.tracker, run.params.get("model_uri"))
    return _against_chosen(evidence, used, "it checked the model of run {run}")


def _package(evidence: Evidence, run: RunInfo) -> str | None:
    used = model_run_id(evidence.tracker, run.params.get("model_uri"))
    return _against_chosen(evidence, used, "it packaged the model of run {run}")


def _deploy(evidence: Evidence, run: RunInfo) -> str | None:
    version = run.params.get("champion")
    if not version:
        return None
    used = model_run_id(evidence.tracker, f"models:/{evidence.project.config.model_name}/{version}")
    return _against_chosen(evidence, used, f"it serves version {version} (the model of run {{run}})")


def _evaluate(evidence: Evidence, run: RunInfo) -> str | None:
    explored = next((r for r in evidence.runs("explore") if r.status == "FINISHED"), None)
    if explored is None or run.start_time is None or (explored.start_time or 0) < run.start_time:
        return None
    new, old = explored.tags.get(FINGERPRINT), run.tags.get(FINGERPRINT)
    if not new or not old or new == old:
        return None
    return f"Explore ran on other data ({new}) after this model was trained on {old}"


def _monitor(evidence: Evidence, run: RunInfo) -> str | None:
    deployed = next((r for r in evidence.runs("deploy") if r.status == "FINISHED"), None)
    if deployed is None or run.start_time is None or (deployed.start_time or 0) <= run.start_time:
        return None
    version = deployed.params.get("champion")
    served = f" (it serves version {version})" if version else ""
    return f"Deploy ran after this review{served}: the service reviewed is not the one running"


_STALENESS = {"evaluate": _evaluate, "develop": _develop, "package": _package, "deploy": _deploy,
              "monitor": _monitor}


def _report_json(tracker: Tracker, run_id: str, name: str) -> Any:
    """A report's raw JSON as the run logged it (None when it logged none)."""
    text = tracker.reader.read_artifact(run_id, f"reports/{name}.json")
    try:
        return None if text is None else json.loads(text)
    except ValueError:  # unreadable: no alerts can be read from it
        return None


# -- the run store ----------------------------------------------------------------------------------
def collect_evidence(project: Project, tracker: Tracker) -> Evidence:
    """Read the chosen model and the pipeline steps once, for one status computation."""
    return Evidence(project=project, tracker=tracker, chosen=tracker.chosen_model(), steps=pipeline_steps(project))


def pipeline_steps(project: Project) -> dict[str, PipelineStep]:
    """The newest failed, interrupted or running step of each phase in the run store."""
    if not (project.state_dir / "runs.db").is_file():
        return {}
    from workbench.pipelines.store import RunStore

    found: dict[str, PipelineStep] = {}
    phases: dict[str, str | None] = {}
    for record in RunStore(project).list_runs(limit=RECENT_PIPELINE_RUNS):
        for step in record.steps:
            if step.status not in (*FAILED_STEPS, "running"):
                continue
            if step.notebook not in phases:
                phases[step.notebook] = _notebook_phase(project, step.notebook)
            phase = phases[step.notebook]
            candidate = PipelineStep(record.pipeline, record.run_id, step.name, step.status,
                                     _epoch(step.started), _epoch(step.ended), step.error)
            if phase and (phase not in found or (candidate.started or 0) > (found[phase].started or 0)):
                found[phase] = candidate
    return found


def _notebook_phase(project: Project, notebook: str) -> str | None:
    """The phase a step's notebook is tagged with; else the phase whose notebook has its name."""
    from workbench.exceptions import PipelineError
    from workbench.notebooks import notebook_phase
    from workbench.phases import PHASES

    try:
        tagged = notebook_phase(project.root / notebook)
    except PipelineError:
        tagged = None
    return tagged or next((p.name for p in PHASES if Path(notebook).name == p.notebook), None)


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        stamp = dt.datetime.fromisoformat(iso)
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).timestamp()


def _first_line(text: str) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line[:240] + ("…" if len(line) > 240 else "")


def phase_base(phase: Phase) -> dict[str, Any]:
    """The fields every PhaseStatus of ``phase`` carries."""
    return {"phase": phase.name, "number": phase.number, "title": phase.title, "notebook": phase.notebook_path}

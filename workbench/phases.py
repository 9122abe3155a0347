"""The six phases of the lifecycle, and the project's status computed from its tracked runs.

Status is never stored by hand: each phase's state comes from its newest MLflow run and the
gate verdicts logged with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from workbench.exceptions import ParameterError
from workbench.reports.base import jsonable

if TYPE_CHECKING:
    from workbench.project import Project
    from workbench.tracking import Tracker

__all__ = ["PHASES", "Phase", "PhaseStatus", "ProjectStatus", "phase_named", "project_status"]


@dataclasses.dataclass(frozen=True)
class Phase:
    """One phase: its name, its notebook and what it is for."""

    name: str
    number: int
    title: str
    notebook: str
    purpose: str

    @property
    def notebook_path(self) -> str:
        return f"notebooks/{self.notebook}"


PHASES: tuple[Phase, ...] = (
    Phase("explore", 1, "Explore", "01_explore.ipynb", "Profile the data, infer and validate its schema, fingerprint it."),
    Phase("evaluate", 2, "Evaluate", "02_evaluate.ipynb", "Train; review metrics against a baseline, fairness and SHAP; gate."),
    Phase("develop", 3, "Develop", "03_develop.ipynb", "Wrap the model in a robust inference pipeline and attack it."),
    Phase("package", 4, "Package", "04_package.ipynb", "Bundle the model with pinned environment, schema, lineage and card."),
    Phase("deploy", 5, "Deploy", "05_deploy.ipynb", "Serve in batch and as a REST service; promote and roll back."),
    Phase("monitor", 6, "Monitor", "06_monitor.ipynb", "Review drift, performance and service health; alert; retrain."),
)

# Run states, in the order a phase moves through them.
NOT_RUN, RUNNING, FAILED, GATES_FAILED, DONE, PASSED = "not run", "running", "failed", "gates failed", "done", "passed"


def phase_named(name: str) -> Phase:
    """The phase called ``name``; an error lists the phases when there is none."""
    for phase in PHASES:
        if phase.name == name:
            return phase
    raise ParameterError(
        f"Unknown phase {name!r}.", name="phase", value=name, hint=f"Phases: {', '.join(p.name for p in PHASES)}."
    )


@dataclasses.dataclass(frozen=True)
class PhaseStatus:
    """The state of one phase, from its newest run."""

    phase: str
    number: int
    title: str
    notebook: str
    state: str
    run_id: str | None = None
    finished_at: str | None = None
    gates: tuple[dict[str, Any], ...] = ()
    metrics: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state in (PASSED, DONE)


@dataclasses.dataclass(frozen=True)
class ProjectStatus:
    """The lifecycle status of a project, with the next step to take."""

    project: str
    tracking_uri: str
    phases: tuple[PhaseStatus, ...]
    next_step: str

    def to_dict(self) -> dict[str, Any]:
        return dict(jsonable(self))

    def to_text(self) -> str:
        """A table for terminals."""
        lines = [f"Project {self.project}  (tracking: {self.tracking_uri})", ""]
        for p in self.phases:
            when = f"  last run {p.finished_at}" if p.finished_at else ""
            lines.append(f"{p.number}. {p.title:<9} {p.state.upper():<13} {p.notebook}{when}")
            for gate in p.gates:
                lines.append(f"     {'PASS' if gate['passed'] else 'FAIL'}  {gate['reason']}")
        lines += ["", f"Next: {self.next_step}"]
        return "\n".join(lines)


def project_status(project: Project, tracker: Tracker | None = None) -> ProjectStatus:
    """Compute the project's status from its newest run per phase."""
    from workbench.tracking import Tracker

    tracker = tracker or Tracker(project)
    phases = tuple(_phase_status(phase, tracker) for phase in PHASES)
    return ProjectStatus(
        project=project.name, tracking_uri=tracker.uri, phases=phases, next_step=_next_step(phases)
    )


def _phase_status(phase: Phase, tracker: Tracker) -> PhaseStatus:
    run = tracker.latest_run(phase.name)
    base: dict[str, Any] = {
        "phase": phase.name, "number": phase.number, "title": phase.title, "notebook": phase.notebook_path,
    }
    if run is None:
        return PhaseStatus(state=NOT_RUN, **base)
    gates = tracker.load_gates(run.run_id) if run.status == "FINISHED" else None
    state = {"RUNNING": RUNNING, "SCHEDULED": RUNNING, "FAILED": FAILED, "KILLED": FAILED}.get(run.status)
    if state is None:
        state = DONE if gates is None else (PASSED if gates.passed else GATES_FAILED)
    finished = dt.datetime.fromtimestamp(run.end_time, dt.UTC).isoformat(timespec="seconds") if run.end_time else None
    results = tuple(dataclasses.asdict(r) for r in gates.results) if gates else ()
    return PhaseStatus(state=state, run_id=run.run_id, finished_at=finished, gates=results, metrics=dict(run.metrics), **base)


def _next_step(phases: tuple[PhaseStatus, ...]) -> str:
    for p in phases:
        if p.state == NOT_RUN:
            return f"Run {p.notebook} (or `workbench demo` for the whole lifecycle)."
        if p.state == RUNNING:
            return f"Wait for the running {p.title} run to finish."
        if p.state == FAILED:
            return f"{p.title} failed: open its executed notebook, fix the error and run {p.notebook} again."
        if p.state == GATES_FAILED:
            reasons = "; ".join(g["reason"] for g in p.gates if not g["passed"])
            return f"{p.title} gates failed ({reasons}): improve the model or data, then run {p.notebook} again."
    return "Every phase has passed. Keep monitoring: `workbench monitor` on a schedule."

"""The six phases of the lifecycle, and the project's status computed from its tracked runs.

Status is never stored by hand: each phase's state comes from its newest MLflow run and the
gate verdicts logged with it, the pipeline steps recorded in the run store, the model chosen
to move on (:mod:`workbench.selection`) and Monitor's alerts (:mod:`workbench._status`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from workbench.exceptions import ParameterError
from workbench.reports.base import jsonable

if TYPE_CHECKING:
    from workbench._status import Evidence
    from workbench.project import Project
    from workbench.selection import ChosenModel
    from workbench.tracking import RunInfo, Tracker

__all__ = ["ALERTS", "PHASES", "STALE", "Phase", "PhaseStatus", "ProjectStatus", "phase_named", "project_status"]


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

# Run states, in the order a phase moves through them; STALE: its run used inputs that have
# changed since (another chosen model, other data); ALERTS: Monitor's latest review fired alerts.
NOT_RUN, RUNNING, FAILED, GATES_FAILED, DONE, PASSED = "not run", "running", "failed", "gates failed", "done", "passed"
STALE, ALERTS = "stale", "alerts fired"
OK_STATES = (PASSED, DONE)
_MLFLOW_STATES = {"RUNNING": RUNNING, "SCHEDULED": RUNNING, "FAILED": FAILED, "KILLED": FAILED}


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
    """The state of one phase, from its newest run, the pipeline steps and its inputs.

    ``reason`` says why a phase is failed, stale, alerting or (Evaluate) without a chosen
    model; ``model_uri`` is the model its run used or logged.
    """

    phase: str
    number: int
    title: str
    notebook: str
    state: str
    run_id: str | None = None
    finished_at: str | None = None
    gates: tuple[dict[str, Any], ...] = ()
    metrics: dict[str, float] = dataclasses.field(default_factory=dict)
    reason: str | None = None
    model_uri: str | None = None

    @property
    def ok(self) -> bool:
        return self.state in OK_STATES


@dataclasses.dataclass(frozen=True)
class ProjectStatus:
    """The lifecycle status of a project: each phase, the chosen model, the next step to take."""

    project: str
    tracking_uri: str
    phases: tuple[PhaseStatus, ...]
    next_step: str
    chosen_model: ChosenModel | None = None

    @property
    def ok(self) -> bool:
        """Every phase passed (or ran without gates), none stale, no alert fired."""
        return all(p.ok for p in self.phases)

    def phase(self, name: str) -> PhaseStatus:
        return next(p for p in self.phases if p.phase == phase_named(name).name)

    def to_dict(self) -> dict[str, Any]:
        data = dict(jsonable(self))
        data["chosen_model"] = self.chosen_model.to_dict() if self.chosen_model else None
        return data

    def to_text(self) -> str:
        """A table for terminals."""
        from workbench.selection import choice_summary

        lines = [f"Project {self.project}  (tracking: {self.tracking_uri})",
                 f"Chosen model: {choice_summary(self.chosen_model)}", ""]
        for p in self.phases:
            when = f"  last run {p.finished_at}" if p.finished_at else ""
            lines.append(f"{p.number}. {p.title:<9} {p.state.upper():<13} {p.notebook}{when}")
            if p.reason:
                lines.append(f"     {p.reason}")
            for gate in p.gates:
                lines.append(f"     {'PASS' if gate['passed'] else 'FAIL'}  {gate['reason']}")
        lines += ["", f"Next: {self.next_step}"]
        return "\n".join(lines)


def project_status(project: Project, tracker: Tracker | None = None) -> ProjectStatus:
    """The project's status, judged the same way for every surface that shows it.

    Each phase's state comes from its newest MLflow run and gates, overridden by a newer failed
    or running pipeline step (FAILED, RUNNING), then by changed inputs (STALE: another chosen
    model than the one Develop checked, Package packaged or Deploy serves; other data than
    Evaluate trained on; a newer deployment than Monitor reviewed) and, for Monitor, by the
    alerts its latest review fired. ``workbench status``, the JupyterLab panel, the model card
    and the stakeholder view all call this function.

    Examples
    --------
    >>> status = project_status(project)  # doctest: +SKIP
    >>> status.phase("package").state, status.phase("package").reason  # doctest: +SKIP
    ('stale', "it packaged the model of run 0a1b…, but the chosen model is now the model of run 9f8e…")
    """
    from workbench._status import collect_evidence
    from workbench.tracking import Tracker

    tracker = tracker or Tracker(project, read_only=True)
    evidence = collect_evidence(project, tracker)
    phases = tuple(_phase_status(phase, evidence) for phase in PHASES)
    return ProjectStatus(project=project.name, tracking_uri=tracker.uri, phases=phases,
                         next_step=_next_step(phases, evidence.chosen), chosen_model=evidence.chosen)


def _phase_status(phase: Phase, evidence: Evidence) -> PhaseStatus:
    from workbench._status import phase_base

    base = phase_base(phase)
    run = evidence.latest(phase.name)
    step = evidence.steps.get(phase.name)
    if step is not None and step.overrides(run):
        return PhaseStatus(state=RUNNING if step.status == "running" else FAILED, reason=step.describe(),
                           run_id=run.run_id if run else None, **base)
    if run is None:
        return PhaseStatus(state=NOT_RUN, reason=_not_run_reason(phase, evidence), **base)
    failed = _MLFLOW_STATES.get(run.status)
    gates = evidence.tracker.load_gates(run.run_id) if failed is None else None
    state = failed or (DONE if gates is None else PASSED if gates.passed else GATES_FAILED)
    reason = None
    if state in (*OK_STATES, GATES_FAILED):
        reason = evidence.stale_reason(phase.name, run)
        state = STALE if reason else state
    if phase.name == "monitor" and state in OK_STATES:
        fired = evidence.alerts(run)
        if fired:
            state, reason = ALERTS, _alerts_reason(fired)
    finished = dt.datetime.fromtimestamp(run.end_time, dt.UTC).isoformat(timespec="seconds") if run.end_time else None
    results = tuple(dataclasses.asdict(r) for r in gates.results) if gates else ()
    return PhaseStatus(state=state, run_id=run.run_id, finished_at=finished, gates=results,
                       metrics=dict(run.metrics), reason=reason, model_uri=_model_uri(phase, run), **base)


def _model_uri(phase: Phase, run: RunInfo) -> str | None:
    """The model the run used (its ``model_uri`` parameter) or logged (Evaluate)."""
    if phase.name == "evaluate":
        return f"runs:/{run.run_id}/model" if run.tags.get("workbench.model") == "model" else None
    return run.params.get("model_uri") or None


def _not_run_reason(phase: Phase, evidence: Evidence) -> str | None:
    if phase.name == "evaluate" and evidence.side_experiments():
        return (f"only side experiments so far ({evidence.side_experiments()} Evaluate run(s) logged with "
                "select_model = False): no model is chosen")
    return None


def _alerts_reason(fired: list[dict[str, Any]]) -> str:
    names = list(dict.fromkeys(str(a.get("rule") or a.get("metric") or "alert") for a in fired))
    return f"its latest review fired {len(fired)} alert(s): {', '.join(names)}"


def _next_step(phases: tuple[PhaseStatus, ...], chosen: ChosenModel | None) -> str:
    """The one thing to do next, in plain words (no markup: every surface shows it as text)."""
    for p in phases:
        if p.state == NOT_RUN and p.phase == "evaluate" and p.reason:
            return (f"No Evaluate model is chosen ({p.reason}). Choose one with workbench select RUN_ID, or "
                    f"run {p.notebook} with select_model = True.")
        if p.state == NOT_RUN:
            return f"Run {p.notebook} (or workbench run lifecycle for every phase in order)."
        if p.state == RUNNING:
            return f"Wait for the running {p.title} run to finish."
        if p.state == FAILED:
            why = f" ({p.reason})" if p.reason else ""
            return f"{p.title} failed{why}: open its executed notebook, fix the error and run {p.notebook} again."
        if p.state == GATES_FAILED:
            reasons = "; ".join(g["reason"] for g in p.gates if not g["passed"])
            return f"{p.title} gates failed ({reasons}): improve the model or data, then run {p.notebook} again."
        if p.state == STALE:
            return f"{p.title} is stale: {p.reason}. Run {p.notebook} again."
        if p.state == ALERTS:
            return (f"Monitor: {p.reason}. Read the review in {p.notebook}, then retrain (workbench run retrain) "
                    "or, if the alerts are expected, adjust the [[alerts]] rules.")
    return "Every phase has passed. Keep monitoring: run workbench monitor on a schedule."

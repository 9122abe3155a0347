"""What the stakeholder page says, gathered once: the version in production, four answers, what
changed since the previous version, and who approved and promoted it.

The page describes the version the ``champion`` alias points at (the one production serves): its
metrics, fairness and explanation are the ones its own Evaluate run logged, judged with the gates
logged with that run. A ``challenger`` is named separately. Before anything is in production the
page describes the chosen model's latest reviews, and says so. Production's answer comes from
Monitor's latest review and the Monitor phase's state (:func:`workbench.phases.project_status`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import TYPE_CHECKING, Any, Self

from workbench.stakeholder.answers import (
    Answer,
    accuracy_answer,
    drivers_answer,
    fairness_answer,
    human,
    production_answer,
)

if TYPE_CHECKING:
    from workbench.project import Project
    from workbench.reports.gates import GateReport

__all__ = ["StakeholderView", "stakeholder_view"]

REVIEWED = ("metrics", "fairness", "explanation")


@dataclasses.dataclass(frozen=True, kw_only=True)
class StakeholderView:
    """The stakeholder page's content: plain sentences and the reports its details fold away.

    ``champion`` / ``challenger`` are registered version numbers (None: no such alias);
    ``reports`` holds the reviews of the version described (``metrics``, ``fairness``,
    ``explanation``) and the project's latest ``monitor`` and ``drift`` reviews (None: missing).
    """

    model: str
    task: str
    champion: str | None
    challenger: str | None
    answers: tuple[Answer, ...]
    changes: tuple[str, ...]
    sign_off: tuple[str, ...]
    described: str
    reports: dict[str, Any] = dataclasses.field(default_factory=dict)
    gates: GateReport | None = None

    def answer(self, key: str) -> Answer:
        return next(a for a in self.answers if a.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "task": self.task, "champion": self.champion, "challenger": self.challenger,
            "answers": [a.to_dict() for a in self.answers], "changes": list(self.changes),
            "sign_off": list(self.sign_off), "described": self.described,
            "reports": {k: None if r is None else r.to_dict() for k, r in self.reports.items()},
            "gates": None if self.gates is None else self.gates.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        from workbench.reports.base import load_report
        from workbench.reports.gates import GateReport

        return cls(
            model=data["model"], task=data["task"], champion=data["champion"], challenger=data["challenger"],
            answers=tuple(Answer.from_dict(a) for a in data["answers"]), changes=tuple(data["changes"]),
            sign_off=tuple(data["sign_off"]), described=data["described"],
            reports={k: None if r is None else load_report(r) for k, r in data.get("reports", {}).items()},
            gates=None if data.get("gates") is None else GateReport.from_dict(data["gates"]),
        )


def stakeholder_view(project: Project, *, version: str | int | None = None) -> StakeholderView:
    """Gather the stakeholder page of ``project`` (reads logged reports and records; computes nothing).

    Parameters
    ----------
    project : Project
        The project whose registry, reports and records are read.
    version : version, alias or ``models:/`` URI, optional
        The registered version to describe; by default the ``champion`` (the one in production).

    Examples
    --------
    >>> view = stakeholder_view(project)  # doctest: +SKIP
    >>> [(a.question, a.light) for a in view.answers]  # doctest: +SKIP
    [('Is it accurate enough?', 'green'), ('Is it fair?', 'amber'), ...]
    """
    from workbench.stakeholder.pack import (
        Unreadable,
        load_latest_reports,
        resolve_version,
        run_reports,
    )
    from workbench.tracking import Tracker

    tracker = Tracker(project)
    name = project.config.model_name
    champion, challenger = _alias(tracker, name, "champion"), _alias(tracker, name, "challenger")
    latest = {k: (None if isinstance(r, Unreadable) else r) for k, r in load_latest_reports(project).items()}
    chosen = champion if version is None else resolve_version(project, version)
    run_id = _version_run(tracker, name, chosen) if chosen else ""
    if run_id:
        own = run_reports(tracker, run_id, REVIEWED)
        gates = _gates(tracker, run_id)
    else:
        own = {k: latest[k] for k in REVIEWED}
        gates = _latest_evaluate_gates(tracker)
    described = _described(chosen, champion, reviewed=bool(run_id))
    reports: dict[str, Any] = {**own, "monitor": latest["monitor"], "drift": latest["drift"]}
    monitor_state = _monitor_state(project, tracker)
    answers = (
        accuracy_answer(reports["metrics"], gates),
        fairness_answer(reports["fairness"], gates),
        drivers_answer(reports["explanation"], gates, sensitive=tuple(project.config.data.sensitive or ())),
        production_answer(reports["monitor"], state=monitor_state),
    )
    return StakeholderView(
        model=name, task=project.config.data.task, champion=champion,
        challenger=challenger if challenger != champion else None, answers=answers,
        changes=tuple(_changes(project, chosen)), sign_off=tuple(_sign_off(project, chosen, champion)),
        described=described, reports=reports, gates=gates,
    )


def _described(chosen: str | None, champion: str | None, *, reviewed: bool) -> str:
    """Which version the page describes, in words."""
    if chosen is None:
        return "Nothing is in production yet: this describes the latest reviewed model"
    where = ("the version in production" if chosen == champion
             else "not the version in production" + (f" (version {champion} is)" if champion else ""))
    unreviewed = "" if reviewed else "; it was registered outside a reviewed run, so the latest reviews are shown"
    return f"Version {chosen}, {where}{unreviewed}"


def _alias(tracker: Any, name: str, alias: str) -> str | None:
    try:
        return str(tracker.client.get_model_version_by_alias(name, alias).version)
    except Exception:  # no registered model, or no such alias: nothing to describe under it
        return None


def _version_run(tracker: Any, name: str, version: str) -> str:
    try:
        return str(tracker.client.get_model_version(name, version).run_id or "")
    except Exception:  # a version deleted since the alias moved: describe the latest reviews
        return ""


def _gates(tracker: Any, run_id: str) -> GateReport | None:
    try:
        return tracker.load_gates(run_id)
    except Exception:  # unreadable gates count as not recorded: the answers say "not checked"
        return None


def _latest_evaluate_gates(tracker: Any) -> GateReport | None:
    run = tracker.latest_run("evaluate")
    return _gates(tracker, run.run_id) if run is not None else None


def _monitor_state(project: Project, tracker: Any) -> str | None:
    """The Monitor phase's state (stale, alerts fired ...), None when the status cannot be read."""
    from workbench.phases import project_status

    try:
        return project_status(project, tracker).phase("monitor").state
    except Exception:  # the tracking store is unreadable: the review itself still answers
        return None


# -- what changed since the previous version -------------------------------------------------------------
def previous_version(project: Project, champion: str) -> str | None:
    """The version production served before ``champion``: from the promotion history, else the
    highest registered version below it."""
    from workbench.deploy import alias_history

    moves = [e for e in alias_history(project) if e.get("alias") == "champion" and str(e.get("version")) == champion
             and e.get("previous") not in (None, champion)]
    if moves:
        return str(moves[-1]["previous"])
    return str(int(champion) - 1) if champion.isdigit() and int(champion) > 1 else None


def _changes(project: Project, champion: str | None) -> list[str]:
    from workbench.exceptions import WorkbenchError
    from workbench.stakeholder.compare import compare

    if champion is None:
        return ["Nothing is in production yet, so there is no earlier version to compare with."]
    previous = previous_version(project, champion)
    if previous is None:
        return [f"Version {champion} is the first version in production: there is no earlier one to compare with."]
    try:
        result = compare(project, previous, champion)
    except WorkbenchError:
        return [f"Version {previous}, the one before, can no longer be read: nothing to compare with."]
    return [f"Compared with version {previous}, the version before it:", *change_sentences(result, project.config.data.task)]


def change_sentences(result: Any, task: str) -> list[str]:
    """Plain sentences for a :class:`~workbench.stakeholder.compare.Comparison` (older ``v1``, newer ``v2``)."""
    from workbench.evaluate.metrics import metric_label
    from workbench.tasks import task_named

    metric = task_named(task).primary_metric
    rows = {r["item"]: r for r in result.sections["metrics"]}
    out = []
    row = rows.get(metric)
    if row and isinstance(row["change"], float) and math.isfinite(row["change"]):
        out.append(f"{metric_label(task, metric)} went from {row['v1']:.3g} to {row['v2']:.3g}.")
    else:
        out.append(f"{metric_label(task, metric)}: no figure to compare (one of the versions was not evaluated).")
    drivers = [r["item"] for r in result.sections["explanation"]]
    old = [r["item"] for r in sorted(result.sections["explanation"], key=lambda r: -_number(r["v1"]))[:3]]
    new = [r["item"] for r in sorted(result.sections["explanation"], key=lambda r: -_number(r["v2"]))[:3]]
    if drivers and old != new:
        out.append(f"Its top drivers are now {', '.join(map(human, new))} (before: {', '.join(map(human, old))}).")
    elif drivers:
        out.append(f"Its top drivers are unchanged: {', '.join(map(human, new))}.")
    changed = result.data_changed()
    if changed is not None:
        out.append("It was trained on new data." if changed else "It was trained on the same data.")
    return out


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else -math.inf


# -- who approved and promoted it ----------------------------------------------------------------------
def _sign_off(project: Project, chosen: str | None, champion: str | None) -> list[str]:
    if chosen is not None and chosen != champion:
        return [f"Version {chosen} is not in production: it was not promoted.", *_approval_sentences(project)]
    return [*_promotion_sentences(project, chosen), *_approval_sentences(project)]


def _promotion_sentences(project: Project, champion: str | None) -> list[str]:
    from workbench.deploy import alias_history

    if champion is None:
        return ["No version has been promoted to production yet."]
    moves = [e for e in alias_history(project) if e.get("alias") == "champion" and str(e.get("version")) == champion]
    if not moves:
        return [f"Version {champion} serves production; no promotion of it was recorded."]
    move = moves[-1]
    verb = "Put back into production (a rollback)" if move.get("action") == "rollback" else "Promoted to production"
    reason = str(move.get("reason") or "").strip()
    why = f" (reason: {reason})" if reason else ""
    sentence = f"{verb} by {move.get('user') or 'an unrecorded user'} on {_when(move.get('time'))}{why}."
    if move.get("forced"):
        sentence += " The promotion overrode failed release checks."
    return [sentence]


_APPROVAL_WORDS = {"none": "never approved", "changed": "edited since its approval", "missing": "notebook missing",
                   "unreadable": "notebook unreadable"}


def _approval_sentences(project: Project) -> list[str]:
    from workbench.phases import PHASES
    from workbench.pipelines import approval_states

    titles = {p.notebook_path: p.title for p in PHASES}
    # (approver, day) -> the steps they approved that day: one sentence each, not one per step
    by_person: dict[tuple[str, str], list[str]] = {}
    unapproved = []
    for state in approval_states(project):
        title = titles.get(state.notebook)
        if title is None:
            continue
        if state.state == "approved" and state.approved_by:
            by_person.setdefault((state.approved_by, _day(state.approved_at)), []).append(title)
        else:
            unapproved.append(f"{title} ({_APPROVAL_WORDS.get(state.state, state.state)})")
    if not by_person:
        return ["No step of the lifecycle has been approved yet."]
    out = [f"{_listing(steps)} {'was' if len(steps) == 1 else 'were'} approved by {person} on {day}."
           for (person, day), steps in by_person.items()]
    if unapproved:
        out.append(f"Not approved as they stand: {', '.join(unapproved)}.")
    return out


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _day(iso: Any) -> str:
    """``2026-12-07T11:40:00+00:00`` -> ``7 Dec 2026``."""
    return _when(iso).split(",")[0]


def _when(iso: Any) -> str:
    """``2026-12-07T11:40:00+00:00`` -> ``7 Dec 2026, 11:40 UTC``."""
    try:
        moment = dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso or "an unrecorded date")
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


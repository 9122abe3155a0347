"""The model card: what the model is for, what it was trained on, how well and how fairly it does.

Built from the Evaluate reports (metrics, fairness, explanation) logged with the model's run;
the latest copies under ``.workbench/reports/`` are never used (they may describe another model).
Nothing is recomputed. The card is a report (HTML and JSON renderings) with a Markdown rendering of its
own (:meth:`ModelCard.to_markdown`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

from workbench.reports.base import Report

if TYPE_CHECKING:
    from workbench.project import Project
    from workbench.tracking import Tracker

__all__ = ["CARD_REPORTS", "ModelCard", "build_model_card", "load_card_reports"]

CARD_REPORTS = ("metrics", "fairness", "explanation")
TOP_DRIVERS = 8
NOT_LOGGED = "not logged"
SUMMARY_KEYS = ("name", "version", "intended_use", "metrics", "fairness", "top_drivers", "limitations")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModelCard(Report):
    """A model card. Its JSON holds ``name, version, intended_use, metrics, fairness,
    top_drivers, limitations`` at the top level (what the stakeholder view reads)."""

    kind = "model_card"
    title = "Model card"
    name: str
    version: str | None
    model_uri: str
    model_type: str
    task: str
    intended_use: str
    data: dict[str, Any]
    metrics: dict[str, dict[str, float | None]]
    baseline: dict[str, float | None]
    confidence: float | None
    fairness: dict[str, Any]
    top_drivers: list[dict[str, Any]]
    limitations: list[str]
    gates: list[dict[str, Any]]
    lineage: dict[str, Any]
    sources: dict[str, str]
    classes: list[Any] | None = None  # the model's class labels (None: a regressor, or not recorded)
    # The lifecycle status when the card was made (workbench.phases.project_status): which model
    # was chosen, and the state of the phases before Package.
    lifecycle: dict[str, Any] = dataclasses.field(default_factory=dict)

    def summary(self) -> str:
        version = f" v{self.version}" if self.version else ""
        lead = next(iter(self.metrics.items()), None)  # the task's primary metric first (build_model_card)
        perf = f": {lead[0]} {_num(lead[1]['value'])}" if lead else ""
        return f"Model card of {self.name}{version} ({self.model_type}, {_task_title(self.task)}){perf}"

    def to_html(self, *, full_page: bool = True, plotlyjs: str = "none") -> str:
        """Static HTML; the card has no figures, so no plotly.js is embedded by default."""
        return super().to_html(full_page=full_page, plotlyjs=plotlyjs)

    def summary_dict(self) -> dict[str, Any]:
        """The stakeholder summary: ``name, version, intended_use, metrics, fairness, top_drivers, limitations``."""
        data = self.to_dict()
        return {key: data[key] for key in SUMMARY_KEYS}

    def to_markdown(self) -> str:
        """The card as Markdown (GitHub tables)."""
        from workbench.package._card_markdown import card_markdown

        return card_markdown(self)


def load_card_reports(tracker: Tracker, run_id: str) -> tuple[dict[str, Report | None], dict[str, str]]:
    """The Evaluate reports the packaged run logged, and where each came from.

    Only the run's own reports are used: the latest copies under ``.workbench/reports`` carry no
    run id and may describe another model, so a report the run did not log is ``"not logged"``
    (and the ``card_reports`` package gate fails).
    """
    found: dict[str, Report | None] = {}
    sources: dict[str, str] = {}
    for name in CARD_REPORTS:
        try:
            found[name] = tracker.load_report(run_id, name)
            sources[name] = f"run {run_id}"
        except Exception:
            found[name] = None
            sources[name] = NOT_LOGGED
    return found, sources


def build_model_card(
    project: Project,
    *,
    reports: dict[str, Report | None],
    sources: dict[str, str],
    model_uri: str,
    model_type: str,
    version: str | None,
    lineage: dict[str, Any],
    gates: list[dict[str, Any]],
    task: str | None = None,
    classes: list[Any] | None = None,
) -> ModelCard:
    """Assemble the card from the reports, the project's configuration and the lineage.

    ``task`` is the packaged model's task (default: the project's ``[data] task``); the card
    lists that task's metrics first, its primary metric leading, and ``classes`` its classes.
    """
    from workbench.tasks import task_named

    kind = task_named(task or project.config.data.task)
    metrics_report, fairness_report, explanation = (reports.get(n) for n in CARD_REPORTS)
    metrics, baseline, confidence = _metrics(metrics_report, kind.metrics)
    fairness = _fairness(fairness_report)
    drivers = _drivers(explanation)
    config = project.config
    section = config.sections.get("package", {})
    lifecycle = lifecycle_record(project, str(lineage.get("run_id") or ""))
    return ModelCard(
        name=config.model_name,
        version=version,
        model_uri=model_uri,
        model_type=model_type,
        task=kind.name,
        classes=None if classes is None else list(classes),
        intended_use=section.get("intended_use") or config.description or "Not stated.",
        data=_data(project, lineage, metrics_report, binary=kind.name == "binary"),
        metrics=metrics,
        baseline=baseline,
        confidence=confidence,
        fairness=fairness,
        top_drivers=drivers,
        limitations=[*_limitations(project, reports, fairness, drivers), *lifecycle.pop("notes")],
        gates=gates,
        lineage={k: lineage.get(k) for k in ("run_id", "notebook", "notebook_hash", "git_commit", "params")},
        sources=sources,
        lifecycle=lifecycle,
    )


LIFECYCLE_PHASES = ("explore", "evaluate", "develop")


def lifecycle_record(project: Project, run_id: str) -> dict[str, Any]:
    """The status of the phases before Package and the chosen model, as the card records them.

    ``notes`` (popped into the card's limitations) say when the packaged model is not the
    chosen one, or when Develop did not check this very model.
    """
    from workbench.phases import project_status
    from workbench.selection import model_run_id
    from workbench.tracking import Tracker

    status = project_status(project)
    chosen = status.chosen_model
    phases = [{"phase": p.title, "state": p.state, "reason": p.reason or ""}
              for p in status.phases if p.phase in LIFECYCLE_PHASES]
    notes = []
    if chosen is not None and run_id and chosen.run_id != run_id:
        notes.append(f"This is not the chosen Evaluate model (the chosen one is the model of run {chosen.run_id}).")
    develop = status.phase("develop")
    checked = model_run_id(Tracker(project), develop.model_uri) if develop.model_uri else None
    if run_id and checked != run_id:
        last = f"its latest run checked the model of run {checked}" if checked else "no Develop run checked it"
        notes.append(f"Develop's robustness check has not run on this model ({last}).")
    elif any(not gate["passed"] for gate in develop.gates):
        failed = "; ".join(gate["reason"] for gate in develop.gates if not gate["passed"])
        notes.append(f"Develop's robustness check failed on this model: {failed}.")
    return {"chosen_model": chosen.describe() if chosen else None, "phases": phases, "notes": notes}


def _task_title(task: str) -> str:
    from workbench.tasks import TASKS

    found = TASKS.get(task)
    return found.title if found is not None else task


def _num(value: Any) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _metrics(report: Any, order: tuple[str, ...] = ()) -> tuple[dict[str, dict[str, float | None]],
                                                                 dict[str, float | None], float | None]:
    """The report's metrics with intervals, the task's metrics first in the task's order."""
    if report is None:
        return {}, {}, None
    metrics = {}
    ranked = sorted(report.metrics.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    for name, value in ranked:
        low, high = report.intervals.get(name, (None, None))
        metrics[name] = {"value": _finite(value), "low": _finite(low), "high": _finite(high)}
    baseline: dict[str, float | None] = {}
    comparison = report.comparison("baseline")
    if comparison is not None:
        baseline = {name: _finite(value) for name, value in comparison.metrics.items()}
    return metrics, baseline, report.confidence


def _fairness(report: Any) -> dict[str, Any]:
    if report is None:
        return {"groups": [], "disparities": [], "thresholds": {}}
    groups = []
    disparities = []
    for grouping in report.groupings:
        for row in grouping.rows():
            groups.append({"feature": grouping.feature, **{k: _plain(v) for k, v in row.items()}})
        for name, value in grouping.disparities.items():
            low, high = grouping.disparity_intervals.get(name, (None, None))
            limit = report.thresholds.get(name)
            disparities.append({
                "feature": grouping.feature, "disparity": name, "value": _finite(value),
                "low": _finite(low), "high": _finite(high), "limit": _finite(limit),
            })
    return {"groups": groups, "disparities": disparities, "thresholds": dict(report.thresholds),
            "min_group_size": report.min_group_size, "n_rows": report.n_rows}


def _plain(value: Any) -> Any:
    return _finite(value) if isinstance(value, float) else value


def _drivers(report: Any) -> list[dict[str, Any]]:
    if report is None:
        return []
    importance = report.importance_by_column()
    total = sum(abs(v) for v in importance.values()) or 1.0
    ranked = sorted(importance.items(), key=lambda item: abs(item[1]), reverse=True)[:TOP_DRIVERS]
    return [{"column": c, "mean_abs_shap": _finite(v), "share": _finite(abs(v) / total)} for c, v in ranked]


def _data(project: Project, lineage: dict[str, Any], metrics_report: Any, *, binary: bool) -> dict[str, Any]:
    """What the model was trained on; a positive label and share only mean something for a binary task."""
    config = project.config.data
    return {
        "dataset": project.relative_or_abs(config.path),
        "target": config.target,
        "positive_label": config.positive_label if binary else None,
        "sensitive_features": list(config.sensitive),
        "fingerprint": lineage.get("data_fingerprint"),
        "evaluated_rows": getattr(metrics_report, "n_rows", None),
        "positive_share": _finite(getattr(metrics_report, "positive_share", None)) if binary else None,
        "test_size": config.test_size,
    }


def _limitations(project: Project, reports: dict[str, Any], fairness: dict[str, Any], drivers: list[dict[str, Any]]) -> list[str]:
    section = project.config.sections.get("package", {})
    notes = list(section.get("limitations") or [])
    for name in CARD_REPORTS:
        if reports.get(name) is None:
            notes.append(f"No {name} review was logged for this model; the card has no {name} section.")
    metrics_report = reports.get("metrics")
    if metrics_report is not None:
        notes.append(
            f"Measured on {metrics_report.n_rows:,} held-out rows; intervals are "
            f"{metrics_report.confidence:.0%} bootstrap intervals ({metrics_report.n_bootstrap} resamples)."
        )
    notes += _fairness_limits(fairness, project.config.data.sensitive)
    if drivers and (drivers[0]["share"] or 0) > 0.5:
        notes.append(f"One column, {drivers[0]['column']}, carries {drivers[0]['share']:.0%} of the attribution.")
    for name in CARD_REPORTS:
        notes += [f"{name}: {w}" for w in getattr(reports.get(name), "warnings", ())]
    return notes


def _fairness_limits(fairness: dict[str, Any], sensitive: tuple[str, ...]) -> list[str]:
    notes = []
    if sensitive:
        notes.append(
            f"The sensitive features ({', '.join(sensitive)}) are not model inputs, but the model can "
            "still learn them through correlated columns; the fairness table measures the outcome."
        )
    small = [f"{g['feature']}={g['group']} ({g['rows']} rows)" for g in fairness["groups"] if not g.get("judged", True)]
    if small:
        notes.append(f"Groups too small to judge (under {fairness.get('min_group_size')} rows): {', '.join(small)}.")
    for item in fairness["disparities"]:
        if item["limit"] is not None and item["value"] is not None and item["value"] > item["limit"]:
            notes.append(
                f"{item['disparity']} for {item['feature']} is {item['value']:.3f}, above the limit {item['limit']:.3f}."
            )
    return notes

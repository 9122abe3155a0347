"""The four questions a stakeholder asks, each answered with one verdict light and one sentence.

*Is it accurate enough?* *Is it fair?* *What drives its decisions?* *Is it still working in
production?* Each answer reads the reports and gate results the lifecycle logged; nothing is
recomputed. A light agrees with the gate or alert behind it, and says so when the evidence is
inconclusive: a disparity whose estimate is above its limit while its bootstrap interval reaches
below the limit is amber ("not enough evidence"), never green.

Lights: ``green`` (yes), ``amber`` (not sure, or yes with a caveat), ``red`` (no), ``grey``
(not known yet, or not applicable).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from workbench.evaluate.explain import ExplanationReport
    from workbench.evaluate.fairness import FairnessReport
    from workbench.evaluate.metrics import MetricsReport
    from workbench.monitor.review import MonitorReport
    from workbench.reports.gates import GateReport

__all__ = [
    "LIGHTS",
    "QUESTIONS",
    "Answer",
    "accuracy_answer",
    "drivers_answer",
    "fairness_answer",
    "production_answer",
]

LIGHTS = ("green", "amber", "red", "grey")
#: key -> the question, in the order a stakeholder reads them.
QUESTIONS = {
    "accuracy": "Is it accurate enough?",
    "fairness": "Is it fair?",
    "drivers": "What drives its decisions?",
    "production": "Is it still working in production?",
}
# How much worse one light is than another, to combine several findings into one answer.
_SEVERITY = {"green": 0, "grey": 1, "amber": 2, "red": 3}

#: What each gated disparity measures, in words (the gates' own names are for engineers).
DISPARITY_WORDS = {
    "demographic_parity_difference": "gap between groups in the share of positive decisions",
    "equalized_odds_difference": "gap between groups in error rates",
    "mean_prediction_difference": "gap between groups in the average prediction",
    "mae_difference": "gap between groups in the average error",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Answer:
    """One question's answer: ``light`` (one of :data:`LIGHTS`) and one plain sentence."""

    key: str
    light: str
    sentence: str

    def __post_init__(self) -> None:
        from workbench.exceptions import ParameterError

        if self.light not in LIGHTS:
            raise ParameterError(f"Unknown verdict light {self.light!r}.", name="light", value=self.light,
                                 hint=f"Use one of: {', '.join(LIGHTS)}.")

    @property
    def question(self) -> str:
        return QUESTIONS.get(self.key, self.key)

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "light": self.light, "sentence": self.sentence}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return cls(key=str(data["key"]), light=str(data["light"]), sentence=str(data["sentence"]))


def worst(lights: Sequence[str]) -> str:
    """The most severe of ``lights`` (green when there is none)."""
    return max(lights, key=_SEVERITY.__getitem__, default="green")


# -- Is it accurate enough? ------------------------------------------------------------------------
def accuracy_answer(metrics: MetricsReport | None, gates: GateReport | None) -> Answer:
    """The task's primary metric against the simple baseline and the Evaluate gates' limits."""
    from workbench.evaluate.metrics import metric_label

    if metrics is None:
        return Answer(key="accuracy", light="grey", sentence="Not known yet: the model has not been evaluated.")
    task = metrics.task_type
    metric = task.primary_metric
    label = metric_label(task.name, metric)
    value = metrics.metrics.get(metric, math.nan)
    baseline = metrics.comparison("baseline")
    base_value = baseline.metrics.get(metric, math.nan) if baseline else math.nan
    against = f" against {_num(base_value)} for a simple baseline" if math.isfinite(base_value) else ""
    measured = f"{label} {_num(value)}{against}, on {metrics.n_rows:,} held-out rows"
    failed = [r for r in (gates.results if gates else ()) if r.name in (task.min_gate, "min_margin_over_baseline")
              and not r.passed]
    if failed:
        return Answer(key="accuracy", light="red",
                      sentence=f"No: {measured}; it misses the project's bar ({_gate_words(failed[0], label)}).")
    if gates is None or not any(r.name == task.min_gate for r in gates.results):
        return Answer(key="accuracy", light="amber",
                      sentence=f"Not checked: {measured}, but no accuracy check was recorded for this version.")
    low, _high = baseline.intervals.get(metric, (math.nan, math.nan)) if baseline else (math.nan, math.nan)
    advantage_uncertain = math.isfinite(low) and (low <= 0 if metric not in task.lower_is_better else _high >= 0)
    if advantage_uncertain:
        return Answer(key="accuracy", light="amber",
                      sentence=f"Probably: {measured}; it meets the project's bar, but its lead over the "
                               "baseline is within the margin of error.")
    return Answer(key="accuracy", light="green", sentence=f"Yes: {measured}; it meets the project's bar.")


def _gate_words(result: Any, label: str) -> str:
    if result.name == "min_margin_over_baseline":
        return f"it must beat the baseline by at least {_num(result.threshold)}, it beats it by {_num(result.value)}"
    return f"the minimum {label} is {_num(result.threshold)}"


# -- Is it fair? -------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Finding:
    """One gated disparity of one sensitive feature, judged for a stakeholder."""

    light: str
    sentence: str
    gate_failed: bool


def disparity_finding(verdict: Any, confidence: float) -> Finding | None:
    """The stakeholder's reading of a :class:`~workbench.evaluate._verdict.Verdict` (None: not judged).

    Red only when the whole interval lies above the limit (or, without an interval, the estimate
    does); amber when the estimate is above the limit but the interval reaches below it.
    """
    limit = verdict.limit
    if not verdict.gated or limit is None or not math.isfinite(verdict.estimate):
        return None
    low, high = verdict.interval
    words = f"the {DISPARITY_WORDS.get(verdict.disparity, human(verdict.disparity))} ({_subject(verdict)})"
    span = f"{confidence:.0%} range {_num(low)} to {_num(high)}" if math.isfinite(low) else ""
    gate_failed = verdict.passed is False
    if verdict.estimate <= limit:
        return Finding("green", f"{words} is {_num(verdict.estimate)}, within the limit of {_num(limit)}", gate_failed)
    if math.isfinite(low) and low <= limit:
        return Finding("amber", f"{words} is estimated at {_num(verdict.estimate)}, above the limit of "
                                f"{_num(limit)}, but its {span} reaches below the limit", gate_failed)
    shown = f" ({span})" if span else ""
    return Finding("red", f"{words} is {_num(verdict.estimate)}{shown}, above the limit of {_num(limit)}", gate_failed)


def _subject(verdict: Any) -> str:
    """Whose groups are compared: ``by age band`` (and the class, for a multiclass review)."""
    features = " and ".join(human(f) for f in str(verdict.feature).split(" & "))
    return f"by {features}" + (f", class {verdict.worst_class}" if verdict.worst_class else "")


def fairness_answer(fairness: FairnessReport | None, gates: GateReport | None) -> Answer:
    """Each gated disparity of each sensitive feature, judged as the gate judges it, plus group sizes."""
    from workbench.evaluate._verdict import disparity_verdict, evidence_mode

    if fairness is None:
        return Answer(key="fairness", light="grey", sentence="Not known yet: fairness has not been reviewed.")
    if not fairness.applicable:
        return Answer(key="fairness", light="grey",
                      sentence="Not applicable: the project names no sensitive attribute (such as sex or age) "
                               "to compare groups on.")
    mode = evidence_mode(fairness.thresholds)
    findings = [
        found for name in fairness.gated_disparities for grouping in fairness.groupings
        if (found := disparity_finding(disparity_verdict(grouping, name, limit=_limit(fairness, gates, name),
                                                         evidence=mode, sensitive=fairness.sensitive),
                                       fairness.confidence)) is not None
    ]
    small = next((r for r in (gates.results if gates else ()) if r.name == "min_group_size" and not r.passed), None)
    return _fairness_sentence(findings, small, ", ".join(fairness.sensitive))


def _limit(fairness: FairnessReport, gates: GateReport | None, name: str) -> float | None:
    """The limit stored with the report, else the one the gate recorded."""
    limit = fairness.limit(name)
    if limit is not None and math.isfinite(limit):
        return limit
    recorded = next((r for r in (gates.results if gates else ()) if r.name == f"max_{name}"), None)
    threshold = None if recorded is None else recorded.threshold
    return float(threshold) if isinstance(threshold, int | float) and not isinstance(threshold, bool) else None


def _fairness_sentence(findings: list[Finding], small: Any, features: str) -> Answer:
    if not findings:
        return Answer(key="fairness", light="amber",
                      sentence=f"Not enough evidence: no group difference could be measured against a limit "
                               f"({features}).")
    light = worst([f.light for f in findings])
    chosen = next(f for f in findings if f.light == light)
    gate = " The release check, which compares the estimate, failed." if light == "amber" and chosen.gate_failed else ""
    if light == "red":
        return Answer(key="fairness", light="red", sentence=f"No: {chosen.sentence}.")
    if light == "amber":
        return Answer(key="fairness", light="amber", sentence=f"Not enough evidence: {chosen.sentence}.{gate}")
    if small is not None:
        return Answer(key="fairness", light="amber",
                      sentence=f"Not enough evidence: some groups are too small to compare ({small.reason}).")
    return Answer(key="fairness", light="green",
                  sentence=f"Yes, within the project's limits: every measured group difference ({features}) is "
                           "below its limit.")


# -- What drives its decisions? ----------------------------------------------------------------------
def drivers_answer(explanation: ExplanationReport | None, gates: GateReport | None, *,
                   sensitive: Sequence[str] = ()) -> Answer:
    """The top three input columns by share of mean |SHAP|; amber when a sensitive column is among them."""
    if explanation is None:
        return Answer(key="drivers", light="grey", sentence="Not known yet: the model's decisions have not been explained.")
    importance = explanation.importance_by_column()
    total = sum(v for v in importance.values() if math.isfinite(v))
    if not importance or total <= 0:
        return Answer(key="drivers", light="grey", sentence="Not known: the explanation found no input that matters.")
    top = list(importance)[:3]
    listed = _listing([f"{human(c)} ({importance[c] / total:.0%})" for c in top])
    sentence = f"Mostly {listed} of the total influence."
    gate = next((r for r in (gates.results if gates else ()) if r.name == "max_top_driver_share"), None)
    if gate is not None and not gate.passed:
        return Answer(key="drivers", light="red", sentence=f"{sentence} It leans on one input more than the "
                                                           f"project allows ({_num(gate.threshold)} at most).")
    flagged = [c for c in top if c in set(sensitive)]
    if flagged:
        return Answer(key="drivers", light="amber", sentence=f"{sentence} The sensitive attribute "
                                                             f"{_listing([human(c) for c in flagged])} is among them.")
    return Answer(key="drivers", light="green", sentence=sentence)


# -- Is it still working in production? --------------------------------------------------------------
#: Alert metrics about the quality of the answers (a red light); the others (drift, service) are amber.
QUALITY_ALERTS = frozenset({
    "accuracy", "roc_auc", "auc_drop", "latest_auc_drop", "accuracy_drop", "latest_accuracy_drop", "f1_macro",
    "latest_f1_macro_drop", "mae", "rmse", "latest_mae_rise", "latest_rmse_rise",
})


def production_answer(monitor: MonitorReport | None, *, state: str | None = None) -> Answer:
    """Monitor's latest review: red when a quality alert fired, amber for drift or service alerts.

    ``state`` is the Monitor phase's (:func:`workbench.phases.project_status`):
    a stale review (of an earlier deployment) that raised no alert is amber, not green.
    """
    if monitor is None:
        return Answer(key="production", light="grey",
                      sentence="Not known yet: production has not been reviewed.")
    seen = f"the last review of {monitor.n_predictions:,} predictions"
    if monitor.alerts:
        rules = list(dict.fromkeys(alert_words(a) for a in monitor.alerts))
        quality = any(str(a.get("metric")) in QUALITY_ALERTS for a in monitor.alerts)
        count = f"{len(monitor.alerts)} alert{'s' if len(monitor.alerts) != 1 else ''}"
        lead = "No" if quality else "Under watch"
        return Answer(key="production", light="red" if quality else "amber",
                      sentence=f"{lead}: {seen} raised {count}: {_listing(rules)}.")
    if state == "stale":
        return Answer(key="production", light="amber",
                      sentence=f"Not sure: {seen} raised no alert, but it looked at an earlier deployment.")
    return Answer(key="production", light="green", sentence=f"Yes: {seen} raised no alert.")


#: What an alert on a metric means, in words (``{value}`` is the measured figure).
ALERT_WORDS = {
    "drift_share": "{percent} of the inputs drifted from the training data",
    "latest_drift_share": "{percent} of the inputs drifted in the latest period",
    "n_drifted": "{value} inputs drifted from the training data",
    "dataset_drift": "the inputs as a whole drifted from the training data",
    "top_features_drifted": "{value} of its most important inputs drifted from the training data",
    "prediction_drift": "its predictions drifted from those made on the training data",
    "accuracy": "its accuracy on labelled predictions is {value}",
    "roc_auc": "its ROC AUC on labelled predictions is {value}",
    "f1_macro": "its macro F1 on labelled predictions is {value}",
    "mae": "its average error on labelled predictions is {value}",
    "rmse": "its RMSE on labelled predictions is {value}",
    "auc_drop": "its ROC AUC fell by {value} since it was evaluated",
    "latest_auc_drop": "its ROC AUC fell by {value} in the latest period, against its evaluation",
    "accuracy_drop": "its accuracy fell by {value} since it was evaluated",
    "latest_accuracy_drop": "its accuracy fell by {value} in the latest period, against its evaluation",
    "latest_f1_macro_drop": "its macro F1 fell by {value} in the latest period, against its evaluation",
    "latest_mae_rise": "its average error rose by {percent} in the latest period, against its evaluation",
    "latest_rmse_rise": "its RMSE rose by {percent} in the latest period, against its evaluation",
    "p50_latency_ms": "answers are slow (median {value} ms)",
    "p99_latency_ms": "the slowest answers take {value} ms (99th percentile)",
    "failure_rate": "{percent} of requests failed",
    "reject_rate": "{percent} of requests were rejected as invalid",
    "requests": "the number of requests was {value}",
}


def alert_words(alert: Mapping[str, Any]) -> str:
    metric = str(alert.get("metric") or "")
    value = alert.get("value")
    template = ALERT_WORDS.get(metric)
    if template is None:  # a metric added later: its rule's own name still says which alert it is
        return f"the {human(str(alert.get('rule') or metric or 'unnamed'))} alert"
    number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    percent = f"{number:.0%}" if math.isfinite(number) else "–"
    return template.format(value=_num(int(number) if number.is_integer() else number) if math.isfinite(number)
                           else "–", percent=percent)


# -- words ---------------------------------------------------------------------------------------------
def human(name: str) -> str:
    """A column or key in words: ``debt_ratio`` -> ``debt ratio``."""
    return str(name).replace("_", " ").strip()


def _listing(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _num(value: Any) -> str:
    """A figure for a sentence: 3 significant digits, a dash when undefined."""
    if isinstance(value, bool) or value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.3g}" if math.isfinite(number) else "–"

"""The fairness review: is a group over- or under-served? Built on fairlearn's ``MetricFrame``.

For each sensitive feature, and for their intersection, a ``MetricFrame`` gives the group
sizes and the task's group metrics; its ``difference()`` / ``ratio()`` (between groups) give
the disparities, fairlearn's definitions, so each number equals fairlearn's own:

* **binary**: selection rate, true and false positive rates, precision and accuracy per group;
  demographic parity difference and ratio (of the selection rates), equalized odds difference
  (the larger of the TPR and FPR differences) and ratio (the smaller of the TPR and FPR ratios).
* **multiclass**: per class, one-vs-rest, the selection rate (that class's share of the
  group's predictions), TPR (recall) and FPR, and accuracy; demographic parity and equalized
  odds per class, one-vs-rest, and for each feature the worst class
  (``demographic_parity_difference[<feature>]`` is the largest over the classes).
* **regression**: MAE, RMSE, mean prediction and mean target per group; the gaps in mean
  prediction and in MAE between groups (``mean_prediction_difference``, ``mae_difference``
  and their ratios), in the target's units.

A metric that is undefined for a group (a TPR where the group has no positive label) is NaN
with a warning, and disparities are taken over the groups where it is defined. Groups smaller
than ``min_group_size`` are shown but too small to judge: the disparities are fairlearn's on
the rows of the other groups. A missing sensitive value forms its own group, ``(missing)``,
with a warning. Bootstrap intervals come from one shared set of row resamples. Without a
sensitive feature the review is *not applicable*: its report says why, and gates pass it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, Self

from workbench.evaluate._checks import as_array, check_same_length
from workbench.evaluate._fairness_inputs import (
    PREPARE,
    check_aligned,
    check_inferred,
    missing_warnings,
    no_sensitive,
    predictions,
    sensitive_frame,
)
from workbench.evaluate._group_tables import (
    GroupMetrics,
    build_groupings,
    grouping_from_dict,
    small_groups,
    warn_undefined,
)
from workbench.evaluate._mitigation import (
    MitigationResult,
    check_mitigation_inputs,
    compare_mitigations,
)
from workbench.evaluate._task_of import model_task, resolve_task
from workbench.evaluate._verdict import EVIDENCE_KEY, GATED_BY_TASK, absolute_limit, evidence_mode
from workbench.exceptions import DataError
from workbench.reports.base import Report
from workbench.tasks import TASKS, TaskType

__all__ = ["NOT_APPLICABLE", "FairnessReport", "GroupMetrics", "assess_fairness"]

NOT_APPLICABLE = "the project names no sensitive column ([data] sensitive)"
NO_MITIGATION = (
    "Mitigation does not apply to a {task} model: fairlearn's ThresholdOptimizer re-thresholds the "
    "probability of one positive label, so it needs a binary classifier."
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class FairnessReport(Report):
    """Group metrics and disparities for every sensitive feature and their intersection.

    ``task`` is the task reviewed (binary, multiclass, regression); ``classes`` the classes of
    a multiclass review; ``target_scale`` the standard deviation of a regression target (the
    unit of its limits). ``applicable`` is False when there was no sensitive feature to
    review; ``reason`` then says so.
    """

    kind = "fairness"
    title = "Fairness review"
    n_rows: int
    positive_label: str
    sensitive: tuple[str, ...]
    groupings: tuple[GroupMetrics, ...]
    disparities: dict[str, float]
    n_bootstrap: int
    seed: int
    confidence: float = 0.95
    min_group_size: int = 30
    mitigation: tuple[MitigationResult, ...] = ()
    mitigation_note: str = ""
    thresholds: dict[str, float | str] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    task: str = "binary"
    classes: tuple[str, ...] = ()
    target_scale: float = math.nan
    applicable: bool = True
    reason: str = ""

    @property
    def gated_disparities(self) -> tuple[str, ...]:
        """The disparities the Evaluate gate holds against limits, for this report's task."""
        return GATED_BY_TASK[self.task]

    def limit(self, disparity: str) -> float | None:
        """The limit stored with the report for ``disparity``, in the disparity's own units (None: none)."""
        value = self.thresholds.get(disparity)
        if value is None or isinstance(value, str):
            return None
        return self.absolute_limit(disparity, float(value))

    def absolute_limit(self, disparity: str, limit: float) -> float:
        """``limit`` in ``disparity``'s units: a regression limit is in standard deviations of the target."""
        scaled = absolute_limit(disparity, limit, self.target_scale)
        return math.nan if scaled is None else scaled

    def grouping(self, feature: str) -> GroupMetrics:
        """The groups of ``feature`` (a sensitive column, or ``"a & b"`` for an intersection)."""
        for grouping in self.groupings:
            if grouping.feature == feature:
                return grouping
        known = ", ".join(g.feature for g in self.groupings) or "none: the review is not applicable"
        raise DataError(f"The fairness report has no feature '{feature}' (it has: {known}).", column=feature)

    def worst(self, disparity: str) -> tuple[str, float]:
        """The single sensitive feature with the largest ``disparity`` (a difference) and its value.

        A review that is not applicable has no disparity: it answers ``("not applicable", 0.0)``,
        which a gate passes, with the note in place of the feature.
        """
        if not self.applicable:
            return ("not applicable", 0.0)
        values = {f: self.disparities.get(f"{disparity}[{f}]", math.nan) for f in self.sensitive}
        defined = {f: v for f, v in values.items() if not math.isnan(v)}
        if not defined:
            return (self.sensitive[0] if self.sensitive else "", math.nan)
        feature = max(defined, key=lambda f: defined[f])
        return feature, defined[feature]

    def judged_groups(self, min_size: int) -> dict[str, list[str]]:
        """Per single sensitive feature, its groups of at least ``min_size`` rows."""
        return {
            g.feature: [group for group, n in zip(g.groups, g.counts, strict=True) if n >= min_size]
            for g in self.groupings if g.feature in self.sensitive
        }

    def smallest_group(self) -> tuple[str, str, int]:
        """``(feature, group, rows)`` of the smallest group of any single sensitive feature."""
        found = [
            (g.feature, group, n)
            for g in self.groupings if g.feature in self.sensitive
            for group, n in zip(g.groups, g.counts, strict=True)
        ]
        if not found:
            raise DataError(f"The fairness review has no groups: it is not applicable ({self.reason}).")
        return min(found, key=lambda item: item[2])

    def summary(self) -> str:
        if not self.applicable:
            return f"Fairness: not applicable — {self.reason}"
        parts = []
        for name in self.gated_disparities:
            feature, value = self.worst(name)
            parts.append(f"largest {name.replace('_', ' ')} {value:.3g} ({feature})")
        return f"Fairness ({self.task}) over {', '.join(self.sensitive)} on {self.n_rows:,} rows: " + ", ".join(parts)

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        groupings = tuple(grouping_from_dict(g) for g in payload.pop("groupings"))
        mitigation = tuple(
            MitigationResult(strategy=m["strategy"], **_nan({k: v for k, v in m.items() if k != "strategy"}))
            for m in payload.pop("mitigation")
        )
        scale = payload.pop("target_scale", None)
        return cls(
            groupings=groupings,
            mitigation=mitigation,
            sensitive=tuple(payload.pop("sensitive")),
            warnings=tuple(payload.pop("warnings")),
            classes=tuple(payload.pop("classes", ())),
            target_scale=math.nan if scale is None else float(scale),
            disparities=_nan(payload.pop("disparities")),
            thresholds=_thresholds(payload.pop("thresholds")),
            **payload,
        )


def _nan(values: Mapping[str, Any]) -> dict[str, float]:
    return {k: math.nan if v is None else float(v) for k, v in values.items()}


def _thresholds(values: Mapping[str, Any]) -> dict[str, float | str]:
    """Limits as floats (None → NaN); the evidence mode stays a word."""
    return {k: v if k == EVIDENCE_KEY else (math.nan if v is None else float(v)) for k, v in values.items()}


def assess_fairness(
    *,
    y_true: Any,
    sensitive_features: Any = None,
    y_pred: Any = None,
    model: Any = None,
    X: Any = None,
    task: str | None = None,
    positive_label: Any = None,
    intersections: bool = True,
    n_bootstrap: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    min_group_size: int = 30,
    mitigate: bool = False,
    mitigation_data: tuple[Any, Any, Any] | None = None,
    thresholds: Mapping[str, float | str] | None = None,
) -> FairnessReport:
    """Review a model's predictions group by group, with fairlearn's ``MetricFrame``.

    Parameters
    ----------
    y_true : Series or array
        The true labels (binary or multiclass) or values (regression).
    sensitive_features : DataFrame, Series, mapping, or column name(s) of ``X``
        One column per sensitive feature, one row per evaluated row. None (or an empty
        frame) gives a report that is *not applicable* (``applicable=False``), which gates pass.
    y_pred : Series or array, optional
        Predicted labels or values; or give ``model`` and ``X`` and the model's ``predict`` is used.
    task : str, optional
        ``"binary"``, ``"multiclass"`` or ``"regression"``; by default the model's (a regressor,
        or a classifier with two or more classes), else what ``y_true``'s values imply.
    positive_label : optional
        Binary only: the favourable/positive class; the model's last class (or the larger label)
        by default.
    intersections : bool
        Also review the intersection of all sensitive features.
    n_bootstrap, seed, confidence
        Bootstrap intervals for every group metric and disparity (0 resamples for none).
    min_group_size : int
        Groups smaller than this are too small to judge: shown with their intervals and a
        warning, but left out of the disparities (0 judges every group).
    mitigate : bool
        Binary only: compare with fairlearn's ``ThresholdOptimizer`` (demographic parity,
        equalized odds), fitted on ``mitigation_data = (X, y, sensitive)`` or, if not given, on
        the evaluated rows. For another task the report carries a note instead.
    thresholds : mapping, optional
        Largest acceptable gated disparities (binary and multiclass:
        ``demographic_parity_difference``, ``equalized_odds_difference``; regression:
        ``mean_prediction_difference``, ``mae_difference``, in standard deviations of the
        target) and ``fairness_evidence`` (``"estimate"`` or ``"interval"``), shown as gate
        lights that decide as the Evaluate gate does (default: the ``[gates.evaluate]``
        defaults; a project's come from :func:`~workbench.evaluate.gates.fairness_thresholds`).

    Returns
    -------
    FairnessReport
        ``groupings`` (per-group tables) and ``disparities`` such as
        ``"demographic_parity_difference[sex]"`` or ``"mae_difference[sex]"``.

    Examples
    --------
    >>> report = wb.assess_fairness(model=model, X=split.X_test, y_true=split.y_test,
    ...                             sensitive_features=split.sensitive_test)  # doctest: +SKIP
    >>> report.disparities["equalized_odds_difference[sex]"]  # doctest: +SKIP
    """
    truth = as_array(y_true, "y_true")
    if no_sensitive(sensitive_features):
        return _not_applicable(truth, task=task, model=model, y_pred=y_pred, seed=seed, thresholds=thresholds)
    sensitive = sensitive_frame(sensitive_features, X)
    predicted = predictions(y_pred, model, X)
    n_rows = check_same_length(y_true=truth, y_pred=predicted, sensitive_features=sensitive, X=X)
    check_aligned(y_true, sensitive_features)
    kind = resolve_task(task, model=model, y=y_true, review="fairness review")
    if task is None and model_task(model) is None:
        check_inferred(kind, truth, predicted)
    prepared = PREPARE[kind.name](truth, predicted, model=model, positive_label=positive_label)
    mitigating = mitigate and kind.name == "binary"
    if mitigating:
        check_mitigation_inputs(model, X)  # before the bootstrap, not after it
    specs: list[tuple[str, ...]] = [(str(c),) for c in sensitive.columns]
    if intersections and len(specs) > 1:
        specs.append(tuple(sensitive.columns))
    groupings = build_groupings(
        prepared.review, sensitive, specs, n_bootstrap=n_bootstrap, seed=seed,
        confidence=confidence, min_group_size=min_group_size,
    )
    mitigation: tuple[MitigationResult, ...] = ()
    note = NO_MITIGATION.format(task=kind.name) if mitigate and not mitigating else ""
    if mitigating:
        mitigation, note = compare_mitigations(
            model, X, truth, sensitive, positive=prepared.positive, seed=seed, fit_data=mitigation_data
        )
    return FairnessReport(
        n_rows=n_rows,
        positive_label=prepared.positive_label,
        sensitive=tuple(sensitive.columns),
        groupings=groupings,
        disparities={f"{k}[{g.feature}]": v for g in groupings for k, v in g.disparities.items()},
        n_bootstrap=n_bootstrap,
        seed=seed,
        confidence=confidence,
        min_group_size=min_group_size,
        mitigation=mitigation,
        mitigation_note=note,
        thresholds=_checked_thresholds(thresholds, kind),
        warnings=missing_warnings(sensitive) + small_groups(groupings, min_group_size) + warn_undefined(groupings),
        task=kind.name,
        classes=prepared.classes,
        target_scale=prepared.target_scale,
    )


def _not_applicable(
    truth: Any, *, task: str | None, model: Any, y_pred: Any, seed: int, thresholds: Mapping[str, float | str] | None
) -> FairnessReport:
    """The report of a review without a sensitive feature: nothing to compare, and why."""
    try:
        kind = resolve_task(task, model=model, y=truth, review="fairness review")
    except DataError:
        if task is not None or model is not None:
            raise
        kind = TASKS["binary"]  # labels a task cannot be read from: nothing is computed from them anyway
    return FairnessReport(
        n_rows=len(truth), positive_label="", sensitive=(), groupings=(), disparities={}, n_bootstrap=0, seed=seed,
        thresholds=_checked_thresholds(thresholds, kind), task=kind.name, applicable=False, reason=NOT_APPLICABLE,
    )


def _checked_thresholds(thresholds: Mapping[str, float | str] | None, task: TaskType) -> dict[str, float | str]:
    """The given thresholds (or the ``[gates.evaluate]`` defaults of ``task``) with a known evidence mode."""
    from workbench.config import GATES

    keys = GATES["evaluate"]
    if thresholds is None:
        thresholds = {name: float(keys[f"max_{name}"].default) for name in GATED_BY_TASK[task.name]}
    out = dict(thresholds)
    out[EVIDENCE_KEY] = evidence_mode(out)
    return out


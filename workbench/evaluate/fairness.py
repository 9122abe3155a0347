"""The fairness review: is a group over- or under-served? Built on fairlearn's ``MetricFrame``.

For each sensitive feature, and for their intersection, a ``MetricFrame`` gives the group
sizes and per-group selection rate, true and false positive rates, precision and accuracy;
its ``difference()`` / ``ratio()`` (between groups) give the demographic parity difference and
ratio (of the selection rates) and the equalized odds difference (the larger of the TPR and
FPR differences) and ratio (the smaller of the TPR and FPR ratios): fairlearn's definitions,
so each number equals fairlearn's own. A metric that is undefined for a group (a TPR where the
group has no positive label) is NaN with a warning, and disparities are taken over the groups
where it is defined. Groups smaller than ``min_group_size`` are shown but too small to judge:
the disparities are fairlearn's on the rows of the other groups. Bootstrap intervals come
from one shared set of row resamples.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from workbench.evaluate._bootstrap import interval
from workbench.evaluate._checks import as_array, check_classification_target, check_same_length
from workbench.evaluate._fairness_inputs import (
    check_aligned,
    positive_label_of,
    predictions,
    sensitive_frame,
)
from workbench.evaluate._groups import (
    DISPARITIES,
    GROUP_METRICS,
    bootstrap_groups,
    disparities_of,
    disparity_samples,
    group_codes,
    metric_frame,
)
from workbench.evaluate._mitigation import (
    MitigationResult,
    check_mitigation_inputs,
    compare_mitigations,
)
from workbench.evaluate._verdict import EVIDENCE_KEY, GATED_DISPARITIES, evidence_mode
from workbench.exceptions import DataError, WorkbenchWarning
from workbench.reports.base import Report

__all__ = ["FairnessReport", "GroupMetrics", "assess_fairness"]

JOIN = " & "


@dataclasses.dataclass(frozen=True, kw_only=True)
class GroupMetrics:
    """The groups of one sensitive feature (or an intersection): sizes, metrics, disparities.

    ``metrics[name][i]`` is the metric of ``groups[i]``; ``intervals[name][i]`` its interval.
    ``judged[i]`` is False for a group too small to judge: it is shown, but left out of the
    disparities.
    """

    feature: str
    columns: tuple[str, ...]
    groups: tuple[str, ...]
    counts: tuple[int, ...]
    positives: tuple[int, ...]
    judged: tuple[bool, ...]
    metrics: dict[str, tuple[float, ...]]
    intervals: dict[str, tuple[tuple[float, float], ...]]
    overall: dict[str, float]
    disparities: dict[str, float]
    disparity_intervals: dict[str, tuple[float, float]]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per group: group, rows, positives and each metric."""
        return [
            {"group": g, "rows": n, "positives": p, "judged": j, **{m: v[i] for m, v in self.metrics.items()}}
            for i, (g, n, p, j) in enumerate(zip(self.groups, self.counts, self.positives, self.judged, strict=True))
        ]


@dataclasses.dataclass(frozen=True, kw_only=True)
class FairnessReport(Report):
    """Group metrics and disparities for every sensitive feature and their intersection."""

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

    def grouping(self, feature: str) -> GroupMetrics:
        """The groups of ``feature`` (a sensitive column, or ``"a & b"`` for an intersection)."""
        for grouping in self.groupings:
            if grouping.feature == feature:
                return grouping
        known = ", ".join(g.feature for g in self.groupings)
        raise DataError(f"The fairness report has no feature '{feature}' (it has: {known}).", column=feature)

    def worst(self, disparity: str) -> tuple[str, float]:
        """The single sensitive feature with the largest ``disparity`` (a difference) and its value."""
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
        return min(found, key=lambda item: item[2])

    def summary(self) -> str:
        feature, value = self.worst("demographic_parity_difference")
        _, eo = self.worst("equalized_odds_difference")
        return (
            f"Fairness over {', '.join(self.sensitive)} on {self.n_rows:,} rows: largest demographic parity "
            f"difference {value:.3f} ({feature}), largest equalized odds difference {eo:.3f}"
        )

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        groupings = tuple(_grouping_from_dict(g) for g in payload.pop("groupings"))
        mitigation = tuple(
            MitigationResult(strategy=m["strategy"], **_nan({k: v for k, v in m.items() if k != "strategy"}))
            for m in payload.pop("mitigation")
        )
        return cls(
            groupings=groupings,
            mitigation=mitigation,
            sensitive=tuple(payload.pop("sensitive")),
            warnings=tuple(payload.pop("warnings")),
            disparities=_nan(payload.pop("disparities")),
            thresholds=_thresholds(payload.pop("thresholds")),
            **payload,
        )


def _nan(values: Mapping[str, Any]) -> dict[str, float]:
    return {k: math.nan if v is None else float(v) for k, v in values.items()}


def _thresholds(values: Mapping[str, Any]) -> dict[str, float | str]:
    """Limits as floats (None → NaN); the evidence mode stays a word."""
    return {k: v if k == EVIDENCE_KEY else (math.nan if v is None else float(v)) for k, v in values.items()}


def _pair(value: Sequence[Any]) -> tuple[float, float]:
    low, high = (math.nan if v is None else float(v) for v in value)
    return (low, high)


def _grouping_from_dict(data: dict[str, Any]) -> GroupMetrics:
    return GroupMetrics(
        feature=data["feature"],
        columns=tuple(data["columns"]),
        groups=tuple(data["groups"]),
        counts=tuple(data["counts"]),
        positives=tuple(data["positives"]),
        judged=tuple(data["judged"]),
        metrics={k: tuple(math.nan if v is None else v for v in vs) for k, vs in data["metrics"].items()},
        intervals={k: tuple(_pair(p) for p in ps) for k, ps in data["intervals"].items()},
        overall=_nan(data["overall"]),
        disparities=_nan(data["disparities"]),
        disparity_intervals={k: _pair(v) for k, v in data["disparity_intervals"].items()},
    )


def assess_fairness(
    *,
    y_true: Any,
    sensitive_features: Any,
    y_pred: Any = None,
    model: Any = None,
    X: Any = None,
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
    """Review a classifier's predictions group by group, with fairlearn's ``MetricFrame``.

    Parameters
    ----------
    y_true : Series or array
        The true labels (binary).
    sensitive_features : DataFrame, Series, mapping, or column name(s) of ``X``
        One column per sensitive feature, one row per evaluated row.
    y_pred : Series or array, optional
        Predicted labels; or give ``model`` and ``X`` and the model's ``predict`` is used.
    positive_label : optional
        The favourable/positive class; the model's last class (or the larger label) by default.
    intersections : bool
        Also review the intersection of all sensitive features.
    n_bootstrap, seed, confidence
        Bootstrap intervals for every group metric and disparity (0 resamples for none).
    min_group_size : int
        Groups smaller than this are too small to judge: shown with their intervals and a
        warning, but left out of the disparities (0 judges every group).
    mitigate : bool
        Compare with fairlearn's ``ThresholdOptimizer`` (demographic parity, equalized odds),
        fitted on ``mitigation_data = (X, y, sensitive)`` or, if not given, on the evaluated rows.
    thresholds : mapping, optional
        Largest acceptable ``demographic_parity_difference`` and ``equalized_odds_difference``,
        and ``fairness_evidence`` (``"estimate"`` or ``"interval"``: what is held against the
        limits), shown as gate lights that decide as the Evaluate gate does (default: the
        ``[gates.evaluate]`` defaults; a project's come from
        :func:`~workbench.evaluate.gates.fairness_thresholds`).

    Returns
    -------
    FairnessReport
        ``groupings`` (per-group tables) and ``disparities`` such as
        ``"demographic_parity_difference[sex]"``.

    Examples
    --------
    >>> report = wb.assess_fairness(model=model, X=split.X_test, y_true=split.y_test,
    ...                             sensitive_features=split.sensitive_test)  # doctest: +SKIP
    >>> report.disparities["equalized_odds_difference[sex]"]  # doctest: +SKIP
    """
    truth = as_array(y_true, "y_true")
    sensitive = sensitive_frame(sensitive_features, X)
    predicted = predictions(y_pred, model, X)
    n_rows = check_same_length(y_true=truth, y_pred=predicted, sensitive_features=sensitive, X=X)
    check_aligned(y_true, sensitive_features)
    labels = check_classification_target(truth, name="y_true")
    check_classification_target(predicted, name="y_pred")
    positive = positive_label_of(positive_label, model, labels, predicted)
    if mitigate:
        check_mitigation_inputs(model, X)  # before the bootstrap, not after it
    binary_true, binary_pred = (truth == positive).astype(int), (predicted == positive).astype(int)
    specs: list[tuple[str, ...]] = [(str(c),) for c in sensitive.columns]
    if intersections and len(specs) > 1:
        specs.append(tuple(sensitive.columns))
    frames = [metric_frame(binary_true, binary_pred, sensitive[list(cols)]) for cols in specs]
    samples = bootstrap_groups(frames, binary_true, binary_pred, sensitive, specs, n_bootstrap=n_bootstrap, seed=seed)
    inputs = _Inputs(binary_true, binary_pred, sensitive, confidence, min_group_size)
    groupings = tuple(
        _grouping(cols, frame, sample, inputs) for cols, frame, sample in zip(specs, frames, samples, strict=True)
    )
    mitigation: tuple[MitigationResult, ...] = ()
    note = ""
    if mitigate:
        mitigation, note = compare_mitigations(
            model, X, truth, sensitive, positive=positive, seed=seed, fit_data=mitigation_data
        )
    return FairnessReport(
        n_rows=n_rows,
        positive_label=str(positive),
        sensitive=tuple(sensitive.columns),
        groupings=groupings,
        disparities={f"{k}[{g.feature}]": v for g in groupings for k, v in g.disparities.items()},
        n_bootstrap=n_bootstrap,
        seed=seed,
        confidence=confidence,
        min_group_size=min_group_size,
        mitigation=mitigation,
        mitigation_note=note,
        thresholds=_checked_thresholds(thresholds),
        warnings=_small_groups(groupings, min_group_size) + _warn_undefined(groupings),
    )


def _checked_thresholds(thresholds: Mapping[str, float | str] | None) -> dict[str, float | str]:
    """The given thresholds (or the ``[gates.evaluate]`` defaults) with a known evidence mode."""
    from workbench.config import GATES

    keys = GATES["evaluate"]
    if thresholds is None:
        thresholds = {name: float(keys[f"max_{name}"].default) for name in GATED_DISPARITIES}
    out = dict(thresholds)
    out[EVIDENCE_KEY] = evidence_mode(out)
    return out


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """The review's inputs as 0/1 arrays and group labels, shared by every grouping."""

    binary_true: np.ndarray
    binary_pred: np.ndarray
    sensitive: pd.DataFrame
    confidence: float
    min_group_size: int


def _grouping(columns: tuple[str, ...], frame: Any, sample: dict[str, np.ndarray], inputs: _Inputs) -> GroupMetrics:
    """One grouping's tables; disparities over the groups of at least ``min_group_size`` rows."""
    by_group = frame.by_group
    sizes = by_group["count"].fillna(0).to_numpy()
    present = np.flatnonzero(sizes > 0)  # an intersection lists its empty combinations too
    judged = np.flatnonzero(sizes >= max(inputs.min_group_size, 1))
    labels = [", ".join(map(str, g)) if isinstance(g, tuple) else str(g) for g in by_group.index]
    codes = group_codes(frame, inputs.sensitive, columns)
    positives = np.bincount(codes, weights=inputs.binary_true, minlength=len(by_group))
    judged_frame = frame
    if 0 < judged.size < present.size:  # fairlearn again, on the rows of the judged groups only
        rows = np.isin(codes, judged)
        judged_frame = metric_frame(
            inputs.binary_true[rows], inputs.binary_pred[rows], inputs.sensitive.loc[rows, list(columns)]
        )
    return GroupMetrics(
        feature=JOIN.join(columns),
        columns=columns,
        groups=tuple(labels[i] for i in present),
        counts=tuple(int(sizes[i]) for i in present),
        positives=tuple(int(positives[i]) for i in present),
        judged=tuple(bool(i in set(judged)) for i in present),
        metrics={m: tuple(float(v) for v in by_group[m].iloc[present]) for m in GROUP_METRICS},
        intervals={
            m: tuple(interval(sample[m][:, i], confidence=inputs.confidence) for i in present)
            for m in GROUP_METRICS
        },
        overall={m: float(frame.overall[m]) for m in GROUP_METRICS},
        disparities=disparities_of(judged_frame) if judged.size else dict.fromkeys(DISPARITIES, math.nan),
        disparity_intervals={
            k: interval(v, confidence=inputs.confidence)
            for k, v in disparity_samples({m: a[:, judged] for m, a in sample.items()}).items()
        },
    )


def _small_groups(groupings: tuple[GroupMetrics, ...], min_group_size: int) -> tuple[str, ...]:
    found = []
    for g in groupings:
        small = [f"{group} ({n})" for group, n in zip(g.groups, g.counts, strict=True) if n < min_group_size]
        if small:
            found.append(
                f"{g.feature}: {', '.join(small)} {'has' if len(small) == 1 else 'have'} fewer than "
                f"{min_group_size} rows: too small to judge, left out of the disparities."
            )
    return tuple(found)


def _warn_undefined(groupings: tuple[GroupMetrics, ...]) -> tuple[str, ...]:
    reasons = {
        "true_positive_rate": "no positive label",
        "false_positive_rate": "no negative label",
        "precision": "no predicted positive",
    }
    found = []
    for g in groupings:
        for metric, reason in reasons.items():
            values = zip(g.groups, g.metrics[metric], g.judged, strict=True)
            groups = [group for group, v, judged in values if judged and math.isnan(v)]
            if groups:
                found.append(
                    f"{metric} is undefined (NaN) for {g.feature} = {', '.join(groups)} ({reason}); "
                    "its disparities use the other groups."
                )
    if found:
        warnings.warn(" ".join(found), WorkbenchWarning, stacklevel=3)
    return tuple(found)

"""One grouping's table: group sizes, metrics with intervals, and disparities (``GroupMetrics``).

A grouping is one sensitive feature, or the intersection of several. Its figures come from a
task's group review (``_task_groups``): fairlearn's ``MetricFrame`` for the estimates, shared
bootstrap resamples for the intervals. Groups smaller than ``min_group_size`` are shown but
too small to judge: the disparities are fairlearn's on the rows of the other groups.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.evaluate._bootstrap import interval
from workbench.evaluate._groups import group_codes, group_sums
from workbench.evaluate._task_groups import GroupReview, worst_class
from workbench.exceptions import WorkbenchWarning

__all__ = ["JOIN", "GroupMetrics", "build_groupings", "grouping_from_dict", "small_groups", "warn_undefined"]

JOIN = " & "
Pair = tuple[float, float]


@dataclasses.dataclass(frozen=True, kw_only=True)
class GroupMetrics:
    """The groups of one sensitive feature (or an intersection): sizes, metrics, disparities.

    ``metrics[name][i]`` is the metric of ``groups[i]``; ``intervals[name][i]`` its interval.
    ``judged[i]`` is False for a group too small to judge: it is shown, but left out of the
    disparities. A multiclass review names per-class metrics ``selection_rate[<class>]`` and
    keeps each class's disparities in ``class_disparities[<class>]``; ``disparities`` holds
    the worst class (``worst_class`` names it). ``positives`` (binary only) counts the rows
    with the positive label per group.
    """

    feature: str
    columns: tuple[str, ...]
    groups: tuple[str, ...]
    counts: tuple[int, ...]
    judged: tuple[bool, ...]
    metrics: dict[str, tuple[float, ...]]
    intervals: dict[str, tuple[Pair, ...]]
    overall: dict[str, float]
    disparities: dict[str, float]
    disparity_intervals: dict[str, Pair]
    positives: tuple[int, ...] = ()
    class_disparities: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    class_disparity_intervals: dict[str, dict[str, Pair]] = dataclasses.field(default_factory=dict)
    worst_class: dict[str, str] = dataclasses.field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per group: group, rows, positives (binary) and each metric."""
        out = []
        for i, (group, n, judged) in enumerate(zip(self.groups, self.counts, self.judged, strict=True)):
            row: dict[str, Any] = {"group": group, "rows": n}
            if self.positives:
                row["positives"] = self.positives[i]
            row["judged"] = judged
            out.append({**row, **{m: v[i] for m, v in self.metrics.items()}})
        return out


def _nan(values: Mapping[str, Any]) -> dict[str, float]:
    return {k: math.nan if v is None else float(v) for k, v in values.items()}


def _pair(value: Sequence[Any]) -> Pair:
    low, high = (math.nan if v is None else float(v) for v in value)
    return (low, high)


def grouping_from_dict(data: dict[str, Any]) -> GroupMetrics:
    """A ``GroupMetrics`` from its JSON form (reports saved before the multiclass fields included)."""
    return GroupMetrics(
        feature=data["feature"],
        columns=tuple(data["columns"]),
        groups=tuple(data["groups"]),
        counts=tuple(data["counts"]),
        positives=tuple(data.get("positives", ())),
        judged=tuple(data["judged"]),
        metrics={k: tuple(math.nan if v is None else v for v in vs) for k, vs in data["metrics"].items()},
        intervals={k: tuple(_pair(p) for p in ps) for k, ps in data["intervals"].items()},
        overall=_nan(data["overall"]),
        disparities=_nan(data["disparities"]),
        disparity_intervals={k: _pair(v) for k, v in data["disparity_intervals"].items()},
        class_disparities={c: _nan(v) for c, v in data.get("class_disparities", {}).items()},
        class_disparity_intervals={
            c: {k: _pair(p) for k, p in v.items()} for c, v in data.get("class_disparity_intervals", {}).items()
        },
        worst_class=dict(data.get("worst_class", {})),
    )


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """What every grouping shares: the task's review, the group labels and the judging rules."""

    review: GroupReview
    sensitive: pd.DataFrame
    confidence: float
    min_group_size: int


def build_groupings(
    review: GroupReview, sensitive: pd.DataFrame, specs: list[tuple[str, ...]], *,
    n_bootstrap: int, seed: int, confidence: float, min_group_size: int,
) -> tuple[GroupMetrics, ...]:
    """A ``GroupMetrics`` per grouping in ``specs``; every interval from the same resamples."""
    frames = [review.frame(None, sensitive[list(cols)]) for cols in specs]
    codes = [group_codes(frame, sensitive, cols) for frame, cols in zip(frames, specs, strict=True)]
    sizes = [len(frame.by_group) for frame in frames]
    sums = group_sums(review.parts(), codes, sizes, n_bootstrap=n_bootstrap, seed=seed)
    inputs = _Inputs(review, sensitive, confidence, min_group_size)
    return tuple(
        _grouping(cols, frame, code, review.metrics_of(s), inputs)
        for cols, frame, code, s in zip(specs, frames, codes, sums, strict=True)
    )


def _intervals(samples: Mapping[str, np.ndarray], confidence: float) -> dict[str, Pair]:
    return {k: interval(v, confidence=confidence) for k, v in samples.items()}


def _grouping(
    columns: tuple[str, ...], frame: Any, codes: np.ndarray, sample: dict[str, np.ndarray], inputs: _Inputs
) -> GroupMetrics:
    """One grouping's tables; disparities over the groups of at least ``min_group_size`` rows."""
    review = inputs.review
    by_group = frame.by_group
    sizes = by_group["count"].fillna(0).to_numpy()
    present = np.flatnonzero(sizes > 0)  # an intersection lists its empty combinations too
    judged = np.flatnonzero(sizes >= max(inputs.min_group_size, 1))
    labels = [", ".join(map(str, g)) if isinstance(g, tuple) else str(g) for g in by_group.index]
    positive = review.positives()
    positives = np.bincount(codes, weights=positive, minlength=len(by_group)) if positive is not None else None
    judged_frame = frame
    if 0 < judged.size < present.size:  # fairlearn again, on the rows of the judged groups only
        rows = np.isin(codes, judged)
        judged_frame = review.frame(rows, inputs.sensitive.loc[rows, list(columns)])
    judged_sample = {m: a[:, judged] for m, a in sample.items()}
    class_disparities = review.class_disparities_of(judged_frame) if judged.size else {}
    return GroupMetrics(
        feature=JOIN.join(columns),
        columns=columns,
        groups=tuple(labels[i] for i in present),
        counts=tuple(int(sizes[i]) for i in present),
        positives=() if positives is None else tuple(int(positives[i]) for i in present),
        judged=tuple(bool(i in set(judged)) for i in present),
        metrics={m: tuple(float(v) for v in by_group[m].iloc[present]) for m in review.metrics},
        intervals={
            m: tuple(interval(sample[m][:, i], confidence=inputs.confidence) for i in present)
            for m in review.metrics
        },
        overall={m: float(frame.overall[m]) for m in review.metrics},
        disparities=review.disparities_of(judged_frame) if judged.size else dict.fromkeys(review.disparities, math.nan),
        disparity_intervals=_intervals(review.disparity_samples(judged_sample), inputs.confidence),
        class_disparities=class_disparities,
        class_disparity_intervals={
            label: _intervals(samples, inputs.confidence)
            for label, samples in review.class_disparity_samples(judged_sample).items()
        },
        worst_class=worst_class(class_disparities),
    )


def small_groups(groupings: tuple[GroupMetrics, ...], min_group_size: int) -> tuple[str, ...]:
    """A warning per grouping with groups too small to judge."""
    found = []
    for g in groupings:
        small = [f"{group} ({n})" for group, n in zip(g.groups, g.counts, strict=True) if n < min_group_size]
        if small:
            found.append(
                f"{g.feature}: {', '.join(small)} {'has' if len(small) == 1 else 'have'} fewer than "
                f"{min_group_size} rows: too small to judge, left out of the disparities."
            )
    return tuple(found)


_UNDEFINED = {
    "true_positive_rate": "no positive label",
    "false_positive_rate": "no negative label",
    "precision": "no predicted positive",
}


def _undefined_reason(metric: str) -> str | None:
    """Why ``metric`` (``true_positive_rate`` or ``true_positive_rate[<class>]``) can be NaN."""
    base, _, label = metric.partition("[")
    reason = _UNDEFINED.get(base)
    if reason is None or not label:
        return reason
    return {"true_positive_rate": "no row of that class", "false_positive_rate": "only rows of that class"}.get(base)


def warn_undefined(groupings: tuple[GroupMetrics, ...]) -> tuple[str, ...]:
    """A warning (also raised as a ``WorkbenchWarning``) per metric left undefined for a judged group."""
    found = []
    for g in groupings:
        for metric, values in g.metrics.items():
            reason = _undefined_reason(metric)
            groups = [group for group, v, judged in zip(g.groups, values, g.judged, strict=True) if judged and math.isnan(v)]
            if reason and groups:
                found.append(
                    f"{metric} is undefined (NaN) for {g.feature} = {', '.join(groups)} ({reason}); "
                    "its disparities use the other groups."
                )
    if found:
        warnings.warn(" ".join(found), WorkbenchWarning, stacklevel=3)
    return tuple(found)

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

from workbench.evaluate._bootstrap import interval, resample_weights, safe_divide
from workbench.evaluate._checks import as_array, check_classification_target, check_same_length
from workbench.evaluate._mitigation import MitigationResult, compare_mitigations
from workbench.exceptions import DataError, WorkbenchWarning
from workbench.reports.base import Report

__all__ = ["FairnessReport", "GroupMetrics", "assess_fairness"]

DISPARITIES = (
    "demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference", "equalized_odds_ratio",
)
GROUP_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "precision", "accuracy")
MISSING_GROUP = "(missing)"
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
    thresholds: dict[str, float] = dataclasses.field(default_factory=dict)
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
            thresholds=_nan(payload.pop("thresholds")),
            **payload,
        )


def _nan(values: Mapping[str, Any]) -> dict[str, float]:
    return {k: math.nan if v is None else float(v) for k, v in values.items()}


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


# -- the metrics given to MetricFrame: binary 0/1 inputs, NaN where undefined ----------------
def _selection_rate(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from fairlearn.metrics import selection_rate

    return float(selection_rate(y_true, y_pred, pos_label=1))


def _true_positive_rate(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from fairlearn.metrics import true_positive_rate

    return float(true_positive_rate(y_true, y_pred, pos_label=1)) if np.any(y_true == 1) else math.nan


def _false_positive_rate(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from fairlearn.metrics import false_positive_rate

    return float(false_positive_rate(y_true, y_pred, pos_label=1)) if np.any(y_true == 0) else math.nan


def _precision(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    predicted = y_pred == 1
    return float(np.mean(y_true[predicted] == 1)) if predicted.any() else math.nan


def _accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true == y_pred))


METRIC_FUNCTIONS = {
    "selection_rate": _selection_rate,
    "true_positive_rate": _true_positive_rate,
    "false_positive_rate": _false_positive_rate,
    "precision": _precision,
    "accuracy": _accuracy,
}


def disparities_of(frame: Any) -> dict[str, float]:
    """Demographic parity and equalized odds (difference, ratio) of a fitted ``MetricFrame``.

    Fairlearn's ``difference()`` / ``ratio()`` between groups (which skip undefined groups);
    equalized odds takes the worse of the TPR and FPR disparities, as fairlearn's
    ``equalized_odds_difference`` / ``equalized_odds_ratio`` do.
    """
    difference, ratio = frame.difference(), frame.ratio()
    return {
        "demographic_parity_difference": float(difference["selection_rate"]),
        "demographic_parity_ratio": float(ratio["selection_rate"]),
        "equalized_odds_difference": _worst(max, difference["true_positive_rate"], difference["false_positive_rate"]),
        "equalized_odds_ratio": _worst(min, ratio["true_positive_rate"], ratio["false_positive_rate"]),
    }


def _worst(pick: Any, *values: float) -> float:
    defined = [float(v) for v in values if not math.isnan(v)]
    return float(pick(defined)) if defined else math.nan


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
    thresholds: Mapping[str, float] | None = None,
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
        shown as lights (default: the ``[gates.evaluate]`` defaults; a project's come from
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
    sensitive = _sensitive_frame(sensitive_features, X)
    predicted = _predictions(y_pred, model, X)
    n_rows = check_same_length(y_true=truth, y_pred=predicted, sensitive_features=sensitive, X=X)
    _check_aligned(y_true, sensitive_features)
    labels = check_classification_target(truth, name="y_true")
    check_classification_target(predicted, name="y_pred")
    positive = _positive_label(positive_label, model, labels, predicted)
    binary_true, binary_pred = (truth == positive).astype(int), (predicted == positive).astype(int)
    specs: list[tuple[str, ...]] = [(str(c),) for c in sensitive.columns]
    if intersections and len(specs) > 1:
        specs.append(tuple(sensitive.columns))
    frames = [_metric_frame(binary_true, binary_pred, sensitive[list(cols)]) for cols in specs]
    samples = _bootstrap_groups(frames, binary_true, binary_pred, sensitive, specs, n_bootstrap=n_bootstrap, seed=seed)
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
        thresholds=dict(thresholds if thresholds is not None else _default_thresholds()),
        warnings=_small_groups(groupings, min_group_size) + _warn_undefined(groupings),
    )


def _default_thresholds() -> dict[str, float]:
    from workbench.config import GATES

    keys = GATES["evaluate"]
    return {name: float(keys[f"max_{name}"].default) for name in ("demographic_parity_difference", "equalized_odds_difference")}


def _sensitive_frame(sensitive_features: Any, X: Any) -> pd.DataFrame:
    """The sensitive features as a frame of group labels (strings; missing values a group)."""
    if isinstance(sensitive_features, str):
        sensitive_features = [sensitive_features]
    if isinstance(sensitive_features, (list, tuple)) and all(isinstance(c, str) for c in sensitive_features):
        frame = _columns_of(X, list(sensitive_features))
    elif isinstance(sensitive_features, pd.Series):
        frame = sensitive_features.to_frame(str(sensitive_features.name or "sensitive_feature"))
    elif isinstance(sensitive_features, pd.DataFrame):
        frame = sensitive_features
    elif isinstance(sensitive_features, Mapping):
        frame = pd.DataFrame({str(k): as_array(v, f"sensitive feature {k!r}") for k, v in sensitive_features.items()})
    else:
        frame = pd.DataFrame({"sensitive_feature": as_array(sensitive_features, "sensitive_features")})
    if frame.shape[1] == 0:
        raise DataError("No sensitive feature was given.", hint="Pass at least one sensitive column.")
    return pd.DataFrame(
        {str(c): frame[c].astype(object).where(frame[c].notna(), MISSING_GROUP).astype(str).to_numpy() for c in frame.columns}
    )


def _columns_of(X: Any, names: list[str]) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            f"sensitive_features names columns ({', '.join(names)}) but X is not a DataFrame.",
            hint="Pass X as a DataFrame holding those columns, or pass the sensitive features themselves.",
        )
    missing = [c for c in names if c not in X.columns]
    if missing:
        shown = ", ".join(map(str, list(X.columns)[:12]))
        raise DataError(
            f"The sensitive feature '{missing[0]}' is not a column of X (its columns: {shown}).",
            column=missing[0],
            hint="Pass the sensitive features as a DataFrame (e.g. split.sensitive_test) or name existing columns.",
        )
    return X[names]


def _check_aligned(y_true: Any, sensitive_features: Any) -> None:
    """Rows are matched by position; refuse two pandas inputs whose indexes disagree."""
    frames = (pd.Series, pd.DataFrame)
    if (
        isinstance(y_true, frames)
        and isinstance(sensitive_features, frames)
        and not y_true.index.equals(sensitive_features.index)
    ):
        raise DataError(
            "y_true and sensitive_features have the same length but different row indexes, so their rows may not match.",
            hint="Take both from the same rows (e.g. split.y_test and split.sensitive_test), or reset both indexes.",
        )


def _predictions(y_pred: Any, model: Any, X: Any) -> np.ndarray:
    if y_pred is not None:
        return as_array(y_pred, "y_pred")
    if model is None or X is None:
        raise DataError(
            "The fairness review needs predictions: pass y_pred, or model and X.",
            hint="e.g. assess_fairness(model=model, X=X_test, y_true=y_test, sensitive_features=S_test).",
        )
    return as_array(model.predict(X), "the model's predictions")


def _positive_label(positive_label: Any, model: Any, labels: np.ndarray, predicted: np.ndarray) -> Any:
    if positive_label is not None:
        return positive_label
    classes = getattr(model, "classes_", None)
    if classes is not None:
        return classes[-1]
    return np.unique(np.concatenate([labels, np.unique(predicted)]))[-1]


def _metric_frame(binary_true: np.ndarray, binary_pred: np.ndarray, sensitive: pd.DataFrame) -> Any:
    from fairlearn.metrics import MetricFrame, count

    metrics = {"count": count, **METRIC_FUNCTIONS}
    return MetricFrame(
        metrics=metrics, y_true=binary_true, y_pred=binary_pred,
        sensitive_features=sensitive.iloc[:, 0] if sensitive.shape[1] == 1 else sensitive,
    )


def _group_codes(frame: Any, sensitive: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Each row's position in the MetricFrame's ``by_group`` index."""
    index = frame.by_group.index
    keys = pd.MultiIndex.from_frame(sensitive[list(columns)]) if len(columns) > 1 else pd.Index(sensitive[columns[0]])
    return np.asarray(index.get_indexer(keys))


def _bootstrap_groups(
    frames: list[Any],
    binary_true: np.ndarray,
    binary_pred: np.ndarray,
    sensitive: pd.DataFrame,
    specs: list[tuple[str, ...]],
    *,
    n_bootstrap: int,
    seed: int,
) -> list[dict[str, np.ndarray]]:
    """Per grouping, each group metric over the same resamples: arrays of shape ``(B, groups)``.

    Per group, seven weighted sums (rows, predicted positive, positive, true positive,
    negative, false positive, correct) of one ``weights @ indicators`` product give them all.
    """
    pos, pred = binary_true.astype(np.float64), binary_pred.astype(np.float64)
    parts = [pos * 0 + 1, pred, pos, pos * pred, 1 - pos, (1 - pos) * pred, (pos == pred).astype(np.float64)]
    blocks, sizes = [], []
    for frame, cols in zip(frames, specs, strict=True):
        member = np.eye(len(frame.by_group))[_group_codes(frame, sensitive, cols)]  # rows × groups
        blocks.append(np.hstack([member * part[:, None] for part in parts]))
        sizes.append(member.shape[1])
    indicators = np.hstack(blocks)
    sums = [w @ indicators for w in resample_weights(len(pos), n_bootstrap, seed=seed)]
    totals = np.vstack(sums) if sums else np.zeros((0, indicators.shape[1]))
    out, start = [], 0
    for size in sizes:
        s = [totals[:, start + k * size : start + (k + 1) * size] for k in range(len(parts))]
        start += len(parts) * size
        out.append({
            "selection_rate": safe_divide(s[1], s[0]),
            "true_positive_rate": safe_divide(s[3], s[2]),
            "false_positive_rate": safe_divide(s[5], s[4]),
            "precision": safe_divide(s[3], s[1]),
            "accuracy": safe_divide(s[6], s[0]),
        })
    return out


def _spread(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per resample: max − min and min / max over the groups where the metric is defined."""
    if values.shape[1] == 0:
        empty = np.full(values.shape[0], np.nan)
        return empty, empty
    defined = np.isfinite(values)
    high = np.where(defined, values, -np.inf).max(axis=1)
    low = np.where(defined, values, np.inf).min(axis=1)
    some = defined.any(axis=1)
    return np.where(some, high - low, np.nan), np.where(some, safe_divide(low, high), np.nan)


def _disparity_samples(sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    dp, dp_ratio = _spread(sample["selection_rate"])
    tpr, tpr_ratio = _spread(sample["true_positive_rate"])
    fpr, fpr_ratio = _spread(sample["false_positive_rate"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows stay NaN
        return {
            "demographic_parity_difference": dp,
            "demographic_parity_ratio": dp_ratio,
            "equalized_odds_difference": np.nanmax(np.vstack([tpr, fpr]), axis=0),
            "equalized_odds_ratio": np.nanmin(np.vstack([tpr_ratio, fpr_ratio]), axis=0),
        }


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
    codes = _group_codes(frame, inputs.sensitive, columns)
    positives = np.bincount(codes, weights=inputs.binary_true, minlength=len(by_group))
    judged_frame = frame
    if 0 < judged.size < present.size:  # fairlearn again, on the rows of the judged groups only
        rows = np.isin(codes, judged)
        judged_frame = _metric_frame(
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
            for k, v in _disparity_samples({m: a[:, judged] for m, a in sample.items()}).items()
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

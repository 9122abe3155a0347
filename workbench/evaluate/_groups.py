"""Group metrics for the fairness review: fairlearn ``MetricFrame`` and bootstrap resamples.

Every group metric of every task is a ratio of per-group sums (a selection rate is predicted
positives over rows, a MAE is absolute errors over rows), so one engine serves them all:
:func:`group_sums` gives, for each resample and group, the weighted sum of each named row
vector ("part"), and each task turns sums into metrics. The metrics handed to ``MetricFrame``
return NaN where a group leaves them undefined (a TPR without positive labels), so fairlearn's
``difference()`` / ``ratio()`` skip that group instead of counting it as 0.

This module also holds the binary task's metrics (selection rate, TPR, FPR, precision,
accuracy on 0/1 labels); the multiclass and regression metrics are in ``_task_groups``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.evaluate._bootstrap import resample_weights, safe_divide

__all__ = [
    "DISPARITIES", "GROUP_METRICS", "METRIC_FUNCTIONS", "binary_metrics", "binary_parts", "bootstrap_groups",
    "disparities_of", "disparity_samples", "frame_of", "group_codes", "group_sums", "metric_frame", "nan_pick",
    "spread", "worst",
]

DISPARITIES = (
    "demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference", "equalized_odds_ratio",
)
GROUP_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "precision", "accuracy")


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
    """Demographic parity and equalized odds (difference, ratio) of a fitted binary ``MetricFrame``.

    Fairlearn's ``difference()`` / ``ratio()`` between groups (which skip undefined groups);
    equalized odds takes the worse of the TPR and FPR disparities, as fairlearn's
    ``equalized_odds_difference`` / ``equalized_odds_ratio`` do.
    """
    difference, ratio = frame.difference(), frame.ratio()
    return {
        "demographic_parity_difference": float(difference["selection_rate"]),
        "demographic_parity_ratio": float(ratio["selection_rate"]),
        "equalized_odds_difference": worst(max, difference["true_positive_rate"], difference["false_positive_rate"]),
        "equalized_odds_ratio": worst(min, ratio["true_positive_rate"], ratio["false_positive_rate"]),
    }


def worst(pick: Any, *values: float) -> float:
    """``pick`` (max or min) of the defined ``values``; NaN when none is defined."""
    defined = [float(v) for v in values if not math.isnan(v)]
    return float(pick(defined)) if defined else math.nan


def frame_of(metrics: Mapping[str, Callable[..., Any]], y_true: Any, y_pred: Any, sensitive: pd.DataFrame) -> Any:
    """fairlearn's ``MetricFrame`` of ``metrics`` (and the group sizes, ``count``) by ``sensitive``."""
    from fairlearn.metrics import MetricFrame, count

    return MetricFrame(
        metrics={"count": count, **metrics}, y_true=y_true, y_pred=y_pred,
        sensitive_features=sensitive.iloc[:, 0] if sensitive.shape[1] == 1 else sensitive,
    )


def metric_frame(binary_true: np.ndarray, binary_pred: np.ndarray, sensitive: pd.DataFrame) -> Any:
    """The binary review's ``MetricFrame`` on 0/1 labels and predictions."""
    return frame_of(METRIC_FUNCTIONS, binary_true, binary_pred, sensitive)


def group_codes(frame: Any, sensitive: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Each row's position in the MetricFrame's ``by_group`` index."""
    index = frame.by_group.index
    keys = pd.MultiIndex.from_frame(sensitive[list(columns)]) if len(columns) > 1 else pd.Index(sensitive[columns[0]])
    return np.asarray(index.get_indexer(keys))


def group_sums(
    parts: Mapping[str, np.ndarray], codes: list[np.ndarray], sizes: list[int], *, n_bootstrap: int, seed: int
) -> list[dict[str, np.ndarray]]:
    """Per grouping, each part's weighted sum per resample and group: arrays of shape ``(B, groups)``.

    One ``weights @ indicators`` product per chunk of resamples gives them all. The
    indicators are sparse (one entry per row, part and grouping), so memory grows with the
    rows, not with rows × groups (intersections hold many, often empty, combinations).
    """
    named = list(parts.items())
    vectors = [np.asarray(v, dtype=np.float64) for _, v in named]
    indicators = _indicators(vectors, codes, sizes)
    n = len(vectors[0])
    sums = [np.asarray(w @ indicators) for w in resample_weights(n, n_bootstrap, seed=seed)]
    totals = np.vstack(sums) if sums else np.zeros((0, indicators.shape[1]))
    out, start = [], 0
    for size in sizes:
        block = {name: totals[:, start + k * size: start + (k + 1) * size] for k, (name, _) in enumerate(named)}
        start += len(named) * size
        out.append(block)
    return out


def _indicators(parts: list[np.ndarray], codes: list[np.ndarray], sizes: list[int]) -> Any:
    """Sparse ``rows × (parts × groups)`` per grouping, side by side: ``part[row]`` in its group's column."""
    from scipy import sparse

    columns, values, offset = [], [], 0
    for group, size in zip(codes, sizes, strict=True):
        for k, part in enumerate(parts):
            columns.append((offset + k * size + group).astype(np.int32))
            values.append(part)
        offset += len(parts) * size
    rows = np.tile(np.arange(len(parts[0]), dtype=np.int32), len(columns))
    data, cols = np.concatenate(values), np.concatenate(columns)
    kept = data != 0
    return sparse.csr_matrix((data[kept], (rows[kept], cols[kept])), shape=(len(parts[0]), offset))


def binary_parts(binary_true: np.ndarray, binary_pred: np.ndarray) -> dict[str, np.ndarray]:
    """The row vectors whose group sums give every binary metric."""
    pos, pred = binary_true.astype(np.float64), binary_pred.astype(np.float64)
    return {
        "rows": np.ones_like(pos), "predicted": pred, "positive": pos, "true_positive": pos * pred,
        "negative": 1 - pos, "false_positive": (1 - pos) * pred, "correct": (pos == pred).astype(np.float64),
    }


def binary_metrics(s: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The binary group metrics from :func:`binary_parts`' sums."""
    return {
        "selection_rate": safe_divide(s["predicted"], s["rows"]),
        "true_positive_rate": safe_divide(s["true_positive"], s["positive"]),
        "false_positive_rate": safe_divide(s["false_positive"], s["negative"]),
        "precision": safe_divide(s["true_positive"], s["predicted"]),
        "accuracy": safe_divide(s["correct"], s["rows"]),
    }


def bootstrap_groups(
    frames: list[Any],
    binary_true: np.ndarray,
    binary_pred: np.ndarray,
    sensitive: pd.DataFrame,
    specs: list[tuple[str, ...]],
    *,
    n_bootstrap: int,
    seed: int,
) -> list[dict[str, np.ndarray]]:
    """Per grouping, each binary group metric over the same resamples: arrays of shape ``(B, groups)``."""
    sizes = [len(frame.by_group) for frame in frames]
    codes = [group_codes(frame, sensitive, cols) for frame, cols in zip(frames, specs, strict=True)]
    sums = group_sums(binary_parts(binary_true, binary_pred), codes, sizes, n_bootstrap=n_bootstrap, seed=seed)
    return [binary_metrics(s) for s in sums]


def spread(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per resample: max − min and min / max over the groups where the metric is defined."""
    if values.shape[1] == 0:
        empty = np.full(values.shape[0], np.nan)
        return empty, empty
    defined = np.isfinite(values)
    high = np.where(defined, values, -np.inf).max(axis=1)
    low = np.where(defined, values, np.inf).min(axis=1)
    some = defined.any(axis=1)
    return np.where(some, high - low, np.nan), np.where(some, safe_divide(low, high), np.nan)


def nan_pick(pick: Callable[..., np.ndarray], *samples: np.ndarray) -> np.ndarray:
    """Per resample, ``np.nanmax`` / ``np.nanmin`` over ``samples`` (NaN where all are NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows stay NaN
        return np.asarray(pick(np.vstack(samples), axis=0))


def disparity_samples(sample: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Demographic parity and equalized odds per resample, from binary metric samples."""
    dp, dp_ratio = spread(sample["selection_rate"])
    tpr, tpr_ratio = spread(sample["true_positive_rate"])
    fpr, fpr_ratio = spread(sample["false_positive_rate"])
    return {
        "demographic_parity_difference": dp,
        "demographic_parity_ratio": dp_ratio,
        "equalized_odds_difference": nan_pick(np.nanmax, tpr, fpr),
        "equalized_odds_ratio": nan_pick(np.nanmin, tpr_ratio, fpr_ratio),
    }

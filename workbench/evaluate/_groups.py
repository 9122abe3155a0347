"""Group metrics for the fairness review: fairlearn ``MetricFrame`` and bootstrap resamples.

The metrics handed to ``MetricFrame`` take 0/1 labels and predictions and return NaN where a
group leaves them undefined (a TPR without positive labels), so fairlearn's ``difference()`` /
``ratio()`` skip that group instead of counting it as 0.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from workbench.evaluate._bootstrap import resample_weights, safe_divide

__all__ = [
    "DISPARITIES", "GROUP_METRICS", "METRIC_FUNCTIONS", "bootstrap_groups", "disparities_of",
    "disparity_samples", "group_codes", "metric_frame",
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


def metric_frame(binary_true: np.ndarray, binary_pred: np.ndarray, sensitive: pd.DataFrame) -> Any:
    from fairlearn.metrics import MetricFrame, count

    metrics = {"count": count, **METRIC_FUNCTIONS}
    return MetricFrame(
        metrics=metrics, y_true=binary_true, y_pred=binary_pred,
        sensitive_features=sensitive.iloc[:, 0] if sensitive.shape[1] == 1 else sensitive,
    )


def group_codes(frame: Any, sensitive: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Each row's position in the MetricFrame's ``by_group`` index."""
    index = frame.by_group.index
    keys = pd.MultiIndex.from_frame(sensitive[list(columns)]) if len(columns) > 1 else pd.Index(sensitive[columns[0]])
    return np.asarray(index.get_indexer(keys))


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
    """Per grouping, each group metric over the same resamples: arrays of shape ``(B, groups)``.

    Per group, seven weighted sums (rows, predicted positive, positive, true positive,
    negative, false positive, correct) of one ``weights @ indicators`` product give them all.
    The indicators are sparse (one entry per row, part and grouping), so memory grows with
    the rows, not with rows × groups (intersections hold many, often empty, combinations).
    """
    pos, pred = binary_true.astype(np.float64), binary_pred.astype(np.float64)
    parts = [pos * 0 + 1, pred, pos, pos * pred, 1 - pos, (1 - pos) * pred, (pos == pred).astype(np.float64)]
    sizes = [len(frame.by_group) for frame in frames]
    codes = [group_codes(frame, sensitive, cols) for frame, cols in zip(frames, specs, strict=True)]
    indicators = _indicators(parts, codes, sizes)
    offset = indicators.shape[1]
    sums = [np.asarray(w @ indicators) for w in resample_weights(len(pos), n_bootstrap, seed=seed)]
    totals = np.vstack(sums) if sums else np.zeros((0, offset))
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


def disparity_samples(sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
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

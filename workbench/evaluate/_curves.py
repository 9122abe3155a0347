"""Curves as a bounded number of points: ROC (one-vs-rest per class for multiclass),
precision-recall, calibration, residuals."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

__all__ = ["OVR_ROC_PREFIX", "classification_curves", "downsample", "multiclass_curves", "regression_curves"]

RESIDUAL_SAMPLE = 500
# A multiclass review stores one ROC curve per class, each named this prefix plus the class label.
OVR_ROC_PREFIX = "roc:"


def downsample(size: int, max_points: int) -> np.ndarray:
    """At most ``max_points`` positions out of ``size``, evenly spread, first and last kept."""
    if size <= max_points:
        return np.arange(size)
    return np.unique(np.round(np.linspace(0, size - 1, max_points)).astype(int))


def _points(x: np.ndarray, y: np.ndarray, max_points: int) -> dict[str, tuple[float, ...]]:
    keep = downsample(x.size, max_points)
    return {"x": tuple(map(float, x[keep])), "y": tuple(map(float, y[keep]))}


def classification_curves(
    positive: np.ndarray, score: np.ndarray, *, max_points: int, bins: int
) -> dict[str, dict[str, Any]]:
    """ROC and precision-recall curves (when both classes occur) and the calibration bins."""
    curves: dict[str, dict[str, Any]] = {}
    if 0 < positive.sum() < positive.size:
        fpr, tpr, _ = roc_curve(positive, score)
        curves["roc"] = {**_points(fpr, tpr, max_points), "x_label": "false positive rate", "y_label": "true positive rate"}
        precision, recall, _ = precision_recall_curve(positive, score)
        curves["pr"] = {**_points(recall[::-1], precision[::-1], max_points), "x_label": "recall", "y_label": "precision"}
    curves["calibration"] = calibration_bins(positive, score, bins=bins)
    return curves


def calibration_bins(positive: np.ndarray, score: np.ndarray, *, bins: int) -> dict[str, Any]:
    """Mean predicted probability and observed positive share per non-empty uniform bin.

    The binning is scikit-learn's ``calibration_curve(strategy="uniform")``; the row count per
    bin is kept too.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.searchsorted(edges[1:-1], score)
    counts = np.bincount(which, minlength=bins)
    predicted = np.bincount(which, weights=score, minlength=bins)
    observed = np.bincount(which, weights=positive.astype(np.float64), minlength=bins)
    filled = counts > 0
    return {
        "x": tuple(map(float, predicted[filled] / counts[filled])),
        "y": tuple(map(float, observed[filled] / counts[filled])),
        "counts": tuple(map(int, counts[filled])),
        "x_label": "mean predicted probability",
        "y_label": "observed positive share",
    }


def multiclass_curves(
    truth: np.ndarray, proba: np.ndarray, labels: tuple[str, ...], *, max_points: int, bins: int
) -> dict[str, dict[str, Any]]:
    """One-vs-rest ROC curves (classes with rows of both kinds) and top-label calibration.

    Calibration bins each row's highest class probability against how often that class was
    the right one.
    """
    curves: dict[str, dict[str, Any]] = {}
    for position, label in enumerate(labels):
        positive = truth == position
        if 0 < positive.sum() < positive.size:
            fpr, tpr, _ = roc_curve(positive, proba[:, position])
            curves[OVR_ROC_PREFIX + label] = {
                **_points(fpr, tpr, max_points), "x_label": "false positive rate", "y_label": "true positive rate",
            }
    calibration = calibration_bins(proba.argmax(axis=1) == truth, proba.max(axis=1), bins=bins)
    curves["calibration"] = {**calibration, "x_label": "highest class probability", "y_label": "share where that class is right"}
    return curves


def regression_curves(
    y: np.ndarray, predicted: np.ndarray, *, max_points: int, bins: int
) -> dict[str, dict[str, Any]]:
    """Predicted vs actual and residuals on a seeded row sample; a residual histogram of all rows."""
    residual = y - predicted
    rows = np.random.default_rng(0).permutation(y.size)[: max(RESIDUAL_SAMPLE, max_points)]
    counts, edges = np.histogram(residual[np.isfinite(residual)], bins=max(bins, 10) * 3)
    return {
        "actual_vs_predicted": {
            "x": tuple(map(float, predicted[rows])), "y": tuple(map(float, y[rows])),
            "x_label": "predicted", "y_label": "actual",
        },
        "residuals": {
            "x": tuple(map(float, predicted[rows])), "y": tuple(map(float, residual[rows])),
            "x_label": "predicted", "y_label": "residual (actual − predicted)",
        },
        "residual_histogram": {
            "x": tuple(map(float, (edges[:-1] + edges[1:]) / 2)), "y": tuple(map(float, counts)),
            "counts": tuple(map(int, counts)), "x_label": "residual", "y_label": "rows",
        },
    }

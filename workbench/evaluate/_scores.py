"""Metrics of many bootstrap resamples at once, from a ``(B, n)`` draw-count matrix.

Each function takes ``weights`` (how often each row was drawn in each resample; a row of ones
is the plain metric) and returns one value per resample. The formulas are scikit-learn's with
``sample_weight`` (the tests check them against scikit-learn on the resampled rows); an
undefined value (a precision with no predicted positive, an AUC with one class) is NaN.
"""

from __future__ import annotations

import numpy as np

from workbench.evaluate._bootstrap import safe_divide

__all__ = ["CLASS_METRICS", "classification_scores", "multiclass_scores", "ranking_scores", "regression_scores"]

# Per-class figures of a multiclass review: each a (resamples, classes) array keyed "class_<name>".
CLASS_METRICS = ("precision", "recall", "f1", "roc_auc")


def classification_scores(
    weights: np.ndarray, positive: np.ndarray, score: np.ndarray, predicted: np.ndarray
) -> dict[str, np.ndarray]:
    """Every binary classification metric per resample.

    ``positive``: true label is the positive class (bool); ``score``: probability of the
    positive class; ``predicted``: predicted label is the positive class (bool).
    """
    pos = positive.astype(np.float64)
    pred = predicted.astype(np.float64)
    total = weights.sum(axis=1)
    n_pos = weights @ pos
    tp = weights @ (pos * pred)
    fp = weights @ ((1 - pos) * pred)
    fn = n_pos - tp
    eps = np.finfo(np.float64).eps
    p_true = np.clip(np.where(positive, score, 1 - score), eps, 1 - eps)
    roc_auc, average_precision = ranking_scores(weights, positive, score)
    return {
        "roc_auc": roc_auc,
        "average_precision": average_precision,
        "accuracy": safe_divide(total - fp - fn, total),
        "precision": safe_divide(tp, tp + fp),
        "recall": safe_divide(tp, n_pos),
        "f1": safe_divide(2 * tp, 2 * tp + fp + fn),
        "log_loss": safe_divide(weights @ -np.log(p_true), total),
        "brier": safe_divide(weights @ (score - pos) ** 2, total),
    }


def ranking_scores(
    weights: np.ndarray, positive: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ROC AUC (trapezoids) and average precision per resample, ties handled as scikit-learn does."""
    order = np.argsort(-score, kind="mergesort")
    ranked = score[order]
    ends = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]  # last row of each tie group
    pos = positive[order].astype(np.float64)
    drawn = weights[:, order]
    tp = np.cumsum(drawn * pos, axis=1)[:, ends]
    fp = np.cumsum(drawn * (1 - pos), axis=1)[:, ends]
    n_pos, n_neg = tp[:, -1:], fp[:, -1:]
    zero = np.zeros((drawn.shape[0], 1))
    tpr = np.hstack([zero, safe_divide(tp, n_pos)])
    fpr = np.hstack([zero, safe_divide(fp, n_neg)])
    auc = np.sum(np.diff(fpr, axis=1) * (tpr[:, 1:] + tpr[:, :-1]) / 2, axis=1)
    precision = np.nan_to_num(safe_divide(tp, tp + fp))
    average_precision = np.sum(np.diff(tpr, axis=1) * precision, axis=1)
    one_class = (n_pos[:, 0] == 0) | (n_neg[:, 0] == 0)
    return np.where(one_class, np.nan, auc), np.where(n_pos[:, 0] == 0, np.nan, average_precision)


def multiclass_scores(
    weights: np.ndarray, truth: np.ndarray, proba: np.ndarray, predicted: np.ndarray
) -> dict[str, np.ndarray]:
    """Every multiclass metric per resample, and the per-class figures as ``class_<name>``.

    ``truth`` and ``predicted`` are class positions (columns of ``proba``; -1 for a predicted
    label outside them), ``proba`` the class probabilities. As in scikit-learn, the macro
    averages run over the classes present (labelled or predicted) in each resample, and the
    one-vs-rest ROC AUC is undefined (NaN) when a class has no row in it.
    """
    columns = np.arange(proba.shape[1])
    actual = (truth[:, None] == columns).astype(np.float64)
    guessed = (predicted[:, None] == columns).astype(np.float64)
    total = weights.sum(axis=1)
    support, predicted_count, tp = weights @ actual, weights @ guessed, weights @ (actual * guessed)
    recall, precision = safe_divide(tp, support), safe_divide(tp, predicted_count)
    f1 = safe_divide(2 * tp, support + predicted_count)  # NaN for a class neither labelled nor predicted
    present, labelled = np.isfinite(f1), support > 0
    eps = np.finfo(np.float64).eps
    p_true = np.clip(proba[np.arange(truth.size), truth], eps, 1 - eps)
    roc_auc = np.column_stack([ranking_scores(weights, truth == k, proba[:, k])[0] for k in columns])
    return {
        "roc_auc": roc_auc.mean(axis=1),
        "accuracy": safe_divide(tp.sum(axis=1), total),
        "balanced_accuracy": safe_divide(np.where(labelled, recall, 0).sum(axis=1), labelled.sum(axis=1)),
        "f1_macro": safe_divide(np.where(present, f1, 0).sum(axis=1), present.sum(axis=1)),
        "f1_weighted": safe_divide((support * np.nan_to_num(f1)).sum(axis=1), support.sum(axis=1)),
        "log_loss": safe_divide(weights @ -np.log(p_true), total),
        "class_support": support,
        "class_precision": precision,
        "class_recall": recall,
        "class_f1": f1,
        "class_roc_auc": roc_auc,
    }


def regression_scores(weights: np.ndarray, y: np.ndarray, predicted: np.ndarray) -> dict[str, np.ndarray]:
    """R², MAE and RMSE per resample."""
    total = weights.sum(axis=1)
    error = predicted - y
    centred = y - y.mean()  # centring first keeps the sum of squares numerically stable
    mean = safe_divide(weights @ centred, total)
    total_squares = weights @ centred**2 - total * mean**2
    squared_error = weights @ error**2
    return {
        "r2": 1 - safe_divide(squared_error, np.where(total_squares <= 0, 0.0, total_squares)),
        "mae": safe_divide(weights @ np.abs(error), total),
        "rmse": np.sqrt(safe_divide(squared_error, total)),
    }

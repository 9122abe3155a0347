"""Metrics of many bootstrap resamples at once, from a ``(B, n)`` draw-count matrix.

Each function takes ``weights`` (how often each row was drawn in each resample; a row of ones
is the plain metric) and returns one value per resample. The formulas are scikit-learn's with
``sample_weight`` (the tests check them against scikit-learn on the resampled rows); an
undefined value (a precision with no predicted positive, an AUC with one class) is NaN.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from workbench.evaluate._bootstrap import safe_divide

__all__ = [
    "CLASS_METRICS",
    "classification_scores",
    "multiclass_scores",
    "ranking_scores",
    "regression_scores",
    "roc_auc_scores",
]

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
    """ROC AUC and average precision per resample, ties handled as scikit-learn does."""
    positive_weight, negative_weight = _weight_by_score(weights, positive, score)
    n_pos, n_neg = positive_weight.sum(axis=1), negative_weight.sum(axis=1)
    negative_below = np.cumsum(negative_weight, axis=1) - negative_weight
    auc = _auc(positive_weight, negative_weight, negative_below, n_pos, n_neg)
    # Thresholds from the highest score down: what is predicted positive at each distinct score.
    tp = n_pos[:, None] - (np.cumsum(positive_weight, axis=1) - positive_weight)
    predicted = tp + n_neg[:, None] - negative_below
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    average_precision = safe_divide(np.sum(positive_weight * precision, axis=1), n_pos)
    return auc, np.where(n_pos == 0, np.nan, average_precision)


def roc_auc_scores(weights: np.ndarray, positive: np.ndarray, score: np.ndarray) -> np.ndarray:
    """ROC AUC per resample alone (the one-vs-rest AUC of each class)."""
    positive_weight, negative_weight = _weight_by_score(weights, positive, score)
    negative_below = np.cumsum(negative_weight, axis=1) - negative_weight
    return _auc(positive_weight, negative_weight, negative_below, positive_weight.sum(axis=1), negative_weight.sum(axis=1))


def _auc(
    positive_weight: np.ndarray, negative_weight: np.ndarray, negative_below: np.ndarray,
    n_pos: np.ndarray, n_neg: np.ndarray,
) -> np.ndarray:
    """The Mann-Whitney form of the trapezoid ROC area: each positive's weight times the negative
    weight below its score plus half the negative weight tied with it; NaN with one class."""
    pairs = np.sum(positive_weight * (negative_below + 0.5 * negative_weight), axis=1)
    return safe_divide(pairs, n_pos * n_neg)


def _weight_by_score(weights: np.ndarray, positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drawn weight of the positive and of the negative rows at each distinct score (ascending).

    One sparse product pools the rows, so the cumulative sums after it run over
    ``(B, distinct scores)`` and no ``(B, rows)`` copy in score order is made.
    """
    distinct, group = np.unique(score, return_inverse=True)
    size = distinct.size
    column = np.where(positive.astype(bool), group, group + size)
    member = sparse.csr_matrix((np.ones(score.size), (np.arange(score.size), column)), shape=(score.size, 2 * size))
    pooled = np.asarray(member.T @ weights.T).T
    return pooled[:, :size], pooled[:, size:]


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
    roc_auc = np.column_stack([roc_auc_scores(weights, truth == k, proba[:, k]) for k in columns])
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

"""Per-task scoring of labelled predictions, one bootstrap weight matrix at a time.

A scorer turns a window's labelled predictions into arrays once (:attr:`Scorer.prepare`), then
scores any ``(B, n)`` matrix of resample draw counts in a few matrix products
(:attr:`Scorer.score`): the point estimate is the all-ones row, the interval the percentiles
of the resampled rows. Every metric equals scikit-learn's on the resampled rows (a class absent
from a resample is absent from its macro average, as ``f1_score`` on those rows would have it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.evaluate._bootstrap import interval, resample_weights, safe_divide
from workbench.exceptions import DataError

__all__ = ["SCORERS", "Scorer", "check_regression_labels", "label_text", "score_rows", "weighted_auc"]

# R² of a handful of rows says more about the rows than the model: below this it is not shown.
MIN_R2_ROWS = 20

Prepared = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Scorer:
    """How one task scores labelled predictions: its metrics, in the order they are shown."""

    metrics: tuple[str, ...]
    prepare: Callable[[pd.DataFrame, Any], Prepared]
    score: Callable[[Prepared, np.ndarray], dict[str, np.ndarray]]
    min_rows: Mapping[str, int] = dataclasses.field(default_factory=dict)


def label_text(values: pd.Series) -> np.ndarray:
    """Class values as text, whole floats written as integers (``1.0`` from a CSV reads ``"1"``)."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(str).to_numpy(dtype=str)
    numbers = pd.to_numeric(values, errors="coerce")
    if values.dtype == object:  # True stays "True", not "1"
        numbers = numbers.where(~values.map(type).isin([bool, np.bool_]))
    whole = numbers.notna() & (numbers.abs() < 2**53) & (numbers % 1 == 0)
    text = values.astype(str).to_numpy(dtype=object)
    text[whole.to_numpy()] = numbers[whole].astype(np.int64).astype(str).to_numpy()
    return text.astype(str)


def weighted_auc(scores: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``weights`` (resample draw counts), ties counted half."""
    order = np.argsort(scores, kind="stable")
    scores, positive, weights = scores[order], positive[order], weights[:, order]
    starts = np.flatnonzero(np.r_[True, scores[1:] != scores[:-1]])
    pos = np.add.reduceat(weights * positive, starts, axis=1)
    neg = np.add.reduceat(weights * (1 - positive), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    total_pos, total_neg = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * (below + neg / 2)).sum(axis=1) / (total_pos * total_neg)
    return np.where((total_pos > 0) & (total_neg > 0), auc, np.nan)


def _binary_prepare(part: pd.DataFrame, positive_label: Any) -> Prepared:
    labels = label_text(part["label"])
    scores = part["probability"].to_numpy(dtype=np.float64, na_value=np.nan)
    return {
        "correct": (label_text(part["prediction"]) == labels).astype(np.float64),
        "positive": (labels == label_text(pd.Series([positive_label]))[0]).astype(np.float64),
        "scores": scores if bool(np.isfinite(scores).all()) else None,
    }


def _binary_score(rows: Prepared, weights: np.ndarray) -> dict[str, np.ndarray]:
    scores = rows["scores"]
    auc = weighted_auc(scores, rows["positive"], weights) if scores is not None else np.full(len(weights), np.nan)
    return {"roc_auc": auc, "accuracy": weights @ rows["correct"] / weights.sum(axis=1)}


def _multiclass_prepare(part: pd.DataFrame, positive_label: Any) -> Prepared:
    labels, predicted = label_text(part["label"]), label_text(part["prediction"])
    classes, codes = np.unique(np.concatenate([labels, predicted]), return_inverse=True)
    true_codes, predicted_codes = codes[: len(labels)], codes[len(labels):]
    actual = np.eye(len(classes))[true_codes]
    return {"actual": actual, "predicted": np.eye(len(classes))[predicted_codes],
            "hits": actual * (true_codes == predicted_codes)[:, None]}


def _multiclass_score(rows: Prepared, weights: np.ndarray) -> dict[str, np.ndarray]:
    actual, predicted, hits = weights @ rows["actual"], weights @ rows["predicted"], weights @ rows["hits"]
    present = (actual + predicted) > 0  # a class the resample neither holds nor predicts is not averaged
    f1 = safe_divide(2 * hits, actual + predicted)
    f1 = np.where(present, f1, 0.0)
    return {
        "accuracy": hits.sum(axis=1) / weights.sum(axis=1),
        "f1_macro": f1.sum(axis=1) / present.sum(axis=1),
        "f1_weighted": (f1 * actual).sum(axis=1) / actual.sum(axis=1),  # weighted by each class's support
    }


def _regression_prepare(part: pd.DataFrame, positive_label: Any) -> Prepared:
    observed = part["label"].to_numpy(dtype=np.float64)
    predicted = part["prediction"].to_numpy(dtype=np.float64)
    centred = observed - observed.mean()  # sums of squares about the mean: no cancellation
    return {"errors": observed - predicted, "centred": centred}


def _regression_score(rows: Prepared, weights: np.ndarray) -> dict[str, np.ndarray]:
    errors, centred = rows["errors"], rows["centred"]
    total = weights.sum(axis=1)
    squared, around_mean = weights @ errors**2, weights @ centred**2
    spread = around_mean - (weights @ centred) ** 2 / total
    # A resample of one repeated row has no spread; rounding leaves a speck that R² would blow up.
    spread = np.where(spread > 1e-12 * around_mean, spread, 0.0)
    return {
        "mae": weights @ np.abs(errors) / total,
        "rmse": np.sqrt(squared / total),
        "r2": 1 - safe_divide(squared, spread),
    }


SCORERS: dict[str, Scorer] = {
    "binary": Scorer(("roc_auc", "accuracy"), _binary_prepare, _binary_score),
    "multiclass": Scorer(("accuracy", "f1_macro", "f1_weighted"), _multiclass_prepare, _multiclass_score),
    "regression": Scorer(("mae", "rmse", "r2"), _regression_prepare, _regression_score,
                         min_rows={"r2": MIN_R2_ROWS}),
}


def score_rows(part: pd.DataFrame, scorer: Scorer, *, positive_label: Any, n_bootstrap: int,
               seed: int) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Each metric of ``scorer`` on ``part`` (labelled predictions) and its 95 % bootstrap interval."""
    rows = scorer.prepare(part, positive_label)
    point = scorer.score(rows, np.ones((1, len(part))))
    draws: dict[str, list[np.ndarray]] = {name: [] for name in scorer.metrics}
    for weights in resample_weights(len(part), n_bootstrap, seed=seed):
        for name, resampled in scorer.score(rows, weights).items():
            draws[name].append(resampled)
    values: dict[str, float] = {}
    intervals: dict[str, tuple[float, float]] = {}
    for name in scorer.metrics:
        enough = len(part) >= scorer.min_rows.get(name, 1)
        values[name] = float(point[name][0]) if enough else float("nan")
        intervals[name] = interval(np.concatenate(draws[name])) if enough and draws[name] else (np.nan, np.nan)
    return values, intervals


def check_regression_labels(labelled: pd.DataFrame) -> pd.DataFrame:
    """Labels and predictions as finite numbers; a :class:`DataError` names the first bad value."""
    out = labelled.copy()
    for column, what in (("label", "labels"), ("prediction", "logged predictions")):
        numbers = pd.to_numeric(out[column], errors="coerce").astype(np.float64)
        bad = ~np.isfinite(numbers.to_numpy())
        if bad.any():
            first = out[column].to_numpy()[bad][0]
            fix = ("Post the observed value of the target (a number) for each prediction."
                   if column == "label" else "Check that the served model is the project's regressor.")
            raise DataError(f"{int(bad.sum())} of the {what} are not finite numbers (first: {first!r}), "
                            "but the project's task is regression.", column=column, hint=fix)
        out[column] = numbers
    return out

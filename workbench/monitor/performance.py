"""Performance per window once labels arrive: accuracy and ROC AUC with bootstrap intervals.

Labels come from ``/v1/feedback`` (:func:`workbench.deploy.predlog.read_feedback`) or a labels
file, joined to the prediction log by ``(request_id, row)``. Intervals are percentile bootstraps
computed as weight matrices (one ``(B, n)`` draw-count matrix per window), so a window costs a
few numpy calls however many resamples are asked for.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.evaluate._bootstrap import interval, resample_weights
from workbench.exceptions import DataError
from workbench.monitor.windows import window_starts

__all__ = ["WindowPerformance", "join_labels", "load_labels", "performance_by_window", "weighted_auc"]


@dataclasses.dataclass(frozen=True)
class WindowPerformance:
    """Accuracy and ROC AUC of one window's labelled predictions, with 95 % intervals."""

    start: str
    end: str
    n_labelled: int
    accuracy: float
    accuracy_interval: tuple[float, float]
    roc_auc: float
    roc_auc_interval: tuple[float, float]


def load_labels(labels: Any) -> pd.DataFrame:
    """Labels as ``request_id, row, label`` from a DataFrame or a CSV/Parquet file.

    ``row`` (the row of the request) is optional: without it, a request's labels are its rows in
    file order (``0, 1, ...``), as ``/v1/feedback`` takes a list. A :class:`DataError` names the
    missing columns or the bad rows.
    """
    from workbench._io import read_table

    path = None
    if isinstance(labels, (str, Path)):
        path = Path(labels)
        labels = read_table(path)
    if not isinstance(labels, pd.DataFrame):
        raise DataError(f"labels must be a DataFrame or a CSV/Parquet path, not {type(labels).__name__}.",
                        hint="Pass a file with columns request_id, row (optional) and label.")
    source = f"The labels file {path}" if path is not None else "The labels"
    missing = [c for c in ("request_id", "label") if c not in labels.columns]
    if missing:
        raise DataError(
            f"{source} lack the column(s) {', '.join(missing)}; found: {', '.join(map(str, labels.columns)) or 'none'}.",
            column=missing[0], path=path,
            hint="Give one row per labelled prediction with columns request_id, row (optional) and label.",
        )
    frame = labels.assign(request_id=labels["request_id"].astype(str))
    if "row" not in frame.columns:
        frame = frame.assign(row=frame.groupby("request_id", sort=False).cumcount())
    rows = pd.to_numeric(frame["row"], errors="coerce")
    bad = frame.index[rows.isna() | (rows < 0) | (rows % 1 != 0)]
    if len(bad):
        raise DataError(f"{source} have {len(bad)} row(s) whose 'row' is not a whole number >= 0 "
                        f"(first: {frame['row'].loc[bad[0]]!r}).", column="row", path=path,
                        hint="'row' is the position of the prediction within its request, from 0.")
    return frame.assign(row=rows.astype(np.int64))[["request_id", "row", "label"]]


def join_labels(predictions: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Predictions that have a label: ``timestamp, prediction, probability, label``."""
    if predictions.empty or labels.empty:
        return pd.DataFrame(columns=["timestamp", "prediction", "probability", "label"])
    keys = ["request_id", "row"]
    joined = predictions[[*keys, "timestamp", "prediction", "probability"]].merge(
        labels[[*keys, "label"]].drop_duplicates(keys, keep="last"), on=keys, how="inner"
    )
    return joined[joined["label"].notna()].reset_index(drop=True)


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


def _window(part: pd.DataFrame, positive_label: Any, n_bootstrap: int, seed: int) -> dict[str, Any]:
    labels = part["label"].astype(str).to_numpy()
    correct = (part["prediction"].astype(str).to_numpy() == labels).astype(np.float64)
    positive = (labels == str(positive_label)).astype(np.float64)
    scores = part["probability"].to_numpy(dtype=np.float64, na_value=np.nan)
    has_scores = bool(np.isfinite(scores).all())
    ones = np.ones((1, len(part)))
    accuracy_draws, auc_draws = [], []
    for weights in resample_weights(len(part), n_bootstrap, seed=seed):
        accuracy_draws.append(weights @ correct / weights.sum(axis=1))
        if has_scores:
            auc_draws.append(weighted_auc(scores, positive, weights))
    auc = float(weighted_auc(scores, positive, ones)[0]) if has_scores else float("nan")
    return {
        "accuracy": float(correct.mean()),
        "accuracy_interval": interval(np.concatenate(accuracy_draws)),
        "roc_auc": auc,
        "roc_auc_interval": interval(np.concatenate(auc_draws)) if auc_draws else (float("nan"), float("nan")),
    }


def performance_by_window(
    labelled: pd.DataFrame, *, window: str, origin: pd.Timestamp, positive_label: Any = 1,
    n_bootstrap: int = 200, seed: int = 0,
) -> list[WindowPerformance]:
    """Per window of the predictions' ``timestamp``: performance on the rows that have labels."""
    if labelled.empty:
        return []
    span = pd.Timedelta(window)
    starts = window_starts(labelled["timestamp"], window, origin)
    out = []
    for start, part in labelled.groupby(starts, sort=True):
        figures = _window(part, positive_label, n_bootstrap, seed)
        out.append(WindowPerformance(start=start.isoformat(), end=(start + span).isoformat(),
                                     n_labelled=len(part), **figures))
    return out


def overall(labelled: pd.DataFrame, *, positive_label: Any = 1, n_bootstrap: int = 200, seed: int = 0) -> dict[str, Any]:
    """Accuracy and ROC AUC over every labelled prediction (``{}`` when none)."""
    if labelled.empty:
        return {}
    return {"n_labelled": len(labelled), **_window(labelled, positive_label, n_bootstrap, seed)}

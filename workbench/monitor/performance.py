"""Performance per window once labels arrive, with the metrics of the project's task.

Binary: ROC AUC and accuracy; multiclass: accuracy, macro and weighted F1; regression: MAE,
RMSE and R² (the scorers of :mod:`workbench.monitor._scorers`). Labels come from
``/v1/feedback`` (:func:`workbench.deploy.predlog.read_feedback`) or a labels file, joined to
the prediction log by ``(request_id, row)``. Intervals are percentile bootstraps
computed as weight matrices (one ``(B, n)`` draw-count matrix per window), so a window costs a
few numpy calls however many resamples are asked for.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import DataError
from workbench.monitor._scorers import SCORERS, check_regression_labels, label_text, score_rows
from workbench.monitor.windows import window_starts
from workbench.tasks import task_named

__all__ = [
    "METRIC_TITLES",
    "WindowPerformance",
    "check_labelled",
    "join_labels",
    "last_class",
    "load_labels",
    "overall",
    "performance_by_window",
]

# How a metric is named to people (figures, summaries, notes).
METRIC_TITLES: dict[str, str] = {
    "roc_auc": "ROC AUC", "accuracy": "accuracy", "f1_macro": "macro F1", "f1_weighted": "weighted F1",
    "mae": "MAE", "rmse": "RMSE", "r2": "R²",
}


@dataclasses.dataclass(frozen=True)
class WindowPerformance:
    """One window's labelled predictions scored with its task's metrics, with 95 % intervals.

    ``metrics`` holds every metric of the task's scorer (binary: ``roc_auc, accuracy``;
    multiclass: ``accuracy, f1_macro, f1_weighted``; regression: ``mae, rmse, r2``), NaN where
    a window cannot tell (one class only for ROC AUC, too few rows for R²).
    """

    start: str
    end: str
    n_labelled: int
    metrics: dict[str, float]
    intervals: dict[str, tuple[float, float]]

    def value(self, metric: str) -> float:
        """The window's ``metric`` (NaN when the task does not score it)."""
        return self.metrics.get(metric, math.nan)

    def interval(self, metric: str) -> tuple[float, float]:
        """The 95 % bootstrap interval of ``metric`` (NaN, NaN when unknown)."""
        return self.intervals.get(metric, (math.nan, math.nan))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WindowPerformance:
        """Rebuild from JSON (null as NaN); a schema-1 window (flat accuracy / roc_auc) reads too."""
        if "metrics" not in data:
            names = [k for k in ("roc_auc", "accuracy") if k in data]
            data = {**data, "metrics": {k: data[k] for k in names},
                    "intervals": {k: data[f"{k}_interval"] for k in names}}
        return cls(
            start=data["start"], end=data["end"], n_labelled=int(data["n_labelled"]),
            metrics={k: _nan(v) for k, v in data["metrics"].items()},
            intervals={k: (_nan(v[0]), _nan(v[1])) for k, v in data["intervals"].items()},
        )


def _nan(value: Any) -> float:
    return math.nan if value is None else float(value)


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


def check_labelled(labelled: pd.DataFrame, task: str) -> tuple[pd.DataFrame, list[str]]:
    """The labelled predictions ready to score for ``task``, and notes on labels that look wrong.

    Regression labels and predictions must be finite numbers (a :class:`DataError` names the
    first bad one); classification labels that share no value with the predicted classes are
    noted, since every prediction then counts as wrong.
    """
    if labelled.empty:
        return labelled, []
    if not task_named(task).classifier:
        return check_regression_labels(labelled), []
    labels = set(label_text(labelled["label"]).tolist())
    predicted = set(label_text(labelled["prediction"]).tolist())
    if labels & predicted:
        return labelled, []
    return labelled, [f"None of the labels (e.g. {sorted(labels)[0]!r}) is a class the model predicted "
                      f"(e.g. {sorted(predicted)[0]!r}): check that the labels use the model's class values."]


def last_class(labelled: pd.DataFrame) -> Any:
    """The class a binary model's logged ``probability`` is for when ``positive_label`` is not set.

    scikit-learn sorts a classifier's classes and the log keeps the last one's probability: the
    largest of the labels and predictions, numbers compared as numbers (1 when there are none).
    """
    values = pd.concat([labelled["label"], labelled["prediction"]]).dropna().unique() if not labelled.empty else []
    if not len(values):
        return 1
    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    return numbers.max() if numbers.notna().all() else max(label_text(pd.Series(values)).tolist())


def _window(part: pd.DataFrame, task: str, positive_label: Any, n_bootstrap: int,
            seed: int) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    scorer = SCORERS[task_named(task).name]
    return score_rows(part, scorer, positive_label=positive_label, n_bootstrap=n_bootstrap, seed=seed)


def performance_by_window(
    labelled: pd.DataFrame, *, task: str, window: str, origin: pd.Timestamp, positive_label: Any = 1,
    n_bootstrap: int = 200, seed: int = 0,
) -> list[WindowPerformance]:
    """Per window of the predictions' ``timestamp``: the ``task``'s metrics on the rows that have labels.

    ``labelled`` comes from :func:`join_labels` (and :func:`check_labelled` for regression);
    ``task`` is a :data:`workbench.tasks.TASKS` name.
    """
    if labelled.empty:
        return []
    span = pd.Timedelta(window)
    starts = window_starts(labelled["timestamp"], window, origin)
    out = []
    for start, part in labelled.groupby(starts, sort=True):
        metrics, intervals = _window(part, task, positive_label, n_bootstrap, seed)
        out.append(WindowPerformance(start=start.isoformat(), end=(start + span).isoformat(),
                                     n_labelled=len(part), metrics=metrics, intervals=intervals))
    return out


def overall(labelled: pd.DataFrame, *, task: str, positive_label: Any = 1, n_bootstrap: int = 200,
            seed: int = 0) -> dict[str, Any]:
    """The ``task``'s metrics over every labelled prediction (``{}`` when none)."""
    if labelled.empty:
        return {}
    metrics, _ = _window(labelled, task, positive_label, n_bootstrap, seed)
    return {"n_labelled": len(labelled), **metrics}

"""The metrics review: performance with bootstrap intervals, against a baseline and the champion.

What is measured depends on the task (:data:`workbench.tasks.TASKS`):

* binary: ROC AUC, average precision, accuracy, precision, recall, F1, log loss, Brier score,
  the confusion matrix, and ROC / precision-recall / calibration curves;
* multiclass: one-vs-rest macro ROC AUC, accuracy, balanced accuracy, macro and weighted F1,
  log loss, the confusion matrix over every class, per-class precision / recall / F1 / ROC AUC,
  a one-vs-rest ROC curve per class and top-label calibration;
* regression: R², MAE, RMSE and residuals (a row sample and a histogram).

Curves are stored as at most ``max_curve_points`` points. Intervals are percentile bootstrap
intervals over ``n_bootstrap`` resamples of the rows; every model is scored on the *same*
resamples, so the interval of a difference with the baseline or the champion is a paired one.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from typing import Any, Self

import numpy as np

from workbench.evaluate._bootstrap import interval, resample_weights
from workbench.evaluate._checks import as_array, check_same_length, model_name
from workbench.evaluate._curves import OVR_ROC_PREFIX
from workbench.evaluate._metric_records import (
    ClassMetrics,
    Comparison,
    Curve,
    class_metrics_from_dict,
    comparison_from_dict,
    curves_from_dict,
    numbers,
    pairs,
)
from workbench.evaluate._task_of import resolve_task
from workbench.evaluate._task_reviews import REVIEWS, Scored, TaskReview
from workbench.evaluate.baselines import ChampionModel, fit_dummy
from workbench.exceptions import WorkbenchWarning
from workbench.reports.base import Report
from workbench.tasks import TaskType, task_named

__all__ = [
    "METRIC_LABELS",
    "OVR_ROC_PREFIX",
    "ClassMetrics",
    "Comparison",
    "Curve",
    "MetricsReport",
    "evaluate_model",
    "metric_label",
]

METRIC_LABELS = {
    "roc_auc": "ROC AUC", "average_precision": "average precision", "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy", "precision": "precision", "recall": "recall", "f1": "F1",
    "f1_macro": "macro F1", "f1_weighted": "weighted F1", "log_loss": "log loss", "brier": "Brier score",
    "r2": "R²", "mae": "MAE", "rmse": "RMSE",
}
# Where a metric means something more specific for one task than its plain label says.
_TASK_METRIC_LABELS = {("multiclass", "roc_auc"): "ROC AUC (one-vs-rest, macro)"}


def metric_label(task: str, metric: str) -> str:
    """How to name ``metric`` of a ``task`` review in words (``"R²"``, ``"ROC AUC (one-vs-rest, macro)"``)."""
    return _TASK_METRIC_LABELS.get((task_named(task).name, metric), METRIC_LABELS.get(metric, metric))


@dataclasses.dataclass(frozen=True, kw_only=True)
class MetricsReport(Report):
    """Performance of one model on one labelled set, with intervals and comparisons.

    ``task`` is a :data:`~workbench.tasks.TASKS` name. ``confusion_labels`` name the rows and
    columns of ``confusion_matrix`` (binary: negative, positive; multiclass: every class, in
    the order of ``class_metrics``).
    """

    kind = "metrics"
    title = "Model evaluation"
    task: str
    model: str
    n_rows: int
    metrics: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    n_bootstrap: int
    seed: int
    confidence: float = 0.95
    positive_label: str | None = None
    positive_share: float | None = None
    threshold: float | None = None
    confusion_labels: tuple[str, ...] = ()
    confusion_matrix: tuple[tuple[int, ...], ...] = ()
    class_metrics: tuple[ClassMetrics, ...] = ()
    curves: dict[str, Curve] = dataclasses.field(default_factory=dict)
    comparisons: tuple[Comparison, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def task_type(self) -> TaskType:
        """The task's entry in :data:`~workbench.tasks.TASKS`."""
        return task_named(self.task)

    @property
    def primary_metric(self) -> str:
        """The metric gates and summaries lead with: the task's (``roc_auc``, ``r2``)."""
        return self.task_type.primary_metric

    def comparison(self, name: str) -> Comparison | None:
        """The comparison called ``name`` (``"baseline"``, ``"champion"``), or None."""
        return next((c for c in self.comparisons if c.name == name), None)

    def margin_over(self, name: str = "baseline", metric: str | None = None) -> float:
        """The model's ``metric`` minus the ``name`` model's (NaN when that model is absent)."""
        other = self.comparison(name)
        value = other.differences.get(metric or self.primary_metric) if other else None
        return math.nan if value is None else value

    def summary(self) -> str:
        metric = self.primary_metric
        low, high = self.intervals.get(metric, (math.nan, math.nan))
        span = f" [{low:.3f}, {high:.3f}]" if math.isfinite(low) else ""
        text = f"{self.model}: {metric} {self.metrics[metric]:.3f}{span} on {self.n_rows:,} rows"
        margin = self.margin_over()
        return text + (f", {margin:+.3f} over the baseline" if not math.isnan(margin) else "")

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        return cls(
            # Reports written before multiclass existed say "classification": it meant binary.
            task=task_named(payload.pop("task")).name,
            intervals=pairs(payload.pop("intervals")),
            curves=curves_from_dict(payload.pop("curves")),
            comparisons=tuple(comparison_from_dict(c) for c in payload.pop("comparisons")),
            confusion_labels=tuple(payload.pop("confusion_labels")),
            confusion_matrix=tuple(tuple(row) for row in payload.pop("confusion_matrix")),
            class_metrics=tuple(class_metrics_from_dict(c) for c in payload.pop("class_metrics", ())),
            warnings=tuple(payload.pop("warnings")),
            metrics=numbers(payload.pop("metrics")),
            **payload,
        )


def evaluate_model(
    model: Any,
    X: Any,
    y: Any,
    *,
    task: str | None = None,
    positive_label: Any = None,
    threshold: float | None = None,
    baseline: Any = None,
    X_train: Any = None,
    y_train: Any = None,
    champion: Any = None,
    n_bootstrap: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    max_curve_points: int = 200,
    calibration_bins: int = 10,
) -> MetricsReport:
    """Evaluate a fitted model on labelled rows, with bootstrap intervals and comparisons.

    Parameters
    ----------
    model : fitted estimator
        A scikit-learn classifier with ``predict_proba`` or a regressor; a Pipeline works.
    X, y : DataFrame / array, Series / array
        The evaluated rows (usually the test split) and their labels.
    task : {"binary", "multiclass", "regression"}, optional
        A :data:`~workbench.tasks.TASKS` name (``"classification"`` reads as ``"binary"``).
        By default the model's kind decides (a classifier with more than two classes is
        multiclass), else the labels do.
    positive_label : optional
        Binary only: the positive class; the model's last class when not given.
    threshold : float, optional
        Binary only: predict positive when the probability reaches it; by default the model's
        own ``predict``.
    baseline : fitted estimator, optional
        The baseline to beat. By default a dummy model (class prior, or the mean) fitted on
        ``X_train, y_train`` when given, else on the evaluated labels (stated in the report).
    champion : fitted estimator or ChampionModel, optional
        The current champion (see :func:`~workbench.evaluate.load_champion`), compared on the same rows.
    n_bootstrap : int
        Resamples for the intervals (0 for none). ``seed`` makes them reproducible.

    Returns
    -------
    MetricsReport
        ``metrics`` (the task's metric names → value), ``intervals``, ``comparisons`` (baseline
        first), curves; for classification the confusion matrix, for multiclass ``class_metrics``.

    Examples
    --------
    >>> report = wb.evaluate_model(model, split.X_test, split.y_test,
    ...                            X_train=split.X_train, y_train=split.y_train)  # doctest: +SKIP
    >>> report.metrics[report.primary_metric], report.margin_over("baseline")  # doctest: +SKIP
    """
    labels = as_array(y, "y")
    n_rows = check_same_length(X=X, y=labels)
    kind = resolve_task(task, model=model, y=labels, review="metrics review")
    review = REVIEWS[kind.name](model, labels, positive_label=positive_label, threshold=threshold)
    scored = [review.predict("model", model_name(model), model, X)]
    dummy, description = fit_dummy(kind.name, labels, baseline=baseline, X_train=X_train, y_train=y_train)
    scored.append(review.predict("baseline", description, dummy, X))
    if champion is not None:
        entry = champion if isinstance(champion, ChampionModel) else ChampionModel(champion, "current champion")
        scored.append(review.predict("champion", entry.description, entry.model, X))
    point = [_headline(kind, review.scores(np.ones((1, n_rows)), s)) for s in scored]
    samples = _bootstrap(review, scored, n_rows, n_bootstrap=n_bootstrap, seed=seed)
    curves = [review.curves(s, max_points=max_curve_points, bins=calibration_bins) for s in scored]
    return MetricsReport(
        task=kind.name,
        model=scored[0].description,
        n_rows=n_rows,
        metrics=point[0],
        intervals={k: interval(samples[0][k], confidence=confidence) for k in kind.metrics if k in samples[0]},
        n_bootstrap=n_bootstrap,
        seed=seed,
        confidence=confidence,
        **review.details(scored[0], samples[0], confidence=confidence),
        curves=curves[0],
        comparisons=tuple(
            _comparison(s, kind, point[0], point[i], samples[0], samples[i], curves[i], confidence)
            for i, s in enumerate(scored) if i
        ),
        warnings=_warn_undefined(point[0], review),
    )


def _headline(task: TaskType, values: Mapping[str, np.ndarray]) -> dict[str, float]:
    """The task's metrics, in the registry's order, from one weighting (the plain rows)."""
    return {name: float(values[name][0]) for name in task.metrics}


def _bootstrap(
    review: TaskReview, scored: list[Scored], n_rows: int, *, n_bootstrap: int, seed: int
) -> list[dict[str, np.ndarray]]:
    """Each model's metrics over the same ``n_bootstrap`` resamples (empty for none).

    Headline metrics are ``(n_bootstrap,)`` arrays; per-class figures ``(n_bootstrap, classes)``.
    """
    chunks: list[list[dict[str, np.ndarray]]] = [[] for _ in scored]
    for weights in resample_weights(n_rows, n_bootstrap, seed=seed):
        for position, entry in enumerate(scored):
            chunks[position].append(review.scores(weights, entry))
    if not n_bootstrap:
        return [{} for _ in scored]
    return [{k: np.concatenate([c[k] for c in parts]) for k in parts[0]} for parts in chunks]


def _comparison(
    other: Scored,
    task: TaskType,
    model_point: dict[str, float],
    other_point: dict[str, float],
    model_samples: dict[str, np.ndarray],
    other_samples: dict[str, np.ndarray],
    curves: dict[str, Curve],
    confidence: float,
) -> Comparison:
    return Comparison(
        name=other.name,
        description=other.description,
        metrics=other_point,
        differences={k: model_point[k] - other_point[k] for k in model_point},
        intervals={
            k: interval(model_samples[k] - other_samples[k], confidence=confidence)
            for k in task.metrics if k in model_samples
        },
        curves={k: v for k, v in curves.items() if k == "roc"},
    )


def _warn_undefined(metrics: dict[str, float], review: TaskReview) -> tuple[str, ...]:
    undefined = [name for name, value in metrics.items() if math.isnan(value)]
    if not undefined:
        return ()
    message = f"Undefined on these rows (reported as NaN): {', '.join(undefined)}. {review.undefined_note}"
    warnings.warn(message, WorkbenchWarning, stacklevel=3)
    return (message,)

"""The metrics review: performance with bootstrap intervals, against a baseline and the champion.

Classification (binary): ROC AUC, average precision, accuracy, precision, recall, F1, log loss,
Brier score, the confusion matrix, and ROC / precision-recall / calibration curves stored as at
most ``max_curve_points`` points. Regression: R², MAE, RMSE and residuals (a row sample and a
histogram). Intervals are percentile bootstrap intervals over ``n_bootstrap`` resamples of the
rows; every model is scored on the *same* resamples, so the interval of a difference with the
baseline or the champion is a paired one.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from typing import Any, Self

import numpy as np

from workbench.evaluate._bootstrap import interval, resample_weights
from workbench.evaluate._checks import (
    as_array,
    check_classification_target,
    check_positive_label,
    check_regression_target,
    check_same_length,
    infer_task,
    model_name,
    positive_scores,
)
from workbench.evaluate._curves import classification_curves, regression_curves
from workbench.evaluate._scores import classification_scores, regression_scores
from workbench.evaluate.baselines import ChampionModel, fit_dummy
from workbench.exceptions import WorkbenchWarning
from workbench.reports.base import Report

__all__ = ["Comparison", "Curve", "MetricsReport", "evaluate_model"]

LOWER_IS_BETTER = frozenset({"log_loss", "brier", "mae", "rmse"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Curve:
    """A curve as points (``x``, ``y``); ``counts`` per point where it has them (calibration bins)."""

    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    x_label: str = ""
    y_label: str = ""
    counts: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class Comparison:
    """Another model scored on the same rows: its metrics and the model's advantage over it.

    ``differences`` are the model's value minus the other's; ``intervals`` are their paired
    bootstrap intervals.
    """

    name: str
    description: str
    metrics: dict[str, float]
    differences: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    curves: dict[str, Curve] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True)
class MetricsReport(Report):
    """Performance of one model on one labelled set, with intervals and comparisons."""

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
    curves: dict[str, Curve] = dataclasses.field(default_factory=dict)
    comparisons: tuple[Comparison, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def primary_metric(self) -> str:
        """The metric gates and summaries lead with: ``roc_auc`` or ``r2``."""
        return "roc_auc" if self.task == "classification" else "r2"

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
        text = f"{self.model}: {metric} {self.metrics[metric]:.3f} [{low:.3f}, {high:.3f}] on {self.n_rows:,} rows"
        margin = self.margin_over()
        return text + (f", {margin:+.3f} over the baseline" if not math.isnan(margin) else "")

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        def curves(data: dict[str, Any]) -> dict[str, Curve]:
            return {
                k: Curve(**{**c, "x": tuple(c["x"]), "y": tuple(c["y"]), "counts": tuple(c["counts"])})
                for k, c in data.items()
            }

        comparisons = tuple(
            Comparison(
                **{
                    **c,
                    "metrics": _numbers(c["metrics"]),
                    "differences": _numbers(c["differences"]),
                    "intervals": _pairs(c["intervals"]),
                    "curves": curves(c["curves"]),
                }
            )
            for c in payload.pop("comparisons")
        )
        return cls(
            intervals=_pairs(payload.pop("intervals")),
            curves=curves(payload.pop("curves")),
            comparisons=comparisons,
            confusion_labels=tuple(payload.pop("confusion_labels")),
            confusion_matrix=tuple(tuple(row) for row in payload.pop("confusion_matrix")),
            warnings=tuple(payload.pop("warnings")),
            metrics=_numbers(payload.pop("metrics")),
            **payload,
        )


def _numbers(values: Mapping[str, Any]) -> dict[str, float]:
    return {k: math.nan if v is None else float(v) for k, v in values.items()}


def _pairs(values: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    return {k: tuple(math.nan if x is None else float(x) for x in v) for k, v in values.items()}  # type: ignore[misc]


@dataclasses.dataclass(frozen=True)
class _Scored:
    """One model's predictions on the evaluated rows, ready for the vectorised metrics."""

    name: str
    description: str
    score: np.ndarray  # probability of the positive class, or the regression prediction
    predicted: np.ndarray  # predicted label is positive (bool); regression: the prediction


class _Task:
    """What differs between classification and regression: predictions, metrics, curves."""

    def __init__(self, task: str, y: np.ndarray, *, positive_label: Any, threshold: float | None) -> None:
        self.task = task
        self.threshold = threshold
        self.positive_label = positive_label
        self.y = y
        self.positive = y == positive_label if task == "classification" else y

    def predict(self, name: str, description: str, model: Any, X: Any) -> _Scored:
        if self.task == "regression":
            values = np.asarray(model.predict(X), dtype=np.float64).ravel()
            return _Scored(name, description, values, values)
        score = positive_scores(model, X, self.positive_label, review="metrics review", missing_ok=name != "model")
        if self.threshold is None:
            predicted = as_array(model.predict(X), "the model's predictions") == self.positive_label
        else:
            predicted = score >= self.threshold
        return _Scored(name, description, score, predicted)

    def scores(self, weights: np.ndarray, scored: _Scored) -> dict[str, np.ndarray]:
        if self.task == "regression":
            return regression_scores(weights, self.y.astype(np.float64), scored.score)
        return classification_scores(weights, self.positive, scored.score, scored.predicted)

    def curves(self, scored: _Scored, *, max_points: int, bins: int) -> dict[str, Curve]:
        if self.task == "regression":
            raw = regression_curves(self.y.astype(np.float64), scored.score, max_points=max_points, bins=bins)
        else:
            raw = classification_curves(self.positive, scored.score, max_points=max_points, bins=bins)
        return {name: Curve(name=name, **fields) for name, fields in raw.items()}


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
        A scikit-learn classifier with ``predict_proba`` (binary) or a regressor; a Pipeline works.
    X, y : DataFrame / array, Series / array
        The evaluated rows (usually the test split) and their labels.
    task : {"classification", "regression"}, optional
        Inferred from the model (classifier or regressor) when not given.
    positive_label : optional
        The positive class; the model's last class when not given.
    threshold : float, optional
        Predict positive when the probability reaches it; by default the model's own ``predict``.
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
        ``metrics`` (name → value), ``intervals``, ``comparisons`` (baseline first), curves.

    Examples
    --------
    >>> report = wb.evaluate_model(model, split.X_test, split.y_test,
    ...                            X_train=split.X_train, y_train=split.y_train)  # doctest: +SKIP
    >>> report.metrics["roc_auc"], report.margin_over("baseline")  # doctest: +SKIP
    """
    labels = as_array(y, "y")
    n_rows = check_same_length(X=X, y=labels)
    kind = infer_task(model, labels, task)
    if kind == "classification":
        classes = check_classification_target(labels)
        positive_label = _positive_label(model, classes, positive_label)
    else:
        labels = check_regression_target(labels)
    setup = _Task(kind, labels, positive_label=positive_label, threshold=threshold)
    scored = [setup.predict("model", model_name(model), model, X)]
    dummy, description = fit_dummy(kind, labels, baseline=baseline, X_train=X_train, y_train=y_train)
    scored.append(setup.predict("baseline", description, dummy, X))
    if champion is not None:
        entry = champion if isinstance(champion, ChampionModel) else ChampionModel(champion, "current champion")
        scored.append(setup.predict("champion", entry.description, entry.model, X))
    point = [_first(setup.scores(np.ones((1, n_rows)), s)) for s in scored]
    samples = _bootstrap(setup, scored, n_rows, n_bootstrap=n_bootstrap, seed=seed)
    curves = [setup.curves(s, max_points=max_curve_points, bins=calibration_bins) for s in scored]
    return MetricsReport(
        task=kind,
        model=scored[0].description,
        n_rows=n_rows,
        metrics=point[0],
        intervals={k: interval(v, confidence=confidence) for k, v in samples[0].items()},
        n_bootstrap=n_bootstrap,
        seed=seed,
        confidence=confidence,
        positive_label=None if positive_label is None else str(positive_label),
        positive_share=float(np.mean(setup.positive)) if kind == "classification" else None,
        threshold=threshold,
        **_confusion(setup, scored[0]),
        curves=curves[0],
        comparisons=tuple(
            _comparison(s, point[0], point[i], samples[0], samples[i], curves[i], confidence)
            for i, s in enumerate(scored) if i
        ),
        warnings=_warn_undefined(point[0]),
    )


def _positive_label(model: Any, labels: np.ndarray, positive_label: Any) -> Any:
    classes = getattr(model, "classes_", None)
    if positive_label is None:
        positive_label = (labels if classes is None else classes)[-1]
    return check_positive_label(positive_label, labels, classes=classes)


def _first(values: Mapping[str, np.ndarray]) -> dict[str, float]:
    return {name: float(array[0]) for name, array in values.items()}


def _bootstrap(
    setup: _Task, scored: list[_Scored], n_rows: int, *, n_bootstrap: int, seed: int
) -> list[dict[str, np.ndarray]]:
    """Each model's metrics over the same ``n_bootstrap`` resamples (empty arrays for none)."""
    chunks: list[list[dict[str, np.ndarray]]] = [[] for _ in scored]
    for weights in resample_weights(n_rows, n_bootstrap, seed=seed):
        for position, entry in enumerate(scored):
            chunks[position].append(setup.scores(weights, entry))
    if not n_bootstrap:
        return [{} for _ in scored]
    return [{k: np.concatenate([c[k] for c in parts]) for k in parts[0]} for parts in chunks]


def _comparison(
    other: _Scored,
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
            k: interval(model_samples[k] - other_samples[k], confidence=confidence) for k in model_samples
        },
        curves={k: v for k, v in curves.items() if k == "roc"},
    )


def _confusion(setup: _Task, scored: _Scored) -> dict[str, Any]:
    if setup.task != "classification":
        return {}
    actual, predicted = setup.positive.astype(bool), scored.predicted.astype(bool)
    matrix = tuple(
        tuple(int(np.sum((actual == truth) & (predicted == guess))) for guess in (False, True))
        for truth in (False, True)
    )
    negative = next((str(v) for v in np.unique(setup.y) if v != setup.positive_label), "other")
    return {"confusion_labels": (negative, str(setup.positive_label)), "confusion_matrix": matrix}


def _warn_undefined(metrics: dict[str, float]) -> tuple[str, ...]:
    undefined = [name for name, value in metrics.items() if math.isnan(value)]
    if not undefined:
        return ()
    message = (
        f"Undefined on these rows (reported as NaN): {', '.join(undefined)}. ROC AUC needs both "
        "classes among the labels; precision needs at least one predicted positive."
    )
    warnings.warn(message, WorkbenchWarning, stacklevel=3)
    return (message,)

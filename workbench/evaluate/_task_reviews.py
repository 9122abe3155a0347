"""What differs by task in the metrics review: predictions, metrics per resample, curves, details.

One class per task in :data:`~workbench.tasks.TASKS`, looked up by name in :data:`REVIEWS`.
Each one checks the labels on construction, turns a model's answers into a :class:`Scored`
(binary: the positive class's probability; multiclass: every class's; regression: the
prediction), scores any number of bootstrap resamples at once, and adds what only its task
reports (the confusion matrix, the per-class figures, the positive share).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from workbench.evaluate._bootstrap import interval
from workbench.evaluate._checks import (
    as_array,
    check_classes,
    check_classification_target,
    check_positive_label,
    check_regression_target,
    class_codes,
    class_probabilities,
    positive_scores,
)
from workbench.evaluate._curves import classification_curves, multiclass_curves, regression_curves
from workbench.evaluate._metric_records import ClassMetrics, Curve
from workbench.evaluate._scores import (
    CLASS_METRICS,
    classification_scores,
    multiclass_scores,
    regression_scores,
)
from workbench.exceptions import ParameterError
from workbench.tasks import TASKS, TaskType

__all__ = ["REVIEWS", "Scored", "TaskReview"]

_REVIEW = "metrics review"


@dataclasses.dataclass(frozen=True)
class Scored:
    """One model's answers on the evaluated rows, ready for the vectorised metrics."""

    name: str
    description: str
    score: np.ndarray  # binary: P(positive); multiclass: (n, classes) probabilities; regression: the prediction
    predicted: np.ndarray  # binary: predicted positive (bool); multiclass: class position; regression: the prediction


class TaskReview(abc.ABC):
    """The task-specific half of :func:`~workbench.evaluate.evaluate_model`.

    Constructed with the model and the evaluated labels, which it checks; ``positive_label``
    and ``threshold`` are for binary reviews (the others refuse them).
    """

    task: ClassVar[TaskType]
    undefined_note: ClassVar[str] = ""

    @abc.abstractmethod
    def __init__(self, model: Any, y: np.ndarray, *, positive_label: Any, threshold: float | None) -> None: ...

    @abc.abstractmethod
    def predict(self, name: str, description: str, model: Any, X: Any) -> Scored:
        """``model``'s answers on ``X`` (a baseline or champion may lack a class: it scores 0)."""

    @abc.abstractmethod
    def scores(self, weights: np.ndarray, scored: Scored) -> dict[str, np.ndarray]:
        """Every metric for each row of ``weights`` (a resample as draw counts per row)."""

    @abc.abstractmethod
    def curves(self, scored: Scored, *, max_points: int, bins: int) -> dict[str, Curve]:
        """The task's curves for one model, at most ``max_points`` points each."""

    def details(self, scored: Scored, samples: Mapping[str, np.ndarray], *, confidence: float) -> dict[str, Any]:
        """The report fields only this task has, for the reviewed model."""
        return {}


def _curves(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, Curve]:
    return {name: Curve(name=name, **fields) for name, fields in raw.items()}


def _refuse_binary_options(task: TaskType, *, positive_label: Any, threshold: float | None) -> None:
    """``positive_label`` and ``threshold`` mean something for binary classification only."""
    for name, value in (("positive_label", positive_label), ("threshold", threshold)):
        if value is not None:
            raise ParameterError(
                f"{name}={value!r} applies to binary classification, but this review is {task.title}.",
                name=name, value=value,
                hint=f"Leave {name} out" + (": every class is scored one-vs-rest." if task.classifier else "."),
            )


class BinaryReview(TaskReview):
    """Two classes: the positive one's probability, ranking and threshold metrics, calibration."""

    task = TASKS["binary"]
    undefined_note = "ROC AUC needs both classes among the labels; precision needs at least one predicted positive."

    def __init__(self, model: Any, y: np.ndarray, *, positive_label: Any, threshold: float | None) -> None:
        labels = check_classification_target(y, task="binary")
        classes = getattr(model, "classes_", None)
        if positive_label is None:
            positive_label = (labels if classes is None else classes)[-1]
        self.positive_label = check_positive_label(positive_label, labels, classes=classes)
        self.threshold = threshold
        self.y = y
        self.positive = y == self.positive_label

    def predict(self, name: str, description: str, model: Any, X: Any) -> Scored:
        score = positive_scores(model, X, self.positive_label, review=_REVIEW, missing_ok=name != "model")
        if self.threshold is None:
            predicted = as_array(model.predict(X), "the model's predictions") == self.positive_label
        else:
            predicted = score >= self.threshold
        return Scored(name, description, score, predicted)

    def scores(self, weights: np.ndarray, scored: Scored) -> dict[str, np.ndarray]:
        return classification_scores(weights, self.positive, scored.score, scored.predicted)

    def curves(self, scored: Scored, *, max_points: int, bins: int) -> dict[str, Curve]:
        return _curves(classification_curves(self.positive, scored.score, max_points=max_points, bins=bins))

    def details(self, scored: Scored, samples: Mapping[str, np.ndarray], *, confidence: float) -> dict[str, Any]:
        actual, predicted = self.positive.astype(bool), scored.predicted.astype(bool)
        matrix = tuple(
            tuple(int(np.sum((actual == truth) & (predicted == guess))) for guess in (False, True))
            for truth in (False, True)
        )
        negative = next((str(v) for v in np.unique(self.y) if v != self.positive_label), "other")
        return {
            "positive_label": str(self.positive_label),
            "positive_share": float(np.mean(self.positive)),
            "threshold": self.threshold,
            "confusion_labels": (negative, str(self.positive_label)),
            "confusion_matrix": matrix,
        }


class MulticlassReview(TaskReview):
    """Three classes or more: every class one-vs-rest, macro and weighted averages, per-class figures."""

    task = TASKS["multiclass"]
    undefined_note = "The one-vs-rest ROC AUC needs rows of every class; a class never predicted has no precision."

    def __init__(self, model: Any, y: np.ndarray, *, positive_label: Any, threshold: float | None) -> None:
        _refuse_binary_options(self.task, positive_label=positive_label, threshold=threshold)
        labels = check_classification_target(y, task="multiclass")
        self.classes = check_classes(labels, getattr(model, "classes_", None))
        self.labels = tuple(str(c) for c in self.classes.tolist())
        self.truth = class_codes(y, self.classes)

    def predict(self, name: str, description: str, model: Any, X: Any) -> Scored:
        proba = class_probabilities(model, X, self.classes, review=_REVIEW, missing_ok=name != "model")
        predicted = class_codes(as_array(model.predict(X), "the model's predictions"), self.classes)
        return Scored(name, description, proba, predicted)

    def scores(self, weights: np.ndarray, scored: Scored) -> dict[str, np.ndarray]:
        return multiclass_scores(weights, self.truth, scored.score, scored.predicted)

    def curves(self, scored: Scored, *, max_points: int, bins: int) -> dict[str, Curve]:
        return _curves(multiclass_curves(self.truth, scored.score, self.labels, max_points=max_points, bins=bins))

    def details(self, scored: Scored, samples: Mapping[str, np.ndarray], *, confidence: float) -> dict[str, Any]:
        size = len(self.labels)
        known = scored.predicted >= 0
        cells = np.bincount(self.truth[known] * size + scored.predicted[known], minlength=size * size)
        point = self.scores(np.ones((1, self.truth.size)), scored)
        return {
            "confusion_labels": self.labels,
            "confusion_matrix": tuple(tuple(int(v) for v in row) for row in cells.reshape(size, size)),
            "class_metrics": tuple(
                self._class(position, point, samples, confidence=confidence) for position in range(size)
            ),
        }

    def _class(
        self, position: int, point: Mapping[str, np.ndarray], samples: Mapping[str, np.ndarray], *, confidence: float
    ) -> ClassMetrics:
        figures = {name: float(point[f"class_{name}"][0, position]) for name in CLASS_METRICS}
        intervals = {
            name: interval(samples[f"class_{name}"][:, position], confidence=confidence)
            for name in CLASS_METRICS if f"class_{name}" in samples
        }
        support = int(point["class_support"][0, position])
        return ClassMetrics(label=self.labels[position], support=support, intervals=intervals, **figures)


class RegressionReview(TaskReview):
    """A number: R², MAE, RMSE, and the residuals."""

    task = TASKS["regression"]
    undefined_note = "R² needs labels that are not all equal."

    def __init__(self, model: Any, y: np.ndarray, *, positive_label: Any, threshold: float | None) -> None:
        _refuse_binary_options(self.task, positive_label=positive_label, threshold=threshold)
        self.y = check_regression_target(y)

    def predict(self, name: str, description: str, model: Any, X: Any) -> Scored:
        values = np.asarray(model.predict(X), dtype=np.float64).ravel()
        return Scored(name, description, values, values)

    def scores(self, weights: np.ndarray, scored: Scored) -> dict[str, np.ndarray]:
        return regression_scores(weights, self.y, scored.score)

    def curves(self, scored: Scored, *, max_points: int, bins: int) -> dict[str, Curve]:
        return _curves(regression_curves(self.y, scored.score, max_points=max_points, bins=bins))


REVIEWS: dict[str, type[TaskReview]] = {
    "binary": BinaryReview,
    "multiclass": MulticlassReview,
    "regression": RegressionReview,
}

"""What the fairness review measures per group, for each task type (one registry, by task name).

* **binary**: selection rate, TPR, FPR, precision and accuracy of the positive label;
  demographic parity and equalized odds, as fairlearn defines them.
* **multiclass**: for each class, one-vs-rest, its selection rate (the share of the group's
  predictions that are that class), TPR (recall) and FPR; and accuracy. For each class the
  demographic parity and equalized odds of "this class against the rest" (fairlearn's on
  ``y == class``, ``prediction == class``); the grouping's disparity is the worst class
  (largest difference, smallest ratio), so gates keep one figure per sensitive feature.
* **regression**: MAE, RMSE, mean prediction and mean target; the gaps between groups in
  mean prediction and in MAE (difference: largest − smallest; ratio: smallest / largest).

A review object holds the evaluated rows and gives, per grouping, a fairlearn ``MetricFrame``
(the figures), the row vectors whose bootstrap sums give every metric per resample, and the
disparities of a frame or of metric samples.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from workbench.evaluate._bootstrap import safe_divide
from workbench.evaluate._groups import (
    DISPARITIES,
    GROUP_METRICS,
    binary_metrics,
    binary_parts,
    disparities_of,
    disparity_samples,
    frame_of,
    metric_frame,
    nan_pick,
    spread,
    worst,
)

__all__ = [
    "CLASS_METRICS",
    "REGRESSION_DISPARITIES",
    "REGRESSION_METRICS",
    "BinaryGroups",
    "GroupReview",
    "MulticlassGroups",
    "RegressionGroups",
    "class_metric",
]

CLASS_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate")
REGRESSION_METRICS = ("mae", "rmse", "mean_prediction", "mean_target")
REGRESSION_DISPARITIES = ("mean_prediction_difference", "mean_prediction_ratio", "mae_difference", "mae_ratio")


def class_metric(metric: str, label: str) -> str:
    """The name of ``metric`` for one class, one-vs-rest: ``selection_rate[setosa]``."""
    return f"{metric}[{label}]"


class GroupReview(Protocol):
    """One task's group metrics and disparities over the evaluated rows."""

    @property
    def metrics(self) -> tuple[str, ...]: ...
    @property
    def disparities(self) -> tuple[str, ...]: ...
    def frame(self, rows: np.ndarray | None, sensitive: pd.DataFrame) -> Any: ...
    def parts(self) -> dict[str, np.ndarray]: ...
    def metrics_of(self, sums: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]: ...
    def disparities_of(self, frame: Any) -> dict[str, float]: ...
    def disparity_samples(self, samples: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]: ...
    def class_disparities_of(self, frame: Any) -> dict[str, dict[str, float]]: ...
    def class_disparity_samples(self, samples: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]: ...
    def positives(self) -> np.ndarray | None: ...


def _rows(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return values if rows is None else values[rows]


@dataclasses.dataclass(frozen=True)
class BinaryGroups:
    """The binary review, on 0/1 labels and predictions of the positive label."""

    y: np.ndarray
    p: np.ndarray
    metrics: tuple[str, ...] = GROUP_METRICS
    disparities: tuple[str, ...] = DISPARITIES

    def frame(self, rows: np.ndarray | None, sensitive: pd.DataFrame) -> Any:
        return metric_frame(_rows(self.y, rows), _rows(self.p, rows), sensitive)

    def parts(self) -> dict[str, np.ndarray]:
        return binary_parts(self.y, self.p)

    def metrics_of(self, sums: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return binary_metrics(sums)

    def disparities_of(self, frame: Any) -> dict[str, float]:
        return disparities_of(frame)

    def disparity_samples(self, samples: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return disparity_samples(samples)

    def class_disparities_of(self, frame: Any) -> dict[str, dict[str, float]]:
        return {}

    def class_disparity_samples(self, samples: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        return {}

    def positives(self) -> np.ndarray | None:
        return self.y


def _share_predicted(y_true: np.ndarray, y_pred: np.ndarray, *, label: Any) -> float:
    return float(np.mean(y_pred == label))


def _recall(y_true: np.ndarray, y_pred: np.ndarray, *, label: Any) -> float:
    actual = y_true == label
    return float(np.mean(y_pred[actual] == label)) if actual.any() else float("nan")


def _false_positive_rate(y_true: np.ndarray, y_pred: np.ndarray, *, label: Any) -> float:
    other = y_true != label
    return float(np.mean(y_pred[other] == label)) if other.any() else float("nan")


def _accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true == y_pred))


_CLASS_FUNCTIONS: dict[str, Callable[..., float]] = {
    "selection_rate": _share_predicted, "true_positive_rate": _recall, "false_positive_rate": _false_positive_rate,
}


@dataclasses.dataclass(frozen=True)
class MulticlassGroups:
    """The multiclass review: per class one-vs-rest rates, and accuracy; ``labels`` name ``classes``."""

    y: np.ndarray
    p: np.ndarray
    classes: tuple[Any, ...]
    labels: tuple[str, ...]

    @property
    def metrics(self) -> tuple[str, ...]:
        return (*(class_metric(m, label) for m in CLASS_METRICS for label in self.labels), "accuracy")

    @property
    def disparities(self) -> tuple[str, ...]:
        return DISPARITIES

    def frame(self, rows: np.ndarray | None, sensitive: pd.DataFrame) -> Any:
        functions: dict[str, Callable[..., float]] = {
            class_metric(m, label): functools.partial(_CLASS_FUNCTIONS[m], label=value)
            for m in CLASS_METRICS for value, label in zip(self.classes, self.labels, strict=True)
        }
        functions["accuracy"] = _accuracy
        return frame_of(functions, _rows(self.y, rows), _rows(self.p, rows), sensitive)

    def parts(self) -> dict[str, np.ndarray]:
        parts = {"rows": np.ones(len(self.y)), "correct": (self.y == self.p).astype(np.float64)}
        for value, label in zip(self.classes, self.labels, strict=True):
            actual, predicted = (self.y == value).astype(np.float64), (self.p == value).astype(np.float64)
            parts[f"predicted[{label}]"] = predicted
            parts[f"positive[{label}]"] = actual
            parts[f"true_positive[{label}]"] = actual * predicted
            parts[f"false_positive[{label}]"] = (1 - actual) * predicted
        return parts

    def metrics_of(self, sums: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = sums["rows"]
        out: dict[str, np.ndarray] = {}
        for label in self.labels:
            positive = sums[f"positive[{label}]"]
            out[class_metric("selection_rate", label)] = safe_divide(sums[f"predicted[{label}]"], rows)
            out[class_metric("true_positive_rate", label)] = safe_divide(sums[f"true_positive[{label}]"], positive)
            out[class_metric("false_positive_rate", label)] = safe_divide(sums[f"false_positive[{label}]"], rows - positive)
        out["accuracy"] = safe_divide(sums["correct"], rows)
        return out

    def class_disparities_of(self, frame: Any) -> dict[str, dict[str, float]]:
        difference, ratio = frame.difference(), frame.ratio()
        out = {}
        for label in self.labels:
            sel, tpr, fpr = (class_metric(m, label) for m in CLASS_METRICS)
            out[label] = {
                "demographic_parity_difference": float(difference[sel]),
                "demographic_parity_ratio": float(ratio[sel]),
                "equalized_odds_difference": worst(max, difference[tpr], difference[fpr]),
                "equalized_odds_ratio": worst(min, ratio[tpr], ratio[fpr]),
            }
        return out

    def disparities_of(self, frame: Any) -> dict[str, float]:
        return worst_over_classes(self.class_disparities_of(frame))

    def class_disparity_samples(self, samples: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        out = {}
        for label in self.labels:
            one_vs_rest = {m: samples[class_metric(m, label)] for m in CLASS_METRICS}
            out[label] = disparity_samples(one_vs_rest)
        return out

    def disparity_samples(self, samples: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        per_class = list(self.class_disparity_samples(samples).values())
        return {
            name: nan_pick(np.nanmin if name.endswith("_ratio") else np.nanmax, *(c[name] for c in per_class))
            for name in DISPARITIES
        }

    def positives(self) -> np.ndarray | None:
        return None


def worst_over_classes(per_class: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Each disparity at its worst class: the largest difference, the smallest ratio."""
    return {
        name: worst(min if name.endswith("_ratio") else max, *(c[name] for c in per_class.values()))
        for name in DISPARITIES
    }


def worst_class(per_class: Mapping[str, Mapping[str, float]]) -> dict[str, str]:
    """Per disparity, the class where it is worst (left out when no class defines it)."""
    out = {}
    for name in DISPARITIES:
        defined = {label: v[name] for label, v in per_class.items() if not np.isnan(v[name])}
        if defined:
            pick = min if name.endswith("_ratio") else max
            out[name] = pick(defined, key=lambda label: defined[label])
    return out


def _mean_target(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true))


@dataclasses.dataclass(frozen=True)
class RegressionGroups:
    """The regression review: errors and mean prediction per group, in the target's units."""

    y: np.ndarray
    p: np.ndarray
    metrics: tuple[str, ...] = REGRESSION_METRICS
    disparities: tuple[str, ...] = REGRESSION_DISPARITIES

    def frame(self, rows: np.ndarray | None, sensitive: pd.DataFrame) -> Any:
        from fairlearn.metrics import mean_prediction
        from sklearn.metrics import mean_absolute_error, root_mean_squared_error

        functions = {
            "mae": mean_absolute_error, "rmse": root_mean_squared_error,
            "mean_prediction": mean_prediction, "mean_target": _mean_target,
        }
        return frame_of(functions, _rows(self.y, rows), _rows(self.p, rows), sensitive)

    def parts(self) -> dict[str, np.ndarray]:
        error = self.p - self.y
        return {"rows": np.ones(len(self.y)), "target": self.y, "prediction": self.p,
                "abs_error": np.abs(error), "squared_error": error**2}

    def metrics_of(self, sums: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = sums["rows"]
        return {
            "mae": safe_divide(sums["abs_error"], rows),
            "rmse": np.sqrt(safe_divide(sums["squared_error"], rows)),
            "mean_prediction": safe_divide(sums["prediction"], rows),
            "mean_target": safe_divide(sums["target"], rows),
        }

    def disparities_of(self, frame: Any) -> dict[str, float]:
        difference, ratio = frame.difference(), frame.ratio()
        return {
            "mean_prediction_difference": float(difference["mean_prediction"]),
            "mean_prediction_ratio": float(ratio["mean_prediction"]),
            "mae_difference": float(difference["mae"]),
            "mae_ratio": float(ratio["mae"]),
        }

    def disparity_samples(self, samples: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        prediction, prediction_ratio = spread(samples["mean_prediction"])
        mae, mae_ratio = spread(samples["mae"])
        return {"mean_prediction_difference": prediction, "mean_prediction_ratio": prediction_ratio,
                "mae_difference": mae, "mae_ratio": mae_ratio}

    def class_disparities_of(self, frame: Any) -> dict[str, dict[str, float]]:
        return {}

    def class_disparity_samples(self, samples: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        return {}

    def positives(self) -> np.ndarray | None:
        return None

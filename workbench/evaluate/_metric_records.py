"""The records a metrics report is made of: curves, comparisons and per-class figures.

They are plain frozen dataclasses (JSON through :func:`workbench.reports.base.jsonable`); the
``*_from_dict`` helpers rebuild them from a report's JSON.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["ClassMetrics", "Comparison", "Curve", "class_metrics_from_dict", "comparison_from_dict", "curves_from_dict"]


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
class ClassMetrics:
    """One class of a multiclass review, judged one-vs-rest.

    ``support`` is its row count among the labels; precision is NaN when the model never
    predicts it. ``intervals`` are bootstrap intervals of the four figures.
    """

    label: str
    support: int
    precision: float
    recall: float
    f1: float
    roc_auc: float
    intervals: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)


def numbers(values: Mapping[str, Any]) -> dict[str, float]:
    """JSON numbers back as floats (null is NaN)."""
    return {k: math.nan if v is None else float(v) for k, v in values.items()}


def pairs(values: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """JSON intervals back as float pairs (null is NaN)."""
    return {k: (_number(v[0]), _number(v[1])) for k, v in values.items()}


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def curves_from_dict(data: Mapping[str, Any]) -> dict[str, Curve]:
    """Curves from their JSON."""
    return {
        name: Curve(**{**c, "x": tuple(c["x"]), "y": tuple(c["y"]), "counts": tuple(c["counts"])})
        for name, c in data.items()
    }


def comparison_from_dict(data: Mapping[str, Any]) -> Comparison:
    """A comparison from its JSON."""
    return Comparison(
        **{
            **data,
            "metrics": numbers(data["metrics"]),
            "differences": numbers(data["differences"]),
            "intervals": pairs(data["intervals"]),
            "curves": curves_from_dict(data["curves"]),
        }
    )


def class_metrics_from_dict(data: Mapping[str, Any]) -> ClassMetrics:
    """One class's figures from their JSON."""
    figures = {k: _number(data[k]) for k in ("precision", "recall", "f1", "roc_auc")}
    return ClassMetrics(
        label=str(data["label"]), support=int(data["support"]), intervals=pairs(data.get("intervals", {})), **figures
    )

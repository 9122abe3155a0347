"""One class of a multiclass SHAP explanation, and reading it (and intervals) back from JSON."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = ["ClassView", "Rows", "intervals_from_dict", "view_from_dict"]

Rows = tuple[tuple[float, ...], ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ClassView:
    """One class of a multiclass explanation: its importance and the sample rows' attributions.

    ``values[r][c]`` is the attribution of column ``c`` to this class's score for sample row
    ``r``; ``base_value + sum(values[r]) == outputs[r]`` (in ``output`` units).
    """

    label: str
    output: str
    base_value: float
    column_importance: dict[str, float]
    values: Rows = ()
    outputs: tuple[float, ...] = ()
    column_importance_interval: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)


def intervals_from_dict(data: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {name: (float(low), float(high)) for name, (low, high) in data.items()}


def view_from_dict(data: dict[str, Any]) -> ClassView:
    return ClassView(
        label=data["label"], output=data["output"],
        base_value=math.nan if data["base_value"] is None else data["base_value"],
        column_importance={k: math.nan if v is None else v for k, v in data["column_importance"].items()},
        values=tuple(tuple(math.nan if v is None else v for v in row) for row in data.get("values", ())),
        outputs=tuple(math.nan if v is None else v for v in data.get("outputs", ())),
        column_importance_interval=intervals_from_dict(data.get("column_importance_interval", {})),
    )

"""Python source for a payload, so a finding can be replayed as a test (long repeats stay short)."""

from __future__ import annotations

import math
from typing import Any

_LONG = 200


def literal(value: Any) -> str:
    """Source that evaluates to ``value`` given ``from math import inf, nan``."""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str) and len(value) > _LONG and value == value[0] * len(value):
        return f"{value[0]!r} * {len(value)}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(f"{literal(v)}, " for v in value) + ")"
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return literal(value.item())
    return repr(value)

"""Assertions for tests of a robust inference pipeline (used by the tests ``workbench check`` writes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.exceptions import InputError

__all__ = ["assert_refused", "assert_repaired", "assert_scored"]


def assert_refused(robust: Any, payload: Any) -> InputError:
    """``payload`` is refused with an :class:`InputError` that names at least one problem."""
    try:
        robust.predict(payload)
    except InputError as err:
        assert err.problems, "an InputError must list its problems"
        return err
    raise AssertionError("the pipeline scored input it must refuse")


def assert_scored(robust: Any, payload: Any) -> Any:
    """``payload`` is scored: one finite answer per row, probabilities that sum to one."""
    result = robust.predict(payload)
    n = len(payload) if isinstance(payload, list) else 1
    assert len(result.predictions) == n and len(result.warnings) == n
    if result.probabilities is not None:
        proba = np.asarray(result.probabilities, dtype=float)
        assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    return result


def assert_repaired(robust: Any, payload: Any, row: int | None) -> Any:
    """``payload`` is refused, or scored with a warning on ``row``."""
    try:
        result = assert_scored(robust, payload)
    except InputError as err:
        assert err.problems
        return err
    if row is not None:
        assert result.warnings[row], f"row {row} was repaired or suspicious but carries no warning"
    return result

"""Assertions for tests of a robust inference pipeline (used by the tests ``workbench check`` writes)."""

from __future__ import annotations

from typing import Any

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
    """``payload`` is scored with a sane answer per row for the model's task.

    A classifier: one probability per class, finite, summing to one, and known classes; a
    regressor: finite numbers and no probabilities.
    """
    from workbench.develop.robustness import answer_nonsense, expected_task

    result = robust.predict(payload)
    n = len(payload) if isinstance(payload, list) else 1
    problem = answer_nonsense(result, task=expected_task(robust), classes=robust.classes, rows=n)
    assert problem is None, problem
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

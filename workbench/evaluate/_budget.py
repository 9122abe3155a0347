"""Explaining as many rows as a time budget allows, and the error that leaves on the averages.

With ``budget_s`` the rows are taken in a seeded random order and explained exactly, in chunks:
a small first chunk measures the time per row, and each next chunk takes half of what the
remaining time still allows, until no further row fits. The rows explained are therefore a
uniform random sample (when to stop depends on time, never on the values), and each column's
mean |SHAP| over them estimates the mean over all rows. :func:`importance_intervals` states that
estimate's error: a bootstrap percentile interval per name, Bonferroni-adjusted so that all the
intervals of a report hold together at the stated confidence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = ["BudgetRun", "explain_within", "importance_intervals"]

FIRST_CHUNK = 4  # rows timed before the time per row is known
SAFETY = 0.85  # share of the budget given to SHAP itself: the rest aggregates and reports
CONFIDENCE = 0.95
RESAMPLES = 2_000
BOOTSTRAP_MAX_ROWS = 1_000  # above this a normal interval (the mean of so many rows is near-normal)


class BudgetRun(NamedTuple):
    """How many of the ordered rows were explained, and the time per row it measured."""

    explained: int
    seconds_per_row: float


def explain_within(
    run: Callable[[int, int], None], *, rows: int, budget_s: float, started: float
) -> BudgetRun:
    """Call ``run(start, stop)`` on consecutive row ranges until ``budget_s`` (from ``started``) is spent.

    At least one chunk is always explained, so a report never has zero rows.
    """
    done, spent = 0, 0.0
    chunk = min(FIRST_CHUNK, rows)
    while chunk > 0:
        began = time.perf_counter()
        run(done, done + chunk)
        spent += time.perf_counter() - began
        done += chunk
        per_row = spent / done
        left = budget_s * SAFETY - (time.perf_counter() - started)
        fits = int(left / per_row) if per_row > 0 else rows
        remaining = rows - done
        chunk = remaining if fits >= remaining else max(fits // 2, min(fits, 1))
    return BudgetRun(done, spent / max(done, 1))


def importance_intervals(
    names: tuple[str, ...], values: np.ndarray, *, seed: int, confidence: float = CONFIDENCE
) -> tuple[dict[str, tuple[float, float]], str]:
    """Per name, an interval on its mean |SHAP| (summed over the outputs), and how it was made.

    ``values`` is ``(rows, names, outputs)``. The level of each interval is ``1 - (1 -
    confidence) / len(names)`` so that all of them cover their exact values together with
    probability ``confidence``.
    """
    magnitude = np.abs(values).sum(axis=2) if values.ndim == 3 else np.abs(values)
    rows = magnitude.shape[0]
    alpha = (1 - confidence) / max(len(names), 1)
    if rows <= BOOTSTRAP_MAX_ROWS:
        rng = np.random.default_rng(seed)
        means = np.stack([magnitude[rng.integers(0, rows, size=rows)].mean(axis=0) for _ in range(RESAMPLES)])
        low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2], axis=0)
        how = f"bootstrap percentile intervals ({RESAMPLES:,} resamples of the {rows:,} rows explained)"
    else:
        from scipy.stats import norm

        spread = norm.ppf(1 - alpha / 2) * magnitude.std(axis=0, ddof=1) / np.sqrt(rows)
        centre = magnitude.mean(axis=0)
        low, high = np.maximum(centre - spread, 0.0), centre + spread
        how = f"normal intervals (mean ± z·sd/√n over the {rows:,} rows explained)"
    intervals = {name: (float(lo), float(hi)) for name, lo, hi in zip(names, low, high, strict=True)}
    note = (f"{how}, each at level {1 - alpha:.4g} so that all {len(names)} hold together at "
            f"{confidence:.0%} (Bonferroni)")
    return intervals, note

"""Drift's per-column summaries in one compiled pass (numba), straight from numpy or Arrow buffers.

A numeric column's moments and its histogram on a uniform or integer grid are read from memory
once, value by value: nulls (an Arrow validity bitmap), NaN and ±inf are skipped and counted
as missing, and no filtered copy is made. A dictionary-encoded column's codes are counted the
same way. The same passes in numpy took about ten sweeps over each column plus a copy to drop
its nulls: drift over Parquet on Dask spent 9 ms per million values of a float column there,
2.2 ms here.

The bins are :meth:`workbench.monitor.summaries.Grid.index`'s: ``int((x - low) * scale)`` in
float64 (the same operations, so the same bins), kept within the grid: a value outside it (a
guessed grid from Parquet statistics that understate the data) lands in an end bin of a guess
the merged moments then reject. Sums are taken in blocks of 1,024 from a centre near the mean
(the first finite value plus the mean deviation of the first 1,024), so the mean and M2 agree
with numpy's pairwise sums to rounding.

Each function compiles on its first call for an array type (about a second), cached on disk by
numba so that a later process or Dask worker loads it; where no cache folder is writable (a
read-only install and home), it compiles in memory, once per process.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

__all__ = ["code_counts", "compiled", "numeric_summary"]


def compiled(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(cache=True, nogil=True, **options)``, or without the disk cache where numba finds
    no writable folder for it (it refuses to decorate then)."""
    def decorate(function: Callable[..., Any]) -> Any:
        try:
            return numba.njit(cache=True, nogil=True, **options)(function)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(nogil=True, **options)(function)
    return decorate


BLOCK = 1024  # values summed into a block's partial sums before the column's
CENTRE_ROWS = 1024  # finite values the centre is taken from (a chunk of 250,000 rows reads them twice)


@compiled(inline="always")
def _present(valid: np.ndarray, offset: int, i: int) -> bool:
    if len(valid) == 0:
        return True
    bit = i + offset
    return bool((valid[bit >> 3] >> (bit & 7)) & 1)


@compiled()
def _centre(values: np.ndarray, valid: np.ndarray, offset: int) -> float:
    """The first finite value plus the mean deviation from it of the first finite values."""
    first, total, taken = 0.0, 0.0, 0
    for i in range(len(values)):
        if taken == CENTRE_ROWS:
            break
        x = float(values[i])
        if not _present(valid, offset, i) or not math.isfinite(x):
            continue
        if taken == 0:
            first = x
        total += x - first
        taken += 1
    centre = first + total / taken if taken else 0.0
    return centre if math.isfinite(centre) else 0.0  # x - first overflowed (values near ±1.8e308)


@compiled()
def numeric_summary(values: np.ndarray, valid: np.ndarray, offset: int, low: float, scale: float,
                    counts: np.ndarray) -> tuple[int, int, int, float, float, float, float, float, bool]:
    """(count, missing, infinite, centre, sum of deviations from it, sum of their squares, min, max,
    every value whole) of ``values``; each finite value's bin added to ``counts`` (when not empty).

    ``valid`` is an Arrow validity bitmap (bit ``i + offset`` set for a present value) or empty;
    absent values count as missing, as NaN and ±inf do.
    """
    n, top, binned = len(values), len(counts) - 1, len(counts) > 0
    centre = _centre(values, valid, offset)
    count, missing, infinite = 0, 0, 0
    s1, s2, lowest, highest, integral = 0.0, 0.0, np.inf, -np.inf, True
    for start in range(0, n, BLOCK):
        b1, b2 = 0.0, 0.0
        for i in range(start, min(n, start + BLOCK)):
            if not _present(valid, offset, i):
                missing += 1
                continue
            x = float(values[i])
            if not math.isfinite(x):
                missing += 1
                infinite += 1 if math.isinf(x) else 0
                continue
            count += 1
            d = x - centre
            b1 += d
            b2 += d * d
            lowest, highest = min(lowest, x), max(highest, x)
            if integral and x != math.floor(x):
                integral = False
            if binned:
                position = (x - low) * scale
                counts[(int(position) if position < top else top) if position > 0.0 else 0] += 1  # NaN: 0
        s1 += b1
        s2 += b2
    return count, missing, infinite, centre, s1, s2, lowest, highest, integral


@compiled()
def code_counts(codes: np.ndarray, valid: np.ndarray, offset: int, counts: np.ndarray) -> None:
    """Add each dictionary code's count to ``counts[code + 1]``; absent values (and code -1, a pandas
    Categorical's missing value) to ``counts[0]``."""
    size = len(counts) - 1
    for i in range(len(codes)):
        if not _present(valid, offset, i):
            counts[0] += 1
            continue
        code = int(codes[i])
        if code >= size or code < -1:
            raise ValueError("a dictionary code outside its dictionary")
        counts[code + 1] += 1

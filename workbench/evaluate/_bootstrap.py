"""Bootstrap resampling as weight matrices, so every metric is a vectorised pass per chunk.

A resample of ``n`` rows is stored as how often each row was drawn: a row of a ``(B, n)``
count matrix. Sums over a resample become matrix products (``weights @ values``), so
``n_bootstrap`` resamples cost a handful of numpy calls instead of ``n_bootstrap`` Python
metric calls. Chunks keep the matrix under :data:`CHUNK_CELLS` cells.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np

__all__ = ["CHUNK_CELLS", "bootstrap_indices", "interval", "resample_weights"]

CHUNK_CELLS = 4_000_000


def bootstrap_indices(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` resamples of ``n`` row positions drawn with replacement, shape ``(size, n)``."""
    return rng.integers(0, n, size=(size, n))


def resample_weights(n: int, n_bootstrap: int, *, seed: int) -> Iterator[np.ndarray]:
    """Chunks of the ``(n_bootstrap, n)`` draw-count matrix (float64), seeded."""
    rng = np.random.default_rng(seed)
    per_chunk = max(1, CHUNK_CELLS // max(n, 1))
    for start in range(0, n_bootstrap, per_chunk):
        size = min(per_chunk, n_bootstrap - start)
        yield weights_from_indices(bootstrap_indices(n, size, rng), n)


def weights_from_indices(indices: np.ndarray, n: int) -> np.ndarray:
    """Draw counts per row for each resample in ``indices`` (shape ``(B, n)``)."""
    size = indices.shape[0]
    offsets = np.arange(size)[:, None] * n
    counts = np.bincount((indices + offsets).ravel(), minlength=size * n)
    return counts.reshape(size, n).astype(np.float64)


def interval(samples: np.ndarray, *, confidence: float = 0.95) -> tuple[float, float]:
    """The percentile interval of the finite bootstrap ``samples`` (NaN, NaN when none)."""
    finite = samples[np.isfinite(samples)]
    if not finite.size:
        return (math.nan, math.nan)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return (float(low), float(high))


def safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with NaN where the denominator is zero, silently."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.true_divide(numerator, denominator)
    return np.where(denominator == 0, np.nan, out)

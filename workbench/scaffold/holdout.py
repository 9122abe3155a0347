"""The rows held out of training as the project's production traffic.

Deploy serves them and Monitor replays them (with planted drift), so they must be rows the
model never saw. With a time column they are the latest rows (production is the future);
otherwise a seeded random share, stratified by class for a classification target so that
every class keeps enough training rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.tasks import MIN_CLASS_ROWS

__all__ = ["MIN_PRODUCTION_ROWS", "holdout_mask"]

# Deploy and Develop send a handful of held-out rows: hold out at least this many.
MIN_PRODUCTION_ROWS = 10


def holdout_mask(
    *,
    n_rows: int,
    share: float,
    seed: int,
    target: pd.Series | None = None,
    times: pd.Series | None = None,
) -> np.ndarray:
    """A boolean mask of the production rows.

    Parameters
    ----------
    n_rows
        Rows of the data.
    share
        Share of the rows to hold out (at least :data:`MIN_PRODUCTION_ROWS` rows).
    seed
        Seed of the random choice (unused with ``times``).
    target
        Class labels to stratify by (None: not stratified).
    times
        Row times: the latest ``share`` of rows is held out.

    Examples
    --------
    >>> int(holdout_mask(n_rows=100, share=0.2, seed=0).sum())
    20
    """
    mask = np.zeros(n_rows, dtype=bool)
    share = max(share, MIN_PRODUCTION_ROWS / n_rows)
    count = round(n_rows * share)
    if times is not None:
        order = np.argsort(times.to_numpy(), kind="stable")
        mask[order[n_rows - count:]] = True
        return mask
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(n_rows)
    if target is None:
        mask[shuffled[:count]] = True
        return mask
    codes, _ = pd.factorize(target)
    by_class = shuffled[np.argsort(codes[shuffled], kind="stable")]  # each class's rows, shuffled
    sizes = np.bincount(codes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    # Every class gives its share, but never so many rows that fewer than MIN_CLASS_ROWS stay to train on.
    takes = np.minimum(np.round(sizes * share).astype(int), np.maximum(sizes - MIN_CLASS_ROWS, 0))
    for start, take in zip(starts, takes, strict=True):
        mask[by_class[start:start + take]] = True
    return mask

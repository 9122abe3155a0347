"""Drift statistics computed from summaries (binned or category counts), never from rows.

Each test takes the reference and current counts over the same bins or categories:

* :func:`ks` — two-sample Kolmogorov-Smirnov, p-value from Smirnov's distribution as
  ``scipy.stats.ks_2samp(method="asymp")``;
* :func:`chi_square` — Evidently's chi-square test: goodness of fit of the current counts to the
  reference shares scaled to the current total (``scipy.stats.chisquare(f_obs=current,
  f_exp=reference * m / n)``); a category the reference never saw makes it infinite (p = 0);
* :func:`z_test` — two-proportion Z-test for two categories;
* :func:`wasserstein` — Wasserstein-1 distance over bin centres, normalised by the reference
  standard deviation as Evidently does;
* :func:`jensen_shannon` — Jensen-Shannon distance (natural log) of the shares;
* :func:`psi` — population stability index of the shares.

Shares that are zero are replaced by 0.0001 before JS and PSI, as Evidently does. Tolerance:
on a grid whose bins each hold at most one distinct value (whole numbers, categories) the KS
statistic, chi-square and Wasserstein equal scipy's on the raw values; otherwise KS is off by at
most the largest bin share and Wasserstein by at most one bin width.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "STATTESTS",
    "chi_square",
    "jensen_shannon",
    "ks",
    "psi",
    "wasserstein",
    "z_test",
]

EPSILON = 1e-4

# name -> (kind of score, default threshold): a p-value drifts below it, a distance at or above.
STATTESTS: dict[str, tuple[str, float]] = {
    "ks": ("p_value", 0.05),
    "chisquare": ("p_value", 0.05),
    "z": ("p_value", 0.05),
    "wasserstein": ("distance", 0.1),
    "jensenshannon": ("distance", 0.1),
    "psi": ("distance", 0.1),
}


def _cdf(counts: np.ndarray) -> np.ndarray:
    total = counts.sum(axis=-1, keepdims=True)
    return np.cumsum(counts, axis=-1) / np.where(total > 0, total, 1)


def ks(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """``(statistic, p-value)`` of the two-sample KS test from counts over ordered bins."""
    n, m = int(reference.sum()), int(current.sum())
    if n == 0 or m == 0:
        return float("nan"), float("nan")
    # scipy is imported on first use, so that `import workbench.monitor` stays light
    from scipy import stats as _stats

    statistic = float(np.abs(_cdf(reference) - _cdf(current)).max())
    big, small = max(n, m), min(n, m)
    effective = np.round(big * small / (big + small))
    return statistic, float(np.clip(_stats.kstwo.sf(statistic, effective), 0.0, 1.0))


def ks_statistics(reference: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """The KS statistic of each row of ``draws`` against ``reference`` (for calibration)."""
    return np.abs(_cdf(draws) - _cdf(reference)).max(axis=-1)


def chi_square(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """``(statistic, p-value)`` of Evidently's chi-square test: the current counts against the
    reference shares (goodness of fit, ``k - 1`` degrees of freedom over the ``k`` categories
    either dataset holds)."""
    from scipy import stats as _stats

    reference, current = np.asarray(reference, np.float64), np.asarray(current, np.float64)
    used = (reference + current) > 0
    reference, current = reference[used], current[used]
    n, m = reference.sum(), current.sum()
    if len(reference) < 2 or n == 0 or m == 0:
        return 0.0, 1.0
    if (current[reference == 0] > 0).any():
        return float("inf"), 0.0
    expected = reference * (m / n)
    statistic = float((np.square(current - expected) / expected).sum())
    return statistic, float(_stats.chi2.sf(statistic, len(reference) - 1))


def z_test(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """``(z, p-value)`` of the two-proportion Z-test on the first of two categories."""
    from scipy import stats as _stats

    n, m = float(reference.sum()), float(current.sum())
    if n == 0 or m == 0:
        return float("nan"), float("nan")
    p1, p2 = reference[0] / n, current[0] / m
    pooled = (reference[0] + current[0]) / (n + m)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
    if spread == 0:
        return 0.0, 1.0
    z = float((p1 - p2) / spread)
    return z, float(2 * _stats.norm.sf(abs(z)))


def wasserstein(
    centers: np.ndarray, reference: np.ndarray, current: np.ndarray, *, scale: float = 1.0
) -> float:
    """Wasserstein-1 distance between two histograms over ``centers``, divided by ``scale``."""
    gaps = np.diff(centers)
    distance = np.abs(_cdf(reference) - _cdf(current))[..., :-1] @ gaps
    return distance / (scale if scale > 0 else 0.001)


def shares(counts: np.ndarray) -> np.ndarray:
    """Counts as shares, with empty shares replaced by :data:`EPSILON` (Evidently's rule)."""
    total = counts.sum(axis=-1, keepdims=True)
    share = counts / np.where(total > 0, total, 1)
    return np.where(share == 0, EPSILON, share)


def jensen_shannon(reference: np.ndarray, current: np.ndarray) -> np.ndarray | float:
    """Jensen-Shannon distance of the shares (natural log, as ``scipy.spatial.distance``)."""
    p, q = shares(reference), shares(current)
    p = p / p.sum(axis=-1, keepdims=True)
    q = q / q.sum(axis=-1, keepdims=True)
    middle = (p + q) / 2
    divergence = (p * np.log(p / middle)).sum(axis=-1) + (q * np.log(q / middle)).sum(axis=-1)
    return np.sqrt(np.maximum(divergence, 0.0) / 2)


def psi(reference: np.ndarray, current: np.ndarray) -> np.ndarray | float:
    """Population stability index ``sum((r - c) * ln(r / c))`` of the shares."""
    r, c = shares(reference), shares(current)
    return ((r - c) * np.log(r / c)).sum(axis=-1)


def quantile_groups(reference: np.ndarray, groups: int = 10) -> np.ndarray:
    """Bin -> group map cutting the reference histogram at its ``1/groups`` quantiles (for PSI)."""
    cumulative = _cdf(reference)
    levels = np.arange(1, groups) / groups
    cuts = np.searchsorted(cumulative, levels, side="left")
    return np.searchsorted(np.unique(cuts), np.arange(len(reference)), side="left")


def regroup(counts: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Sum ``counts`` (last axis) into ``groups``."""
    size = int(groups.max()) + 1 if len(groups) else 1
    if counts.ndim == 1:
        return np.bincount(groups, weights=counts, minlength=size)
    out = np.zeros((counts.shape[0], size))
    np.add.at(out.T, groups, counts.T)
    return out

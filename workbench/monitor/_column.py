"""One column's drift from its merged summaries: the test chosen by type and size, PSI, display bins."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from workbench.monitor import stats
from workbench.monitor.summaries import Categories, Grid, Histogram, Moments

__all__ = ["ColumnDrift", "Options", "default_stattest", "evaluate_column", "null_quantile"]

SMALL_CARDINALITY = 5  # numeric columns with at most this many values are tested as categories
ZERO_DISTANCE = 1e-12  # resampled distances at or below this are identical shares: the null's point mass at 0
DISPLAY_BINS = 30
DISPLAY_CATEGORIES = 15


@dataclasses.dataclass(frozen=True)
class Options:
    """How columns are tested (see :func:`workbench.monitor.drift`)."""

    stattest: dict[str, str] = dataclasses.field(default_factory=dict)
    threshold: dict[str, float] = dataclasses.field(default_factory=dict)
    default_stattest: str | None = None
    default_threshold: float | None = None
    small_sample: int = 1000
    psi_threshold: float = 0.1
    calibrate: bool = False
    n_bootstrap: int = 200
    calibration_level: float = 0.95
    seed: int = 0
    n_columns: int = 1  # columns tested together: calibration holds the level over all of them


@dataclasses.dataclass(frozen=True)
class ColumnDrift:
    """The drift of one column.

    ``drift_score`` is the test's p-value (``ks``, ``chisquare``, ``z``: drift when below
    ``threshold``) or distance (``wasserstein``, ``jensenshannon``, ``psi``: drift when at or
    above). ``impact`` is PSI times the column's share of feature importance (PSI alone when no
    importance is known); reports sort columns by it. Non-finite values (NaN, ±inf) are missing:
    left out of every statistic, counted in ``missing_reference`` / ``missing_current`` (shares)
    and, for ±inf, in ``infinite_reference`` / ``infinite_current`` (counts).
    """

    column: str
    kind: str
    stattest: str
    drift_score: float
    threshold: float
    drifted: bool
    statistic: float
    psi: float
    psi_drifted: bool
    n_reference: int
    n_current: int
    missing_reference: float
    missing_current: float
    infinite_reference: int = 0
    infinite_current: int = 0
    importance: float | None = None
    impact: float = 0.0
    calibrated: bool = False
    new_categories: tuple[str, ...] = ()
    reference_mean: float | None = None
    current_mean: float | None = None
    display: dict[str, Any] = dataclasses.field(default_factory=dict)


def default_stattest(kind: str, n_reference: int, n_unique: int, *, small_sample: int = 1000) -> str:
    """Evidently's choice: KS / chi-square / Z on small references, Wasserstein / JS on large ones.

    ``n_unique`` counts both datasets' distinct values together (as Evidently does); a numeric
    column with at most :data:`SMALL_CARDINALITY` of them gets the categorical tests. Which
    columns are numeric, and where that differs from Evidently: :mod:`workbench.monitor.drift`.
    """
    if kind == "numeric" and n_unique > SMALL_CARDINALITY:
        return "ks" if n_reference <= small_sample else "wasserstein"
    if n_reference <= small_sample:
        return "chisquare" if n_unique > 2 else "z"
    return "jensenshannon"


@dataclasses.dataclass
class _Counts:
    """Reference and current counts over shared ordered bins (numeric) or categories."""

    reference: np.ndarray
    current: np.ndarray
    labels: list[str] | None  # categories; None for numeric bins
    grid: Grid | None = None
    scale: float = 1.0


def _numeric_counts(grid: Grid, ref: Histogram, cur: Histogram, ref_moments: Moments) -> _Counts:
    return _Counts(ref.counts, cur.counts, None, grid, ref_moments.std)


def _category_counts(ref: Categories, cur: Categories) -> _Counts:
    labels = sorted(set(ref.counts) | set(cur.counts), key=lambda k: (-ref.counts.get(k, 0), k))
    reference = np.array([ref.counts.get(k, 0) for k in labels], dtype=np.int64)
    current = np.array([cur.counts.get(k, 0) for k in labels], dtype=np.int64)
    return _Counts(reference, current, labels)


def _as_categories(counts: _Counts) -> _Counts:
    """A numeric column with few distinct values, tested as categories (one per used bin)."""
    assert counts.grid is not None
    used = np.flatnonzero(counts.reference + counts.current)
    centers = counts.grid.centers()[used]
    labels = [f"{c:g}" for c in centers]
    return _Counts(counts.reference[used], counts.current[used], labels)


def _run_test(name: str, counts: _Counts) -> tuple[float, float]:
    """``(drift score, statistic)`` of test ``name``."""
    ref, cur = counts.reference, counts.current
    if name == "ks":
        statistic, p_value = stats.ks(ref, cur)
        return p_value, statistic
    if name in ("chisquare", "z"):
        ref, cur = _grouped(counts, 20)
        if name == "z" and len(ref) == 2:
            statistic, p_value = stats.z_test(ref, cur)
        else:
            statistic, p_value = stats.chi_square(ref, cur)
        return p_value, statistic
    if name == "wasserstein":
        if counts.grid is None:
            raise ValueError("the Wasserstein distance needs a numeric column")
        distance = float(stats.wasserstein(counts.grid.centers(), ref, cur, scale=counts.scale))
        return distance, distance
    if name == "jensenshannon":
        distance = float(stats.jensen_shannon(*_grouped(counts, 20)))
        return distance, distance
    distance = float(stats.psi(*_grouped(counts, 10)))
    return distance, distance


def _grouped(counts: _Counts, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Categories as they are; numeric bins merged into ``groups`` reference quantile groups."""
    if counts.labels is not None:
        return counts.reference, counts.current
    mapping = stats.quantile_groups(counts.reference, groups)
    return stats.regroup(counts.reference, mapping), stats.regroup(counts.current, mapping)


def _calibrated(name: str, counts: _Counts, threshold: float, options: Options) -> float:
    """The null distribution's quantile of a distance at both sample sizes, if higher.

    Under no drift both datasets are samples of one distribution, so each resample draws a
    reference of the reference's size *and* a current sample of the current size from the
    reference shares: the threshold then covers the noise of both (drawing the current sample
    alone misses the reference's and leaves small references alarming). The quantile is taken
    over all tested columns together (see ``Options.n_columns``) and never exceeds the largest
    distance the two samples can have (:func:`_reachable`): above it the column could not drift.
    """
    rng = np.random.default_rng(options.seed)
    n, m = int(counts.reference.sum()), int(counts.current.sum())
    if counts.labels is None and name == "wasserstein":
        assert counts.grid is not None
        mapping = stats.quantile_groups(counts.reference, 512)
        reference = stats.regroup(counts.reference, mapping)
        centers = stats.regroup(counts.reference * counts.grid.centers(), mapping) / np.maximum(reference, 1)
        share = reference / reference.sum()
        null: Any = stats.wasserstein(centers, rng.multinomial(n, share, size=options.n_bootstrap),
                                      rng.multinomial(m, share, size=options.n_bootstrap), scale=counts.scale)
    else:
        reference, _ = _grouped(counts, 10 if name == "psi" else 20)
        share = reference / reference.sum()
        pairs = rng.multinomial(n, share, size=options.n_bootstrap), rng.multinomial(m, share, size=options.n_bootstrap)
        null = stats.psi(*pairs) if name == "psi" else stats.jensen_shannon(*pairs)
    # Šidák: each column at level ** (1 / columns), so that a same-distribution sample flags no
    # column at all with probability ~ level.
    level = options.calibration_level ** (1.0 / max(options.n_columns, 1))
    fitted = null_quantile(np.asarray(null, dtype=np.float64), level)
    return max(threshold, min(fitted, _reachable(name, counts)))


def null_quantile(null: np.ndarray, level: float) -> float:
    """The ``level`` quantile of a distance's null distribution, from its resamples.

    The null is a point mass at 0 (resampled pairs with identical shares, distance 0: common
    for columns with few values) plus a right-skewed positive part. Resamples at or below
    :data:`ZERO_DISTANCE` estimate the point mass ``p0``; when ``level <= p0`` the quantile is
    0. Otherwise it is the ``(level - p0) / (1 - p0)`` quantile of a log-normal fitted to the
    positive resamples: the Šidák percentile lies beyond what a few hundred resamples show, so
    it is read from the fit rather than from their order statistics. (Fitting the zeros as
    log(1e-12) instead would stretch the fit's spread and push the quantile far above any
    distance the column can reach.) With fewer than two distinct positive resamples there is
    nothing to fit: the largest resample is the quantile.
    """
    from scipy import stats as _stats

    null = null[np.isfinite(null)]
    if not len(null):
        return 0.0
    positive = null[null > ZERO_DISTANCE]
    at_zero = 1.0 - len(positive) / len(null)
    if level <= at_zero:
        return 0.0
    logs = np.log(positive)
    if len(positive) < 2 or not logs.std() > 0:
        return float(positive.max()) if len(positive) else 0.0
    inner = (level - at_zero) / (1.0 - at_zero)
    return float(np.exp(logs.mean() + _stats.norm.ppf(inner) * logs.std(ddof=1)))


def _reachable(name: str, counts: _Counts) -> float:
    """The distance ``name`` shows between samples of these sizes that lie wholly apart.

    All of the reference in the first used bin (or category) and all of the current data in the
    last: for Jensen-Shannon and PSI two disjoint samples (with Evidently's 0.0001 for empty
    shares the Jensen-Shannon distance is then just under its bound sqrt(ln 2) = 0.833: about
    0.826 for two values), for Wasserstein the column's whole range. No distance the statistic
    can reach is far above it, and a threshold at it still flags that pair.
    """
    n, m = int(counts.reference.sum()), int(counts.current.sum())
    if counts.labels is None and name == "wasserstein":
        assert counts.grid is not None
        used = np.flatnonzero(counts.reference + counts.current)
        centers = counts.grid.centers()[used]
        apart = np.zeros(len(used)), np.zeros(len(used))
        apart[0][0], apart[1][-1] = n, m
        return float(stats.wasserstein(centers, *apart, scale=counts.scale))
    reference, _ = _grouped(counts, 10 if name == "psi" else 20)
    if len(reference) < 2:
        return 0.0
    ref_apart, cur_apart = np.zeros(len(reference)), np.zeros(len(reference))
    ref_apart[0], cur_apart[-1] = n, m
    return float(stats.psi(ref_apart, cur_apart) if name == "psi" else stats.jensen_shannon(ref_apart, cur_apart))


def _display(counts: _Counts) -> dict[str, Any]:
    """A small histogram (or top categories) of both datasets, as shares, for the renderings."""
    ref_share = counts.reference / max(counts.reference.sum(), 1)
    cur_share = counts.current / max(counts.current.sum(), 1)
    if counts.labels is not None:
        order = np.argsort(-(ref_share + cur_share), kind="stable")
        top, rest = order[:DISPLAY_CATEGORIES], order[DISPLAY_CATEGORIES:]
        labels = [counts.labels[i] for i in top]
        reference, current = ref_share[top].tolist(), cur_share[top].tolist()
        if len(rest):
            labels.append("(other)")
            reference.append(float(ref_share[rest].sum()))
            current.append(float(cur_share[rest].sum()))
        return {"type": "categories", "labels": labels, "reference": reference, "current": current}
    assert counts.grid is not None
    mapping = stats.quantile_groups(counts.reference + counts.current, DISPLAY_BINS)
    edges_all = counts.grid.edges()
    last = np.flatnonzero(np.diff(mapping, append=mapping[-1] + 1))  # last bin of each group
    edges = [float(edges_all[0]), *(float(edges_all[i + 1]) for i in last)]
    used = np.flatnonzero(counts.reference + counts.current)
    if len(used):
        edges[0], edges[-1] = float(edges_all[used[0]]), float(edges_all[used[-1] + 1])
    return {
        "type": "bins", "edges": edges,
        "reference": stats.regroup(ref_share, mapping).tolist(),
        "current": stats.regroup(cur_share, mapping).tolist(),
    }


def evaluate_column(
    name: str, kind: str, ref: dict[str, Any], cur: dict[str, Any], options: Options, grid: Grid | None = None
) -> ColumnDrift:
    """Test one column. ``ref``/``cur`` hold ``"first"`` (Moments/Categories) and ``"hist"``."""
    if kind == "numeric":
        assert grid is not None
        counts = _numeric_counts(grid, ref["hist"], cur["hist"], ref["first"])
        n_unique = int(np.count_nonzero(counts.reference + counts.current))
        tested_kind = "numeric" if n_unique > SMALL_CARDINALITY else "categorical"
        if tested_kind == "categorical":
            counts = _as_categories(counts)
    else:
        counts = _category_counts(ref["first"], cur["first"])
        n_unique, tested_kind = len(counts.reference), "categorical"
    n_ref, n_cur = int(counts.reference.sum()), int(counts.current.sum())
    test = options.stattest.get(name) or options.default_stattest or default_stattest(
        tested_kind, n_ref, n_unique, small_sample=options.small_sample
    )
    if test in ("ks", "wasserstein") and counts.labels is not None:
        test = default_stattest("categorical", n_ref, n_unique, small_sample=options.small_sample)
    score_kind, default_threshold = stats.STATTESTS[test]
    threshold = options.threshold.get(name, options.default_threshold if options.default_threshold is not None else default_threshold)
    empty = n_ref == 0 or n_cur == 0
    score, statistic = (float("nan"), float("nan")) if empty else _run_test(test, counts)
    psi_value = float("nan") if empty else float(stats.psi(*_grouped(counts, 10)))
    calibrated = options.calibrate and score_kind == "distance" and not empty
    if calibrated:
        threshold = _calibrated(test, counts, threshold, options)
    drifted = (not empty) and (score < threshold if score_kind == "p_value" else score >= threshold)
    first_ref, first_cur = ref["first"], cur["first"]
    missing_ref = first_ref.missing / max(first_ref.missing + n_ref, 1)
    missing_cur = first_cur.missing / max(first_cur.missing + n_cur, 1)
    new = tuple(sorted(set(first_cur.counts) - set(first_ref.counts)))[:20] if kind == "categorical" else ()
    return ColumnDrift(
        column=name, kind=tested_kind, stattest=test, drift_score=score, threshold=float(threshold),
        drifted=bool(drifted), statistic=statistic, psi=psi_value,
        psi_drifted=bool(not empty and psi_value >= options.psi_threshold),
        n_reference=n_ref, n_current=n_cur, missing_reference=missing_ref, missing_current=missing_cur,
        infinite_reference=getattr(first_ref, "infinite", 0), infinite_current=getattr(first_cur, "infinite", 0),
        calibrated=calibrated, new_categories=new,
        reference_mean=first_ref.mean if kind == "numeric" and n_ref else None,
        current_mean=first_cur.mean if kind == "numeric" and n_cur else None,
        display=_display(counts) if not empty else {},
    )

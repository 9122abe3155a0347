"""The binned statistics against scipy on the raw values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as ss
from scipy.spatial import distance

from workbench.monitor import stats
from workbench.monitor.summaries import Categories, Moments, make_grid, second_pass


def _binned(a: np.ndarray, b: np.ndarray, bins: int = 16_384):
    grid = make_grid(Moments.of(a).merge(Moments.of(b)), bins=bins)
    ref = second_pass(pd.DataFrame({"x": a}), {"x": grid})["x"].counts
    cur = second_pass(pd.DataFrame({"x": b}), {"x": grid})["x"].counts
    return grid, ref, cur


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ks_and_wasserstein_match_scipy_on_continuous_values(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0, 1, 3000), rng.normal(0.1, 1.2, 2000)
    grid, ref, cur = _binned(a, b)
    statistic, p_value = stats.ks(ref, cur)
    expected = ss.ks_2samp(a, b, method="asymp")
    assert statistic == pytest.approx(expected.statistic, abs=1e-3)
    assert p_value == pytest.approx(expected.pvalue, rel=0.05, abs=1e-4)
    width = (grid.high - grid.low) / grid.bins
    assert stats.wasserstein(grid.centers(), ref, cur) == pytest.approx(ss.wasserstein_distance(a, b), abs=width)


def test_heavy_tails_use_an_asinh_grid_and_stay_close():
    rng = np.random.default_rng(3)
    a, b = rng.lognormal(7, 1.3, 5000), rng.lognormal(7.1, 1.3, 4000)
    grid, ref, cur = _binned(a, b)
    assert grid.kind == "asinh"
    assert stats.ks(ref, cur)[0] == pytest.approx(ss.ks_2samp(a, b).statistic, abs=2e-3)
    exact = ss.wasserstein_distance(a, b)
    assert stats.wasserstein(grid.centers(), ref, cur) == pytest.approx(exact, rel=0.01)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(-50, 50), min_size=2, max_size=300),
    st.lists(st.integers(-50, 50), min_size=2, max_size=300),
)
def test_whole_numbers_are_exact(a, b):
    a, b = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    grid, ref, cur = _binned(a, b)
    assert grid.kind == "integer"
    assert stats.ks(ref, cur)[0] == pytest.approx(ss.ks_2samp(a, b, method="asymp").statistic, abs=1e-12)
    assert stats.wasserstein(grid.centers(), ref, cur) == pytest.approx(ss.wasserstein_distance(a, b), abs=1e-9)


def _category_counts(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ca, cb = Categories.of(a), Categories.of(b)
    keys = sorted(set(ca.counts) | set(cb.counts))
    return np.array([ca.counts.get(k, 0) for k in keys]), np.array([cb.counts.get(k, 0) for k in keys])


def test_chi_square_is_evidentlys_goodness_of_fit_test():
    """Evidently: scipy.stats.chisquare(current counts, reference counts scaled to the current total)."""
    rng = np.random.default_rng(4)
    a = pd.Series(rng.choice(list("abcd"), 800, p=[0.4, 0.3, 0.2, 0.1]))
    b = pd.Series(rng.choice(list("abcd"), 600, p=[0.3, 0.3, 0.25, 0.15]))
    ref, cur = _category_counts(a, b)
    statistic, p_value = stats.chi_square(ref, cur)
    expected = ss.chisquare(cur, ref * cur.sum() / ref.sum())
    assert statistic == pytest.approx(expected.statistic)
    assert p_value == pytest.approx(expected.pvalue)
    homogeneity = ss.chi2_contingency(np.vstack([ref, cur]), correction=False)
    assert statistic != pytest.approx(homogeneity.statistic)  # not the 2 × k homogeneity test


def test_chi_square_new_category_is_certain_drift_and_unused_categories_are_ignored():
    statistic, p_value = stats.chi_square(np.array([50, 50, 0, 0]), np.array([40, 50, 10, 0]))
    assert (statistic, p_value) == (float("inf"), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert ss.chisquare([40, 50, 10], [50.0, 50.0, 0.0]).pvalue == 0.0  # what Evidently gets from scipy
    ref, cur = np.array([30, 0, 70]), np.array([20, 0, 80])
    assert stats.chi_square(ref, cur) == pytest.approx(tuple(ss.chisquare([20, 80], [30.0, 70.0])))
    assert stats.chi_square(np.array([10, 0]), np.array([5, 0])) == (0.0, 1.0)


def test_z_test_is_the_two_proportion_test():
    ref, cur = np.array([300, 700]), np.array([350, 650])
    z, p_value = stats.z_test(ref, cur)
    pooled = 650 / 2000
    expected_z = (0.3 - 0.35) / np.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert z == pytest.approx(expected_z)
    assert p_value == pytest.approx(2 * ss.norm.sf(abs(expected_z)))


def test_jensen_shannon_and_psi():
    ref, cur = np.array([50, 30, 20, 0]), np.array([40, 30, 20, 10])
    p, q = stats.shares(ref), stats.shares(cur)
    assert stats.jensen_shannon(ref, cur) == pytest.approx(distance.jensenshannon(p, q))
    expected_psi = np.sum((p - q) * np.log(p / q))
    assert stats.psi(ref, cur) == pytest.approx(expected_psi)
    assert stats.psi(ref, ref) == 0.0


def test_moments_merge_like_one_pass():
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.normal(1e6, 3, 1000), [np.nan] * 7])
    parts = np.array_split(values, 7)
    merged = Moments.of(parts[0])
    for part in parts[1:]:
        merged = merged.merge(Moments.of(part))
    finite = values[~np.isnan(values)]
    assert (merged.n, merged.missing) == (1000, 7)
    assert merged.mean == pytest.approx(finite.mean())
    assert merged.std == pytest.approx(finite.std(), rel=1e-9)


def test_infinities_are_missing_values_in_every_summary():
    values = np.array([1.0, np.inf, 2.0, -np.inf, np.nan, 4.0])
    moments = Moments.of(values)
    assert (moments.n, moments.missing, moments.infinite) == (3, 3, 2)
    assert (moments.minimum, moments.maximum, moments.integral) == (1.0, 4.0, True)
    assert moments.mean == pytest.approx(7 / 3)
    merged = moments.merge(Moments.of(np.array([np.inf, 5.0])))
    assert (merged.n, merged.missing, merged.infinite, merged.maximum) == (4, 4, 3, 5.0)
    assert Moments.of(np.array([np.inf, -np.inf])).n == 0
    grid = make_grid(merged)
    hist = second_pass(pd.DataFrame({"x": values}), {"x": grid})["x"]
    assert (hist.n, hist.missing) == (3, 3)
    assert hist.counts.tolist() == [1, 1, 0, 1, 0]

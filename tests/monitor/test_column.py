"""One column's verdict: which test it gets (Evidently's rule, and where ours differs) and how
``calibrate=True`` raises a distance threshold (a point mass at 0, never past the reachable maximum)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats
from scipy.spatial.distance import jensenshannon

from workbench.monitor import drift

EVIDENTLY_EMPTY_SHARE = 1e-4  # Evidently replaces empty shares by this before JS and PSI


def _binary(p: float, n: int, seed: int) -> pd.DataFrame:
    return pd.DataFrame({"b": (np.random.default_rng(seed).random(n) < p).astype(int)})


def _disjoint_js() -> float:
    """scipy's JS distance of two two-valued samples wholly apart, empty shares as Evidently fills them."""
    return float(jensenshannon([1.0, EVIDENTLY_EMPTY_SHARE], [EVIDENTLY_EMPTY_SHARE, 1.0]))


def test_calibration_keeps_the_issue_s_two_valued_shift_drifted():
    """Issue 18 #16: p = 0.3 vs 0.6 over 2,000 rows drifted, but calibrated its threshold was 1.365."""
    ref, cur = _binary(0.3, 2000, 0), _binary(0.6, 2000, 1)
    plain = drift(ref, cur).column("b")
    calibrated = drift(ref, cur, calibrate=True).column("b")
    assert plain.stattest == calibrated.stattest == "jensenshannon"
    assert plain.drifted and calibrated.drifted, calibrated
    assert calibrated.calibrated and 0.1 <= calibrated.threshold < calibrated.drift_score


@pytest.mark.parametrize("sizes", [(2000, 1000), (40, 25)])
def test_calibrated_thresholds_never_pass_the_largest_reachable_distance(sizes):
    """Same-distribution two-valued columns: thresholds stay under the distance of disjoint samples.

    With 40 columns tested together each column is calibrated at 0.95 ** (1 / 40) = 0.9987, far
    in the null's tail; before, resampled pairs with identical shares (distance 0, clipped to
    1e-12) stretched the log-normal fit past sqrt(ln 2) and the column could never drift.
    """
    n, m = sizes
    ceiling = _disjoint_js()
    assert ceiling < math.sqrt(math.log(2))
    for seed in range(10):
        columns = {f"b{k}": (np.random.default_rng([seed, k]).random(n + m) < 0.3).astype(int) for k in range(40)}
        frame = pd.DataFrame(columns)
        report = drift(frame.iloc[:n], frame.iloc[n:], calibrate=True, small_sample=0)
        thresholds = [c.threshold for c in report.columns]
        assert max(thresholds) <= ceiling + 1e-12, (seed, max(thresholds))
        assert all(c.calibrated and c.stattest == "jensenshannon" for c in report.columns)
    apart = drift(pd.DataFrame({"b": [0] * n}), pd.DataFrame({"b": [1] * m}), calibrate=True,
                  small_sample=0).column("b")
    assert apart.drifted and apart.threshold <= apart.drift_score, apart


def test_the_calibrated_threshold_is_the_null_percentile_of_a_monte_carlo_check():
    """threshold=0 exposes the fitted percentile: at or above the null's 95th percentile (Monte
    Carlo with scipy's distance), and not far above it (the old fit read 0.94 here)."""
    ref, cur = _binary(0.3, 2000, 3), _binary(0.3, 1000, 4)
    fitted = drift(ref, cur, calibrate=True, threshold=0.0).column("b").threshold
    share = ref["b"].mean()
    rng = np.random.default_rng(7)
    ones_ref, ones_cur = rng.binomial(2000, share, 20_000), rng.binomial(1000, share, 20_000)

    def shares(ones: int, size: int) -> list[float]:
        counts = np.array([size - ones, ones], dtype=float) / size
        return np.where(counts == 0, EVIDENTLY_EMPTY_SHARE, counts).tolist()

    null = [jensenshannon(shares(a, 2000), shares(b, 1000)) for a, b in zip(ones_ref, ones_cur, strict=True)]
    percentile = float(np.quantile(null, 0.95))
    assert np.mean(np.asarray(null) == 0) > 0.005  # identical shares do occur: the point mass is real
    assert percentile <= fitted <= 2 * percentile, (fitted, percentile)


def test_null_quantile_is_a_point_mass_at_zero_plus_a_log_normal():
    from workbench.monitor._column import null_quantile

    rng = np.random.default_rng(0)
    positive = rng.lognormal(mean=-3.0, sigma=0.5, size=140)
    null = np.concatenate([positive, np.zeros(60)])  # 30 % identical-share resamples
    assert null_quantile(null, 0.25) == 0.0
    fit = scipy_stats.lognorm(s=np.log(positive).std(ddof=1), scale=np.exp(np.log(positive).mean()))
    assert null_quantile(null, 0.99) == pytest.approx(fit.ppf((0.99 - 0.3) / 0.7), rel=1e-12)
    assert null_quantile(positive, 0.95) == pytest.approx(fit.ppf(0.95), rel=1e-12)
    assert null_quantile(np.zeros(50), 0.999) == 0.0
    assert null_quantile(np.r_[np.zeros(49), 0.2], 0.999) == 0.2  # one positive resample: nothing to fit


def _evidently_default_stattest(n_reference: int, n_values: int, column_type: str) -> str:
    """Evidently's ``_get_default_stattest`` (evidently/legacy/calculations/stattests/registry.py), transcribed."""
    if n_reference <= 1000:
        if column_type == "num" and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    if column_type == "num" and n_values > 5:
        return "wasserstein"
    return "jensenshannon"


@pytest.mark.parametrize("n_reference", [600, 3000])
@pytest.mark.parametrize(("values", "column_type"), [
    (np.arange(2), "num"), (np.arange(5), "num"), (np.arange(6), "num"), (np.arange(10), "num"),
    (np.arange(11), "num"), (np.array([0.5, 1.5, 2.5]), "num"), (np.linspace(0, 1, 40), "num"),
    (np.array([True, False]), "cat"), (np.array(["a", "b"]), "cat"), (np.array(["a", "b", "c", "d"]), "cat"),
])
def test_each_column_gets_evidently_s_test_for_a_declared_column_type(n_reference, values, column_type):
    """Counted over both datasets (Evidently: ``pd.concat([ref, cur]).nunique()``), by reference size."""
    rng = np.random.default_rng(len(values))
    ref = pd.DataFrame({"x": rng.choice(values, n_reference)})
    cur = pd.DataFrame({"x": rng.choice(values, 500)})
    n_values = pd.concat([ref["x"], cur["x"]]).nunique()
    assert drift(ref, cur).column("x").stattest == _evidently_default_stattest(n_reference, n_values, column_type)


def test_a_count_column_with_six_to_ten_values_stays_numeric_where_evidently_says_categorical():
    """The stated difference: Evidently infers an int column with <= 10 values as categorical, and its
    chi-square scores a tail value the reference never saw as p = 0; ours keeps KS on counts."""
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"late": np.minimum(rng.poisson(0.8, 600), 5)})
    cur = pd.DataFrame({"late": np.r_[np.minimum(rng.poisson(0.8, 299), 5), 6]})  # one 6: unseen in the reference
    assert pd.concat([ref["late"], cur["late"]]).nunique() == 7
    ours = drift(ref, cur).column("late")
    assert ours.stattest == "ks" and not ours.drifted
    assert ours.drift_score == pytest.approx(scipy_stats.ks_2samp(ref["late"], cur["late"], method="asymp").pvalue,
                                             abs=1e-9)
    as_evidently_infers = drift(ref.astype(str), cur.astype(str)).column("late")  # categorical, as Evidently types it
    assert as_evidently_infers.stattest == "chisquare" and as_evidently_infers.kind == "categorical"
    assert as_evidently_infers.drifted and as_evidently_infers.drift_score == 0.0

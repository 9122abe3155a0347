"""The generator is deterministic per seed and each documented scenario has its documented effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.datasets import DRIFT_SCENARIOS, make_credit_risk
from workbench.exceptions import ParameterError

N = 20_000


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return make_credit_risk(N, seed=3)


def test_deterministic_per_seed() -> None:
    pd.testing.assert_frame_equal(make_credit_risk(500, seed=7), make_credit_risk(500, seed=7))
    assert not make_credit_risk(500, seed=7).equals(make_credit_risk(500, seed=8))


def test_shape_types_and_missing(base: pd.DataFrame) -> None:
    assert base.shape == (N, 23)
    features = base.drop(columns=["application_date", "default"])
    assert features.shape[1] == 21  # 20 features + the two protected attributes counted once each
    assert base["default"].isin([0, 1]).all()
    assert 0.03 < base["income"].isna().mean() < 0.05
    assert base["months_since_delinquency"].isna().eq(base["num_late_payments"].eq(0)).all()
    assert base["income"].corr(base["credit_score"]) > 0.2  # correlated, as documented


def test_planted_disparity(base: pd.DataFrame) -> None:
    rates = base.groupby("sex")["default"].mean()
    assert rates["F"] - rates["M"] > 0.07
    fair = make_credit_risk(N, seed=3, disparity=0.0).groupby("sex")["default"].mean()
    assert fair["F"] - fair["M"] < 0.05


def _ks(a: pd.Series, b: pd.Series) -> float:
    return float(stats.ks_2samp(a.dropna(), b.dropna()).pvalue)


def test_covariate_shift_moves_only_its_columns(base: pd.DataFrame) -> None:
    shifted = make_credit_risk(N, seed=4, scenario="covariate_shift")
    for column in DRIFT_SCENARIOS["covariate_shift"].columns:
        assert _ks(base[column], shifted[column]) < 1e-6, column
    assert shifted["income"].median() < 0.8 * base["income"].median()
    assert shifted["loan_amount"].median() > 1.2 * base["loan_amount"].median()
    for column in ("age", "num_dependents", "years_employed", "num_credit_lines"):
        assert _ks(base[column], shifted[column]) > 1e-3, column


def test_concept_drift_keeps_features_changes_relationship(base: pd.DataFrame) -> None:
    drifted = make_credit_risk(N, seed=4, scenario="concept_drift")
    for column in ("credit_score", "income", "debt_to_income", "age"):
        assert _ks(base[column], drifted[column]) > 1e-3, column
    assert base["credit_score"].corr(base["default"]) < -0.15
    assert abs(drifted["credit_score"].corr(drifted["default"])) < abs(base["credit_score"].corr(base["default"])) / 2


def test_new_category_appears() -> None:
    drifted = make_credit_risk(N, seed=4, scenario="new_category")
    assert drifted["loan_purpose"].eq("crypto").mean() == pytest.approx(0.20, abs=0.015)
    assert drifted["employment_type"].eq("gig").mean() == pytest.approx(0.15, abs=0.015)
    half = make_credit_risk(N, seed=4, scenario="new_category", severity=0.5)
    assert half["loan_purpose"].eq("crypto").mean() == pytest.approx(0.10, abs=0.015)


def test_label_shift_changes_prior_not_class_conditionals(base: pd.DataFrame) -> None:
    shifted = make_credit_risk(N, seed=4, scenario="label_shift")
    assert shifted["default"].mean() == pytest.approx(2 * base["default"].mean(), rel=0.1)
    for label in (0, 1):
        a = base.loc[base["default"] == label, "credit_score"]
        b = shifted.loc[shifted["default"] == label, "credit_score"]
        assert _ks(a, b) > 1e-3


def test_severity_zero_is_no_shift(base: pd.DataFrame) -> None:
    same = make_credit_risk(N, seed=3, scenario="covariate_shift", severity=0.0)
    np.testing.assert_allclose(same["income"].median(), base["income"].median())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_rows": 0}, "n_rows must be a positive integer"),
        ({"scenario": "tsunami"}, "Unknown drift scenario 'tsunami'"),
        ({"severity": -1.0}, "severity must be >= 0"),
    ],
)
def test_bad_parameters(kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        make_credit_risk(**{"n_rows": 10, **kwargs})

"""Profile aggregates, warnings and bad input; associations cross-checked against scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import contingency, pearsonr

from workbench.datasets import make_credit_risk
from workbench.exceptions import DataError
from workbench.explore.associations import cramers_v, pearson
from workbench.explore.profile import profile
from workbench.reports.base import load_report


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    return make_credit_risk(3000, seed=2)


def test_column_statistics_match_pandas(credit: pd.DataFrame) -> None:
    report = profile(credit, target="default", sensitive=["sex"])
    income = report.column("income")
    assert income.stats["mean"] == pytest.approx(credit["income"].mean())
    assert income.stats["median"] == pytest.approx(credit["income"].median())
    assert sum(income.bin_counts) == credit["income"].notna().sum()
    assert report.column("sex").n_unique == credit["sex"].nunique()
    assert report.group_sizes["sex"] == {str(k): int(v) for k, v in credit["sex"].value_counts().items()}
    assert load_report(report.to_json()) == report


def test_associations_match_scipy(credit: pd.DataFrame) -> None:
    table = pd.crosstab(credit["sex"], credit["education"]).to_numpy()
    assert cramers_v(credit["sex"], credit["education"]) == pytest.approx(
        contingency.association(table, method="cramer")
    )
    both = credit[["income", "loan_amount"]].dropna()
    assert pearson(credit["income"], credit["loan_amount"]) == pytest.approx(
        pearsonr(both["income"], both["loan_amount"]).statistic
    )


def _flawed_profile():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    frame = pd.DataFrame(
        {
            "id": np.arange(400),
            "const": 1.0,
            "empty": np.nan,
            "leak": y * 2.0 + 1,
            "noise": rng.normal(size=400),
            "y": y,
        }
    )
    frame = pd.concat([frame, frame.head(3)], ignore_index=True)
    return profile(frame, target="y")


def test_quality_warnings_name_the_columns() -> None:
    report = _flawed_profile()
    assert "id_like" not in report.warning_codes("id")  # duplicated rows make ids repeat
    assert "constant" in report.warning_codes("const")
    assert "all_missing" in report.warning_codes("empty")
    assert "leakage_suspect" in report.warning_codes("leak")
    assert "leakage_suspect" not in report.warning_codes("noise")
    assert report.n_duplicate_rows == 3


def test_leakage_suspect_fails_the_explore_gate(project) -> None:
    from workbench.explore import explore_gates

    report = _flawed_profile()
    gates = explore_gates(project, missing_share={"noise": 0.0}, profile=report)
    leak = next(r for r in gates.results if r.name == "no_leakage_suspect")
    assert not leak.passed
    assert "leak" in leak.reason


def test_bad_input_is_named(credit: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="target column 'nope'"):
        profile(credit, target="nope")
    with pytest.raises(DataError, match="sensitive column 'gender'"):
        profile(credit, sensitive=["gender"])
    with pytest.raises(DataError, match="empty"):
        profile(credit.iloc[0:0])
    with pytest.raises(DataError, match="duplicated column names: a"):
        profile(pd.DataFrame([[1, 2]], columns=["a", "a"]))


def test_profile_renders_as_html_and_widget(credit: pd.DataFrame) -> None:
    report = profile(credit, target="default", sensitive=["sex"])
    page = report.to_html(plotlyjs="none")
    for title in ("Overview", "Warnings", "Missing values", "Associations", "Distributions", "Columns"):
        assert f">{title}</h2>" in page
    assert page.count("plotly-graph-div") >= 3
    tabs = report.widget()
    picker = tabs.children[1].children[0]
    picker.value = "income"
    assert "mean" in tabs.children[1].children[1].children[1].value

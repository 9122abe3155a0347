"""The vectorised association matrix equals pandas, scipy and the pair-by-pair computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import contingency

from workbench.explore import _columns
from workbench.explore.associations import (
    association,
    association_values,
    associations,
    correlation_ratio,
    target_associations,
)
from workbench.explore.profile import _column_profile, profile

EXACT = 1e-9
ROUNDED = 5e-5 + EXACT  # the report keeps 4 decimals


def _mixed(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """Numeric, integer, boolean and categorical columns, related to each other, with missing values."""
    rng = np.random.default_rng(seed)
    base, group = rng.normal(size=n_rows), rng.integers(0, 4, n_rows)
    data: dict[str, object] = {}
    for i in range(8):
        column = 50.0 * i + base * (i % 3) + group * (i % 2) + rng.normal(scale=1 + i, size=n_rows)
        column[rng.random(n_rows) < 0.03 * (i % 4)] = np.nan
        data[f"num_{i}"] = column
    data["count"] = pd.array(rng.poisson(4, n_rows) + group, dtype="Int64")
    data["count"][rng.random(n_rows) < 0.05] = pd.NA
    data["flag"] = base + rng.normal(size=n_rows) > 0
    for i in range(4):
        levels = np.array([f"L{k}" for k in range(2 + 3 * i)])
        codes = (group * (i % 2) + rng.integers(0, len(levels), n_rows)) % len(levels)
        values = pd.Series(levels[codes], dtype=object)
        values[rng.random(n_rows) < 0.04 * i] = None
        data[f"cat_{i}"] = values.astype("category") if i % 2 else values
    data["label"] = (base + group > 1).astype(int)
    return pd.DataFrame(data)


def _kinds(frame: pd.DataFrame) -> dict[str, str]:
    return {name: _column_profile(frame[name], len(frame)).kind for name in frame.columns}


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    return _mixed(7000)  # several chunks of rows, shared by two threads


def _eta(categories: pd.Series, values: pd.Series) -> float:
    """η written out from its definition, on the rows both hold."""
    both = pd.DataFrame({"c": categories.astype(object), "v": values.astype(float)}).dropna()
    mean = both["v"].mean()
    groups = both.groupby("c")["v"]
    between = sum(len(g) * (g.mean() - mean) ** 2 for _, g in groups)
    return float(np.sqrt(between / ((both["v"] - mean) ** 2).sum()))


def test_every_pair_equals_pandas_scipy_and_the_definition(mixed: pd.DataFrame) -> None:
    assert len(mixed) > 3 * _columns.CHUNK_ROWS
    kinds = _kinds(mixed)
    values = association_values(mixed, kinds)
    names = list(mixed.columns)
    numeric = [n for n in names if kinds[n] != "categorical"]
    pandas_corr = mixed[numeric].astype(float).corr()  # pairwise complete rows
    for i, a in enumerate(names):
        assert values[i, i] == 1.0
        for j, b in enumerate(names[i + 1:], start=i + 1):
            assert values[i, j] == values[j, i]
            if a in numeric and b in numeric:
                expected = pandas_corr.at[a, b]
            elif a not in numeric and b not in numeric:
                table = pd.crosstab(mixed[a].astype(object), mixed[b].astype(object)).to_numpy()
                expected = contingency.association(table, method="cramer", correction=False)
            else:
                cat, num = (a, b) if a not in numeric else (b, a)
                expected = _eta(mixed[cat], mixed[num])
            assert values[i, j] == pytest.approx(expected, abs=EXACT), (a, b)


def test_profile_matrix_and_target_associations_are_the_exact_values_rounded(mixed: pd.DataFrame) -> None:
    report = profile(mixed, target="label")
    kinds = _kinds(mixed)
    names = list(report.correlation_columns)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            expected = 1.0 if i == j else association(mixed[a], kinds[a], mixed[b], kinds[b])
            assert report.correlations[i][j] == pytest.approx(expected, abs=ROUNDED), (a, b)
    for column in report.columns:
        if column.name != "label":
            expected = association(mixed[column.name], kinds[column.name], mixed["label"], "categorical")
            assert column.target_association == pytest.approx(abs(expected), abs=ROUNDED), column.name


@pytest.mark.parametrize("target", ["num_3", "cat_1", "count", "flag"])
def test_target_associations_equal_the_pair_by_pair_values(mixed: pd.DataFrame, target: str) -> None:
    kinds = _kinds(mixed)
    target_kind = "categorical" if mixed[target].nunique() <= 20 else kinds[target]
    linked = target_associations(mixed, kinds, target)
    matrix, shared = associations(mixed, kinds, list(mixed.columns), target=target)
    assert shared.keys() == linked.keys() and len(matrix) == mixed.shape[1]
    for name, value in linked.items():
        expected = association(mixed[name], kinds[name], mixed[target], target_kind)
        assert value == pytest.approx(abs(expected), abs=EXACT) == shared[name], name


def test_degenerate_columns_and_pairs_match_the_direct_computation() -> None:
    """±inf, values too large to square, a column constant where another is present, pairs with
    fewer than two common rows, a single category, an all-missing category: as computed pair by pair."""
    n = 600
    rng = np.random.default_rng(5)
    half = np.arange(n) < n // 2
    frame = pd.DataFrame({
        "x": rng.normal(size=n),
        "with_inf": np.where(np.arange(n) == 7, np.inf, rng.normal(size=n)),
        "huge": rng.normal(size=n) * 1e200,
        "first_half": np.where(half, rng.normal(size=n), np.nan),
        "second_half": np.where(~half, rng.normal(size=n), np.nan),
        "constant_on_first_half": np.where(half, 3.0, rng.normal(size=n)),
        "one_overlap": np.where(np.arange(n) >= n // 2 - 1, rng.normal(size=n), np.nan),
        "shifted": 1e9 + rng.normal(size=n) * 1e-3,
        "one_level": pd.Series(np.where(half, "a", None), dtype=object),
        "no_level": pd.Series([None] * n, dtype=object),
        "cat": pd.Series(np.array(["u", "v", "w"], dtype=object)[rng.integers(0, 3, n)]),
    })
    kinds = {name: "numeric" if pd.api.types.is_float_dtype(frame[name]) else "categorical" for name in frame.columns}
    with np.errstate(all="ignore"):
        values = association_values(frame, kinds)
    # The pair-by-pair formulas lose digits on 1e9 + noise (η of one category came out 2e-4, not 0):
    # the reference reads it shifted back by 1e9, exactly (Sterbenz), which changes no association.
    reference = frame.assign(shifted=frame["shifted"] - 1e9)
    names = list(frame.columns)
    for i, a in enumerate(names):
        for j, b in enumerate(names[i + 1:], start=i + 1):
            with np.errstate(all="ignore"):
                expected = association(reference[a], kinds[a], reference[b], kinds[b])
            if expected is None or np.isnan(expected):
                assert np.isnan(values[i, j]), (a, b, values[i, j])
            else:
                assert values[i, j] == pytest.approx(expected, abs=EXACT), (a, b)
    assert np.isnan(values[names.index("first_half"), names.index("second_half")])
    assert values[names.index("shifted"), names.index("one_level")] == pytest.approx(0.0, abs=1e-12)


def test_correlation_ratio_of_one_category_is_zero_and_of_a_constant_is_undefined() -> None:
    frame = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 5, "v": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], "k": [2.0] * 10})
    kinds = {"c": "categorical", "v": "numeric", "k": "numeric"}
    values = association_values(frame.iloc[:5], kinds)
    assert values[0, 1] == pytest.approx(0.0, abs=1e-12) == correlation_ratio(frame["c"][:5], frame["v"][:5])
    assert np.isnan(association_values(frame, kinds)[0, 2])


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=3, max_value=60).flatmap(lambda n: st.tuples(
        st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), min_size=n, max_size=n),
        st.lists(st.one_of(st.none(), st.integers(-3, 3).map(float)), min_size=n, max_size=n),
        st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c"])), min_size=n, max_size=n),
        st.lists(st.one_of(st.none(), st.sampled_from([1, 2])), min_size=n, max_size=n),
    ))
)
def test_any_small_frame_matches_the_pair_by_pair_values(columns) -> None:
    x, y, c, d = columns
    frame = pd.DataFrame({"x": pd.Series(x, dtype=float), "y": pd.Series(y, dtype=float),
                          "c": pd.Series(c, dtype=object), "d": pd.Series(d, dtype=object)})
    kinds = {"x": "numeric", "y": "numeric", "c": "categorical", "d": "categorical"}
    with np.errstate(all="ignore"):
        values = association_values(frame, kinds)
        for i, a in enumerate(kinds):
            for j, b in enumerate(list(kinds)[i + 1:], start=i + 1):
                expected = association(frame[a], kinds[a], frame[b], kinds[b])
                if expected is None or np.isnan(expected):
                    assert np.isnan(values[i, j]), (a, b, values[i, j])
                else:
                    assert values[i, j] == pytest.approx(expected, abs=1e-7), (a, b)

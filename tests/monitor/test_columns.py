"""Drift's summaries read the same numbers from an Arrow table as from its pandas frame, and the
compiled pass (long partitions) the same as numpy's passes (short ones): every test runs on both."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from workbench.monitor import summaries
from workbench.monitor.summaries import (
    Categories,
    Histogram,
    Moments,
    finite_values,
    first_pass,
    make_grid,
    second_pass,
)

pytestmark = pytest.mark.usefixtures("summary_pass")  # numpy's pass and the compiled one, each test


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 70_000  # more than two of the fused path's blocks
    floats = rng.normal(5, 2, n)
    floats[rng.random(n) < 0.05] = np.nan
    floats[:3] = [np.inf, -np.inf, np.nan]
    many = [f"level {k}" for k in range(300)]  # more codes than an int8 holds
    return pd.DataFrame({
        "float": floats,
        "count": pd.Series(rng.integers(0, 40, n), dtype="Int64").where(rng.random(n) > 0.1),
        "many": pd.Categorical(rng.choice(many, n), categories=many).remove_categories(["level 7"]),
        "text": pd.Series(rng.choice(["a", "b", None], n), dtype=object),
        "flag": rng.random(n) < 0.3,
    })


KINDS = {"float": "numeric", "count": "numeric", "many": "categorical", "text": "categorical", "flag": "categorical"}


def _same_moments(a: Moments, b: Moments) -> None:
    """Equal counts and extremes; mean and M2 equal to rounding (sums taken in another order)."""
    assert a.mean == pytest.approx(b.mean, rel=1e-14, abs=1e-300) and a.m2 == pytest.approx(b.m2, rel=1e-12)
    assert dataclasses.replace(a, mean=0.0, m2=0.0) == dataclasses.replace(b, mean=0.0, m2=0.0)


def test_arrow_table_and_its_pandas_frame_give_the_same_summaries(frame):
    table = pa.Table.from_pandas(frame, preserve_index=False)  # NaN in floats becomes null, as in Parquet
    assert table.column("float").null_count > 0 and pa.types.is_dictionary(table.column("many").type)
    grids = {name: make_grid(Moments.of(frame[name].to_numpy(np.float64, na_value=np.nan)))
             for name in ("float", "count")}
    assert grids["float"].kind == "uniform" and grids["count"].kind == "integer"
    ours, theirs = first_pass(table, KINDS, grids), first_pass(frame, KINDS, grids)
    assert ours.keys() == theirs.keys()
    for key, summary in theirs.items():
        if isinstance(summary, Moments):
            _same_moments(ours[key], summary)
        elif isinstance(summary, Histogram):
            assert np.array_equal(ours[key].counts, summary.counts) and ours[key].missing == summary.missing, key
        else:
            assert ours[key] == summary, key
    assert "level 7" not in ours["many"].counts and len(ours["many"].counts) == 299
    assert ours["float"].missing == frame["float"].isna().sum() + 2 and ours["float"].infinite == 2
    for name, hist in second_pass(table, grids).items():
        assert np.array_equal(hist.counts, ours[("histogram", name)].counts) and hist.missing == ours[name].missing


def test_fused_pass_matches_moments_and_histogram_apart(frame):
    """On a uniform grid the moments and counts come from one shared pass, equal to the separate ones,
    including a value on the grid's top edge and one on its bottom."""
    values = frame["float"].to_numpy()
    finite, missing, infinite, total = finite_values(values)
    grid = make_grid(Moments.of(values), bins=1000)
    out = first_pass(pd.DataFrame({"x": values}), {"x": "numeric"}, {"x": grid})
    _same_moments(out["x"], Moments.of_finite(finite, missing, infinite, total))
    apart = Histogram.of_finite(finite, missing, grid)
    assert np.array_equal(out[("histogram", "x")].counts, apart.counts) and out[("histogram", "x")].counts.sum() == len(finite)
    assert apart.counts[0] > 0 and apart.counts[-1] > 0


def test_category_codes_count_like_value_counts():
    codes = np.array([-1, 0, 0, 2, 2, 2, -1], dtype=np.int8)
    assert Categories.of_codes(codes, ["x", "y", "z"]) == Categories({"x": 2, "z": 3}, 2)
    repeated = Categories.of_codes(np.array([0, 1, 1]), ["x", "x"])  # an Arrow dictionary may repeat a value
    assert repeated == Categories({"x": 3}, 0)
    series = pd.Series(pd.Categorical(["b", None, "b", "a"], categories=["a", "b", "c"]))
    assert Categories.of(series) == Categories({"b": 2, "a": 1}, 1)


def test_fused_pass_keeps_precision_far_from_zero_and_takes_empty_chunks():
    rng = np.random.default_rng(9)
    values = 1e9 + rng.normal(0, 1e-3, 100_000)  # the spread is 1e-12 of the values
    grid = make_grid(Moments.of(values))
    out = first_pass(pd.DataFrame({"x": values}), {"x": "numeric"}, {"x": grid})
    apart = Moments.of(values)  # the mean of 1e9-sized values is itself only good to ~1e-7
    assert out["x"].mean == pytest.approx(apart.mean, rel=1e-15) and (out["x"].minimum, out["x"].maximum) == (apart.minimum, apart.maximum)
    assert out["x"].std == pytest.approx(values.std(), rel=1e-6) and apart.std == pytest.approx(values.std(), rel=1e-6)
    empty = first_pass(pd.DataFrame({"x": np.array([], dtype=float)}), {"x": "numeric"}, {"x": grid})
    assert empty["x"].n == 0 and empty[("histogram", "x")].counts.sum() == 0


def test_float32_columns_get_the_bins_grid_index_gives():
    rng = np.random.default_rng(4)
    values = rng.normal(3, 1, 200_000).astype(np.float32)
    grid = make_grid(Moments.of(values.astype(np.float64)))
    out = first_pass(pd.DataFrame({"x": values}), {"x": "numeric"}, {"x": grid})
    apart = Histogram.of_finite(values, 0, grid)
    assert np.array_equal(out[("histogram", "x")].counts, apart.counts)
    assert np.array_equal(second_pass(pd.DataFrame({"x": values}), {"x": grid})["x"].counts, apart.counts)


def test_unsigned_dictionary_codes_are_counted(tmp_path):
    import pyarrow.parquet as pq

    codes = pa.array([0, 1, None, 1], type=pa.uint8())
    table = pa.table({"c": pa.DictionaryArray.from_arrays(codes, pa.array(["x", "y"]))})
    pq.write_table(table, tmp_path / "u.parquet")
    back = pq.read_table(tmp_path / "u.parquet")
    assert first_pass(back, {"c": "categorical"})["c"] == Categories({"x": 1, "y": 2}, 1)


def test_fused_pass_edge_cases_match_the_plain_summaries():
    huge = np.array([1e308, 1.1e308, 1.2e308, 1.3e308])  # finite, but their sum overflows
    grid = make_grid(Moments.of(huge))
    out = first_pass(pd.DataFrame({"x": huge}), {"x": "numeric"}, {"x": grid})
    assert out["x"].n == 4 and out[("histogram", "x")].counts.sum() == 4

    rng = np.random.default_rng(5)
    narrow = 1e9 + rng.normal(0, 1e-3, 50_000)  # a grid far wider than the chunk's spread
    wide = make_grid(Moments.of(np.array([0.0, 2e9])))
    out = first_pass(pd.DataFrame({"x": narrow}), {"x": "numeric"}, {"x": wide})
    exact = Moments.of(narrow - 1e9).m2  # the subtraction is exact: M2 of small numbers, to rounding
    assert out["x"].m2 == pytest.approx(exact, rel=1e-6) and Moments.of(narrow).m2 == pytest.approx(exact, rel=1e-6)

    understated = make_grid(Moments.of(np.array([0.0, 1.5])))  # the data reach far beyond it
    out = first_pass(pd.DataFrame({"x": np.array([0.5, 1e12, -3.0])}), {"x": "numeric"}, {"x": understated})
    assert out[("histogram", "x")].counts.sum() == 3 and out["x"].maximum == 1e12

    tiny = make_grid(Moments.of(np.array([0.0, 5e-324])))  # bins narrower than the smallest float
    out = first_pass(pd.DataFrame({"x": np.array([0.0, 5e-324])}), {"x": "numeric"}, {"x": tiny})
    assert out["x"].n == 2


def test_categories_that_print_alike_are_one_category():
    mixed = pd.Series([1, "1", 2], dtype=object)
    assert Categories.of(mixed) == Categories({"1": 2, "2": 1}, 0)
    assert Categories.of(mixed.astype("category")) == Categories({"1": 2, "2": 1}, 0)


def _both_paths(monkeypatch, frame, kinds, grids=None):
    """first_pass by numpy's passes and by the compiled one, on the same partition."""
    monkeypatch.setattr(summaries, "COMPILED_ROWS", 10**12)
    plain = first_pass(frame, kinds, grids)
    monkeypatch.setattr(summaries, "COMPILED_ROWS", 0)
    return plain, first_pass(frame, kinds, grids)


def test_compiled_pass_matches_numpy_on_sliced_chunked_arrow_with_nulls(frame, monkeypatch):
    """Arrow chunks that start mid-buffer (a validity bitmap read from a bit offset), several chunks per
    column, nulls, NaN and ±inf: the compiled pass gives numpy's counts and moments."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sliced = pa.concat_tables([table.slice(5, 20_003), table.slice(30_001, 31_111)])
    assert sliced.column("float").num_chunks == 2 and sliced.column("float").chunk(0).offset == 5
    grids = {"float": make_grid(Moments.of(frame["float"].to_numpy()), bins=777),
             "count": make_grid(Moments.of(frame["count"].to_numpy(np.float64, na_value=np.nan)))}
    plain, compiled = _both_paths(monkeypatch, sliced, KINDS, grids)
    for key, summary in plain.items():
        if isinstance(summary, Moments):
            _same_moments(compiled[key], summary)
        elif isinstance(summary, Histogram):
            assert np.array_equal(compiled[key].counts, summary.counts) and compiled[key].missing == summary.missing
        else:
            assert compiled[key] == summary, key
    assert compiled["float"].n + compiled["float"].missing == 20_003 + 31_111


def test_values_beyond_a_guessed_grid_land_in_its_end_bins():
    """Parquet statistics can understate the data: a guessed grid then gets end-bin counts (and is
    rejected by the merged moments), never an error, for integer columns as for float ones."""
    ints = first_pass(pd.DataFrame({"x": np.array([2, 7, 30])}), {"x": "numeric"},
                      {"x": make_grid(Moments.of(np.array([5.0, 10.0])))})
    assert ints[("histogram", "x")].counts.tolist() == [1, 0, 1, 0, 0, 1] and ints["x"].minimum == 2
    far = first_pass(pd.DataFrame({"x": np.array([-1e300, 0.5, 1e300])}), {"x": "numeric"},
                     {"x": make_grid(Moments.of(np.array([0.0, 1.5])), bins=4)})
    assert far[("histogram", "x")].counts.tolist() == [1, 1, 0, 1]


def test_a_dictionary_code_outside_its_dictionary_is_an_error_not_a_write_out_of_bounds():
    codes = pa.array([0, 1, 5], type=pa.int8())
    table = pa.table({"c": pa.DictionaryArray.from_arrays(codes, pa.array(["x", "y"]), safe=False)})
    with pytest.raises(ValueError, match="outside its dictionary"):
        first_pass(table, {"c": "categorical"})


def test_kernels_compile_in_memory_where_numba_has_no_cache_folder():
    from workbench.monitor._kernels import compiled

    scope: dict = {}
    exec("def add_one(x):\n    return x + 1\n", scope)  # no source file: no folder numba could cache it in
    assert compiled()(scope["add_one"])(41) == 42


def test_narrow_float_columns_get_float64_moments_and_bins_on_both_paths(monkeypatch):
    rng = np.random.default_rng(6)
    quantised = (np.float32(1e6) + rng.integers(0, 4, 1000) * np.float32(0.0625)).astype(np.float32)
    halves = rng.normal(0, 100, 1000).astype(np.float16)
    exact = Moments.of(quantised.astype(np.float64))
    plain, compiled = _both_paths(monkeypatch, pd.DataFrame({"x": quantised}), {"x": "numeric"})
    assert plain["x"].m2 == pytest.approx(exact.m2, rel=1e-9) and compiled["x"].m2 == pytest.approx(exact.m2, rel=1e-9)
    table = pa.table({"h": pa.array(halves)})
    plain, compiled = _both_paths(monkeypatch, table, {"h": "numeric"})
    assert np.isfinite(plain["h"].m2) and plain["h"].m2 == pytest.approx(compiled["h"].m2, rel=1e-12)

    whole = np.array([-2048, 2047, 0], dtype=np.float16)  # an integer grid over values float16 rounds apart
    grid = make_grid(Moments.of(whole.astype(np.float64)))
    assert grid.kind == "integer"
    plain, compiled = _both_paths(monkeypatch, pd.DataFrame({"x": whole}), {"x": "numeric"}, {"x": grid})
    assert np.array_equal(plain[("histogram", "x")].counts, compiled[("histogram", "x")].counts)
    assert np.flatnonzero(plain[("histogram", "x")].counts).tolist() == [0, 2048, 4095]


def test_values_near_the_float_limits_neither_crash_nor_disagree(monkeypatch):
    extremes = np.array([1.7e308, -1.7e308, 0.0, 1.0])  # x - centre and high - low overflow
    grid = make_grid(Moments.of(np.array([-1e308, 1e308])), bins=4)
    plain, compiled = _both_paths(monkeypatch, pd.DataFrame({"x": extremes}), {"x": "numeric"}, {"x": grid})
    assert plain["x"].mean == compiled["x"].mean == 0.25 and plain["x"].m2 == compiled["x"].m2 == np.inf
    assert plain[("histogram", "x")].counts.tolist() == compiled[("histogram", "x")].counts.tolist() == [1, 2, 0, 1]
    huge = Moments(n=10**6, mean=1e308, m2=1.0, minimum=1e308, maximum=1e308, integral=False)
    assert Moments().merge(huge) == huge and huge.merge(Moments(missing=2)).missing == 2  # no n * mean to overflow

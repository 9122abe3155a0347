"""Mergeable per-partition summaries: moments, category counts and histograms on a shared grid.

Every drift statistic is computed from these summaries, never from rows, so the same code runs
on one in-memory frame, on Parquet read in chunks and on Dask partitions. A summary of two
partitions is the merge of their summaries (:func:`merge`), exactly.

Numeric columns take two passes:

1. :class:`Moments` (count, missing, mean, M2, min, max, whether every value is whole);
2. a :class:`Histogram` on a :class:`Grid` chosen from the merged moments of *both* datasets, so
   reference and current counts share their bins.

The grid is exact for whole-number columns whose range fits in the bins (one bin per value);
otherwise it has ``bins`` bins (16,384 by default), uniform, or uniform on an ``asinh`` scale
when the range is wide against the spread (heavy tails). Binning moves a value by at most one
bin width, which bounds the error of every statistic (see :mod:`workbench.monitor.stats`).
Categorical columns take one pass: exact :class:`Categories` counts.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.monitor import columns

__all__ = [
    "DEFAULT_BINS",
    "HISTOGRAM",
    "Categories",
    "Grid",
    "Histogram",
    "Moments",
    "column_kinds",
    "finite_values",
    "first_pass",
    "make_grid",
    "merge",
    "second_pass",
]

DEFAULT_BINS = 16_384
HISTOGRAM = "histogram"  # first_pass's key of a column's histogram: (HISTOGRAM, name)
HEAVY_TAIL_RANGE = 20.0  # range / standard deviation above which the grid is asinh-scaled


@dataclasses.dataclass
class Moments:
    """Count, missing values, mean, sum of squared deviations, extremes of a numeric column.

    Non-finite values (NaN, +inf, -inf) are missing: they are left out of every statistic and
    counted in ``missing``; ``infinite`` counts the ±inf among them.
    """

    n: int = 0
    missing: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = np.inf
    maximum: float = -np.inf
    integral: bool = True
    infinite: int = 0

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        """The moments of one partition's values (NaN and ±inf counted as missing)."""
        return cls.of_finite(*finite_values(values))

    @classmethod
    def of_finite(cls, finite: np.ndarray, missing: int, infinite: int, total: float | None = None) -> Moments:
        """The moments of values already split by :func:`finite_values`."""
        if len(finite) == 0:
            return cls(missing=missing, infinite=infinite)
        total = finite.sum(dtype=np.float64) if total is None else total
        mean = float(total / len(finite))
        deviations = finite - mean
        # Squared in place and summed, not np.dot: BLAS threads spin against each other on a busy
        # 2-core machine (drift over 2 x 1M rows in chunks: 24 s wall with np.dot, 7.4 s without).
        m2 = float(np.square(deviations, out=deviations).sum())
        return cls(
            n=len(finite), missing=missing, mean=mean, m2=m2,
            minimum=float(finite.min()), maximum=float(finite.max()), integral=_integral(finite),
            infinite=infinite,
        )

    def merge(self, other: Moments) -> Moments:
        """Both partitions' moments (Chan's parallel update of mean and M2)."""
        n = self.n + other.n
        infinite = self.infinite + other.infinite
        if n == 0:
            return Moments(missing=self.missing + other.missing, infinite=infinite)
        delta = other.mean - self.mean
        return Moments(
            n=n,
            missing=self.missing + other.missing,
            mean=self.mean + delta * other.n / n,
            m2=self.m2 + other.m2 + delta * delta * self.n * other.n / n,
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
            integral=self.integral and other.integral,
            infinite=infinite,
        )

    @property
    def std(self) -> float:
        """Population standard deviation (``ddof=0``, as ``np.std``)."""
        return float(np.sqrt(self.m2 / self.n)) if self.n else float("nan")


def finite_values(values: np.ndarray) -> tuple[np.ndarray, int, int, float | None]:
    """(the finite values, how many are missing (NaN, ±inf), how many infinite, their sum or None).

    The sum comes first: when it is finite every value is, and ``values`` is returned as is
    (no mask, no copy); the sum is then returned for reuse.
    """
    with np.errstate(invalid="ignore", over="ignore"):  # inf + -inf is NaN: a signal, not a warning
        total = values.sum(dtype=np.float64)
    if values.dtype.kind != "f" or np.isfinite(total):
        return values, 0, 0, float(total)
    keep = np.isfinite(values)
    finite = values[keep]
    return finite, len(values) - len(finite), int(np.count_nonzero(np.isinf(values))), None


def _integral(values: np.ndarray) -> bool:
    """Whether every value is a whole number (a sample is checked first: most float columns fail fast)."""
    if values.dtype.kind in "iub":
        return True
    head = values[:1000]
    return bool(np.array_equal(head, np.floor(head))) and bool(np.array_equal(values, np.floor(values)))


@dataclasses.dataclass
class Categories:
    """Exact counts per category (as strings) and the number of missing values."""

    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    missing: int = 0

    @classmethod
    def of(cls, values: pd.Series) -> Categories:
        if isinstance(values.dtype, pd.CategoricalDtype):
            return cls.of_codes(values.cat.codes.to_numpy(), [str(k) for k in values.cat.categories])
        counts = values.value_counts(dropna=True, sort=False)
        found: dict[str, int] = {}
        for key, count in zip(counts.index, counts.to_numpy().tolist(), strict=True):
            found[str(key)] = found.get(str(key), 0) + count  # 1 and "1" are one category, as in the codes' counts
        return cls(found, int(values.isna().sum()))

    @classmethod
    def of_codes(cls, codes: np.ndarray, names: list[str]) -> Categories:
        """Counts of dictionary codes into ``names`` (-1 is missing): one ``bincount``, no hashing."""
        counts = np.bincount(np.add(codes, 1, dtype=np.intp), minlength=len(names) + 1)
        found: dict[str, int] = {}
        for code in np.flatnonzero(counts[1:]).tolist():
            found[names[code]] = found.get(names[code], 0) + int(counts[code + 1])
        return cls(found, int(counts[0]))

    @classmethod
    def of_column(cls, column: list[tuple[np.ndarray, list[str]]] | pd.Series) -> Categories:
        """The counts of a :func:`workbench.monitor.columns.categorical` column."""
        if isinstance(column, pd.Series):
            return cls.of(column)
        return merge({"": cls.of_codes(codes, names)} for codes, names in column)[""] if column else cls()

    def merge(self, other: Categories) -> Categories:
        merged = dict(self.counts)
        for key, count in other.counts.items():
            merged[key] = merged.get(key, 0) + count
        return Categories(merged, self.missing + other.missing)

    @property
    def n(self) -> int:
        return sum(self.counts.values())


@dataclasses.dataclass
class Histogram:
    """Counts of a numeric column's values on a :class:`Grid`."""

    counts: np.ndarray
    missing: int = 0

    @classmethod
    def of_finite(cls, finite: np.ndarray, missing: int, grid: Grid) -> Histogram:
        """The counts of finite values on ``grid``; ``missing`` values (NaN, ±inf) are only counted."""
        counts = np.bincount(grid.index(finite), minlength=grid.bins) if len(finite) else np.zeros(grid.bins, np.int64)
        return cls(counts.astype(np.int64, copy=False), missing)

    def merge(self, other: Histogram) -> Histogram:
        return Histogram(self.counts + other.counts, self.missing + other.missing)

    @property
    def n(self) -> int:
        return int(self.counts.sum())


@dataclasses.dataclass(frozen=True)
class Grid:
    """Bins shared by the reference and current histograms of one column.

    ``kind`` is ``"integer"`` (one bin per whole number from ``low``), ``"uniform"`` or
    ``"asinh"`` (uniform in ``asinh((x - center) / scale)``).
    """

    kind: str
    low: float
    high: float
    bins: int
    center: float = 0.0
    scale: float = 1.0

    def _scaled(self, values: np.ndarray) -> np.ndarray:
        if self.kind == "asinh":
            return np.arcsinh((values - self.center) / self.scale)
        return values.astype(np.float64, copy=False)

    def index(self, values: np.ndarray) -> np.ndarray:
        """The bin of each value (finite values only: :func:`second_pass` drops NaN and ±inf)."""
        if self.kind == "integer":
            position = values - self.low
        else:
            width = (self.high - self.low) / self.bins
            position = self._scaled(values) - self.low  # a new array: scaled in place below
            position *= 1.0 / width if width > 0 else 0.0
        index = position.astype(np.int64)
        return np.clip(index, 0, self.bins - 1, out=index) if self.kind == "asinh" else \
            np.minimum(index, self.bins - 1, out=index)

    def edges(self) -> np.ndarray:
        """Bin edges on the original scale (``bins + 1`` values)."""
        if self.kind == "integer":
            return self.low - 0.5 + np.arange(self.bins + 1, dtype=np.float64)
        edges = np.linspace(self.low, self.high, self.bins + 1)
        return self.center + self.scale * np.sinh(edges) if self.kind == "asinh" else edges

    def centers(self) -> np.ndarray:
        """Where each bin's values are taken to lie, on the original scale."""
        if self.kind == "integer":
            return self.low + np.arange(self.bins, dtype=np.float64)
        scaled = np.linspace(self.low, self.high, self.bins + 1)
        middle = (scaled[:-1] + scaled[1:]) / 2
        return self.center + self.scale * np.sinh(middle) if self.kind == "asinh" else middle


def make_grid(moments: Moments, *, bins: int = DEFAULT_BINS) -> Grid:
    """The grid for a column whose values (both datasets) have ``moments``."""
    if moments.n == 0:
        return Grid("uniform", 0.0, 1.0, 1)
    low, high = moments.minimum, moments.maximum
    if moments.integral and high - low + 1 <= bins:
        return Grid("integer", low, high, int(high - low) + 1)
    std = moments.std
    if std > 0 and (high - low) / std > HEAVY_TAIL_RANGE:
        center, scale = moments.mean, std
        return Grid("asinh", float(np.arcsinh((low - center) / scale)),
                    float(np.nextafter(np.arcsinh((high - center) / scale), np.inf)), bins, center, scale)
    return Grid("uniform", low, float(np.nextafter(high, np.inf)) if high > low else low + 1.0, bins)


def column_kinds(frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, str]:
    """``"numeric"`` or ``"categorical"`` per column; datetimes are left out."""
    kinds = {}
    for name in columns:
        dtype = frame[name].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
            continue
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        kinds[name] = "numeric" if numeric else "categorical"
    return kinds


def first_pass(frame: Any, kinds: Mapping[str, str],
               grids: Mapping[str, Grid] | None = None) -> dict[Any, Moments | Categories | Histogram]:
    """Pass one over a partition (a pandas frame or an Arrow table): moments of numeric columns,
    counts of categorical ones.

    With ``grids``, also each listed numeric column's histogram (key ``(HISTOGRAM, name)``) from
    the same finite values: a column is filtered once for both.
    """
    out: dict[Any, Moments | Categories | Histogram] = {}
    scratch = _Scratch(len(frame))
    for name, kind in kinds.items():
        if kind != "numeric":
            out[name] = Categories.of_column(columns.categorical(frame, name))
            continue
        values, nulls = columns.numeric(frame, name)
        grid = grids.get(name) if grids else None
        if grid is not None and _Scratch.takes(values, grid):
            out[name], out[(HISTOGRAM, name)] = scratch.moments_and_histogram(values, nulls, grid)
            continue
        finite, missing, infinite, total = finite_values(values)
        missing += nulls
        out[name] = Moments.of_finite(finite, missing, infinite, total)
        if grid is not None:
            out[(HISTOGRAM, name)] = Histogram.of_finite(finite, missing, grid)
    return out


class _Scratch:
    """Work arrays for one partition's float columns, allocated once and reused column after column.

    :meth:`moments_and_histogram` gives what :meth:`Moments.of_finite` and
    :meth:`Histogram.of_finite` give on a uniform grid, reading the column from memory once: block
    by block (small enough to stay in the CPU cache) it takes the sum, the extremes, the bins and
    the squared deviations, into arrays no column allocates afresh. The counts are the same; the
    mean and M2 agree to rounding. Drift over Parquet on Dask spends most of its time here: a
    column took 2.4 ms per 250,000 rows before, 1.1 ms now.
    """

    BLOCK = 32_768  # values per block: 256 KB of positions, within a core's cache
    KEEP_ROWS = 1_000_000  # arrays for more rows (a whole frame in memory) are not kept: 8 MB at most
    _kept = threading.local()  # per thread, a chunk's arrays: the next chunk reuses them (no new pages)

    def __init__(self, rows: int) -> None:
        kept = getattr(self._kept, "index", None)
        self._index = kept if kept is not None and len(kept) >= rows else None
        self._blocks: tuple[np.ndarray, np.ndarray] | None = getattr(self._kept, "blocks", None)
        self._rows = rows

    def _arrays(self, size: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        if self._index is None:
            self._index = np.empty(self._rows, np.int64)
            if self._rows <= self.KEEP_ROWS:
                self._kept.index = self._index
        if self._blocks is None:
            self._blocks = self._kept.blocks = (np.empty(self.BLOCK, np.float64), np.empty(self.BLOCK, np.float64))
        return self._index[:size], self._blocks

    @staticmethod
    def takes(values: np.ndarray, grid: Grid) -> bool:
        """Whether :meth:`moments_and_histogram` serves this column: float values, a uniform grid of
        bins wider than zero."""
        return grid.kind == "uniform" and values.dtype.kind == "f" and (grid.high - grid.low) / grid.bins > 0

    def moments_and_histogram(self, values: np.ndarray, nulls: int, grid: Grid) -> tuple[Moments, Histogram]:
        """The column's moments and its counts on ``grid``, reading it from memory once when every
        value is finite (block by block: sum, extremes, bins and squared deviations from cache)."""
        if len(values) == 0:
            return Moments(missing=nulls), Histogram(np.zeros(grid.bins, np.int64), nulls)
        index, blocks = self._arrays(len(values))
        sums = self._one_read(values, grid, index, blocks)
        finite, missing, infinite = values, 0, 0
        if sums is None:  # NaN or ±inf somewhere: filter, then the same work on the finite values
            finite, missing, infinite, finite_sum = finite_values(values)
            sums = self._one_read(finite, grid, index, blocks) if len(finite) else None
            if sums is None:  # none left, or finite values whose sum overflows: the plain way
                return (Moments.of_finite(finite, missing + nulls, infinite, finite_sum),
                        Histogram.of_finite(finite, missing + nulls, grid))
        n = len(finite)
        total, low, high, centre, m2_centre = sums
        mean = total / n
        counts = np.bincount(index[:n], minlength=grid.bins)
        moments = Moments(n=n, missing=missing + nulls, mean=mean, m2=max(m2_centre - n * (mean - centre) ** 2, 0.0),
                          minimum=low, maximum=high, integral=_integral(finite), infinite=infinite)
        return moments, Histogram(counts.astype(np.int64, copy=False), missing + nulls)

    def _one_read(self, values: np.ndarray, grid: Grid, index: np.ndarray,
                  blocks: tuple[np.ndarray, np.ndarray]) -> tuple[float, float, float, float, float] | None:
        """(sum, min, max, centre, sum of squared deviations from the centre), the bins written to
        ``index``; None at the first block whose sum is not finite.

        The bins are :meth:`Grid.index`'s: positions ``(x - low) / width`` in float64 whatever the
        column's float type, kept within the grid (a value outside it, when Parquet statistics
        understated the data, only lands in an end bin of a guess the data then rejects). The centre
        is the first block's mean, close to the column's, so the final correction loses nothing.
        """
        scale = 1.0 / ((grid.high - grid.low) / grid.bins)  # as Grid.index rounds it: the same bins
        top = grid.bins - 1
        total, low, high, centre, m2 = 0.0, np.inf, -np.inf, 0.0, 0.0
        positions, deviations = blocks
        with np.errstate(invalid="ignore", over="ignore"):
            for start in range(0, len(values), self.BLOCK):
                part = values[start:start + self.BLOCK]
                part_sum = float(part.sum(dtype=np.float64))
                if not np.isfinite(part_sum):
                    return None
                total += part_sum
                low, high = min(low, float(part.min())), max(high, float(part.max()))
                position = np.subtract(part, grid.low, out=positions[:len(part)], dtype=np.float64)
                position *= scale
                bins = index[start:start + len(part)]
                np.copyto(bins, position, casting="unsafe")
                np.clip(bins, 0, top, out=bins)
                centre = part_sum / len(part) if start == 0 else centre
                deviation = np.subtract(part, centre, out=deviations[:len(part)], dtype=np.float64)
                m2 += float(np.square(deviation, out=deviation).sum())  # as Moments.of_finite sums them
        return total, low, high, centre, m2


def second_pass(frame: Any, grids: Mapping[str, Grid]) -> dict[str, Histogram]:
    """Pass two over a partition: each numeric column's histogram on its grid (NaN and ±inf missing)."""
    out = {}
    for name, grid in grids.items():
        values, nulls = columns.numeric(frame, name)
        finite, missing, _, _ = finite_values(values)
        out[name] = Histogram.of_finite(finite, missing + nulls, grid)
    return out


def merge(parts: Iterable[Mapping[Any, Any]]) -> dict[Any, Any]:
    """Merge per-partition summaries column by column."""
    merged: dict[Any, Any] = {}
    for part in parts:
        for name, summary in part.items():
            merged[name] = merged[name].merge(summary) if name in merged else summary
    return merged

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

A partition of :data:`COMPILED_ROWS` rows or more is summarised by compiled passes
(:mod:`workbench.monitor._kernels`: each column read once, nulls skipped in place); a shorter
one by numpy's, which cost less than loading numba. Both give the same counts and bins, and the
same moments to rounding.
"""

from __future__ import annotations

import dataclasses
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
COMPILED_ROWS = 100_000  # a partition this long is summarised by compiled passes (shorter: numpy's, no numba to load)
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
        # Squared in place and summed, not np.dot: BLAS threads spin against each other on a busy
        # 2-core machine (drift over 2 x 1M rows in chunks: 24 s wall with np.dot, 7.4 s without).
        with np.errstate(over="ignore"):  # values near ±1.8e308: an infinite M2, as the compiled pass has it
            deviations = np.subtract(finite, mean, dtype=np.float64)  # float64 whatever the column's type
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
        if self.n == 0 or other.n == 0:  # one side's moments as they are (no product that could overflow)
            found = other if self.n == 0 else self
            return dataclasses.replace(found, missing=self.missing + other.missing, infinite=infinite)
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
    def of_codes(cls, codes: np.ndarray, names: list[str], valid: np.ndarray = columns.NO_BITMAP,
                 offset: int = 0) -> Categories:
        """Counts of dictionary codes into ``names`` (-1, or a clear bit of the Arrow validity bitmap
        ``valid``, is missing): no hashing; one compiled pass over a long column, ``bincount`` over
        a short one."""
        if len(codes) >= COMPILED_ROWS:
            from workbench.monitor._kernels import code_counts

            counts = np.zeros(len(names) + 1, np.int64)
            code_counts(codes, valid, offset, counts)
        else:
            shifted = np.add(codes, 1, dtype=np.intp)
            if len(valid):
                shifted[np.unpackbits(valid, count=offset + len(codes), bitorder="little")[offset:] == 0] = 0
            if len(shifted) and not 0 <= shifted.min() <= shifted.max() <= len(names):
                raise ValueError("a dictionary code outside its dictionary")
            counts = np.bincount(shifted, minlength=len(names) + 1)
        found: dict[str, int] = {}
        for code in np.flatnonzero(counts[1:]).tolist():
            found[names[code]] = found.get(names[code], 0) + int(counts[code + 1])
        return cls(found, int(counts[0]))

    @classmethod
    def of_column(cls, column: columns.CodePieces | pd.Series) -> Categories:
        """The counts of a :func:`workbench.monitor.columns.categorical` column."""
        if isinstance(column, pd.Series):
            return cls.of(column)
        pieces = ({"": cls.of_codes(codes, names, valid, offset)} for codes, valid, offset, names in column)
        return merge(pieces)[""] if column else cls()

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
            return np.arcsinh(np.subtract(values, self.center, dtype=np.float64) / self.scale)
        return values

    def index(self, values: np.ndarray) -> np.ndarray:
        """The bin of each value (finite values only: :func:`second_pass` drops NaN and ±inf)."""
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow lands in an end bin, below
            position = np.subtract(self._scaled(values), self.low, dtype=np.float64)  # a new float64 array
            if self.kind != "integer":
                position *= self.per_unit()
        # Kept within the grid before the cast (a value outside a guessed grid lands in an end bin, one
        # beyond int64 too; NaN from an overflow in bin 0), then truncated: the compiled pass's bins
        # (see workbench.monitor._kernels).
        np.fmax(position, 0.0, out=position)
        return np.minimum(position, self.bins - 1, out=position).astype(np.int64)

    def per_unit(self) -> float:
        """Bins per unit of the (scaled) values: ``1 / width``, 0 for a grid of zero width."""
        width = (self.high - self.low) / self.bins
        if not np.isfinite(width):  # high - low overflowed: the same width, taken apart
            width = self.high / self.bins - self.low / self.bins
        return 1.0 / width if width > 0 else 0.0

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

    With ``grids`` (uniform or integer, as guessed from Parquet statistics), also each listed
    numeric column's histogram (key ``(HISTOGRAM, name)``) from the same read of its values.
    """
    out: dict[Any, Moments | Categories | Histogram] = {}
    for name, kind in kinds.items():
        if kind != "numeric":
            out[name] = Categories.of_column(columns.categorical(frame, name))
            continue
        grid = grids.get(name) if grids else None
        out[name], histogram = _numeric(frame, name, grid)
        if grid is not None:
            out[(HISTOGRAM, name)] = histogram
    return out


def _numeric(frame: Any, name: str, grid: Grid | None, *, moments: bool = True) -> tuple[Moments, Histogram]:
    """A numeric column's moments (empty unless ``moments``, when numpy's passes serve) and its
    counts on ``grid`` (None: no counts): compiled for a long partition and a uniform or integer
    grid, numpy's passes otherwise."""
    if len(frame) >= COMPILED_ROWS and (grid is None or grid.kind != "asinh"):
        return _compiled_summary(columns.numeric_pieces(frame, name), grid)
    values, nulls = columns.numeric(frame, name)
    finite, missing, infinite, total = finite_values(values)
    missing += nulls
    histogram = Histogram.of_finite(finite, missing, grid) if grid is not None else Histogram(np.zeros(0, np.int64))
    return Moments.of_finite(finite, missing, infinite, total) if moments else Moments(), histogram


def _compiled_summary(pieces: columns.Pieces, grid: Grid | None) -> tuple[Moments, Histogram]:
    """A numeric column's moments and its counts on ``grid`` (uniform or integer: :func:`_numeric`
    sends asinh grids to numpy's passes): one compiled pass over each piece (see
    :mod:`workbench.monitor._kernels`)."""
    from workbench.monitor._kernels import numeric_summary

    counts = np.zeros(grid.bins if grid is not None else 0, np.int64)
    low, scale = 0.0, 1.0
    if grid is not None:  # as Grid.index computes positions: the same bins
        low, scale = grid.low, grid.per_unit() if grid.kind == "uniform" else 1.0
    moments = Moments()
    for values, valid, offset in pieces:
        moments = moments.merge(_moments(*numeric_summary(values, valid, offset, low, scale, counts)))
    return moments, Histogram(counts, moments.missing)


def _moments(count: int, missing: int, infinite: int, centre: float, deviations: float, squares: float,
             lowest: float, highest: float, integral: bool) -> Moments:
    """:class:`Moments` from the sums :func:`~workbench.monitor._kernels.numeric_summary` returns."""
    if count == 0:
        return Moments(missing=missing, infinite=infinite)
    m2 = squares - deviations * deviations / count
    return Moments(n=count, missing=missing, mean=centre + deviations / count,
                   m2=max(m2, 0.0) if np.isfinite(m2) else np.inf, minimum=lowest, maximum=highest,
                   integral=integral, infinite=infinite)


def second_pass(frame: Any, grids: Mapping[str, Grid]) -> dict[str, Histogram]:
    """Pass two over a partition: each numeric column's histogram on its grid (NaN and ±inf missing)."""
    return {name: _numeric(frame, name, grid, moments=False)[1] for name, grid in grids.items()}


def merge(parts: Iterable[Mapping[Any, Any]]) -> dict[Any, Any]:
    """Merge per-partition summaries column by column."""
    merged: dict[Any, Any] = {}
    for part in parts:
        for name, summary in part.items():
            merged[name] = merged[name].merge(summary) if name in merged else summary
    return merged

"""Pairwise associations on a mixed-type frame, all scaled to [0, 1] or [-1, 1].

numeric × numeric: Pearson r (as ``pandas.DataFrame.corr``); categorical × categorical: Cramér's V
without bias correction (as ``scipy.stats.contingency.association(method="cramer")``); numeric ×
categorical: the correlation ratio η. Each pair uses the rows where both its columns are present.

Every pair is exact, and all pairs come from a few matrix products instead of a loop over pairs
(the cost of the loop grows with the square of the number of columns):

* Pearson: each numeric column standardised (mean 0, standard deviation 1 over its present values),
  missing values set to 0, with a 0/1 presence mask ``M``. Over the rows both columns of a pair
  hold, the count, sums, sums of squares and cross products are ``MᵀM``, ``ZᵀM``, ``(Z²)ᵀM`` and
  ``ZᵀZ``; r follows from them. Standardising first keeps the formula accurate: no large mean
  cancels against another.
* η: the categorical columns one-hot encoded (``O``, a missing value is a row of zeros); per level,
  the count and sum of every numeric column are ``OᵀM`` and ``OᵀZ``.
* Cramér's V: every contingency table of one categorical column against all others by one
  ``bincount`` of combined codes; the table of a pair drops rows missing in either column.

The products run over chunks of ``CHUNK_ROWS`` rows, so memory stays at a chunk's size. The few
pairs the formula would answer with lost digits (a pair whose variance over its rows is below
``CONDITION`` times its second moment, or fewer than two rows) and the columns it cannot
standardise (±inf, too large to square, constant) are computed pair by pair by the reference
functions :func:`pearson`, :func:`correlation_ratio` and :func:`cramers_v`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pandas as pd

from workbench.explore._columns import Encoded, encode, one_hot, standardised

__all__ = [
    "association",
    "association_matrix",
    "association_values",
    "associations",
    "correlation_ratio",
    "cramers_v",
    "pearson",
    "target_associations",
]

NUMERIC_KINDS = ("numeric", "integer", "boolean")
CONDITION = 1e-6
WORKERS = min(2, os.cpu_count() or 1)


def cramers_v(left: pd.Series, right: pd.Series) -> float | None:
    """Cramér's V of two categorical series (rows missing in either are dropped)."""
    both = pd.DataFrame({"a": left.to_numpy(), "b": right.to_numpy()}).dropna()
    if both.empty:
        return None
    a_codes, a_levels = pd.factorize(both["a"])
    b_codes, b_levels = pd.factorize(both["b"])
    table = np.zeros((len(a_levels), len(b_levels)))
    np.add.at(table, (a_codes, b_codes), 1)
    value = _cramers_from_table(table)
    return None if np.isnan(value) else value


def _cramers_from_table(table: np.ndarray) -> float:
    """Cramér's V of a contingency table, its empty rows and columns dropped (NaN below 2 × 2)."""
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    keep_rows, keep_cols = rows > 0, cols > 0
    shape = (int(keep_rows.sum()), int(keep_cols.sum()))
    if min(shape) < 2:
        return float("nan")
    kept = table[keep_rows][:, keep_cols]
    n = kept.sum()
    expected = np.outer(rows[keep_rows], cols[keep_cols]) / n
    chi2 = float(((kept - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * (min(shape) - 1))))


def correlation_ratio(categories: pd.Series, values: pd.Series) -> float | None:
    """η: the share of the numeric variance explained by the categories (square-rooted)."""
    both = pd.DataFrame({"c": categories.to_numpy(), "v": pd.to_numeric(values).to_numpy(dtype=float)}).dropna()
    if len(both) < 2:
        return None
    total = float(((both["v"] - both["v"].mean()) ** 2).sum())
    if total == 0:
        return None
    groups = both.groupby("c", observed=True)["v"].agg(["mean", "size"])
    between = float((groups["size"] * (groups["mean"] - both["v"].mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def pearson(left: pd.Series, right: pd.Series) -> float | None:
    """Pearson r on rows present in both."""
    value = pd.to_numeric(left).astype(float).corr(pd.to_numeric(right).astype(float))
    return None if pd.isna(value) else float(value)


def association(left: pd.Series, left_kind: str, right: pd.Series, right_kind: str) -> float | None:
    """The association measure that fits the two kinds (one pair, computed directly)."""
    left_numeric, right_numeric = left_kind in NUMERIC_KINDS, right_kind in NUMERIC_KINDS
    if left_numeric and right_numeric:
        return pearson(left, right)
    if not left_numeric and not right_numeric:
        return cramers_v(left, right)
    return correlation_ratio(right, left) if left_numeric else correlation_ratio(left, right)


def _summed(function: Callable[[slice], tuple[np.ndarray, ...]], chunks: Iterator[slice]) -> list[np.ndarray]:
    """The sums over ``chunks`` of the arrays ``function`` returns for each, two chunks at a time.

    Python threads share the chunks between the cores (numpy and BLAS release the GIL) and BLAS
    runs one thread each: its own threads spin while they wait, and on the shared 2-core machine
    (load 7) the wide profile took 30.5 s with two BLAS threads against 12.6 s with one.
    """
    from threadpoolctl import threadpool_limits

    totals: list[np.ndarray] = []
    with threadpool_limits(1), ThreadPoolExecutor(WORKERS) as pool:
        for part in pool.map(function, chunks):
            if totals:
                for total, value in zip(totals, part, strict=True):
                    total += value
            else:
                totals = [np.asarray(value, dtype=float) for value in part]
    return totals


def _pearson_sums(rows: slice, left: Encoded, right: Encoded, symmetric: bool) -> tuple[np.ndarray, ...]:
    """One chunk's cross products, sums and squares over the other column's rows, and counts."""
    z, mask = standardised(left, rows)
    zr, mask_r = (z, mask) if symmetric else standardised(right, rows)
    counts = mask.astype(np.float32).T @ mask_r.astype(np.float32)  # sums of 0/1 below 2**24: exact in float32
    sums = (z.T @ zr, z.T @ mask_r, (z * z).T @ mask_r, counts)
    return sums if symmetric else (*sums, mask.T @ zr, mask.T @ (zr * zr))


def _pearson_block(left: Encoded, right: Encoded, symmetric: bool) -> tuple[np.ndarray, np.ndarray]:
    """r of every numeric pair (left × right) and which pairs need the direct computation."""
    li, ri = left.incomplete, right.incomplete
    sums = _summed(partial(_pearson_sums, left=left, right=right, symmetric=symmetric), left.chunks())
    width = len(right.numeric)
    cross, sa, saa = sums[0], _spread(left.total, sums[1], ri, width), _spread(left.total_squares, sums[2], ri, width)
    if symmetric:
        sb, sbb = sa.T, saa.T
    else:
        height = len(left.numeric)
        sb = _spread(right.total, sums[4].T, li, height).T
        sbb = _spread(right.total_squares, sums[5].T, li, height).T
    n = np.minimum.outer(left.count, right.count).astype(float)
    n[np.ix_(li, ri)] = sums[3]
    left_var, right_var = saa - sa * sa / n, sbb - sb * sb / n
    r = (cross - sa * sb / n) / np.sqrt(left_var * right_var)
    direct = (n < 2) | ~(left_var > CONDITION * saa) | ~(right_var > CONDITION * sbb) | ~np.isfinite(r)
    return r, direct


def _spread(totals: np.ndarray, part: np.ndarray, columns: np.ndarray, width: int) -> np.ndarray:
    """Per pair (``width`` other columns): a column's total where the other is complete, ``part`` where it is not."""
    full = np.repeat(totals[:, None], width, axis=1)
    full[:, columns] = part
    return full


def _eta_sums(rows: slice, cats: Encoded, nums: Encoded) -> tuple[np.ndarray, ...]:
    """One chunk's per-level sums and counts of the numeric columns, and sums of squares per categorical column."""
    onehot, present = one_hot(cats, rows)
    z, mask = standardised(nums, rows)
    counts = onehot.astype(np.float32).T @ mask.astype(np.float32)  # sums of 0/1 below 2**24: exact in float32
    return onehot.T @ z, counts, present.T @ (z * z), onehot.sum(axis=0)


def _eta_block(cats: Encoded, nums: Encoded) -> tuple[np.ndarray, np.ndarray]:
    """η of every categorical (rows) × numeric (columns) pair, and which need the direct computation."""
    starts = cats.level_starts
    level_sums, level_counts, square_sums, seen = _summed(partial(_eta_sums, cats=cats, nums=nums), cats.chunks())
    counts = _spread(seen, level_counts, nums.incomplete, len(nums.numeric))
    n = np.add.reduceat(counts, starts, axis=0)
    sums = np.add.reduceat(level_sums, starts, axis=0)
    mean = np.repeat(sums / n, cats.levels, axis=0)
    with np.errstate(all="ignore"):
        deviations = np.where(counts > 0, (level_sums - counts * mean) ** 2 / counts, 0.0)
    between = np.add.reduceat(deviations, starts, axis=0)
    total = square_sums - sums * sums / n
    eta = np.sqrt(between / total)
    direct = (n < 2) | ~(total > CONDITION * square_sums) | ~np.isfinite(eta)
    return eta, direct


def _cramers_block(left: Encoded, right: Encoded, symmetric: bool) -> np.ndarray:
    """Cramér's V of every categorical pair (NaN where undefined); only the upper triangle when symmetric.

    Codes are shifted by one so that a missing value is level 0 of its column: one ``bincount``
    of combined codes gives the tables of column ``a`` against every right column at once; the
    missing row and columns are then dropped. (A float32 product of the one-hot encodings gives
    the same tables but took 1.6 s of CPU against 1.0 s on the wide benchmark.)
    """
    out = np.full((len(left.categorical), len(right.categorical)), np.nan)
    widths = right.levels + 1
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    width = int(widths.sum())
    shifted = right.codes.astype(np.int64) + (starts + 1)
    present = np.setdiff1d(np.arange(width), starts)  # every column's levels, without its missing column
    for a, levels in enumerate(left.levels):
        first = a + 1 if symmetric else 0
        if first >= len(right.categorical):
            continue
        codes = (left.codes[:, a].astype(np.int64) + 1) * width
        tables = np.zeros((levels + 1) * width, dtype=np.int64)
        for rows in left.chunks():  # a chunk's keys stay in cache
            tables += np.bincount((shifted[rows, first:] + codes[rows, None]).ravel(), minlength=len(tables))
        tables = tables.reshape(levels + 1, width)
        out[a, first:] = _cramers_row(tables[1:, present].astype(float), right.level_starts, right.levels)[first:]
    return out


def _cramers_row(tables: np.ndarray, starts: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Cramér's V of one column against each right column, from their tables side by side (columns from ``starts``)."""
    row_sums = np.add.reduceat(tables, starts, axis=1)
    n = row_sums.sum(axis=0)
    col_sums = tables.sum(axis=0)
    segment = np.repeat(np.arange(len(starts)), levels)
    with np.errstate(all="ignore"):
        expected = row_sums[:, segment] * col_sums / n[segment]
        cells = np.where(expected > 0, (tables - expected) ** 2 / expected, 0.0)
        chi2 = np.add.reduceat(cells.sum(axis=0), starts)
        shape = np.minimum((row_sums > 0).sum(axis=0), np.add.reduceat(col_sums > 0, starts).astype(np.int64))
        return np.where(shape >= 2, np.sqrt(chi2 / (n * (shape - 1))), np.nan)


def _values(frame: pd.DataFrame, left: Encoded, left_kinds: Mapping[str, str],
            right: Encoded | None = None, right_kinds: Mapping[str, str] | None = None) -> np.ndarray:
    """Left × right associations (NaN where undefined); without ``right``, left × left with 1 on the diagonal."""
    symmetric = right is None
    right, right_kinds = (left, left_kinds) if right is None or right_kinds is None else (right, right_kinds)
    out = np.full((len(left.names), len(right.names)), np.nan)
    direct = np.zeros(out.shape, dtype=bool)
    rows_num, cols_num = left.positions(left.numeric), right.positions(right.numeric)
    rows_cat, cols_cat = left.positions(left.categorical), right.positions(right.categorical)
    if left.numeric and right.numeric:
        block, flagged = _pearson_block(left, right, symmetric)
        out[np.ix_(rows_num, cols_num)], direct[np.ix_(rows_num, cols_num)] = block, flagged
    if left.categorical and right.numeric:
        block, flagged = _eta_block(left, right)
        out[np.ix_(rows_cat, cols_num)], direct[np.ix_(rows_cat, cols_num)] = block, flagged
        if symmetric:  # the pair may sit on either side of the diagonal
            out[np.ix_(cols_num, rows_cat)], direct[np.ix_(cols_num, rows_cat)] = block.T, flagged.T
    if left.numeric and right.categorical and not symmetric:
        block, flagged = _eta_block(right, left)
        out[np.ix_(rows_num, cols_cat)], direct[np.ix_(rows_num, cols_cat)] = block.T, flagged.T
    if left.categorical and right.categorical:
        out[np.ix_(rows_cat, cols_cat)] = _cramers_block(left, right, symmetric)
    direct[left.positions(left.direct), :] = True
    direct[:, right.positions(right.direct)] = True
    if symmetric:
        out, direct = np.triu(out, 1), np.triu(direct, 1)
    for i, j in zip(*np.nonzero(direct), strict=True):
        a, b = left.names[i], right.names[j]
        value = association(frame[a], left_kinds[a], frame[b], right_kinds[b])
        out[i, j] = np.nan if value is None else value
    if symmetric:
        out = out + out.T
        np.fill_diagonal(out, 1.0)
    return out


def association_values(frame: pd.DataFrame, kinds: Mapping[str, str],
                       against: Mapping[str, str] | None = None) -> np.ndarray:
    """Unrounded associations (NaN where undefined): ``kinds``' columns × ``against``'s columns.

    ``kinds`` maps the columns of ``frame`` to compare to their kind; ``against`` (default: the
    same columns, a symmetric matrix with 1 on the diagonal) may give a column another kind, as
    the target's association does.
    """
    left = encode(frame, kinds, numeric_kinds=NUMERIC_KINDS)
    if against is None:
        return _values(frame, left, kinds)
    return _values(frame, left, kinds, encode(frame, against, numeric_kinds=NUMERIC_KINDS), against)


def _target_kind(frame: pd.DataFrame, kinds: Mapping[str, str], target: str) -> str:
    """A target with at most 20 values is compared as categorical (classes), whatever its type."""
    return "categorical" if frame[target].nunique() <= 20 else kinds[target]


def _rounded(values: np.ndarray) -> list[list[float | None]]:
    return [[None if np.isnan(v) else round(float(v), 4) for v in row] for row in values]


def associations(frame: pd.DataFrame, kinds: Mapping[str, str], columns: Sequence[str], *,
                 target: str | None = None) -> tuple[list[list[float | None]], dict[str, float | None]]:
    """The association matrix of ``columns`` (rounded to 4 decimals, None where undefined) and, with
    ``target``, each column's association with it (absolute value), from one encoding of the columns."""
    chosen = {name: kinds[name] for name in columns}
    left = encode(frame, chosen, numeric_kinds=NUMERIC_KINDS)
    matrix = _rounded(_values(frame, left, chosen))
    if target is None:
        return matrix, {}
    against = {target: _target_kind(frame, kinds, target)}
    linked = _values(frame, left, chosen, encode(frame, against, numeric_kinds=NUMERIC_KINDS), against)[:, 0]
    return matrix, {name: None if np.isnan(v) else abs(float(v))
                    for name, v in zip(chosen, linked, strict=True) if name != target}


def association_matrix(frame: pd.DataFrame, kinds: Mapping[str, str]) -> list[list[float | None]]:
    """The symmetric association matrix of ``frame``'s columns, rounded to 4 decimals (None where undefined)."""
    return associations(frame, kinds, list(frame.columns))[0]


def target_associations(frame: pd.DataFrame, kinds: Mapping[str, str], target: str) -> dict[str, float | None]:
    """Each feature's association with the target (absolute value for Pearson)."""
    features = {name: kinds[name] for name in frame.columns if name != target}
    against = {target: _target_kind(frame, kinds, target)}
    values = association_values(frame, features, against)[:, 0]
    return {name: None if np.isnan(v) else abs(float(v)) for name, v in zip(features, values, strict=True)}

"""Columns as the explore phase reads them.

Entry checks shared by profile, infer_schema, validate and fingerprint (text column names, no
nested values), and the encoding of columns for the vectorised association matrix.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from workbench.exceptions import DataError

__all__ = ["Encoded", "encode", "one_hot", "reject_nested", "standardised", "text_columns"]

_NESTED = (list, dict, set, np.ndarray)


def text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column name as a string; duplicated names (as strings) are a DataError."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"Expected a pandas DataFrame, got {type(frame).__name__}.")
    names = [str(c) for c in frame.columns]
    dupes = sorted(name for name, count in Counter(names).items() if count > 1)
    if dupes:
        raised = frame.columns.has_duplicates
        raise DataError(
            f"The data has duplicated column names{'' if raised else ' once read as text'}: {', '.join(dupes)}.",
            column=dupes[0],
            hint="Rename the columns so that each name is unique.",
        )
    if all(isinstance(c, str) for c in frame.columns):
        return frame
    return frame.set_axis(names, axis=1)


def reject_nested(frame: pd.DataFrame) -> None:
    """Raise a DataError naming the first column that holds lists, dicts or other nested values."""
    for name, dtype in frame.dtypes.items():
        column = frame[name]
        if dtype != np.dtype("O") or not pd.api.types.infer_dtype(column, skipna=True).startswith("mixed"):
            continue
        nested = column.map(lambda v: isinstance(v, _NESTED))
        if nested.any():
            example = type(column[nested].iloc[0]).__name__
            raise DataError(
                f"Column '{name}' holds nested values ({example}); they cannot be profiled, hashed or validated.",
                column=str(name),
                hint="Flatten the column into scalar columns or drop it before this step.",
            )


CHUNK_ROWS = 2048


@dataclasses.dataclass(frozen=True, kw_only=True)
class Encoded:
    """Columns prepared for the association matrix products (see :mod:`workbench.explore.associations`).

    Numeric columns are kept as float arrays with their mean (``center``) and standard deviation
    (``scale``) over present values; ``count``, ``total`` and ``total_squares`` are each
    column's present values and the sum of its standardised values and of their squares;
    ``incomplete`` indexes the numeric columns with missing values. Categorical columns are
    integer codes (-1 where missing), ``levels`` per column, laid out one after another from
    ``level_starts`` in the one-hot encoding. ``direct`` names the columns that cannot be
    standardised (±inf, constant, too large to square, fewer than two values, or no category):
    their pairs are computed one by one.
    """

    names: list[str]
    n_rows: int
    numeric: list[str]
    values: list[np.ndarray]
    center: np.ndarray
    scale: np.ndarray
    count: np.ndarray
    total: np.ndarray
    total_squares: np.ndarray
    incomplete: np.ndarray
    categorical: list[str]
    codes: np.ndarray
    levels: np.ndarray
    direct: list[str]

    @property
    def level_starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.levels)[:-1]]).astype(np.int64)

    @property
    def n_levels(self) -> int:
        return int(self.levels.sum())

    def positions(self, names: list[str]) -> np.ndarray:
        index = {name: i for i, name in enumerate(self.names)}
        return np.array([index[name] for name in names], dtype=np.int64)

    def chunks(self) -> Iterator[slice]:
        for start in range(0, self.n_rows, CHUNK_ROWS):
            yield slice(start, min(start + CHUNK_ROWS, self.n_rows))


def _numeric_moments(values: np.ndarray) -> tuple[float, float, int, float, float] | None:
    """(mean, standard deviation, count, sum and sum of squares of the standardised values), or None."""
    present = values[~np.isnan(values)]
    if present.size < 2 or np.isinf(present).any():
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        center = float(present.mean())
        deviations = present - center
        scale = float(np.sqrt(np.square(deviations).sum() / present.size))  # not np.dot: BLAS threads spin on a busy machine
    if not (np.isfinite(center) and np.isfinite(scale)) or scale == 0:
        return None
    z = deviations / scale
    return center, scale, int(present.size), float(z.sum()), float(np.square(z).sum())


def encode(frame: pd.DataFrame, kinds: Mapping[str, str], *, numeric_kinds: tuple[str, ...]) -> Encoded:
    """The columns named in ``kinds`` (numeric when their kind is in ``numeric_kinds``), encoded."""
    numeric: list[str] = []
    values: list[np.ndarray] = []
    moments: list[tuple[float, float, int, float, float]] = []
    categorical: list[str] = []
    codes: list[np.ndarray] = []
    levels: list[int] = []
    direct: list[str] = []
    for name, kind in kinds.items():
        series = frame[name]
        if kind in numeric_kinds:
            column = pd.to_numeric(series).to_numpy(dtype=float, na_value=np.nan)
            found = _numeric_moments(column)
            if found is None:
                direct.append(name)
                continue
            numeric.append(name)
            values.append(column)
            moments.append(found)
        else:
            column_codes, uniques = pd.factorize(series, use_na_sentinel=True)
            if not len(uniques):
                direct.append(name)
                continue
            categorical.append(name)
            codes.append(column_codes.astype(np.int32, copy=False))
            levels.append(len(uniques))
    stats = np.array(moments, dtype=float).reshape(-1, 5)
    count = stats[:, 2].astype(np.int64)
    return Encoded(
        names=list(kinds), n_rows=len(frame), numeric=numeric, values=values, center=stats[:, 0],
        scale=stats[:, 1], count=count, total=stats[:, 3], total_squares=stats[:, 4],
        incomplete=np.flatnonzero(count < len(frame)), categorical=categorical,
        codes=np.column_stack(codes) if codes else np.zeros((len(frame), 0), np.int32),
        levels=np.array(levels, dtype=np.int64), direct=direct,
    )


def standardised(encoded: Encoded, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """The chunk ``rows`` of the standardised numeric columns (0 where missing), and the incomplete columns' 0/1 mask."""
    z = np.empty((rows.stop - rows.start, len(encoded.numeric)), order="F")  # column by column: contiguous copies
    for j, column in enumerate(encoded.values):
        z[:, j] = column[rows]
    z -= encoded.center
    z /= encoded.scale
    missing = np.isnan(z)
    z[missing] = 0.0
    return z, (~missing[:, encoded.incomplete]).astype(float)


def one_hot(encoded: Encoded, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """The chunk ``rows`` of the categorical columns one-hot encoded (a missing value is all 0), and their 0/1 presence."""
    codes = encoded.codes[rows]
    present = codes >= 0
    n_rows, width = codes.shape[0], encoded.n_levels + 1  # the last column catches the missing values
    index = np.where(present, codes + encoded.level_starts, width - 1) + (np.arange(n_rows) * width)[:, None]
    onehot = np.zeros((n_rows, width))
    onehot.ravel()[index.ravel()] = 1.0
    return onehot[:, :-1], present.astype(float)

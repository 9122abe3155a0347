"""A partition's columns as numpy arrays, from a pandas frame or an Arrow table left unconverted.

Drift's summaries read a partition one column at a time. A chunk of a Parquet file stays an
Arrow table: converting it to pandas first cost as much CPU as the summaries themselves (drift
over Parquet on Dask: 0.13 s of 0.73 s per million rows of 25 columns). For a long partition the
compiled summaries (:mod:`workbench.monitor._kernels`) read an Arrow column's buffers in place,
skipping nulls by its validity bitmap (:func:`numeric_pieces`, :func:`categorical`); for a short
one numpy's passes take the column with its nulls dropped in Arrow (:func:`numeric`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NO_BITMAP", "as_frame", "categorical", "numeric", "numeric_pieces"]

NO_BITMAP = np.empty(0, np.uint8)  # a piece whose every value is present
COMPILED_KINDS = {"i", "u", "f"}  # numpy kinds the compiled summaries read (float16 is widened first)

Pieces = list[tuple[np.ndarray, np.ndarray, int]]  # (values, Arrow validity bitmap or NO_BITMAP, its bit offset)


def as_frame(frame: Any) -> pd.DataFrame:
    """``frame`` as a pandas DataFrame (an Arrow table is converted column by column)."""
    if isinstance(frame, pd.DataFrame):
        return frame
    return frame.to_pandas(split_blocks=True)


def numeric(frame: Any, name: str) -> tuple[np.ndarray, int]:
    """A numeric column's values and how many nulls were left out of them.

    From pandas, nullable integers become floats with NaN for their missing values (0 left out);
    from Arrow, integer and float columns lose their nulls and keep their type.
    """
    if isinstance(frame, pd.DataFrame):
        return numeric_values(frame[name]), 0
    import pyarrow as pa
    import pyarrow.compute as pc

    column = frame.column(name)
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        return numeric_values(column.to_pandas()), 0
    nulls = column.null_count
    if nulls:
        column = pc.drop_null(column)
    array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return array.to_numpy(zero_copy_only=False), nulls


def numeric_pieces(frame: Any, name: str) -> Pieces:
    """A numeric column as ``(values, validity bitmap, bit offset)`` pieces for
    :mod:`workbench.monitor._kernels`: an Arrow column's buffers as they are (one piece per chunk,
    no copy, nulls left in place behind the bitmap), a pandas column as one array (NaN for missing)."""
    if isinstance(frame, pd.DataFrame):
        return [(_compiled(numeric_values(frame[name])), NO_BITMAP, 0)]
    import pyarrow as pa

    column = frame.column(name)
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)) or pa.types.is_float16(column.type):
        return [(_compiled(numeric_values(column.to_pandas())), NO_BITMAP, 0)]
    return [_buffers(chunk) for chunk in column.chunks]


def _buffers(chunk: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """One Arrow array of a fixed-width type as (its values, its validity bitmap, the array's offset)."""
    validity, data = chunk.buffers()[:2]
    dtype = np.dtype(chunk.type.to_pandas_dtype())
    values = np.frombuffer(data, dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize)
    valid = np.frombuffer(validity, np.uint8) if validity is not None and chunk.null_count else NO_BITMAP
    return values, valid, chunk.offset


def _compiled(values: np.ndarray) -> np.ndarray:
    """``values`` in a type the compiled summaries read (float16 widened to float32)."""
    return values if values.dtype.kind in COMPILED_KINDS and values.dtype != np.float16 else values.astype(np.float32)


def numeric_values(series: pd.Series) -> np.ndarray:
    """A numeric pandas column as a float or integer numpy array (nullable integers become floats)."""
    if series.dtype.kind in "iuf":
        return series.to_numpy()
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


CodePieces = list[tuple[np.ndarray, np.ndarray, int, list[str]]]  # (codes, validity bitmap, offset, names)


def categorical(frame: Any, name: str) -> CodePieces | pd.Series:
    """A categorical column: as (codes, validity bitmap, offset, category names) pieces when it is
    dictionary-encoded text in Arrow (the codes' buffers as they are), else as a pandas Series
    (which :meth:`~workbench.monitor.summaries.Categories.of` counts, a Categorical from its codes)."""
    if isinstance(frame, pd.DataFrame):
        return frame[name]
    import pyarrow as pa

    column = frame.column(name)
    kind = column.type
    if not (pa.types.is_dictionary(kind) and (pa.types.is_string(kind.value_type) or
                                              pa.types.is_large_string(kind.value_type))):
        return column.to_pandas()
    return [(*_buffers(chunk.indices), chunk.dictionary.to_pylist()) for chunk in column.chunks]

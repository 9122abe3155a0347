"""Where drift reads its rows: an in-memory frame, CSV/Parquet in chunks, or a Dask cluster.

A :class:`Source` maps a summary function over its partitions and merges the results
(:func:`workbench.monitor.summaries.merge`), so statistics never need all rows at once. On Dask
each partition's summary is computed on a worker; only the summaries travel back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from workbench._io import TABLE_SUFFIXES, read_table
from workbench.exceptions import DataError, require
from workbench.monitor.summaries import merge

__all__ = ["DEFAULT_CHUNK_ROWS", "Source", "open_source"]

DEFAULT_CHUNK_ROWS = 250_000


@dataclasses.dataclass
class Source:
    """Rows to summarise: ``frame`` (in memory), ``path`` (read in chunks) or Dask partitions."""

    name: str
    frame: pd.DataFrame | None = None
    path: Path | None = None
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    client: Any = None

    @property
    def engine(self) -> str:
        if self.client is not None:
            return "dask"
        return "memory" if self.frame is not None else "chunks"

    def head(self) -> pd.DataFrame:
        """A few rows, to learn the columns and their types."""
        if self.frame is not None:
            return self.frame.head(1000)
        return next(self._chunks(1000))

    def summarize(self, function: Callable[[pd.DataFrame], dict[str, Any]]) -> dict[str, Any]:
        """``function`` over every partition, merged."""
        if self.client is not None:
            return self._summarize_dask(function)
        if self.frame is not None:
            return function(self.frame)
        return merge(function(chunk) for chunk in self._chunks(self.chunk_rows))

    def _chunks(self, rows: int) -> Iterator[pd.DataFrame]:
        assert self.path is not None
        if self.path.suffix.lower() == ".csv":
            yield from pd.read_csv(self.path, chunksize=rows)
            return
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=rows):
            yield batch.to_pandas()

    def _dask_frame(self) -> Any:
        dd = require("dask.dataframe", feature="Drift on a Dask cluster", extra="dask", package="dask")
        if self.frame is not None:
            partitions = max(1, -(-len(self.frame) // self.chunk_rows))
            return dd.from_pandas(self.frame, npartitions=partitions)
        if self.path is not None and self.path.suffix.lower() == ".csv":
            return dd.read_csv(str(self.path), blocksize=64_000_000)
        return dd.read_parquet(str(self.path))

    def _summarize_dask(self, function: Callable[[pd.DataFrame], dict[str, Any]]) -> dict[str, Any]:
        import dask

        parts = [dask.delayed(function)(part) for part in self._dask_frame().to_delayed()]
        futures = self.client.compute(parts)
        return merge(self.client.gather(futures))


def open_source(data: Any, *, name: str, chunk_rows: int = DEFAULT_CHUNK_ROWS, client: Any = None) -> Source:
    """A :class:`Source` for a DataFrame or a CSV/Parquet path, validated."""
    if isinstance(data, pd.DataFrame):
        if data.empty:
            raise DataError(f"The {name} data is empty: it has no rows.", hint=f"Pass a {name} frame with rows.")
        return Source(name, frame=data, chunk_rows=chunk_rows, client=client)
    if isinstance(data, (str, Path)):
        path = Path(data)
        if path.suffix.lower() not in TABLE_SUFFIXES:
            raise DataError(
                f"Cannot read the {name} data from {path}: use a .csv or .parquet file.", path=path
            )
        if not path.is_file():
            read_table(path)  # raises the house's "no such file" error
        return Source(name, path=path, chunk_rows=chunk_rows, client=client)
    raise DataError(
        f"The {name} data must be a DataFrame or a CSV/Parquet path, not {type(data).__name__}.",
        hint="Load it with pandas, or pass the file's path.",
    )


def connect_dask(address: str) -> Any:
    """A ``distributed.Client`` connected to the scheduler at ``address``."""
    distributed = require("distributed", feature="Drift on a Dask cluster", extra="dask", package="dask[distributed]")
    try:
        return distributed.Client(address, timeout="20s")
    except (OSError, TimeoutError) as err:
        raise DataError(
            f"Cannot connect to the Dask scheduler at {address}: {err}.",
            hint="Check the address (tcp://HOST:PORT) and that the scheduler is running.",
        ) from err

"""Where drift reads its rows: an in-memory frame, CSV/Parquet in chunks, or a Dask cluster.

A :class:`Source` maps a summary function over its partitions and merges the results
(:func:`workbench.monitor.summaries.merge`), so statistics never need all rows at once. A
Parquet source is one file or a folder of ``*.parquet`` files (a dataset written in parts); it
reads only the columns a pass needs. On Dask each piece of the Parquet files (a run of row
groups) is read with pyarrow and summarised on a worker, in batches of ``chunk_rows`` rows, so a
worker holds one batch at a time; only the summaries travel back, merged in a fixed order (the
result does not depend on which worker finished first). In-memory frames and CSV files reach
the workers as Dask DataFrame partitions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from workbench._io import TABLE_SUFFIXES, parquet_batches, read_table
from workbench.exceptions import DataError, require
from workbench.monitor.columns import as_frame
from workbench.monitor.summaries import merge

__all__ = ["DEFAULT_CHUNK_ROWS", "Source", "open_source"]

DEFAULT_CHUNK_ROWS = 250_000
PIECE_BATCHES = 4  # a Dask task reads row groups of up to this many batches of ``chunk_rows``

Summary = Callable[[Any], dict[Any, Any]]  # over a pandas frame or an Arrow table


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

    @property
    def parquet_files(self) -> list[Path]:
        """The Parquet files of ``path`` (itself, or a folder's ``*.parquet`` files in name order); [] for CSV."""
        if self.path is None or self.path.suffix.lower() == ".csv":
            return []
        return parquet_parts(self.path) if self.path.is_dir() else [self.path]

    def bounds(self, columns: Sequence[str]) -> dict[str, tuple[float, float, bool]]:
        """Per column, (smallest, largest value, whether its type is integer) from the Parquet statistics.

        Read from the files' footers, no rows; a column without statistics in some row group is
        left out, and so is every column of a frame or CSV file.
        """
        found: dict[str, tuple[float, float, bool]] = {}
        for number, path in enumerate(self.parquet_files):
            part = _file_bounds(path, set(columns))
            if number:
                found = {name: (min(low, part[name][0]), max(high, part[name][1]), integer and part[name][2])
                         for name, (low, high, integer) in found.items() if name in part}
            else:
                found = part
        return found

    def head(self) -> pd.DataFrame:
        """A few rows, to learn the columns and their types."""
        if self.frame is not None:
            return self.frame.head(1000)
        return as_frame(next(self._chunks(1000)))

    def summarize(self, function: Summary, columns: Sequence[str] | None = None) -> dict[Any, Any]:
        """``function`` over every partition, merged; Parquet reads only ``columns`` (default: all)."""
        if self.client is not None:
            return self._summarize_dask(function, columns)
        if self.frame is not None:
            return function(self.frame)
        return merge(function(chunk) for chunk in self._chunks(self.chunk_rows, columns))

    def _chunks(self, rows: int, columns: Sequence[str] | None = None) -> Iterator[Any]:
        """The rows in chunks: pandas frames from CSV, Arrow tables from Parquet (see :mod:`.columns`)."""
        assert self.path is not None
        if self.path.suffix.lower() == ".csv":
            yield from pd.read_csv(self.path, chunksize=rows)
            return
        for path in self.parquet_files:
            yield from parquet_batches(path, rows=rows, columns=_listed(columns))

    def _dask_frame(self) -> Any:
        dd = require("dask.dataframe", feature="Drift on a Dask cluster", extra="dask", package="dask")
        if self.frame is not None:
            partitions = max(1, -(-len(self.frame) // self.chunk_rows))
            return dd.from_pandas(self.frame, npartitions=partitions)
        return dd.read_csv(str(self.path), blocksize=64_000_000)

    def _summarize_dask(self, function: Summary, columns: Sequence[str] | None) -> dict[Any, Any]:
        if self.parquet_files:
            pieces = parquet_pieces(self.parquet_files, PIECE_BATCHES * self.chunk_rows)
            futures = self.client.map(summarize_piece, pieces, function=function, columns=_listed(columns),
                                      rows=self.chunk_rows, pure=False)
        else:
            import dask

            futures = self.client.compute([dask.delayed(function)(part) for part in self._dask_frame().to_delayed()])
        return merge(_in_order(futures))


def _listed(columns: Sequence[str] | None) -> list[str] | None:
    return None if columns is None else list(dict.fromkeys(columns))


def _in_order(futures: list[Any]) -> Iterator[dict[Any, Any]]:
    """Each future's result in list order, each released once read (the client holds one at a time)."""
    for index in range(len(futures)):
        future, futures[index] = futures[index], None
        yield future.result()
        future.release()


def _file_bounds(path: Path, wanted: set[str]) -> dict[str, tuple[float, float, bool]]:
    """(min, max, integer type) of the ``wanted`` columns of one Parquet file, from its row groups' statistics."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    metadata, schema = parquet.metadata, parquet.schema_arrow
    found = {}
    for index in range(metadata.num_columns):
        name = metadata.schema.column(index).path
        if name not in wanted or name not in schema.names:
            continue
        lows, highs = [], []
        for group in range(metadata.num_row_groups):
            chunk = metadata.row_group(group).column(index)
            stats = chunk.statistics
            if stats is not None and stats.has_null_count and stats.null_count == chunk.num_values:
                continue  # no value in this row group
            if stats is None or not stats.has_min_max:
                break
            lows.append(stats.min)
            highs.append(stats.max)
        else:
            try:
                low, high = float(min(lows)), float(max(highs))
            except (TypeError, ValueError):
                continue
            if lows and low <= high:  # NaN compares false: no usable bounds
                found[name] = (low, high, pa.types.is_integer(schema.field(name).type))
    return found


def parquet_parts(folder: Path) -> list[Path]:
    """The ``*.parquet`` files of a dataset folder, in name order."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".parquet", ".pq") and p.is_file())


def parquet_pieces(files: Sequence[Path], rows: int) -> list[tuple[str, tuple[int, ...]]]:
    """The files cut into runs of whole row groups of about ``rows`` rows: one Dask task each."""
    import pyarrow.parquet as pq

    pieces: list[tuple[str, tuple[int, ...]]] = []
    for path in files:
        metadata = pq.ParquetFile(path).metadata
        run: list[int] = []
        held = 0
        for group in range(metadata.num_row_groups):
            size = metadata.row_group(group).num_rows
            if run and held + size > rows:
                pieces.append((str(path), tuple(run)))
                run, held = [], 0
            run.append(group)
            held += size
        if run:
            pieces.append((str(path), tuple(run)))
    return pieces


def summarize_piece(piece: tuple[str, tuple[int, ...]], *, function: Summary, columns: list[str] | None,
                    rows: int) -> dict[Any, Any]:
    """``function`` over one piece of a Parquet file, read with pyarrow in batches of ``rows`` (Arrow
    tables, see :mod:`.columns`), merged.

    A worker owns one core: pyarrow decodes on the worker's thread (its own thread pool would spin
    against the other workers). One reader serves the piece's row groups: a piece is a few
    batches, so the reader's memory stays bounded (:func:`parquet_batches` opens one per row group
    for long reads), and it costs a quarter less CPU than one per row group.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path, groups = piece
    batches = pq.ParquetFile(path, memory_map=True).iter_batches(batch_size=rows, row_groups=list(groups),
                                                                 columns=columns, use_threads=False)
    return merge(function(pa.Table.from_batches([batch])) for batch in batches)


def open_source(data: Any, *, name: str, chunk_rows: int = DEFAULT_CHUNK_ROWS, client: Any = None) -> Source:
    """A :class:`Source` for a DataFrame, a CSV/Parquet path or a folder of Parquet files, validated."""
    if isinstance(data, pd.DataFrame):
        if data.empty:
            raise DataError(f"The {name} data is empty: it has no rows.", hint=f"Pass a {name} frame with rows.")
        return Source(name, frame=data, chunk_rows=chunk_rows, client=client)
    if isinstance(data, (str, Path)):
        path = Path(data)
        if path.is_dir():
            if not parquet_parts(path):
                raise DataError(f"The {name} folder {path} holds no .parquet file.", path=path,
                                hint="Pass a CSV/Parquet file, or a folder of the dataset's .parquet files.")
            return Source(name, path=path, chunk_rows=chunk_rows, client=client)
        if path.suffix.lower() not in TABLE_SUFFIXES:
            raise DataError(
                f"Cannot read the {name} data from {path}: use a .csv or .parquet file, or a folder of .parquet files.",
                path=path,
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

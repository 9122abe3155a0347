"""File helpers shared by every phase: atomic writes, locked line appends and reading tabular data."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from workbench.exceptions import DataError

if TYPE_CHECKING:  # pandas loads when a table is read: the writes and appends here need none of it
    import pandas as pd

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


@contextmanager
def atomic_open(path: Path | str, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success.

    A crash half-way leaves the old file intact and no partial file behind.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def append_line(path: Path | str, text: str) -> None:
    """Append ``text`` as one line to ``path`` in a single locked ``O_APPEND`` write.

    Concurrent writers never interleave. When the file does not end with a newline (a crash
    cut its last line short), the new line starts on a line of its own, so only the torn line
    is lost, never the new one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = (text.rstrip("\n") + "\n").encode("utf-8")
    fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _lock(fd)
        if os.fstat(fd).st_size:
            os.lseek(fd, -1, os.SEEK_END)
            if os.read(fd, 1) != b"\n":
                data = b"\n" + data
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def locked(path: Path | str) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if missing) inside the block.

    For a read-modify-write of a file that is itself replaced atomically: lock a sidecar file
    that is never replaced. Threads and processes both wait (each opens its own descriptor).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _lock(fd)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: O_APPEND alone
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def write_text(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(path)


def write_json(path: Path | str, data: Any, *, indent: int | None = 2) -> Path:
    """Write ``data`` as strict JSON (no NaN) atomically."""
    return write_text(path, json.dumps(data, indent=indent, allow_nan=False, sort_keys=False) + "\n")


def read_json(path: Path | str) -> Any:
    """Read a JSON file, naming the file in the error when it is not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise DataError(f"No such file: {path}.", path=path) from err
    except json.JSONDecodeError as err:
        raise DataError(
            f"{path} is not valid JSON: {err.msg} at line {err.lineno}.", path=path
        ) from err


def read_table(path: Path | str, *, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame with errors that name the file and the fix."""
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(
            f"Cannot read {source}: the file type '{suffix or '(none)'}' is not supported.",
            path=source,
            hint="Use a .csv or .parquet file.",
        )
    if not source.is_file():
        raise DataError(f"No such data file: {source}.", path=source, hint="Check the path.")
    import pandas as pd

    if source.stat().st_size == 0:
        raise DataError(f"The data file {source} is empty (0 bytes).", path=source)
    try:
        if suffix == ".csv":
            frame = pd.read_csv(source, usecols=columns)
        else:
            frame = pd.read_parquet(source, columns=columns)
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise DataError(f"Cannot read {source}: {err}", path=source) from err
    check_columns_unique(frame, source=str(source))
    return frame


def check_columns_unique(frame: pd.DataFrame, *, source: str = "the data") -> None:
    """Raise a :class:`DataError` naming duplicated column names (pandas may mangle them)."""
    names = [str(c) for c in frame.columns]
    mangled = [n for n in names if "." in n and n.rsplit(".", 1)[0] in names and n.rsplit(".", 1)[1].isdigit()]
    dupes = sorted({n for n in names if names.count(n) > 1} | {n.rsplit(".", 1)[0] for n in mangled})
    if dupes:
        raise DataError(
            f"{source} has duplicated column names: {', '.join(dupes)}.",
            column=dupes[0],
            hint="Give every column a unique name.",
        )


def write_table(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write a DataFrame as CSV or Parquet (by suffix) atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(f"Cannot write {target}: use a .csv or .parquet file.", path=target)
    mode = "w" if suffix == ".csv" else "wb"
    kwargs: dict[str, Any] = {"encoding": "utf-8", "newline": ""} if suffix == ".csv" else {}
    with atomic_open(target, mode, **kwargs) as handle:
        if suffix == ".csv":
            frame.to_csv(handle, index=False)
        else:
            frame.to_parquet(handle, index=False)
    return target


def parquet_batches(path: Path | str, *, rows: int, columns: list[str] | None = None) -> Iterator[Any]:
    """The Parquet file at ``path`` as Arrow tables of ``rows`` rows (the last one shorter).

    Read row group by row group, each through a fresh ``iter_batches``: one long-lived
    ``iter_batches`` keeps memory it has decoded (pyarrow's allocations grew from 46 to 135 MB
    over 6 million rows of the batch benchmark's input), a fresh one per row group stays flat.
    Batches of successive row groups are joined, so small row groups still make full tables.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    groups = range(parquet.metadata.num_row_groups)
    pending: list[Any] = []
    held = 0
    for group in groups:
        for batch in parquet.iter_batches(batch_size=rows, row_groups=[group], columns=columns):
            pending.append(batch)
            held += batch.num_rows
            while held >= rows:
                table = pa.Table.from_batches(pending)
                yield table.slice(0, rows)
                rest = table.slice(rows)
                pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending)

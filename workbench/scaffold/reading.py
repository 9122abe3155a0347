"""Reading the user's data once, fast: pyarrow's multi-threaded CSV reader, or Parquet.

Types are settled here so that every later step sees what pandas and the phases expect:
dictionary-encoded columns become their values, dates become timestamps and decimals become
floats. Bytes that are not UTF-8 text are refused, naming the column.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq

from workbench._io import TABLE_SUFFIXES
from workbench.exceptions import DataError

__all__ = ["read_source"]

_FORMATS = {".csv": "CSV", ".parquet": "Parquet", ".pq": "Parquet"}


def read_source(path: Path | str) -> pa.Table:
    """The table in ``path`` (CSV or Parquet), with types the phases can use.

    Raises
    ------
    DataError
        When the file is missing, empty, of another type, unreadable, has no rows, repeats a
        column name or holds bytes that are not text; the message names the file (and the
        column) and says what to do.
    """
    source = Path(path).expanduser()
    suffix = source.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(
            f"Cannot read {source}: the file type '{suffix or '(none)'}' is not supported.",
            path=source,
            hint="Save the data as CSV (.csv) or Parquet (.parquet) and pass that file to --data.",
        )
    if not source.is_file():
        raise DataError(f"No such data file: {source}.", path=source, hint="Check the path given to --data.")
    if source.stat().st_size == 0:
        raise DataError(f"The data file {source} is empty (0 bytes).", path=source, hint="Pass a file that holds the data.")
    table = _read(source, suffix)
    _check_names(table, source)
    if table.num_rows == 0:
        raise DataError(f"{source} has column names but no rows.", path=source, hint="Pass a file that holds the data.")
    return _normalise(table, source)


def _read(source: Path, suffix: str) -> pa.Table:
    kind = _FORMATS[suffix]
    try:
        if kind == "CSV":
            # Empty fields are missing values in every column, as pandas reads them.
            return pv.read_csv(source, convert_options=pv.ConvertOptions(strings_can_be_null=True))
        return pq.read_table(source)
    except (pa.ArrowException, OSError) as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(
            f"Cannot read {source} as {kind}: {detail}.",
            path=source,
            hint=f"Check that the file is a valid {kind} file"
            + (" (one header line, the same number of fields on every line, UTF-8 text)." if kind == "CSV" else "."),
        ) from err


def _check_names(table: pa.Table, source: Path) -> None:
    names = table.column_names
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(
            f"{source} has duplicated column names: {', '.join(repr(n) for n in repeated)}.",
            column=repeated[0],
            path=source,
            hint="Give every column a unique name.",
        )
    blank = [i for i, n in enumerate(names) if not n.strip()]
    if blank:
        raise DataError(
            f"{source} has a column without a name (column {blank[0] + 1}).",
            path=source,
            hint="Give every column a name in the header line.",
        )


def _normalise(table: pa.Table, source: Path) -> pa.Table:
    """Dictionary columns decoded, dates as timestamps, decimals as floats; bytes refused."""
    for index, field in enumerate(table.schema):
        column = table.column(index)
        kind = field.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
            kind = kind.value_type
        if pa.types.is_date(kind):
            column = column.cast(pa.timestamp("ms"))
        elif pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            column = _as_text(column, field.name, source)
        if column.type != field.type:
            table = table.set_column(index, field.name, column)
    return table


def _as_text(column: pa.ChunkedArray, name: str, source: Path) -> pa.ChunkedArray:
    """A binary column as UTF-8 text; the CSV reader leaves text that is not UTF-8 as bytes."""
    try:
        return column.cast(pa.string())
    except pa.ArrowInvalid as err:
        raise DataError(
            f"Column '{name}' of {source} holds bytes that are not UTF-8 text.",
            column=name,
            path=source,
            hint="Save the file with UTF-8 encoding (e.g. pandas: df.to_csv(path, encoding='utf-8')).",
        ) from err

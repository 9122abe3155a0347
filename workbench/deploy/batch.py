"""Batch scoring: stream CSV or Parquet in chunks (constant memory) through the robust inference pipeline.

The output is the input's columns followed by the answer columns of the model's task
(:mod:`workbench.develop.answers`): binary ``prediction, probability`` (the positive class's);
multiclass ``prediction`` and one ``probability_<class>`` per class; regression ``prediction``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._io import TABLE_SUFFIXES, parquet_batches
from workbench.deploy.predlog import log_batch
from workbench.deploy.serving import _version
from workbench.develop.answers import Scored
from workbench.exceptions import DataError, InputError


@dataclasses.dataclass(frozen=True)
class BatchSummary:
    """What a batch run did: rows read, scored, rejected, chunks, and the files written."""

    rows: int
    scored: int
    rejected: int
    chunks: int
    output: str
    rejects: str | None


def _suffix(path: Path, role: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(f"cannot use {path.name} as the {role}: expected one of {', '.join(TABLE_SUFFIXES)}",
                        path=str(path))
    return suffix


def _chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    """The input in chunks; a file that stops parsing part-way is an InputError naming where."""
    import pyarrow

    rows = 0
    try:
        if _suffix(path, "input") == ".csv":
            for chunk in pd.read_csv(path, chunksize=chunk_size):
                rows += len(chunk)
                yield chunk
        else:
            for table in parquet_batches(path, rows=chunk_size):
                rows += table.num_rows
                yield table.to_pandas()
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, pyarrow.ArrowException) as err:
        raise InputError(
            f"{path.name} could not be read after {rows:,} rows: {str(err).splitlines()[0][:300]}",
            hint="Fix the file (or export it again as CSV/Parquet); the previous output files were left as they were.",
        ) from err


def _check(robust: Any, chunk: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Prepare the chunk with the robust pipeline: (model-ready frame, refused rows, their reasons).

    Every refused row gets its reasons, however many there are (the pipeline's ``problems``
    lists the first 1,000 of a batch, for answers to a client).
    """
    screened = robust.screen(chunk)
    frame = screened.frame.set_axis(chunk.index)
    if not screened.problem_count:
        return frame, screened.bad, np.empty(0, dtype=object)
    found = pd.DataFrame(screened.notes.problems(limit=screened.problem_count))
    text = found["field"].fillna("record").astype(str) + ": " + found["error"].astype(str)
    joined = text.groupby(found["row"], sort=True).agg("; ".join)  # rows in order, a row's problems in check order
    return frame, screened.bad, joined.to_numpy(dtype=object)


# What each schema kind can hold once the robust pipeline accepted it: an integer column accepts
# missing and non-whole values (with a warning), so it is written as float64.
_ARROW_TYPES = {"numeric": "float64", "integer": "float64", "boolean": "bool", "categorical": "string", "text": "string"}


def _arrow_schema(table: Any, model_schema: Any) -> Any:
    """The output file's Arrow schema: the model schema's types, not whatever the first chunk held.

    A column whose first chunk was all empty would otherwise be fixed as ``double`` (or ``null``)
    and the first real value in a later chunk would not fit. Columns the model schema does not
    type (extra input columns, datetimes) keep the first chunk's type, or string when it was empty.
    """
    import pyarrow as pa

    kinds = {c.name: c.kind for c in model_schema.columns} if model_schema is not None else {}
    fields = []
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = kinds.get(field.name)
        if kind in _ARROW_TYPES:
            fields.append(pa.field(field.name, pa.type_for_alias(_ARROW_TYPES[kind])))
        elif column.null_count == len(column):
            fields.append(pa.field(field.name, pa.string()))
        else:
            fields.append(pa.field(field.name, field.type))
    return pa.schema(fields)


def _cast(table: Any, schema: Any) -> Any:
    """``table`` in the output's ``schema``; a value that does not fit is an InputError naming its column."""
    import pyarrow as pa

    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError) as err:
        if table.schema.names != schema.names:
            raise InputError(f"a chunk has the columns {table.schema.names}, not {schema.names} like the first",
                             hint="give every chunk of the input the same columns") from err
        bad = next((f.name for f, c in zip(schema, table.columns, strict=True) if not _fits(c, f.type)), None)
        where = f"column {bad!r} in " if bad is not None else ""
        raise InputError(f"the Parquet output cannot hold a value of {where}a later chunk "
                         f"({str(err).splitlines()[0][:200]})",
                         hint="fix the column's values, or write the output as CSV") from err


def _fits(column: Any, arrow_type: Any) -> bool:
    try:
        column.cast(arrow_type)
    except (ValueError, TypeError, NotImplementedError):  # Arrow's errors subclass these
        return False
    return True


class _Writer:
    """Chunks appended to a temporary file beside ``path``; :meth:`commit` renames it over ``path``.

    A run that fails or is killed half-way leaves the previous ``path`` intact and no partial file.
    Parquet output takes its column types from ``model_schema`` (see :func:`_arrow_schema`).
    """

    def __init__(self, path: Path, model_schema: Any = None) -> None:
        self.path, self.parquet, self.written = path, path.suffix.lower() != ".csv", False
        self.model_schema = model_schema
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self.tmp = Path(name)
        self.handle = os.fdopen(fd, "wb") if self.parquet else os.fdopen(fd, "w", encoding="utf-8", newline="")
        self.table_writer: Any = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self.table_writer is None:
                self.table_writer = pq.ParquetWriter(self.handle, _arrow_schema(table, self.model_schema))
            self.table_writer.write_table(_cast(table, self.table_writer.schema))
        else:
            frame.to_csv(self.handle, header=not self.written, index=False)
        self.written = True

    def commit(self) -> None:
        if self.table_writer is not None:
            self.table_writer.close()
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        if self.table_writer is not None:
            # Closed before its file: left to the garbage collector it would write into a closed file.
            with contextlib.suppress(Exception):
                self.table_writer.close()
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


def _answers(robust: Any, predictions: Any, probabilities: Any) -> dict[str, Any]:
    """The answer columns of the model's task for a scored chunk."""
    return robust.format.columns(Scored(np.asarray(predictions), probabilities, robust.classes))


def _empty_output(columns: pd.DataFrame, robust: Any) -> pd.DataFrame:
    """The output's header (and Parquet schema) when every row was rejected."""
    classes = robust.classes
    predictions = np.asarray(classes if classes else [0.0])[:0]
    probabilities = np.empty((0, len(classes))) if robust.probabilistic else None
    return columns.iloc[:0].assign(**_answers(robust, predictions, probabilities))


def _progress_bar(source: Path, progress: bool | None) -> Any:
    """A tqdm bar over rows on stderr (total known for Parquet); ``None`` shows it only on a terminal."""
    import sys

    from tqdm.auto import tqdm

    total = None
    if progress is not False and source.suffix.lower() != ".csv":
        import pyarrow.parquet as pq

        total = pq.ParquetFile(source).metadata.num_rows
    return tqdm(total=total, unit=" rows", desc=f"scoring {source.name}", file=sys.stderr,
                disable=progress if progress is None else not progress, dynamic_ncols=True)


def score_batch(project: Any, model_uri: str, input: str | Path, output: str | Path, *,
                chunk_size: int = 50_000, log: bool = True, progress: bool | None = False) -> BatchSummary:
    """Score ``input`` chunk by chunk into ``output``; invalid rows go to ``<output>.rejects.csv``.

    Each chunk is validated against the model's input schema, scored, appended to ``output``
    (CSV or Parquet, by suffix) and, when ``log``, to the prediction log as variant ``batch``
    with the model's registry version. Only one chunk is in memory at a time. Both files are
    written beside their targets and renamed into place at the end; ``output`` always has its
    header (even when every row is rejected), and a run without rejects removes a rejects file
    an earlier run left. Parquet output takes its column types from the model's input schema.

    ``progress`` shows a tqdm bar of rows scored on stderr: True always, None only when stderr
    is a terminal (what ``workbench score`` does), False never.
    """
    from workbench.develop import wrap_model
    from workbench.evaluate.model_code import load_logged_model
    from workbench.package.verify import check_served_bundle
    from workbench.tracking import Tracker, model_schema

    source, out = Path(input), Path(output)
    _suffix(source, "input")
    _suffix(out, "output")
    if not source.is_file():
        raise InputError(f"the input file {source} does not exist", hint="check the path to the file to score")
    Tracker(project)
    # A bundle is checked and anchored before it is unpickled, as `workbench serve` does.
    bundle = check_served_bundle(project, model_uri)
    model_uri = bundle.model_uri if bundle is not None else model_uri
    schema, model = model_schema(model_uri), load_logged_model(model_uri)
    if schema is None:
        raise DataError(f"the model at {model_uri} has no stored input schema")
    robust = wrap_model(model, schema, max_rows=chunk_size, **(bundle.policy if bundle is not None else {}))
    rejects_path = out.with_suffix(".rejects.csv")
    writer, rejects = _Writer(out, schema), _Writer(rejects_path)
    try:
        with _progress_bar(source, progress) as bar, _one_core_model():
            counts = _score_chunks(project, robust, _chunks(source, chunk_size), writer, rejects, bar=bar,
                                   version=(bundle.version if bundle is not None else _version(model_uri))
                                   if log else None,
                                   header=pd.DataFrame(columns=schema.names))
        writer.commit()
        if counts["rejected"]:
            rejects.commit()
        else:
            rejects.discard()
            rejects_path.unlink(missing_ok=True)
    except BaseException:
        writer.discard()
        rejects.discard()
        raise
    return BatchSummary(**counts, output=str(out), rejects=str(rejects_path) if counts["rejected"] else None)


@contextlib.contextmanager
def _one_core_model() -> Iterator[None]:
    """The model predicts on one OpenMP thread, without scikit-learn's repeated input checks.

    The other core writes and logs the previous chunk: two OpenMP threads spin against that
    writer (on the shared 2-core machine 200,000 rows took 17.6 s with two, 10.5 s with one).
    The robust pipeline has checked every value already, so finiteness checks are skipped.
    """
    import sklearn
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        yield


def _score_chunks(project: Any, robust: Any, chunks: Iterator[pd.DataFrame], writer: _Writer, rejects: _Writer, *,
                  bar: Any, version: str | None, header: pd.DataFrame) -> dict[str, int]:
    """Validate, score and write every chunk; logs the scored rows when ``version`` is given.

    Writing the output and the prediction log of a chunk runs on a second thread while the next
    chunk is read, checked and scored (the log's JSON and SQLite take as long as the model): at
    most one chunk waits to be written, so memory stays at two chunks, and a writing error stops
    the run at the next chunk.
    """
    counts = dict.fromkeys(("rows", "scored", "rejected", "chunks"), 0)
    deliver = partial(_deliver, project, robust, writer, version=version)
    with ThreadPoolExecutor(1, thread_name_prefix="workbench-score") as background:
        pending: Future[None] | None = None
        for chunk in chunks:
            header = chunk.iloc[:0]
            frame, bad, reasons = _check(robust, chunk)
            n_bad = int(bad.sum())
            if n_bad:
                rejects.write(chunk[bad].assign(reason=reasons))
                chunk, frame = chunk[~bad], frame[~bad]
            scored = robust.predict_frame(frame) if len(frame) else None
            if pending is not None:
                pending.result()
            pending = background.submit(deliver, chunk, frame, scored) if scored is not None else None
            counts["rows"] += len(chunk) + n_bad
            counts["scored"] += len(chunk)
            counts["rejected"] += n_bad
            counts["chunks"] += 1
            bar.update(len(chunk) + n_bad)
        if pending is not None:
            pending.result()
    if not writer.written:
        writer.write(_empty_output(header, robust))
    return counts


def _deliver(project: Any, robust: Any, writer: _Writer, rows: pd.DataFrame, frame: pd.DataFrame,
             scored: tuple[np.ndarray, np.ndarray | None], *, version: str | None) -> None:
    """Append a scored chunk to the output (its input columns and the task's answer columns) and to the log."""
    predictions, probabilities = scored
    writer.write(rows.assign(**_answers(robust, predictions, probabilities)))
    if version is not None:
        log_batch(project, frame, Scored(predictions, probabilities, robust.classes),
                  model_name=project.config.model_name, model_version=version, task=robust.task)

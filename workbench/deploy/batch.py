"""Batch scoring: stream CSV or Parquet in chunks (constant memory) through the robust inference pipeline."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.deploy.predlog import log_batch
from workbench.exceptions import DataError


@dataclasses.dataclass(frozen=True)
class BatchSummary:
    """What a batch run did: rows read, scored, rejected, chunks, and the files written."""

    rows: int
    scored: int
    rejected: int
    chunks: int
    output: str
    rejects: str | None


def _chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size):
            yield batch.to_pandas()
    elif path.suffix == ".csv":
        yield from pd.read_csv(path, chunksize=chunk_size)
    else:
        raise DataError(f"cannot score {path.name}: expected .csv or .parquet", path=str(path))


def _check(robust: Any, chunk: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Prepare the chunk with the robust pipeline; returns (frame, reason per row, empty when valid)."""
    screened = robust.screen(chunk)
    reasons = pd.Series("", index=chunk.index, dtype=object)
    if screened.problem_count:
        found = pd.DataFrame(screened.problems)
        text = found["field"].fillna("record").astype(str) + ": " + found["error"].astype(str)
        joined = text.groupby(found["row"]).agg("; ".join)
        reasons.iloc[joined.index.to_numpy()] = joined.to_numpy()
    frame = screened.frame.set_axis(chunk.index)
    return frame, reasons


class _Writer:
    def __init__(self, path: Path) -> None:
        self.path, self.first, self.parquet = path, True, None

    def write(self, frame: pd.DataFrame) -> None:
        if self.path.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.path, table.schema)
            self.parquet.write_table(table.cast(self.parquet.schema))
        else:
            frame.to_csv(self.path, mode="w" if self.first else "a", header=self.first, index=False)
        self.first = False

    def close(self) -> None:
        if self.parquet is not None:
            self.parquet.close()


def score_batch(project: Any, model_uri: str, input: str | Path, output: str | Path, *,
                chunk_size: int = 50_000, log: bool = True) -> BatchSummary:
    """Score ``input`` chunk by chunk into ``output``; invalid rows go to ``<output>.rejects.csv``.

    Each chunk is validated against the model's input schema, scored, appended to ``output``
    (CSV or Parquet, by suffix) and, when ``log``, to the prediction log as variant ``batch``.
    """
    import mlflow.sklearn

    from workbench.develop import wrap_model
    from workbench.tracking import Tracker, model_schema

    Tracker(project)
    schema, model = model_schema(model_uri), mlflow.sklearn.load_model(model_uri)
    if schema is None:
        raise DataError(f"the model at {model_uri} has no stored input schema")
    robust = wrap_model(model, schema, max_rows=chunk_size)
    out, rejects_path = Path(output), Path(output).with_suffix(".rejects.csv")
    writer, rejects = _Writer(out), _Writer(rejects_path)
    rows = scored = rejected = chunks = 0
    try:
        for chunk in _chunks(Path(input), chunk_size):
            frame, reasons = _check(robust, chunk)
            ok = reasons == ""
            if (~ok).any():
                rejects.write(chunk[~ok].assign(reason=reasons[~ok]))
            good = frame[ok]
            if len(good):
                preds, proba = robust.predict_frame(good)
                out_rows = chunk[ok].assign(prediction=preds)
                writer.write(out_rows if proba is None else out_rows.assign(probability=proba[:, -1]))
                if log:
                    result = type("R", (), {"predictions": preds, "probabilities": proba})
                    log_batch(project, good, result, model_name=project.config.model_name,
                              model_version=model_uri.rsplit("/", 1)[-1])
            rows, scored, rejected, chunks = rows + len(chunk), scored + int(ok.sum()), rejected + int((~ok).sum()), chunks + 1
    finally:
        writer.close()
        rejects.close()
    return BatchSummary(rows=rows, scored=scored, rejected=rejected, chunks=chunks, output=str(out),
                        rejects=str(rejects_path) if rejected else None)



"""Batch scoring: stream CSV or Parquet in chunks (constant memory) with the service's validation."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.deploy.predlog import log_batch
from workbench.exceptions import DataError, SchemaValidationError


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


def _check(chunk: pd.DataFrame, schema: Any) -> tuple[pd.DataFrame, pd.Series]:
    """Coerce the chunk to the schema; returns (frame, reason per row, empty when valid)."""
    missing = [c for c in schema.names if c not in chunk.columns]
    if missing:
        raise SchemaValidationError(f"input lacks columns: {', '.join(missing)}", failures=missing)
    frame = chunk[schema.names].copy()
    reasons = pd.Series("", index=frame.index, dtype=object)
    for col in schema.columns:
        if col.kind in ("numeric", "integer"):
            coerced = pd.to_numeric(frame[col.name], errors="coerce")
            bad = coerced.isna() & frame[col.name].notna()
            reasons[bad] += f"{col.name}: not a number; "
            frame[col.name] = coerced.astype(float)
    return frame, reasons.str.rstrip("; ")


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

    from workbench.tracking import Tracker, model_schema

    Tracker(project)
    schema, model = model_schema(model_uri), mlflow.sklearn.load_model(model_uri)
    if schema is None:
        raise DataError(f"the model at {model_uri} has no stored input schema")
    out, rejects_path = Path(output), Path(output).with_suffix(".rejects.csv")
    writer, rejects = _Writer(out), _Writer(rejects_path)
    rows = scored = rejected = chunks = 0
    try:
        for chunk in _chunks(Path(input), chunk_size):
            frame, reasons = _check(chunk, schema)
            ok = reasons == ""
            if (~ok).any():
                rejects.write(chunk[~ok].assign(reason=reasons[~ok]))
            good = frame[ok]
            if len(good):
                proba = model.predict_proba(good)
                preds = model.predict(good)
                writer.write(chunk[ok].assign(prediction=preds, probability=proba[:, -1]))
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



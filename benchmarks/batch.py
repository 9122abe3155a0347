"""Batch scoring through ``workbench score``: rows per second and peak memory at 1M and 10M rows.

Builds the demo project and its model (a scikit-learn Pipeline with HistGradientBoosting over the
credit data's features), writes seeded Parquet inputs of 1,000,000 and ``--rows`` (10,000,000)
rows chunk by chunk, and runs the command a user runs, in its own process:

    workbench score <model> input.parquet output.parquet -P <project>

It prints, for each size, the seconds, rows per second and the command's peak RSS (sampled
with psutil), with the peak in each tenth of the run (constant memory: the tenths stay level
as the rows go by, and the 10M peak near the 1M one), and beside them the
model's own ``predict`` rate on 1,000,000 of the same rows already in memory (the reference,
with the default OpenMP threads and with one: no reading, validation, writing or logging). It checks the output's row count. Every scored row
is also written to the project's prediction log (as ``workbench score`` does), so the log's
size is printed too; the same runs with ``--no-log`` show what the log costs. Everything is
written under a temporary folder deleted at the end.

    python benchmarks/batch.py [--rows 10000000] [--chunk-size 50000] [--log both|on|off]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

ONE_MILLION = 1_000_000
BLOCK = 250_000


def build_model(folder: Path) -> tuple[Path, str, list[str]]:
    """A demo project with a logged model; returns (project root, model URI, feature columns)."""
    from workbench.evaluate import feature_columns, split_data, train_model
    from workbench.explore.schema import infer_schema
    from workbench.scaffold import init_project
    from workbench.tracking import Tracker

    project = init_project(folder / "proj", rows=5000)
    split = split_data(project, project.load_data())
    model = train_model(split, seed=0)
    with Tracker(project).start_run("evaluate") as run:
        uri = run.log_model(model, input_example=split.X_test.head(3), schema=infer_schema(split.X_train))
    return project.root, uri, feature_columns(project, split.X_test)


def write_input(path: Path, rows: int, features: list[str]) -> None:
    """``rows`` seeded credit rows (the model's features) written block by block: bounded memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from workbench.datasets import make_credit_risk

    writer = None
    try:
        for number, start in enumerate(range(0, rows, BLOCK)):
            block = make_credit_risk(min(BLOCK, rows - start), seed=1000 + number)[features]
            table = pa.Table.from_pandas(block, preserve_index=False)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def rss_samples(process: subprocess.Popen) -> list[int]:
    """The RSS of ``process`` and its children every 20 ms until it exits, in bytes."""
    import psutil

    samples, watched = [], psutil.Process(process.pid)
    while process.poll() is None:
        try:
            family = [watched, *watched.children(recursive=True)]
            samples.append(sum(p.memory_info().rss for p in family))
        except psutil.Error:
            pass
        time.sleep(0.02)
    return samples


def score(root: Path, uri: str, source: Path, output: Path, chunk_size: int, log: bool) -> tuple[float, list[int]]:
    """Run ``workbench score`` in a fresh process (with ``--no-log`` unless ``log``); (seconds, RSS samples)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "workbench", "score", uri, str(source), str(output), "--chunk-size",
               str(chunk_size), "--no-progress", "-P", str(root), *([] if log else ["--no-log"])]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples: list[list[int]] = []
    sampler = threading.Thread(target=lambda: samples.append(rss_samples(process)))
    sampler.start()
    _, err = process.communicate()
    sampler.join()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"workbench score failed:\n{err[-3000:]}")
    return seconds, samples[0]


def tenths(samples: list[int]) -> str:
    """The peak RSS in each tenth of the run, in MiB: flat when memory does not grow with the rows read."""
    size = max(1, len(samples) // 10)
    return " ".join(f"{max(samples[i:i + size]) / 2**20:.0f}" for i in range(0, size * 10, size) if samples[i:i + size])


def predict_rates(uri: str, source: Path) -> dict[str, float]:
    """The model's own ``predict`` on 1,000,000 rows of the input in memory, in rows per second,
    with the default OpenMP threads and with one (``workbench score`` predicts on one: the other
    core writes)."""
    import mlflow.sklearn
    from threadpoolctl import threadpool_limits

    model = mlflow.sklearn.load_model(uri)
    frame = pd.read_parquet(source)
    model.predict(frame.head(1000))  # warm-up
    rates = {}
    for label, threads in (("default threads", None), ("one thread", 1)):
        with threadpool_limits(threads):
            started = time.perf_counter()
            model.predict(frame)
            rates[label] = len(frame) / (time.perf_counter() - started)
    return rates


def load() -> str:
    return "load average " + " / ".join(f"{v:.1f}" for v in os.getloadavg()) + " (1 / 5 / 15 min, 2 cores)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--log", choices=("both", "on", "off"), default="both",
                        help="runs with the prediction log (the default of workbench score), with --no-log, or both")
    args = parser.parse_args()
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/tmp")) as tmp:
        folder = Path(tmp)
        root, uri, features = build_model(folder)
        print(f"model {uri}; {len(features)} features; {load()}", flush=True)
        sizes = sorted({min(ONE_MILLION, args.rows), args.rows})
        inputs = {}
        for rows in sizes:
            inputs[rows] = folder / f"input_{rows}.parquet"
            write_input(inputs[rows], rows, features)
            print(f"input {rows:,} rows: {inputs[rows].stat().st_size / 2**20:.0f} MiB Parquet", flush=True)
        rates = predict_rates(uri, inputs[sizes[0]])
        reference = max(rates.values())
        print(f"model.predict in memory ({sizes[0]:,} rows, reference): "
              + ", ".join(f"{rate:,.0f} rows/s ({label})" for label, rate in rates.items()) + f"; {load()}", flush=True)
        for logged in {"both": (True, False), "on": (True,), "off": (False,)}[args.log]:
            for rows in sizes:
                output = folder / f"output_{rows}.parquet"
                seconds, samples = score(root, uri, inputs[rows], output, args.chunk_size, logged)
                peak = max(samples)
                written = pq.ParquetFile(output).metadata.num_rows
                assert written == rows, (written, rows)
                log = root / ".workbench" / "predictions.db"
                size = f"prediction log {log.stat().st_size / 2**30:.1f} GiB" if logged else "--no-log"
                print(f"workbench score {rows:>12,} rows: {seconds:7.1f} s, {rows / seconds:>9,.0f} rows/s "
                      f"({rows / seconds / reference:.2f}× the model's best predict), peak RSS {peak / 2**20:5.0f} MiB, "
                      f"{written:,} rows written, {size}; {load()}", flush=True)
                print(f"  peak RSS per tenth of the run (MiB): {tenths(samples)}", flush=True)
                output.unlink()


if __name__ == "__main__":
    main()

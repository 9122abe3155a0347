"""`workbench init --data` on a seeded 1,000,000-row CSV of 25 mixed columns.

The CSV has an ID column, 13 float columns (some with gaps), 3 counts, 5 text categories, a
boolean, a date column and a binary target. Prints the seconds of ``init_from_data`` in this
process (read, infer, hold out, write Parquet, validate; after a warm-up run on 1,000 rows, so
imports are not counted) and of the whole command in a fresh process (Python start-up and
imports included, with compiled bytecode as an installed package has it: a warm-up command
fills a bytecode cache under the benchmark's folder first), with the peak memory growth of the
first.
Target: under 15 s on 2 cores. A floor measured in the same run puts the figure in context:
reading the CSV with pyarrow and writing it once as Parquet.

    python benchmarks/init.py [--rows N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq
from _rss import PeakRss  # benchmarks/_rss.py (the script's folder is on sys.path)

from workbench.scaffold import init_from_data


def make_csv(path: Path, n_rows: int, seed: int = 0) -> None:
    """Write the seeded benchmark CSV (25 columns) to ``path``."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n_rows)
    columns: dict[str, pa.Array] = {"customer_id": pa.array(np.arange(100_000, 100_000 + n_rows))}
    for i in range(13):
        values = np.round(base * (i % 4) / 4 + rng.normal(scale=1 + i, size=n_rows), 4)
        gaps = rng.random(n_rows) < 0.01 * (i % 3)
        columns[f"num_{i}"] = pa.array(values, mask=gaps)
    for i in range(3):
        columns[f"count_{i}"] = pa.array(rng.poisson(3 + i, size=n_rows))
    for i in range(5):
        levels = np.array([f"level_{k}" for k in range(3 + 4 * i)])
        columns[f"cat_{i}"] = pa.array(levels[rng.integers(0, len(levels), n_rows)])
    columns["member"] = pa.array(rng.random(n_rows) < 0.3)
    days = rng.integers(0, 730, n_rows).astype("timedelta64[D]") + np.datetime64("2023-01-01")
    columns["signup_date"] = pa.array(np.datetime_as_string(days, unit="D"))
    columns["target"] = pa.array((base + rng.normal(size=n_rows) > 0.8).astype(np.int64))
    pv.write_csv(pa.table(columns), path)


def floor(source: Path, out: Path) -> float:
    """Seconds to read ``source`` with pyarrow and write it once as Parquet."""
    start = time.perf_counter()
    pq.write_table(pv.read_csv(source), out)
    return time.perf_counter() - start


def _command(folder: Path, source: Path, project: Path) -> None:
    """``workbench init --data`` in a new process, bytecode cached under ``folder`` (as pip installs compile it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    subprocess.run([sys.executable, "-m", "workbench", "init", str(project), "--data", str(source),
                    "--target", "target", "--force"], check=True, capture_output=True, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the CSV and projects in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="workbench-init-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "customers.csv"
    try:
        make_csv(source, args.rows)
        make_csv(folder / "warm-up.csv", 1_000)
        init_from_data(folder / "warm-up", data=folder / "warm-up.csv", target="target", force=True)
        print(f"data: {args.rows:,} rows × 25 columns, {source.stat().st_size / 2**20:.0f} MiB of CSV")
        floor_s = floor(source, folder / "floor.parquet")
        with PeakRss() as rss:
            start = time.perf_counter()
            summary = init_from_data(folder / "in-process", data=source, target="target", force=True)
            inside = time.perf_counter() - start
        _command(folder, folder / "warm-up.csv", folder / "warm-up-command")
        start = time.perf_counter()
        _command(folder, source, folder / "command")
        command = time.perf_counter() - start
        print(f"floor (pyarrow read + Parquet write): {floor_s:.2f} s")
        print(f"init_from_data:                       {inside:.2f} s  ({inside / floor_s:.1f}× the floor; target < 15 s)")
        print(f"workbench init --data (new process):  {command:.2f} s  (start-up and imports included; target < 15 s)")
        print(f"peak RSS growth:                      {rss.growth / 2**20:.0f} MiB")
        print(f"inferred: {summary.task}, {len(summary.numeric)} numeric + {len(summary.categorical)} categorical "
              f"features, id {list(summary.id_columns)}, dropped {[n.column for n in summary.dropped]}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Drift at 100 million rows on Dask: two Parquet datasets of 50,000,000 rows × 25 columns.

Generates seeded reference and current datasets (20 numeric columns, 5 categorical; ``num_0`` to
``num_4`` and ``cat_0`` shifted in the current data, as in ``benchmarks/drift.py``), each a folder
of Parquet files written part by part (``--file-rows`` rows a file, so generation holds one part
in memory), under a temporary folder deleted at the end. Free disk is checked first. Then, on a
``LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GB")``, it prints:

* **ours** — ``wb.drift(reference_folder, current_folder, dask=client)``, total seconds;
* **reference** — reading the same 25 columns of every file with pyarrow alone
  (``pq.read_table``, its own threads), before and after ours (the second read may find the
  files in the page cache); target: ours at most 2× the reference;
* the peak RSS of each worker process while ours runs (psutil, every 20 ms; target <= 1 GB);
* verdict agreement with the in-memory ``wb.drift`` on the first 1,000,000 rows of each dataset
  (the same generator): the same columns flagged.

    python benchmarks/drift_dask.py [--rows 50000000] [--file-rows 1000000] [--folder /tmp]

The machine is shared: the load average is printed with each figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

NUMERIC, CATEGORICAL, SHIFTED = 20, 5, 5
ROW_GROUP = 250_000
BYTES_PER_ROW = 180  # on disk, measured: 20 float64 columns (hardly compressible) and 5 dictionary-coded ones
SAMPLE_ROWS = 1_000_000


def make_part(which: int, part: int, rows: int, seed: int = 0) -> pd.DataFrame:
    """Part ``part`` of the reference (``which=0``) or current (1) data: ``drift.py``'s generator, seeded per part."""
    rng = np.random.default_rng([seed, which, part])
    data: dict[str, object] = {}
    for i in range(NUMERIC):
        column = rng.normal(loc=10 * i, scale=1 + i, size=rows)
        if which == 1 and i < SHIFTED:
            column += 0.25 * (1 + i)  # a quarter standard deviation
        column[rng.random(rows) < 0.01 * (i % 3)] = np.nan
        data[f"num_{i}"] = column
    for i in range(CATEGORICAL):
        levels = np.array([f"level_{k}" for k in range(3 + 4 * i)])
        p = np.linspace(1, 2, len(levels)) if which == 1 and i == 0 else np.ones(len(levels))
        codes = rng.choice(len(levels), rows, p=p / p.sum())
        data[f"cat_{i}"] = pd.Categorical.from_codes(codes, levels)
    return pd.DataFrame(data)


def write_part(folder: str, which: int, part: int, rows: int) -> int:
    path = Path(folder) / f"part-{part:05d}.parquet"
    make_part(which, part, rows).to_parquet(path, row_group_size=ROW_GROUP, index=False)
    return path.stat().st_size


def generate(folder: Path, rows: int, file_rows: int) -> dict[str, Path]:
    """Both datasets, part by part on two processes; returns their folders."""
    folders = {name: folder / name for name in ("reference", "current")}
    jobs = []
    with ProcessPoolExecutor(2) as pool:
        for which, name in enumerate(folders):
            folders[name].mkdir()
            for part, start in enumerate(range(0, rows, file_rows)):
                jobs.append(pool.submit(write_part, str(folders[name]), which, part, min(file_rows, rows - start)))
        size = sum(job.result() for job in jobs)
    print(f"generated 2 × {rows:,} rows × {NUMERIC + CATEGORICAL} columns in {len(jobs)} files, "
          f"{size / 2**30:.1f} GiB on disk", flush=True)
    return folders


def read_with_pyarrow(folders: dict[str, Path]) -> float:
    """Seconds to read every column of every file with pyarrow alone."""
    import pyarrow.parquet as pq

    started = time.perf_counter()
    for folder in folders.values():
        for path in sorted(folder.glob("*.parquet")):
            pq.read_table(path)
    return time.perf_counter() - started


class WorkerPeaks:
    """Peak RSS of each Dask worker process, sampled every 20 ms while the block runs."""

    def __init__(self, client) -> None:
        import psutil

        self.processes = {address: psutil.Process(pid) for address, pid in client.run(os.getpid).items()}
        self.peaks = {address: 0 for address in self.processes}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for address, process in self.processes.items():
                self.peaks[address] = max(self.peaks[address], process.memory_info().rss)
            time.sleep(0.02)

    def __enter__(self) -> WorkerPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def load() -> str:
    return "load average " + " / ".join(f"{v:.1f}" for v in os.getloadavg()) + " (1 / 5 / 15 min, 2 cores)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000, help="rows of each dataset")
    parser.add_argument("--file-rows", type=int, default=1_000_000, help="rows of each Parquet file")
    parser.add_argument("--folder", default=os.environ.get("TMPDIR", "/tmp"), help="where the temporary data goes")
    args = parser.parse_args()
    need = 2 * args.rows * BYTES_PER_ROW
    free = shutil.disk_usage(args.folder).free
    print(f"disk: {free / 2**30:.0f} GiB free under {args.folder}, the data needs about {need / 2**30:.0f} GiB", flush=True)
    if free < 1.5 * need:
        raise SystemExit("Not enough free disk for the datasets: pass fewer --rows or another --folder.")
    folder = Path(tempfile.mkdtemp(prefix="drift-dask-", dir=args.folder))
    try:
        started = time.perf_counter()
        folders = generate(folder, args.rows, args.file_rows)
        print(f"generation: {time.perf_counter() - started:.0f} s; {load()}", flush=True)
        run(folders, args.rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _first_rows(folder: Path, rows: int) -> pd.DataFrame:
    """The first ``rows`` rows of a dataset folder (its first parts)."""
    parts, held = [], 0
    for path in sorted(folder.glob("*.parquet")):
        parts.append(pd.read_parquet(path))
        held += len(parts[-1])
        if held >= rows:
            break
    return pd.concat(parts, ignore_index=True).head(rows)


def run(folders: dict[str, Path], rows: int) -> None:
    import distributed

    from workbench.monitor import drift

    sample = {name: _first_rows(folder, SAMPLE_ROWS) for name, folder in folders.items()}
    in_memory = drift(sample["reference"], sample["current"])
    del sample
    before = read_with_pyarrow(folders)
    print(f"pyarrow read of both datasets (reference):  {before:7.1f} s; {load()}", flush=True)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, memory_limit="1GB") as cluster, \
            distributed.Client(cluster) as client:
        part = folders["reference"] / "part-00000.parquet"
        drift(part, part, dask=client)  # imports on the workers, outside the timing
        with WorkerPeaks(client) as peaks:
            started = time.perf_counter()
            report = drift(folders["reference"], folders["current"], dask=client)
            ours = time.perf_counter() - started
    after = read_with_pyarrow(folders)
    print(f"wb.drift on Dask (2 workers × 1 thread):   {ours:7.1f} s; {load()}", flush=True)
    print(f"pyarrow read again (page cache warmer):     {after:7.1f} s; {load()}", flush=True)
    print(f"ours / pyarrow read: {ours / before:.2f}× (first read), {ours / after:.2f}× (second read); target <= 2×")
    for address, peak in peaks.peaks.items():
        print(f"worker {address}: peak RSS {peak / 2**20:.0f} MiB (target <= 1024 MiB)")
    assert report.n_reference == report.n_current == rows, (report.n_reference, report.n_current)
    ours_flagged, memory_flagged = sorted(report.drifted_columns()), sorted(in_memory.drifted_columns())
    print(f"{rows:,} rows each on Dask flagged: {', '.join(ours_flagged) or '-'}")
    print(f"{SAMPLE_ROWS:,}-row sample in memory flagged: {', '.join(memory_flagged) or '-'}")
    print(f"same columns flagged: {ours_flagged == memory_flagged}")


if __name__ == "__main__":
    main()

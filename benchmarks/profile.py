"""Profile speed and memory: a long frame (1,000,000 × 25) and a wide one (50,000 × 500).

Long (default): a seeded 1,000,000 × 25 frame (20 numeric, 5 categorical). Prints the profile's
seconds and peak RSS growth, and the ratio to a floor measured in the same run: one
``describe()`` over the numeric columns plus one ``value_counts()`` per categorical column.
Targets: under 15 s on 2 cores, peak memory under 3× the frame's in-memory size.

Wide (``--wide``): a seeded 50,000 × 500 frame of mixed columns (300 float with missing values,
50 integer, 50 boolean, 100 categorical of 15 or 19 levels with missing values, and a binary
target). Prints the whole profile's seconds and peak RSS growth, our association matrix alone,
and the reference measured in the same run: the algorithm the profile used before, pandas
``DataFrame.corr()`` on the numeric columns plus one call per other pair (a copy of it lives in
this script only), with the largest difference between the two matrices. Targets: the profile
in at most 10 s, peak memory at most 3× the frame.

    python benchmarks/profile.py [--rows N]
    python benchmarks/profile.py --wide [--rows 50000] [--columns 500]

The machine is shared: the load average is printed with the figures, and CPU seconds beside
wall seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd
from _rss import PeakRss  # benchmarks/_rss.py (the script's folder is on sys.path)

from workbench.explore import profile
from workbench.explore.associations import NUMERIC_KINDS, association, associations


def make_frame(n_rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    base = rng.normal(size=n_rows)
    for i in range(20):
        column = base * (i % 4) / 4 + rng.normal(scale=1 + i, size=n_rows)
        column[rng.random(n_rows) < 0.02 * (i % 5)] = np.nan
        data[f"num_{i}"] = column
    for i in range(5):
        levels = np.array([f"level_{k}" for k in range(3 + 4 * i)])
        data[f"cat_{i}"] = pd.Categorical(levels[rng.integers(0, len(levels), n_rows)])
    data["target"] = (base + rng.normal(size=n_rows) > 0).astype(int)
    return pd.DataFrame(data)


def make_wide_frame(n_rows: int, n_columns: int = 500, seed: int = 0) -> pd.DataFrame:
    """Per 10 columns: 6 float (0-8 % missing), 1 integer, 1 boolean, 2 categorical (0-2 % missing)."""
    rng = np.random.default_rng(seed)
    base, group = rng.normal(size=n_rows), rng.integers(0, 6, n_rows)
    data: dict[str, object] = {}
    for i in range(n_columns):
        slot = i % 10
        if slot < 6:
            column = base * (i % 4) / 4 + group * (i % 3) / 3 + rng.normal(scale=1 + i % 7, size=n_rows)
            column[rng.random(n_rows) < 0.02 * (i % 5)] = np.nan
            data[f"num_{i}"] = column
        elif slot == 6:
            data[f"int_{i}"] = rng.poisson(3 + i % 5, n_rows) + group * (i % 2)
        elif slot == 7:
            data[f"bool_{i}"] = rng.random(n_rows) < 0.3 + 0.05 * (i % 5)
        else:
            levels = np.array([f"level_{k}" for k in range(3 + 4 * (i % 5))])
            codes = (group * (i % 3) + rng.integers(0, len(levels), n_rows)) % len(levels)
            codes[rng.random(n_rows) < 0.01 * (i % 3)] = -1
            data[f"cat_{i}"] = pd.Categorical.from_codes(codes, levels)
    data["target"] = (base + rng.normal(size=n_rows) > 0).astype(int)
    return pd.DataFrame(data)


def old_association_matrix(frame: pd.DataFrame, kinds: dict[str, str]) -> list[list[float | None]]:
    """The association matrix as the profile computed it before: pandas ``corr`` and a loop over the other pairs."""
    names = list(frame.columns)
    numeric = [c for c in names if kinds[c] in NUMERIC_KINDS]
    block = frame[numeric].astype(float).corr() if numeric else pd.DataFrame()
    matrix: list[list[float | None]] = [[None] * len(names) for _ in names]
    for i, a in enumerate(names):
        matrix[i][i] = 1.0
        for j in range(i + 1, len(names)):
            b = names[j]
            if a in block.index and b in block.index:
                raw = block.at[a, b]
                value = None if pd.isna(raw) else float(raw)
            else:
                value = association(frame[a], kinds[a], frame[b], kinds[b])
            matrix[i][j] = matrix[j][i] = None if value is None else round(value, 4)
    return matrix


def floor(frame: pd.DataFrame) -> None:
    frame.select_dtypes("number").describe()
    for name in frame.select_dtypes("category"):
        frame[name].value_counts()


def timed(fn, *args, **kwargs) -> tuple[float, float, int, object]:
    """Wall seconds, CPU seconds, peak RSS growth and the result of ``fn``."""
    with PeakRss() as rss:
        start, cpu = time.perf_counter(), time.process_time()
        result = fn(*args, **kwargs)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return seconds, cpu, rss.growth, result


def load() -> str:
    return "load average " + " / ".join(f"{v:.1f}" for v in os.getloadavg()) + " (1 / 5 / 15 min, 2 cores)"


def long_case(rows: int) -> None:
    frame = make_frame(rows)
    size = frame.memory_usage(deep=True).sum()
    print(f"frame: {rows:,} rows × {frame.shape[1]} columns, {size / 2**20:.0f} MiB in memory; {load()}")
    floor_s, *_ = timed(floor, frame)
    profile_s, _, growth, _ = timed(profile, frame, target="target", sensitive=["cat_0"])
    print(f"floor (describe + value_counts): {floor_s:.2f} s")
    print(f"workbench profile:               {profile_s:.2f} s  ({profile_s / floor_s:.1f}× the floor; target < 15 s)")
    print(f"peak RSS growth:                 {growth / 2**20:.0f} MiB  ({growth / size:.2f}× the frame; target < 3×)")
    print(f"process max RSS:                 {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")


def wide_case(rows: int, columns: int) -> None:
    frame = make_wide_frame(rows, columns)
    size = frame.memory_usage(deep=True).sum()
    print(f"frame: {rows:,} rows × {frame.shape[1]} columns (mixed), {size / 2**20:.0f} MiB in memory; {load()}")
    profile(frame.head(500), target="target")  # imports and warm-up, outside the timing
    seconds, cpu, growth, report = timed(profile, frame, target="target", sensitive=["cat_8"])
    print(f"workbench profile:            {seconds:7.2f} s  (CPU {cpu:.2f} s; target <= 10 s); {load()}")
    print(f"  peak RSS growth:            {growth / 2**20:7.0f} MiB ({growth / size:.2f}× the frame; target <= 3×)")
    kinds = {c.name: c.kind for c in report.columns}
    usable = list(report.correlation_columns)
    ours_s, ours_cpu, _, (ours, _) = timed(associations, frame, kinds, usable)
    print(f"association matrix, ours:     {ours_s:7.2f} s  (CPU {ours_cpu:.2f} s; {len(usable)} columns, "
          f"{len(usable) * (len(usable) - 1) // 2:,} pairs)")
    with np.errstate(all="ignore"):
        ref_s, ref_cpu, _, reference = timed(old_association_matrix, frame[usable], kinds)
    print(f"association matrix, pandas corr + pair loop (reference): {ref_s:7.2f} s  (CPU {ref_cpu:.2f} s); {load()}")
    print(f"reference / ours: {ref_s / ours_s:.1f}× (CPU {ref_cpu / ours_cpu:.1f}×)")
    ours_values = np.array([[np.nan if v is None else v for v in row] for row in ours], dtype=float)
    ref_values = np.array([[np.nan if v is None else v for v in row] for row in reference], dtype=float)
    same_missing = bool((np.isnan(ours_values) == np.isnan(ref_values)).all())
    difference = float(np.nanmax(np.abs(ours_values - ref_values)))
    print(f"matrices agree: largest difference {difference:.1e} (4 decimals kept), undefined pairs "
          f"{'identical' if same_missing else 'DIFFER'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wide", action="store_true", help="the 50,000 × 500 mixed frame against the old algorithm")
    parser.add_argument("--rows", type=int, help="rows (default 1,000,000; 50,000 with --wide)")
    parser.add_argument("--columns", type=int, default=500, help="columns of the wide frame")
    args = parser.parse_args()
    if args.wide:
        wide_case(args.rows or 50_000, args.columns)
    else:
        long_case(args.rows or 1_000_000)


if __name__ == "__main__":
    main()

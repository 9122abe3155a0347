"""Profile speed and memory on a seeded 1,000,000 × 25 frame (20 numeric, 5 categorical).

Prints the profile's seconds and peak RSS growth, and the ratio to a floor measured in the same
run: one ``describe()`` over the numeric columns plus one ``value_counts()`` per categorical column.
Targets: under 15 s on 2 cores, peak memory under 3× the frame's in-memory size.

    python benchmarks/profile.py [--rows N]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
from _rss import PeakRss  # benchmarks/_rss.py (the script's folder is on sys.path)

from workbench.explore import profile


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


def floor(frame: pd.DataFrame) -> None:
    frame.select_dtypes("number").describe()
    for name in frame.select_dtypes("category"):
        frame[name].value_counts()


def timed(fn, *args, **kwargs) -> tuple[float, int]:
    with PeakRss() as rss:
        start = time.perf_counter()
        fn(*args, **kwargs)
        seconds = time.perf_counter() - start
    return seconds, rss.growth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    frame = make_frame(args.rows)
    size = frame.memory_usage(deep=True).sum()
    print(f"frame: {args.rows:,} rows × {frame.shape[1]} columns, {size / 2**20:.0f} MiB in memory")
    floor_s, _ = timed(floor, frame)
    profile_s, growth = timed(profile, frame, target="target", sensitive=["cat_0"])
    print(f"floor (describe + value_counts): {floor_s:.2f} s")
    print(f"workbench profile:               {profile_s:.2f} s  ({profile_s / floor_s:.1f}× the floor; target < 15 s)")
    print(f"peak RSS growth:                 {growth / 2**20:.0f} MiB  ({growth / size:.2f}× the frame; target < 3×)")
    print(f"process max RSS:                 {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")


if __name__ == "__main__":
    main()

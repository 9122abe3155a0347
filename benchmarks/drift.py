"""Drift speed and memory at 1,000,000 rows × (20 numeric + 5 categorical), against Evidently.

Builds seeded reference and current frames (5 numeric columns and 1 categorical column shifted)
and, in one run, times three things, each in its own fresh process so that peak memory is its own:

* **ours** — ``wb.drift(reference, current)`` with the default tests;
* **Evidently** — ``Report([DataDriftPreset()]).run(current, reference)`` on the same frames;
* **floor** — sorting every numeric column of both frames once (``np.sort``).

It prints seconds, peak RSS (the growth while timing, and the peak above the interpreter and its
imports, which includes the frames) against the two frames' in-memory size, and the ratios. Targets: at least 50×
faster than Evidently, at most 2× the floor, peak RSS growth at most 2× the two frames.

Evidently pins older pandas and plotly than this project, so it runs from its own virtualenv:

    uv venv /work/venvs/monitor-bench
    VIRTUAL_ENV=/work/venvs/monitor-bench uv pip install "evidently>=0.7" "pandas>=2.2,<3" psutil
    python benchmarks/drift.py --evidently-python /work/venvs/monitor-bench/bin/python

(``WORKBENCH_EVIDENTLY_PYTHON`` does the same as the option; without either, the current
interpreter is used when it can import evidently, else Evidently's side is skipped.) The
Evidently child imports only numpy, pandas, psutil and evidently: the frames are rebuilt there
from the same seed.

    python benchmarks/drift.py [--rows N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _rss import PeakRss  # benchmarks/_rss.py (the script's folder is on sys.path)

NUMERIC, CATEGORICAL, SHIFTED = 20, 5, 5


def make_frames(n_rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded reference and current frames; ``num_0..num_4`` and ``cat_0`` are shifted."""
    frames = []
    for which in range(2):
        rng = np.random.default_rng(seed + which)
        data: dict[str, object] = {}
        for i in range(NUMERIC):
            column = rng.normal(loc=10 * i, scale=1 + i, size=n_rows)
            if which == 1 and i < SHIFTED:
                column = column + 0.25 * (1 + i)  # a quarter standard deviation
            column[rng.random(n_rows) < 0.01 * (i % 3)] = np.nan
            data[f"num_{i}"] = column
        for i in range(CATEGORICAL):
            levels = np.array([f"level_{k}" for k in range(3 + 4 * i)])
            p = np.linspace(1, 2, len(levels)) if which == 1 and i == 0 else np.ones(len(levels))
            codes = rng.choice(len(levels), n_rows, p=p / p.sum())
            data[f"cat_{i}"] = pd.Categorical.from_codes(codes, levels)  # no million-string garbage
        frames.append(pd.DataFrame(data))
    return frames[0], frames[1]


def _ours(reference: pd.DataFrame, current: pd.DataFrame) -> list[str]:
    from workbench.monitor import drift

    return drift(reference, current).drifted_columns()


def _floor(reference: pd.DataFrame, current: pd.DataFrame) -> list[str]:
    for frame in (reference, current):
        for i in range(NUMERIC):
            np.sort(frame[f"num_{i}"].to_numpy())
    return []


def _evidently(reference: pd.DataFrame, current: pd.DataFrame) -> list[str]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=[f"num_{i}" for i in range(NUMERIC)],
                                categorical_columns=[f"cat_{i}" for i in range(CATEGORICAL)])
    snapshot = Report([DataDriftPreset()]).run(Dataset.from_pandas(current, data_definition=definition),
                                              Dataset.from_pandas(reference, data_definition=definition))
    drifted = []
    for metric in snapshot.dict().get("metrics", []):
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift"):
            value, threshold = metric.get("value"), config.get("threshold")
            method = str(config.get("method", ""))
            p_value = "p_value" in method or "test" in method.lower()
            if value is not None and threshold is not None and (value < threshold if p_value else value >= threshold):
                drifted.append(config.get("column"))
    return drifted


def child(side: str, rows: int) -> None:
    """Import and warm up, build the frames, run one side, print a JSON line of its figures.

    ``rss_peak`` is the process's peak RSS above its size before the frames were built (the
    interpreter and the imports): the frames themselves plus what the computation adds.
    """
    import psutil

    run = {"ours": _ours, "floor": _floor, "evidently": _evidently}[side]
    warm_rows = 2000
    if side == "ours":  # frames long enough for its compiled summaries: numba's first load (about a second) here
        from workbench.monitor.summaries import COMPILED_ROWS as warm_rows
    run(*make_frames(warm_rows))  # imports and warm-up, outside the timing
    before = psutil.Process().memory_info().rss
    reference, current = make_frames(rows)
    frames_bytes = int(reference.memory_usage(deep=True).sum() + current.memory_usage(deep=True).sum())
    with PeakRss() as rss:
        started = time.perf_counter()
        drifted = run(reference, current)
        seconds = time.perf_counter() - started
    print(json.dumps({"side": side, "seconds": seconds, "rss_growth": rss.growth, "rss_peak": rss.peak - before,
                      "frames_bytes": frames_bytes, "drifted": sorted(drifted)}))


def _evidently_python(option: str | None) -> str | None:
    candidate = option or os.environ.get("WORKBENCH_EVIDENTLY_PYTHON")
    if candidate:
        return candidate
    found = subprocess.run([sys.executable, "-c", "import evidently"], capture_output=True)
    return sys.executable if found.returncode == 0 else None


def _run(python: str, side: str, rows: int) -> dict:
    env = dict(os.environ)
    if side != "evidently":  # our package from this checkout
        env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    done = subprocess.run([python, __file__, "--child", side, "--rows", str(rows)], capture_output=True, text=True,
                          env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--evidently-python", help="interpreter of a virtualenv with evidently installed")
    parser.add_argument("--skip-evidently", action="store_true", help="time ours and the floor only")
    parser.add_argument("--child", choices=("ours", "floor", "evidently"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return
    results = {side: _run(sys.executable, side, args.rows) for side in ("floor", "ours")}
    python = None if args.skip_evidently else _evidently_python(args.evidently_python)
    if python is not None:
        results["evidently"] = _run(python, "evidently", args.rows)
    frames_mib = results["ours"]["frames_bytes"] / 2**20
    print(f"{args.rows:,} rows × ({NUMERIC} numeric + {CATEGORICAL} categorical), two frames {frames_mib:.0f} MiB")
    for side, figures in results.items():
        print(f"  {side:<10} {figures['seconds']:8.2f} s   peak RSS growth {figures['rss_growth'] / 2**20:6.0f} MiB"
              f" (peak above the imports {figures['rss_peak'] / 2**20:5.0f} MiB)   drifted: {', '.join(figures['drifted']) or '-'}")
    ours = results["ours"]
    print(f"ours / floor: {ours['seconds'] / results['floor']['seconds']:.2f}× (target <= 2×)")
    if "evidently" in results:
        print(f"Evidently / ours: {results['evidently']['seconds'] / ours['seconds']:.0f}× faster (target >= 50×)")
    else:
        print("Evidently: skipped (no interpreter with evidently; see the docstring)")
    print(f"peak RSS growth / two frames: {ours['rss_growth'] / ours['frames_bytes']:.2f}×; "
          f"peak above the imports / two frames: {ours['rss_peak'] / ours['frames_bytes']:.2f}× (target <= 2×)")


if __name__ == "__main__":
    main()

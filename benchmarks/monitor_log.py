"""Monitor over a month of logged traffic: the first review, then a review a day later (incremental).

A demo project's log gets ``--days`` days of traffic (``--rows-per-day`` predicted rows a day, in
requests of 50 rows from two replicas), then:

* the full parse a review did before the reading was incremental (``read_prediction_log`` and
  ``read_requests`` over the whole log),
* ``wb.monitor`` the first time (it reads and caches the whole log),
* one more day of traffic, and ``wb.monitor`` again: it reads only that day from the log.

    python benchmarks/monitor_log.py [--days 30] [--rows-per-day 20000] [--log sqlite|both|postgresql://...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

START = pd.Timestamp("2026-01-01", tz="UTC")
REQUEST_ROWS = 50


def fill(project: Any, url: str, model: Any, days: range, rows_per_day: int) -> int:
    """Log ``rows_per_day`` scored rows for each day in ``days``; returns the rows written."""
    from workbench.datasets import make_credit_risk
    from workbench.deploy.predlog import log_rows, open_log, write_requests
    from workbench.evaluate import feature_columns

    log = open_log(url)
    written = 0
    try:
        for day in days:
            frame = make_credit_risk(rows_per_day, seed=day, scenario="none" if day < 20 else "covariate_shift")
            features = frame[feature_columns(project, frame)]
            probabilities = model.predict_proba(features)
            predictions = model.predict(features)
            for start in range(0, rows_per_day, REQUEST_ROWS * 20):  # 20 requests per transaction
                part = slice(start, min(start + REQUEST_ROWS * 20, rows_per_day))
                n = part.stop - part.start
                ids = [f"d{day}-{start + k // REQUEST_ROWS}" for k in range(n)]
                stamps = [(START + pd.Timedelta(days=day, seconds=(start + k) * 86_400 / rows_per_day)).isoformat()
                          for k in range(n)]
                rows = log_rows(features.iloc[part], predictions[part], probabilities[part], request_ids=ids,
                                rows=[k % REQUEST_ROWS for k in range(n)], timestamps=stamps, model_name="credit",
                                model_version="1", variant="champion", task="binary", classes=[0, 1])
                requests = [(rid, stamps[k], 200, float(5 + k % 7), REQUEST_ROWS, "champion", "credit", "1", None,
                             "binary", "[0, 1]") for k, rid in enumerate(ids) if k % REQUEST_ROWS == 0]
                os.environ["WORKBENCH_REPLICA"] = f"pod-{start // (REQUEST_ROWS * 20) % 2}"
                write_requests(log, requests, rows)
                written += n
    finally:
        log.close()
        os.environ.pop("WORKBENCH_REPLICA", None)
    return written


def timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    begin = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - begin


def run(url: str, args: argparse.Namespace, folder: Path) -> dict[str, float]:
    import workbench as wb
    from workbench.deploy.predlog import read_prediction_log, read_requests
    from workbench.evaluate import split_data, train_model
    from workbench.scaffold import init_project

    project = init_project(folder / f"proj-{len(list(folder.iterdir()))}", rows=3000)
    model = train_model(split_data(project, project.load_data()), seed=0, max_iter=40)
    rows, fill_seconds = timed(fill, project, url, model, range(args.days), args.rows_per_day)
    _, full_read = timed(lambda: (read_prediction_log(url), read_requests(url)))
    first, first_seconds = timed(wb.monitor, project, log=url, record=False)
    fill(project, url, model, range(args.days, args.days + 1), args.rows_per_day)
    again, again_seconds = timed(wb.monitor, project, log=url, record=False)
    from workbench.monitor.logreader import read_log

    _, read_seconds = timed(read_log, project, log=url)
    return {"rows": rows, "fill": fill_seconds, "full_read": full_read, "first": first_seconds,
            "again": again_seconds, "cached_read": read_seconds, "predictions": again.n_predictions,
            "replicas": len(again.replicas), "first_predictions": first.n_predictions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rows-per-day", type=int, default=20_000)
    parser.add_argument("--log", default="sqlite", help="sqlite, both (also a temporary PostgreSQL), or a URL")
    args = parser.parse_args()
    before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        logs = {"sqlite": f"sqlite:///{folder / 'log.db'}"}
        if args.log == "both":
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from pg import start_server

            started = start_server(durable=True)
            if isinstance(started, str):
                raise SystemExit(started)
            server = started
            logs["postgresql"] = server.create_database("bench")
        elif args.log != "sqlite":
            logs = {"postgresql": args.log}
        (folder / "projects").mkdir()
        try:
            results = {name: run(url, args, folder / "projects") for name, url in logs.items()}
        finally:
            if server is not None:
                server.cleanup()
    print(f"{args.days} days x {args.rows_per_day:,} rows; load average before/after: {before} / "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
    print(f"{'log':>10} | {'rows':>9} | {'full parse s':>12} | {'1st review s':>12} | {'next-day review s':>17} | "
          f"{'read, cache current s':>21}")
    for name, r in results.items():
        print(f"{name:>10} | {r['predictions']:>9,} | {r['full_read']:>12.2f} | {r['first']:>12.2f} | "
              f"{r['again']:>17.2f} | {r['cached_read']:>21.2f}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()

"""Monitor commands: ``drift``, ``monitor`` and ``alerts``; see workbench/cli/__init__.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli._common import (
    add_json_option,
    add_out_option,
    add_project_option,
    open_project,
    print_json,
    save_reports,
)

ALERT_EXIT = 3  # `workbench monitor` when an alert fires (for cron)


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``drift``, ``monitor`` and ``alerts``."""
    drift = commands.add_parser("drift", help="compare two datasets column by column (CSV/Parquet)")
    drift.add_argument("reference", type=Path, help="reference data (CSV or Parquet)")
    drift.add_argument("current", type=Path, help="current data (CSV or Parquet)")
    add_out_option(drift)
    add_json_option(drift, "the drift report")
    drift.add_argument("--dask", metavar="ADDRESS", help="summarise partitions on this Dask scheduler")
    drift.add_argument("--exclude", action="append", default=[], metavar="COLUMN", help="a column to leave out")
    drift.add_argument("--prediction", metavar="COLUMN", help="a model-output column: tested as prediction drift")
    drift.add_argument("--calibrate", action="store_true", help="bootstrap-calibrate the distance thresholds")
    drift.add_argument("--chunk-rows", type=int, default=250_000, help="rows per chunk when reading files")
    drift.set_defaults(handler=_drift)

    monitor = commands.add_parser("monitor", help="review the prediction log; exit 3 when an alert fires")
    add_project_option(monitor)
    monitor.add_argument("--since", metavar="TIME", help="review predictions from this time on (e.g. 2026-01-01)")
    monitor.add_argument("--until", metavar="TIME", help="review predictions before this time")
    monitor.add_argument("--window", help="window span ('1h', '1D', '7D'; default [monitor] window)")
    monitor.add_argument("--labels", type=Path, metavar="FILE",
                         help="labels file (CSV/Parquet: request_id, row (optional), label) instead of /v1/feedback")
    add_out_option(monitor)
    add_json_option(monitor, "the monitoring report")
    monitor.add_argument("--dry-run", action="store_true", help="evaluate the rules without recording alerts")
    monitor.add_argument("--log", metavar="URL", help="review this prediction log (a SQLite path or postgresql:// URL; "
                                                      "default: [deploy] prediction_log or WORKBENCH_PREDICTION_LOG)")
    monitor.set_defaults(handler=_monitor)

    alerts = commands.add_parser("alerts", help="list the recorded alerts")
    add_project_option(alerts)
    alerts.add_argument("--limit", type=int, default=20, help="show the last N alerts (default 20)")
    add_json_option(alerts, "the alerts")
    alerts.set_defaults(handler=_alerts)


def _drift(args: argparse.Namespace) -> int:
    from workbench.monitor import drift

    report = drift(args.reference, args.current, exclude=args.exclude, prediction=args.prediction,
                   calibrate=args.calibrate, chunk_rows=args.chunk_rows, dask=args.dask)
    save_reports(report, args.out, quiet_stdout=args.json)
    if args.json:
        print_json(report.to_dict())
        return 0
    print(report.summary())
    for column in report.columns[:10]:
        mark = "DRIFT" if column.drifted else "ok   "
        print(f"  {mark} {column.column:<28} {column.stattest:<13} score {column.drift_score:.4g} "
              f"(threshold {column.threshold:g})  PSI {column.psi:.3f}")
    return 0


def _monitor(args: argparse.Namespace) -> int:
    from workbench.monitor import monitor

    project = open_project(args)
    report = monitor(project, since=args.since, until=args.until, window=args.window, labels=args.labels,
                     record=not args.dry_run, log=args.log)
    save_reports(report, args.out, quiet_stdout=args.json)
    if args.json:
        print_json(report.to_dict())
    else:
        print(report.summary())
        if len(report.replicas) > 1:
            print(f"  log: {report.log}")
            for replica in report.replicas:
                print(f"  replica {replica.replica}: {replica.requests} requests, p99 {replica.p99_latency_ms:.1f} ms, "
                      f"{replica.failures} failures, {replica.rejects} rejects")
        for note in report.notes:
            print(f"  note: {note}")
        for alert in report.alerts:
            run = f" -> pipeline {alert['pipeline']} ({alert.get('pipeline_run') or alert.get('pipeline_status')})" \
                if alert.get("pipeline") else ""
            print(f"  ALERT {alert['rule']}: {alert['message']}{run}")
            for failure in alert.get("failures", ()):
                print(f"    {failure}")
    return ALERT_EXIT if report.alerts else 0


def _alerts(args: argparse.Namespace) -> int:
    from workbench.monitor import alert_history

    history = alert_history(open_project(args, check_data=False), limit=args.limit)
    if args.json:
        print_json(history)
        return 0
    if not history:
        print("No alerts recorded.")
    for alert in history:
        pipeline = f"  pipeline {alert['pipeline']}: {alert.get('pipeline_run') or alert.get('pipeline_status')}" \
            if alert.get("pipeline") else ""
        print(f"{alert['time']}  {alert['rule']}: {alert['message']}{pipeline}")
        for failure in alert.get("failures", ()):
            print(f"    {failure}")
    return 0

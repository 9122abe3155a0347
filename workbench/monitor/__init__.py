"""Monitor: data and prediction drift, performance and service health over time, alerts.

* :func:`drift` compares a current dataset with a reference column by column (a test chosen by
  type and sample size with Evidently-compatible defaults, PSI for every column, the dataset's
  drift share, prediction drift) and ranks the columns by drift × feature importance. Every
  statistic comes from mergeable per-partition summaries, so the same review runs in memory,
  over Parquet in chunks and on a Dask cluster.
* :func:`monitor` reviews a project's prediction log window by window — drift, performance when
  labels have arrived, requests / latency / failures — and evaluates the ``[[alerts]]`` rules.
* :func:`alert_history` lists the recorded alerts (``.workbench/alerts.jsonl``).
"""

from __future__ import annotations

from workbench.monitor.drift import ColumnDrift, DriftReport, WindowDrift, drift

__all__ = ["ColumnDrift", "DriftReport", "WindowDrift", "drift"]

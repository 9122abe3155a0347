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

import sys
import types
from typing import Any

from workbench.monitor.alerts import alert_history, load_rules, trigger_pipeline
from workbench.monitor.drift import ColumnDrift, DriftReport, WindowDrift, drift
from workbench.monitor.review import MonitorReport, monitor
from workbench.monitor.rules import AlertRule

__all__ = [
    "AlertRule",
    "ColumnDrift",
    "DriftReport",
    "MonitorReport",
    "WindowDrift",
    "alert_history",
    "drift",
    "load_rules",
    "monitor",
    "trigger_pipeline",
]


class _CallableModule(types.ModuleType):
    """``workbench.monitor`` is both this package and, as ``wb.monitor``, the review function.

    Importing the package binds ``workbench.monitor`` to the module, which would shadow the
    function of the same name in ``import workbench as wb``; calling the module calls it.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> MonitorReport:
        return monitor(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

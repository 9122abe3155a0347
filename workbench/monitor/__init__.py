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
from typing import TYPE_CHECKING, Any

from workbench import _lazy

if TYPE_CHECKING:
    from workbench.monitor.alerts import alert_history, load_rules, trigger_pipeline
    from workbench.monitor.drift import ColumnDrift, DriftReport, WindowDrift, drift
    from workbench.monitor.review import MonitorReport, monitor
    from workbench.monitor.rules import AlertRule

# Attributes load on first use: opening a project validates its [[alerts]] rules through
# workbench.monitor.rules, which must not pull in the drift statistics (scipy) or the review.
_EXPORTS: dict[str, str] = {
    "AlertRule": "workbench.monitor.rules",
    "ColumnDrift": "workbench.monitor.drift",
    "DriftReport": "workbench.monitor.drift",
    "WindowDrift": "workbench.monitor.drift",
    "drift": "workbench.monitor.drift",
    "MonitorReport": "workbench.monitor.review",
    "monitor": "workbench.monitor.review",
    "alert_history": "workbench.monitor.alerts",
    "load_rules": "workbench.monitor.alerts",
    "trigger_pipeline": "workbench.monitor.alerts",
}

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


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return _lazy.names(__name__, _EXPORTS)


class _CallableModule(types.ModuleType):
    """``workbench.monitor`` is both this package and, as ``wb.monitor``, the review function.

    Importing the package binds ``workbench.monitor`` to the module, which would shadow the
    function of the same name in ``import workbench as wb``; calling the module calls it.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> MonitorReport:
        from workbench.monitor.review import monitor

        return monitor(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the submodule workbench.monitor.drift binds it here as ``drift``; the
        # package's ``drift`` is the function (as when it was imported eagerly), so keep it.
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == f"{self.__name__}.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _CallableModule

"""Service figures from the request log: requests, latency percentiles, failures, rejects; per window, per replica."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from workbench.monitor.windows import window_starts

__all__ = ["ReplicaService", "WindowService", "service_by_replica", "service_by_window", "service_totals"]


@dataclasses.dataclass(frozen=True)
class WindowService:
    """One window of requests. Failures are 5xx answers; rejects are 4xx (validation) answers."""

    start: str
    end: str
    requests: int
    rows: int
    p50_latency_ms: float
    p99_latency_ms: float
    failures: int
    rejects: int
    failure_rate: float
    reject_rate: float


def _figures(part: pd.DataFrame) -> dict[str, Any]:
    status = part["status_code"].to_numpy()
    latency = part["latency_ms"].to_numpy(dtype=np.float64, na_value=np.nan)
    timed = latency[np.isfinite(latency)]
    p50, p99 = np.percentile(timed, [50, 99]) if timed.size else (np.nan, np.nan)
    failures = int((status >= 500).sum())
    rejects = int(((status >= 400) & (status < 500)).sum())
    n = len(part)
    return {
        "requests": n, "rows": int(part["n_rows"].sum()), "p50_latency_ms": float(p50), "p99_latency_ms": float(p99),
        "failures": failures, "rejects": rejects,
        "failure_rate": failures / n if n else 0.0, "reject_rate": rejects / n if n else 0.0,
    }


def service_by_window(requests: pd.DataFrame, *, window: str, origin: pd.Timestamp) -> list[WindowService]:
    """Per window of the requests' ``timestamp``: counts, p50/p99 latency, failures and rejects."""
    if requests.empty:
        return []
    span = pd.Timedelta(window)
    starts = window_starts(requests["timestamp"], window, origin)
    return [
        WindowService(start=start.isoformat(), end=(start + span).isoformat(), **_figures(part))
        for start, part in requests.groupby(starts, sort=True)
    ]


def service_totals(requests: pd.DataFrame) -> dict[str, Any]:
    """The same figures over every request (``{}`` when none)."""
    return _figures(requests) if not requests.empty else {}


@dataclasses.dataclass(frozen=True)
class ReplicaService:
    """One replica's (worker process's) requests over the reviewed period, the figures of :class:`WindowService`.

    ``replica`` is the writer's name (``WORKBENCH_REPLICA``, else ``host:pid``); requests logged
    before replicas were recorded are grouped under ``"unknown"``.
    """

    replica: str
    requests: int
    rows: int
    p50_latency_ms: float
    p99_latency_ms: float
    failures: int
    rejects: int
    failure_rate: float
    reject_rate: float


UNKNOWN_REPLICA = "unknown"


def service_by_replica(requests: pd.DataFrame) -> list[ReplicaService]:
    """The service figures of each replica that wrote to the log, by replica name."""
    if requests.empty or "replica" not in requests.columns:
        return []
    names = requests["replica"].astype(object).where(requests["replica"].notna(), UNKNOWN_REPLICA)
    return [ReplicaService(replica=str(name), **_figures(part)) for name, part in requests.groupby(names, sort=True)]

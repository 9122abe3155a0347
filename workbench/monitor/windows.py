"""Time windows: which window each timestamp falls in, and a window span chosen from the data.

Windows are fixed spans (``"1h"``, ``"1D"``, ``"7D"`` ...) counted from an origin (midnight UTC
of the first timestamp), so every part of the data — a chunk, a Dask partition, the prediction
log, the request log — assigns a row to the same window.
"""

from __future__ import annotations

import pandas as pd

from workbench.exceptions import ParameterError

__all__ = ["AUTO_SPANS", "check_window", "choose_window", "origin_of", "window_starts"]

AUTO_SPANS = ("1h", "6h", "1D", "7D", "30D")
MAX_AUTO_WINDOWS = 12


def check_window(window: str) -> pd.Timedelta:
    """The span of ``window``, or a :class:`ParameterError` naming the value and the fix."""
    try:
        span = pd.Timedelta(window)
    except (ValueError, TypeError) as err:
        raise ParameterError(
            f"The window {window!r} is not a fixed time span.", name="window", value=window,
            hint="Use a span such as '1h', '1D' or '7D' (or 'auto').",
        ) from err
    if span <= pd.Timedelta(0):
        raise ParameterError(f"The window {window!r} must be a positive span.", name="window", value=window)
    return span


def choose_window(first: pd.Timestamp, last: pd.Timestamp) -> str:
    """The shortest of :data:`AUTO_SPANS` giving at most 12 windows between ``first`` and ``last``."""
    total = last - first
    for span in AUTO_SPANS:
        if total / pd.Timedelta(span) < MAX_AUTO_WINDOWS:
            return span
    return f"{max(1, -(-total.days // MAX_AUTO_WINDOWS))}D"


def origin_of(first: pd.Timestamp) -> pd.Timestamp:
    """Where windows start counting: midnight (UTC) of the first timestamp."""
    stamp = pd.Timestamp(first)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.floor("D")


def window_starts(stamps: pd.Series, window: str, origin: pd.Timestamp) -> pd.Series:
    """The start of each timestamp's window (UTC)."""
    span = check_window(window)
    utc = pd.to_datetime(stamps, utc=True)
    return origin + ((utc - origin) // span) * span

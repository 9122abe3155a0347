"""The passes of a drift review: column choice, two summary passes, per-window summaries."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import DataError
from workbench.monitor.columns import as_frame
from workbench.monitor.sources import Source
from workbench.monitor.summaries import (
    DEFAULT_BINS,
    HISTOGRAM,
    Grid,
    Histogram,
    Moments,
    column_kinds,
    first_pass,
    make_grid,
    second_pass,
)
from workbench.monitor.windows import check_window, origin_of, window_starts

__all__ = ["Summaries", "choose_columns", "summarize", "windows"]

ROWS = "__rows__"


@dataclasses.dataclass
class Count:
    """A mergeable row count."""

    n: int

    def merge(self, other: Count) -> Count:
        return Count(self.n + other.n)


@dataclasses.dataclass
class Summaries:
    """Both datasets' merged summaries and the shared grids of the numeric columns."""

    reference: dict[str, Any]
    current: dict[str, Any]
    grids: dict[str, Grid]
    reference_hist: dict[str, Histogram]
    current_hist: dict[str, Histogram]

    @property
    def n_reference(self) -> int:
        return int(self.reference[ROWS].n)

    @property
    def n_current(self) -> int:
        return int(self.current[ROWS].n)


def choose_columns(
    reference: pd.DataFrame, current: pd.DataFrame, columns: Sequence[str] | None,
    exclude: Sequence[str], time_column: str | None,
) -> dict[str, str]:
    """The tested columns and their kind, checked against both datasets."""
    if time_column is not None and time_column not in current.columns:
        raise DataError(f"The current data has no time column '{time_column}'.", column=time_column,
                        hint=f"Columns: {', '.join(map(str, current.columns[:30]))}.")
    if columns is None:
        wanted = [c for c in reference.columns if c in current.columns and c not in exclude and c != time_column]
    else:
        wanted = list(columns)
        for name in wanted:
            for label, frame in (("reference", reference), ("current", current)):
                if name not in frame.columns:
                    raise DataError(f"The {label} data has no column '{name}'.", column=name,
                                    hint=f"Columns: {', '.join(map(str, frame.columns[:30]))}.")
    kinds = column_kinds(reference, wanted)
    other = column_kinds(current, wanted)
    for name, kind in kinds.items():
        if other.get(name, kind) != kind and not current[name].isna().all():
            raise DataError(
                f"The column '{name}' is {kind} in the reference but {other.get(name)} in the current data.",
                column=name, hint="Cast it to the same type in both datasets, or exclude it.",
            )
    if not kinds:
        raise DataError("The reference and current data have no column in common to compare.",
                        hint="Check that both datasets hold the same feature columns.")
    return kinds


def _first(frame: Any, kinds: Mapping[str, str], guesses: Mapping[str, Grid]) -> dict[Any, Any]:
    return {**first_pass(frame, kinds, guesses), ROWS: Count(len(frame))}


def guess_grids(reference: Source, current: Source, numeric: list[str], *, bins: int) -> dict[str, Grid]:
    """The grid each numeric column will get if its values are not whole numbers in a float type and
    not heavy-tailed, guessed from the Parquet statistics of both datasets (no guess without them)."""
    ref_bounds, cur_bounds = reference.bounds(numeric), current.bounds(numeric)
    guesses = {}
    for name in numeric:
        if name in ref_bounds and name in cur_bounds:
            low, high = min(ref_bounds[name][0], cur_bounds[name][0]), max(ref_bounds[name][1], cur_bounds[name][1])
            if np.isfinite(low) and np.isfinite(high):
                integral = ref_bounds[name][2] and cur_bounds[name][2]
                guesses[name] = make_grid(Moments(n=1, minimum=low, maximum=high, integral=integral), bins=bins)
    return guesses


def summarize(reference: Source, current: Source, kinds: Mapping[str, str], *, bins: int = DEFAULT_BINS) -> Summaries:
    """Pass one over both datasets, the shared grids, then pass two (histograms).

    A grid depends on the moments of both datasets, hence the second pass. When the Parquet
    statistics give each column's range, pass one also counts every numeric column on the grid
    those bounds imply; a column whose grid turns out to be that one (the same bins, so the same
    counts) needs no second pass. Only the others are read again.
    """
    numeric = [name for name, kind in kinds.items() if kind == "numeric"]
    guesses = guess_grids(reference, current, numeric, bins=bins)
    first = partial(_first, kinds=dict(kinds), guesses=guesses)
    ref_first, cur_first = _both(reference, current, first, columns=list(kinds))
    grids = {name: make_grid(ref_first[name].merge(cur_first[name]), bins=bins) for name in numeric}
    ref_hist: dict[str, Histogram] = {}
    cur_hist: dict[str, Histogram] = {}
    for name, guess in guesses.items():
        ref_guessed, cur_guessed = ref_first.pop((HISTOGRAM, name)), cur_first.pop((HISTOGRAM, name))
        if guess == grids[name]:
            ref_hist[name], cur_hist[name] = ref_guessed, cur_guessed
    rest = {name: grid for name, grid in grids.items() if name not in ref_hist}
    if rest:
        ref_rest, cur_rest = _both(reference, current, partial(second_pass, grids=rest), columns=list(rest))
        ref_hist.update(ref_rest)
        cur_hist.update(cur_rest)
    return Summaries(ref_first, cur_first, grids, ref_hist, cur_hist)


def _both(reference: Source, current: Source, function: Any, *, columns: list[str]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """``function`` summarised over both datasets: at once on Dask, one after the other otherwise.

    On Dask the current data's tasks are queued beside the reference's, so no worker idles at the
    end of the reference's pieces; in this process one dataset at a time keeps memory at one chunk.
    """
    if reference.client is None or current.client is None:
        return reference.summarize(function, columns=columns), current.summarize(function, columns=columns)
    with ThreadPoolExecutor(1, thread_name_prefix="workbench-drift") as other:
        later = other.submit(current.summarize, function, columns=columns)
        return reference.summarize(function, columns=columns), later.result()


@dataclasses.dataclass
class Earliest:
    """A mergeable minimum timestamp."""

    time: pd.Timestamp

    def merge(self, other: Earliest) -> Earliest:
        return Earliest(min(self.time, other.time))


def _earliest(frame: Any, time_column: str) -> dict[str, Earliest]:
    stamps = pd.to_datetime(as_frame(frame)[time_column], utc=True)
    return {"start": Earliest(stamps.min())}


def _by_window(frame: Any, kinds: Mapping[str, str], grids: Mapping[str, Grid],
               time_column: str, window: str, origin: pd.Timestamp) -> dict[Any, Any]:
    frame = as_frame(frame)
    span = pd.Timedelta(window)
    starts = window_starts(frame[time_column], window, origin)
    out: dict[Any, Any] = {}
    for start, part in frame.groupby(starts, sort=True):
        key = (start.isoformat(), (start + span).isoformat())
        for name, summary in first_pass(part, kinds).items():
            out[(key, name)] = summary
        for name, hist in second_pass(part, grids).items():
            out[(key, ("hist", name))] = hist
        out[(key, "rows")] = Count(len(part))
    return out


def windows(current: Source, kinds: Mapping[str, str], summaries: Summaries, time_column: str | None,
            window: str) -> dict[tuple[str, str], dict[Any, Any]]:
    """Per window of ``time_column``: the current data's summaries on the shared grids."""
    assert time_column is not None
    check_window(window)
    origin = origin_of(current.summarize(partial(_earliest, time_column=time_column), columns=[time_column])["start"].time)
    merged: dict[Any, Any] = current.summarize(partial(_by_window, kinds=dict(kinds), grids=summaries.grids,
                                       time_column=time_column, window=window, origin=origin),
                                       columns=[time_column, *kinds])
    out: dict[tuple[str, str], dict[Any, Any]] = {}
    for (key, name), summary in merged.items():
        out.setdefault(key, {})[name] = summary.n if name == "rows" else summary
    return out

"""Monitor's reading of the prediction log: incremental, across every replica that writes to it.

The first review reads the whole log; each later one reads only the rows committed since the
review before, up to the log's *stable boundary* (:meth:`~workbench.deploy.predlog.PredictionLog.boundary`:
no row below it is still in flight, none above it is lost), parses them once and adds them to a
cache under ``.workbench/monitor/log-cache/<log id>/``. Reviewing a month of traffic then costs
reading the day that is new plus loading frames already parsed, not a month of JSON.

The cache is keyed by the log's own id (a new or recreated log starts a new cache) and lists its
parts in ``watermark.json``, written last: a review interrupted half-way leaves a part nobody
reads, never a row counted twice. Feedback labels (few, and corrected in place) are read whole.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.deploy.predlog import (
    PredictionLog,
    log_url_of,
    open_log,
    read_feedback,
    read_prediction_log,
    read_requests,
    utc_text,
)
from workbench.exceptions import PredictionLogError

__all__ = ["LogFrames", "read_log"]

_TABLES = ("predictions", "requests")
_MAX_PARTS = 16  # parts a cache keeps before it folds them into one


@dataclasses.dataclass(frozen=True)
class LogFrames:
    """What a review reads: predicted rows, requests, feedback, and how much of it was new."""

    predictions: pd.DataFrame
    requests: pd.DataFrame
    feedback: pd.DataFrame
    log: str  # the log's URL, password masked
    new_predictions: int  # rows read from the log by this review (the rest came from the cache)
    new_requests: int


def read_log(project: Any, *, log: str | None = None, since: Any = None, until: Any = None) -> LogFrames:
    """The log of ``project`` (or the log at ``log``: a path or URL) between ``since`` and ``until``.

    Examples
    --------
    >>> frames = read_log(project, log="postgresql://monitor:secret@db:5432/predictions")  # doctest: +SKIP
    >>> frames.requests.groupby("replica").size()  # doctest: +SKIP
    """
    if log is not None:
        _check_exists(log, Path(project.root))
    opened = open_log(log if log is not None else project, project=project)
    try:
        cache = _Cache(Path(project.state_dir) / "monitor" / "log-cache" / opened.log_id())
        with cache.locked():  # loaded under the lock too: another review folding parts deletes files
            new = cache.catch_up(opened)
            feedback = read_feedback(opened)
            frames = {table: _between(cache.load(table), since, until) for table in _TABLES}
    finally:
        opened.close()
    return LogFrames(predictions=frames["predictions"], requests=frames["requests"], feedback=feedback,
                     log=opened.shown, new_predictions=new["predictions"], new_requests=new["requests"])


def _check_exists(log: str, root: Path) -> None:
    """A log named by path must exist: reviewing a mistyped path would create an empty log."""
    url = log_url_of(log, root=root)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        raise PredictionLogError(f"there is no prediction log at {url.database}", url=str(url.database),
                                 hint="check the path given with --log (a relative path is read from the project "
                                      "folder), or leave --log out to review the project's own log")


def _between(frame: pd.DataFrame, since: Any, until: Any) -> pd.DataFrame:
    if frame.empty or (since is None and until is None):
        return frame
    keep = pd.Series(True, index=frame.index)
    if since is not None:
        keep &= frame["timestamp"] >= pd.Timestamp(utc_text(since))
    if until is not None:
        keep &= frame["timestamp"] < pd.Timestamp(utc_text(until))
    return frame[keep].reset_index(drop=True)


class _Cache:
    """Parsed parts of one log, in commit order, and the boundary they reach."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state_file = folder / "watermark.json"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One review at a time updates the cache (another waits, then finds it current)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def state(self) -> dict[str, Any]:
        if not self.state_file.is_file():
            return {"boundary": dict.fromkeys(_TABLES, 0), "parts": {t: [] for t in _TABLES}}
        return dict(json.loads(self.state_file.read_text()))

    def catch_up(self, log: PredictionLog) -> dict[str, int]:
        """Read the rows committed since the cached boundary; returns how many of each were new."""
        state, upto = self.state(), log.boundary()
        if any(upto[t] < state["boundary"][t] for t in _TABLES):  # the log was cut back: start again
            state = {"boundary": dict.fromkeys(_TABLES, 0), "parts": {t: [] for t in _TABLES}}
        readers = {"predictions": read_prediction_log, "requests": read_requests}
        new = dict.fromkeys(_TABLES, 0)
        for table in _TABLES:
            span = (int(state["boundary"][table]), int(upto[table]))
            if span[1] > span[0]:
                frame = readers[table](log, span=span)
                new[table] = len(frame)
                state["parts"][table].append(self._write(f"{table}-{span[0]}-{span[1]}.pkl", frame))
        state["boundary"] = upto
        for table in _TABLES:
            if len(state["parts"][table]) > _MAX_PARTS:
                state["parts"][table] = [self._write(f"{table}-0-{upto[table]}.pkl", self.load(table, state))]
        self._save(state)
        return new

    def load(self, table: str, state: dict[str, Any] | None = None) -> pd.DataFrame:
        """Every cached row of ``table``, in the order the log's readers give."""
        names = (state or self.state())["parts"][table]
        frames = [pd.read_pickle(self.folder / name) for name in names]
        frames = [f for f in frames if not f.empty]
        if not frames:
            return _empty(table)
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        order = ["timestamp", "request_id", "row"] if table == "predictions" else ["timestamp"]
        return frame.sort_values(order, kind="stable", ignore_index=True)

    def _write(self, name: str, frame: pd.DataFrame) -> str:
        temporary = self.folder / f".{name}.tmp"
        frame.to_pickle(temporary, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.folder / name)
        return name

    def _save(self, state: dict[str, Any]) -> None:
        temporary = self.folder / ".watermark.tmp"
        temporary.write_text(json.dumps(state))
        os.replace(temporary, self.state_file)
        listed = {name for names in state["parts"].values() for name in names}
        for part in self.folder.glob("*.pkl"):
            if part.name not in listed:
                part.unlink(missing_ok=True)


def _empty(table: str) -> pd.DataFrame:
    columns = {"predictions": ["request_id", "row", "timestamp", "model_name", "model_version", "variant",
                               "prediction", "probability", "probabilities"],
               "requests": ["request_id", "timestamp", "status_code", "latency_ms", "n_rows", "variant",
                            "model_name", "model_version", "error", "replica"]}[table]
    frame = pd.DataFrame(columns=columns)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame

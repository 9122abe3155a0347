"""Turning what a caller sends (a DataFrame, JSON records, a dict of columns) into one frame."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from workbench.develop._notes import Notes, type_name
from workbench.exceptions import InputError

_ACCEPTED = "a pandas DataFrame, a list of JSON records (objects) or a dict of columns"


def row_count(data: Any) -> int:
    """How many rows ``data`` holds, without building a frame (for the batch-size cap)."""
    if isinstance(data, pd.DataFrame | list | tuple):
        return len(data)
    if isinstance(data, dict):
        if data and all(isinstance(v, list | tuple | np.ndarray | pd.Series) for v in data.values()):
            return max(len(v) for v in data.values())
        return 1
    raise InputError(
        f"Cannot read model input of type {type(data).__name__}.",
        problems=[{"row": None, "field": None, "error": f"expected {_ACCEPTED}"}],
        hint=f"Pass {_ACCEPTED}.",
    )


class Source:
    """The columns of the input, read on demand as numpy arrays."""

    def __init__(self, names: list[str], n_rows: int, read: Any) -> None:
        self.names, self.n_rows, self._read = names, n_rows, read

    def column(self, name: str) -> np.ndarray:
        return self._read(name)


def to_source(data: Any, notes_for: Any) -> tuple[Source, Notes]:
    """The input as a :class:`Source`, and the notes to fill.

    ``notes_for(n_rows)`` makes the :class:`Notes`; records that are not JSON objects are
    recorded as problems of their row and read as empty records.
    """
    if isinstance(data, pd.DataFrame):
        frame = data
        names = [str(c) for c in frame.columns]
        if names != list(frame.columns):
            frame = frame.set_axis(names, axis=1)
        return Source(names, len(frame), lambda name: frame[name].to_numpy()), notes_for(len(frame))
    if isinstance(data, dict):
        if row_count(data) == 1 and not all(isinstance(v, list | tuple) for v in data.values()):
            data = [data]
        else:
            return _from_columns(data, notes_for)
    records = data if isinstance(data, list) else list(data)
    notes = notes_for(len(records))
    is_record = np.fromiter((type(r) is dict for r in records), dtype=bool, count=len(records))
    if not is_record.all():
        notes.problem(~is_record, None, lambda rows: [f"a record must be a JSON object, got {type_name(records[i])}" for i in rows])
        records = [r if ok else {} for r, ok in zip(records, is_record.tolist(), strict=True)]
    names = list(dict.fromkeys(k for r in records for k in r)) if len(records) > 1 else list(records[0]) if records else []
    return Source([str(n) for n in names], len(records), lambda name: _values(records, name)), notes


def _values(records: list[dict], name: str) -> np.ndarray:
    """One column of JSON records (the transposition every records reader does)."""
    values = np.empty(len(records), dtype=object)
    values[:] = [r.get(name) for r in records]
    return values


def _from_columns(data: dict, notes_for: Any) -> tuple[Source, Notes]:
    lengths = {len(v) for v in data.values()}
    if len(lengths) > 1:
        raise InputError(
            f"The columns have different lengths ({', '.join(map(str, sorted(lengths)))}).",
            problems=[{"row": None, "field": None, "error": "columns of different lengths"}],
            hint="Send every column with one value per row.",
        )
    frame = pd.DataFrame({str(k): list(v) for k, v in data.items()})
    return to_source(frame, notes_for)


def duplicated_columns(names: list[str]) -> list[str]:
    counts = Counter(names)
    return sorted(n for n, count in counts.items() if count > 1)

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
        if data and all(_is_column(v) for v in data.values()):
            return max(len(v) for v in data.values())
        return 1
    raise InputError(
        f"Cannot read model input of type {type(data).__name__}.",
        problems=[{"row": None, "field": None, "error": f"expected {_ACCEPTED}"}],
        hint=f"Pass {_ACCEPTED}.",
    )


def _is_column(value: Any) -> bool:
    """A dict value that holds a column (a list, tuple, Series or 1-D array) rather than one value."""
    return isinstance(value, list | tuple | pd.Series) or (isinstance(value, np.ndarray) and value.ndim == 1)


class Source:
    """The columns of the input, read on demand as numpy arrays.

    ``absent(name)`` marks the records of a batch that lack the key ``name`` while others have
    it (None for frames and column dicts, where every row has every column).
    """

    def __init__(self, names: list[str], n_rows: int, read: Any, absent: Any = None) -> None:
        self.names, self.n_rows, self._read, self._absent = names, n_rows, read, absent

    def column(self, name: str) -> np.ndarray:
        return self._read(name)

    def absent(self, name: str) -> np.ndarray | None:
        return None if self._absent is None else self._absent(name)


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
        if data and not all(_is_column(v) for v in data.values()):
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
    # A record with as many keys as the batch has columns lacks none of them.
    uneven = len(records) > 1 and any(len(r) != len(names) for r in records)
    return Source([str(n) for n in names], len(records), lambda name: _values(records, name),
                  (lambda name: _absent(records, name)) if uneven else None), notes


def _absent(records: list[dict], name: str) -> np.ndarray:
    """Which records lack the key ``name`` (the union of keys names the batch's columns)."""
    return np.fromiter((name not in r for r in records), dtype=bool, count=len(records))


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

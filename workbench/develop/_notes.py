"""What preparing a batch found: per-row warnings and per-field problems, collected by mask.

Checks run on whole columns; each records the positions it flagged and one message per
flagged position (or one message for all of them). Only flagged positions are ever visited
one by one, so a clean batch costs no per-row Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

MAX_PROBLEMS = 1000
_REPR_CHARS = 60

Messages = str | Sequence[str] | Callable[[np.ndarray], Sequence[str]]


def short_repr(value: Any) -> str:
    """``repr(value)`` cut to a readable length (a 1 MB string stays a short message)."""
    if isinstance(value, str | bytes) and len(value) > _REPR_CHARS:
        return f"{value[:_REPR_CHARS]!r}… ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= _REPR_CHARS else text[:_REPR_CHARS] + "…"


def type_name(value: Any) -> str:
    """How a JSON user would name the type of ``value``."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


class Notes:
    """Warnings (input repaired or suspicious) and problems (input refused) of one batch."""

    def __init__(self, n_rows: int) -> None:
        self.n_rows = n_rows
        self._warnings: list[tuple[np.ndarray, Sequence[str]]] = []
        self._problems: list[tuple[np.ndarray, str | None, Sequence[str]]] = []

    @staticmethod
    def _resolve(mask: np.ndarray, messages: Messages) -> tuple[np.ndarray, Sequence[str]]:
        rows = np.flatnonzero(mask)
        if not rows.size:
            return rows, ()
        if isinstance(messages, str):
            return rows, [messages] * rows.size
        return rows, list(messages(rows) if callable(messages) else messages)

    def warn(self, mask: np.ndarray, messages: Messages) -> None:
        """Attach a warning to every row where ``mask`` is true."""
        rows, texts = self._resolve(mask, messages)
        if rows.size:
            self._warnings.append((rows, texts))

    def problem(self, mask: np.ndarray, field: str | None, messages: Messages) -> None:
        """Refuse every row where ``mask`` is true, naming ``field`` and the error."""
        rows, texts = self._resolve(mask, messages)
        if rows.size:
            self._problems.append((rows, field, texts))

    def bad_rows(self) -> np.ndarray:
        """A boolean mask of the rows with at least one problem."""
        mask = np.zeros(self.n_rows, dtype=bool)
        for rows, _, _ in self._problems:
            mask[rows] = True
        return mask

    def warnings(self) -> list[list[str]]:
        """One list of warnings per row, in the order the checks ran."""
        per_row: list[list[str]] = [[] for _ in range(self.n_rows)]
        for rows, texts in self._warnings:
            for row, text in zip(rows.tolist(), texts, strict=True):
                per_row[row].append(text)
        return per_row

    def problems(self, limit: int = MAX_PROBLEMS) -> list[dict[str, Any]]:
        """Every problem as ``{row, field, error}``, by row (at most ``limit``)."""
        found = [
            {"row": row, "field": field, "error": text}
            for rows, field, texts in self._problems
            for row, text in zip(rows.tolist(), texts, strict=True)
        ]
        found.sort(key=lambda p: p["row"])
        return found[:limit]

    def problem_count(self) -> int:
        return sum(rows.size for rows, _, _ in self._problems)

"""What ``workbench init --data`` found and wrote: a record the CLI prints and the panel shows."""

from __future__ import annotations

import dataclasses
import shlex
from typing import Any

from workbench.scaffold.columns import ColumnNote

__all__ = ["InitSummary"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class InitSummary:
    """The data a project was made from, what was inferred from it, and where it went.

    ``sensitive`` maps each sensitive column to its groups' row counts (labels as text);
    ``notes`` say why each ID or dropped column is not a feature.
    """

    root: str
    name: str
    source: str
    rows: int
    columns: int
    training_rows: int
    production_rows: int
    data_path: str
    production_path: str
    target: str
    task: str
    task_inferred: bool
    target_description: str
    positive_label: Any
    sensitive: dict[str, dict[str, int]]
    time_column: str | None
    id_columns: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    notes: tuple[ColumnNote, ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["notes"] = [n.to_dict() for n in self.notes]
        for key in ("id_columns", "numeric", "categorical"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InitSummary:
        values = dict(data)
        values["notes"] = tuple(ColumnNote.from_dict(n) for n in data.get("notes", ()))
        for key in ("id_columns", "numeric", "categorical"):
            values[key] = tuple(data.get(key, ()))
        return cls(**values)

    @property
    def dropped(self) -> tuple[ColumnNote, ...]:
        return tuple(n for n in self.notes if n.column not in self.id_columns)

    def next_command(self, directory: str | None = None) -> str:
        """The commands that run the six phases on the new project."""
        folder = shlex.quote(directory or self.root)
        return (f"cd {folder} && for nb in notebooks/0*.ipynb; do workbench approve \"$nb\" --comment "
                "\"first run\"; done && workbench run lifecycle")

    def to_text(self, directory: str | None = None) -> str:
        """The lines ``workbench init --data`` prints."""
        how = "inferred from its values; pass --task to choose" if self.task_inferred else "as given"
        lines = [
            f"Read {self.source}: {self.rows:,} rows, {self.columns} columns.",
            f"Target:      '{self.target}', {self.task} ({how}): {self.target_description}.",
        ]
        if self.positive_label is not None:
            lines.append(f"Positive:    {self.positive_label!r} (pass --positive-label to choose another class).")
        lines.append(f"Features:    {len(self.numeric)} numeric, {len(self.categorical)} categorical.")
        lines.append(self._sensitive_line())
        lines.append(f"Time column: '{self.time_column}'." if self.time_column else
                     "Time column: none (pass --time-column COL to hold out the latest rows instead).")
        lines += [f"Note:        {note.message}" for note in self.notes]
        lines += [
            f"Held out:    {self.production_rows:,} rows as production traffic in {self.production_path} "
            f"({'the latest by time' if self.time_column else 'a seeded random share'}); "
            f"{self.training_rows:,} training rows in {self.data_path}.",
            f"Created project '{self.name}' in {self.root} ({self.seconds:.1f} s).",
            "To do:       write what the model is for and its limitations in workbench.toml "
            "([package] intended_use, limitations): the Package gate fails until you do.",
            f"Next:        {self.next_command(directory)}",
            "             (or open the notebooks in order: jupyter lab)",
        ]
        return "\n".join(lines)

    def _sensitive_line(self) -> str:
        if not self.sensitive:
            return ("Sensitive:   none: the fairness review is not applicable "
                    "(pass --sensitive COL to review a protected attribute).")
        parts = []
        for column, groups in self.sensitive.items():
            shown = ", ".join(f"{label} ({count:,})" for label, count in list(groups.items())[:6])
            parts.append(f"'{column}' with {len(groups)} groups: {shown}{' ...' if len(groups) > 6 else ''}")
        return "Sensitive:   " + "; ".join(parts) + "; left out of the model's inputs."

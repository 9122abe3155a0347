"""Two model versions side by side: what changed in metrics, fairness, drivers and data.

Each version's reports are the ones its source run logged (read through the tracker, never
recomputed); a report its run did not log is shown as "not run yet". The data row compares the
data fingerprint tagged on each source run: it says whether the model was trained on other data.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from workbench._io import write_text
from workbench.stakeholder.pack import (
    NOT_RUN,
    resolve_version,
    run_reports,
    version_run_id,
    version_run_reports,
)

COMPARED = ("metrics", "fairness", "explanation")
TITLES = {
    "metrics": "Performance",
    "fairness": "Fairness disparities",
    "explanation": "Top drivers",
    "data": "Training data",
}


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Rows ``item, v1, v2, change`` per compared section, for two resolved versions."""

    v1: str
    v2: str
    labels: tuple[str, str]
    sections: dict[str, list[dict[str, Any]]]

    def data_changed(self) -> bool | None:
        """Whether the two versions were trained on different data (None when unknown)."""
        [row] = self.sections["data"]
        return None if row["change"] == "unknown" else row["change"] == "changed"


def version_reports(project: Any, version: str | int) -> dict[str, Any]:
    """The compared reports logged by the run that produced registered model ``version``."""
    return version_run_reports(project, version, COMPARED)


def _values(name: str, report: Any) -> dict[str, float]:
    if report is None:
        return {}
    if name == "metrics":
        return dict(report.metrics)
    if name == "fairness":
        return dict(report.disparities)
    if name == "explanation":
        return dict(list(report.importance_by_column().items())[:10])
    return {}


def compare_rows(name: str, old: Any, new: Any) -> list[dict[str, Any]]:
    """Rows ``item, v1, v2, change`` for one report kind (empty when both are missing)."""
    a, b = _values(name, old), _values(name, new)
    rows = []
    for key in list(dict.fromkeys([*a, *b])):
        va, vb = a.get(key), b.get(key)
        change = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        rows.append(
            {
                "item": key,
                "v1": va if va is not None else NOT_RUN,
                "v2": vb if vb is not None else NOT_RUN,
                "change": change,
            }
        )
    return rows


def data_row(old: str | None, new: str | None) -> dict[str, Any]:
    """The training data row: each run's data fingerprint and whether it changed."""
    change = "unknown" if old is None or new is None else "same" if old == new else "changed"
    return {
        "item": "data fingerprint",
        "v1": _short(old) if old else "not recorded",
        "v2": _short(new) if new else "not recorded",
        "change": change,
    }


def _short(tag: str) -> str:
    kind, _, digest = tag.partition(":")
    return f"{kind}:{digest[:16]}" if digest else tag[:24]


def _run_fingerprint(tracker: Any, run_id: str) -> str | None:
    """The data fingerprint tagged on run ``run_id`` (None when not recorded, or without a run)."""
    from workbench.tracking import TAG

    if not run_id:
        return None
    return tracker.client.get_run(run_id).data.tags.get(TAG + "data_fingerprint")


def compare(project: Any, v1: str | int, v2: str | int) -> Comparison:
    """Compare registered model versions ``v1`` and ``v2`` (numbers, aliases or ``models:/`` URIs)."""
    from workbench.tracking import Tracker

    tracker = Tracker(project)
    n1, n2 = resolve_version(project, v1), resolve_version(project, v2)
    run1, run2 = version_run_id(project, n1), version_run_id(project, n2)  # each looked up once
    old, new = run_reports(tracker, run1, COMPARED), run_reports(tracker, run2, COMPARED)
    found = {name: compare_rows(name, old[name], new[name]) for name in COMPARED}
    found["data"] = [data_row(_run_fingerprint(tracker, run1), _run_fingerprint(tracker, run2))]
    labels = (_label(v1, n1), _label(v2, n2))
    return Comparison(n1, n2, labels, found)


def _label(asked: str | int, number: str) -> str:
    return f"version {number}" if str(asked).strip() == number else f"{asked} (version {number})"


def comparison_text(result: Comparison) -> str:
    """The comparison as plain text, for the terminal."""
    lines = [f"Model {result.labels[0]} vs {result.labels[1]}"]
    for name, rows in result.sections.items():
        lines.append(f"\n{TITLES[name]}:")
        if not rows:
            lines.append(f"  {NOT_RUN}")
        for row in rows:
            change = row["change"]
            shown = f"{change:+.4f}" if isinstance(change, float) else "" if change is None else str(change)
            lines.append(f"  {row['item']:<36} {_cell(row['v1']):>18} {_cell(row['v2']):>18}  {shown}")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def comparison_html(result: Comparison) -> str:
    """The comparison as a self-contained page (tables only, no script)."""
    from workbench.render.html import page, section, table, text

    parts = []
    for name, rows in result.sections.items():
        parts.append(section(TITLES[name], table(rows) if rows else text(NOT_RUN, css="wb-missing")))
    changed = result.data_changed()
    if changed is not None:
        parts.append(text("The training data changed between the two versions." if changed
                          else "Both versions were trained on the same data."))
    heading = f"Model {result.labels[0]} vs {result.labels[1]}"
    return page(heading, section(heading, *parts, level=1))


def write_comparison(project: Any, result: Comparison, out: Path | str | None = None) -> Path:
    """Write ``compare.html`` into ``out`` (default ``.workbench/compare/V1-vs-V2``); return its path."""
    folder = Path(out) if out is not None else Path(project.state_dir) / "compare" / f"{result.v1}-vs-{result.v2}"
    folder.mkdir(parents=True, exist_ok=True)
    return write_text(folder / "compare.html", comparison_html(result))


def compare_versions(project: Any, v1: str | int, v2: str | int, out: Path | str | None = None) -> Path:
    """Write ``compare.html`` (side by side: metrics, fairness, drivers, data) and return its path.

    Parameters
    ----------
    project : Project
        The project whose registered model versions are compared.
    v1, v2 : str or int
        Registered model versions, aliases (``champion``) or ``models:/`` URIs.
    out : path, optional
        Folder to write (default ``.workbench/compare/V1-vs-V2`` in the project).
    """
    return write_comparison(project, compare(project, v1, v2), out)

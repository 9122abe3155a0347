"""Two model versions side by side: what changed in metrics, fairness, drivers and data.

Each version's reports are the ones its source run logged (read through the tracker, never
recomputed); a report its run did not log is shown as "not run yet".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench._io import write_text
from workbench.stakeholder.pack import NOT_RUN, version_run_reports

COMPARED = ("metrics", "fairness", "explanation", "profile")


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


def compare_versions(project: Any, v1: str | int, v2: str | int, out: Path | str) -> Path:
    """Write ``compare.html`` (side by side: metrics, fairness, drivers, data) into ``out``.

    Parameters
    ----------
    project : Project
        The project whose registered model versions are compared.
    v1, v2 : str or int
        Registered model versions.
    out : path
        Folder to write; returns the page path.
    """
    from workbench.render.html import page, section, table, text

    old, new = version_reports(project, v1), version_reports(project, v2)
    titles = {
        "metrics": "Performance",
        "fairness": "Fairness disparities",
        "explanation": "Top drivers",
        "profile": "Data",
    }
    parts = []
    for name in COMPARED:
        if old[name] is None and new[name] is None:
            parts.append(section(titles[name], text(NOT_RUN)))
        elif name == "profile":
            summaries = [
                {"version": v, "data": r.summary() if r else NOT_RUN}
                for v, r in ((v1, old[name]), (v2, new[name]))
            ]
            parts.append(section(titles[name], table(summaries)))
        else:
            parts.append(section(titles[name], table(compare_rows(name, old[name], new[name]))))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "compare.html"
    write_text(
        target,
        page(f"Version {v1} vs {v2}", section(f"Model version {v1} vs {v2}", *parts, level=1)),
    )
    return target

"""Offline evidence pack: a self-contained folder of the logged reports, readable without code.

Reads what other phases logged (``.workbench/reports/<name>.json``, gates via the tracker, the
promotion, alert and approval logs); never recomputes. A missing source is shown as "not run yet".
"""

from __future__ import annotations

import html as _html
import importlib
from pathlib import Path
from typing import Any

from workbench._io import write_text
from workbench.reports.base import Report, load_report

#: Report names logged by the phase notebooks, in the order stakeholders read them.
REPORT_NAMES = (
    "metrics",
    "fairness",
    "explanation",
    "drift",
    "monitor",
    "profile",
    "schema",
    "validation",
)
NOT_RUN = "not run yet"

# (section title, module, function) of the durable logs kept by other areas
LOGS = (
    ("Production history", "workbench.deploy", "alias_history"),
    ("Alert history", "workbench.monitor", "alert_history"),
    ("Approvals", "workbench.pipelines", "approval_states"),
)


def load_latest_reports(project: Any) -> dict[str, Report | None]:
    """The latest copy of each logged report (None when that report was not logged yet)."""
    found: dict[str, Report | None] = {}
    for name in REPORT_NAMES:
        path = project.state_dir / "reports" / f"{name}.json"
        found[name] = load_report(path) if path.is_file() else None
    return found


def read_log(module: str, function: str, project: Any) -> list[dict[str, Any]] | None:
    """Rows of another area's durable log, or None while that area's function does not exist."""
    try:
        fn = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError):
        return None
    rows = []
    for item in fn(project):
        rows.append(
            item.to_dict()
            if hasattr(item, "to_dict")
            else dict(item)
            if isinstance(item, dict)
            else vars(item)
        )
    return rows


def build_evidence_pack(project: Any, out: Path | str) -> Path:
    """Write the evidence pack for ``project`` into ``out`` and return the index page path.

    Parameters
    ----------
    project : Project
        The workbench project whose logged reports are collected.
    out : path
        Folder to write (created); holds ``index.html``, one page per report, ``plotly.min.js``.
    """
    from plotly.offline import get_plotlyjs

    from workbench.render.html import page, section, table, text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "plotly.min.js", get_plotlyjs())
    items = []
    for name, report in load_latest_reports(project).items():
        if report is None:
            items.append(f"<li>{_html.escape(name)}: <em class='wb-missing'>{NOT_RUN}</em></li>")
            continue
        write_text(out / f"{name}.html", report.to_html(full_page=True, plotlyjs="directory"))
        write_text(out / f"{name}.json", report.to_json(indent=1))
        items.append(
            f"<li><a href='{name}.html'>{_html.escape(report.title)}</a> — {_html.escape(report.summary())}</li>"
        )
    parts = [section("Reports", "<ul>" + "".join(items) + "</ul>")]
    card = project.root / "model_card.html"
    parts.append(
        section(
            "Model card",
            text(NOT_RUN) if not card.is_file() else "<a href='model_card.html'>model card</a>",
        )
    )
    if card.is_file():
        write_text(out / "model_card.html", card.read_text(encoding="utf-8"))
    for title, module, function in LOGS:
        rows = read_log(module, function, project)
        parts.append(section(title, text(NOT_RUN) if not rows else table(rows)))
    index = out / "index.html"
    write_text(
        index,
        page(
            f"Evidence pack — {project.config.model_name}",
            section("Evidence pack", *parts, level=1),
        ),
    )
    return index


def sections(project: Any) -> list[tuple[str, str]]:
    """``(title, html fragment)`` per stakeholder section, for the Voila dashboard (code hidden).

    Each fragment is the report's own rendering (plotly.js sent once) or states "not run yet".
    """
    from workbench.render.html import section, table, text

    titles = {
        "metrics": "Performance against the baseline",
        "fairness": "Fairness by group",
        "explanation": "Top drivers",
        "drift": "Drift status",
        "monitor": "Monitoring",
    }
    found = load_latest_reports(project)
    out = []
    for name, title in titles.items():
        report = found[name]
        body = (
            text(NOT_RUN, css="wb-missing")
            if report is None
            else report.to_html(full_page=False, plotlyjs="once")
        )
        out.append((title, section(title, body)))
    for title, module, function in LOGS:
        rows = read_log(module, function, project)
        out.append(
            (title, section(title, text(NOT_RUN, css="wb-missing") if not rows else table(rows)))
        )
    return out

"""Offline evidence pack: a self-contained folder of the logged reports, readable without code.

Reads what other phases logged (``.workbench/reports/<name>.json``, gates via the tracker, the
promotion, alert and approval logs); never recomputes. The pack holds aggregates only: its copies of
the reports leave out row-level values (see :mod:`workbench.stakeholder.aggregate`). A missing source is shown as "not run yet",
a broken one as unreadable.
"""

from __future__ import annotations

import dataclasses
import html as _html
import importlib
from pathlib import Path
from typing import Any

from workbench._io import write_text
from workbench.exceptions import ReportError
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


@dataclasses.dataclass(frozen=True)
class Unreadable:
    """A report file that exists but cannot be read (corrupt, or from an incompatible version)."""

    name: str
    error: str

    def html(self) -> str:
        from workbench.render.html import text

        return text(f"unreadable ({self.error}); run the phase's notebook again to recompute it",
                    css="wb-missing")


def load_latest_reports(project: Any) -> dict[str, Report | Unreadable | None]:
    """The latest copy of each logged report (None when not logged yet, Unreadable when broken).

    One broken file never stops the pack or the dashboard: every other section still shows.
    """
    found: dict[str, Report | Unreadable | None] = {}
    for name in REPORT_NAMES:
        path = project.state_dir / "reports" / f"{name}.json"
        try:
            found[name] = load_report(path) if path.is_file() else None
        except (ReportError, ValueError, KeyError, TypeError) as err:
            found[name] = Unreadable(name, f"{type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}")
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


def resolve_version(project: Any, model: str | int) -> str:
    """A registered version number from ``3``, ``champion``, ``models:/name/3`` or ``models:/name@alias``."""
    from workbench.exceptions import TrackingError
    from workbench.tracking import Tracker

    text_ = str(model).strip()
    name = project.config.model_name
    if text_.startswith("models:/"):
        rest = text_[len("models:/"):]
        name, _, ref = rest.partition("@") if "@" in rest else rest.partition("/")
        text_ = ref if "@" not in rest else "@" + ref
    client = Tracker(project).client
    try:
        if text_.isdigit():
            return str(client.get_model_version(name, text_).version)
        return str(client.get_model_version_by_alias(name, text_.lstrip("@")).version)
    except Exception as err:
        missing = f"version {text_}" if text_.isdigit() else f"version or alias {text_!r}"
        raise TrackingError(
            f"Model {name!r} has no {missing}.",
            hint="pass a version number or an alias such as champion; `workbench history` lists them",
        ) from err


def version_run_id(project: Any, version: str | int) -> str:
    """The id of the run that produced registered model ``version`` (a number, alias or URI).

    Empty for a version registered from outside a run.
    """
    from workbench.exceptions import TrackingError
    from workbench.tracking import Tracker

    number = resolve_version(project, version)
    try:
        return str(Tracker(project).client.get_model_version(project.config.model_name, number).run_id or "")
    except Exception as err:
        raise TrackingError(
            f"Model {project.config.model_name!r} has no version {version}.",
            hint="see `workbench history`",
        ) from err


def version_run_reports(project: Any, version: str | int, names: tuple[str, ...] = REPORT_NAMES) -> dict[str, Report | None]:
    """The reports logged by the run that produced registered model ``version`` (None when missing)."""
    from workbench.tracking import Tracker

    return run_reports(Tracker(project), version_run_id(project, version), names)


def run_reports(tracker: Any, run_id: str, names: tuple[str, ...] = REPORT_NAMES) -> dict[str, Report | None]:
    """The reports ``names`` logged by run ``run_id`` (None when missing; all None without a run)."""
    from workbench.exceptions import TrackingError

    found: dict[str, Report | None] = dict.fromkeys(names)
    if not run_id:  # a version registered from outside a run has no reports
        return found
    for name in names:
        try:
            found[name] = tracker.load_report(run_id, name)
        except TrackingError:
            found[name] = None
    return found


def build_evidence_pack(project: Any, out: Path | str, *, model: str | int | None = None) -> Path:
    """Write the evidence pack for ``project`` into ``out`` and return the index page path.

    Parameters
    ----------
    project : Project
        The workbench project whose logged reports are collected.
    out : path
        Folder to write (created); holds ``index.html``, one page per report, ``plotly.min.js``.
    model : version, alias or ``models:/`` URI, optional
        Build the pack of that registered model version: the reports its source run logged;
        reports that run did not log (data, drift, monitoring) are the project's latest, marked so.
    """
    from plotly.offline import get_plotlyjs

    from workbench.render.html import page, section

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "plotly.min.js", get_plotlyjs())
    latest = load_latest_reports(project)
    version = None if model is None else resolve_version(project, model)
    own = {} if version is None else version_run_reports(project, version)
    items = []
    for name in REPORT_NAMES:
        report = own.get(name) or latest[name]
        note = " (project-wide, latest)" if version is not None and own.get(name) is None else ""
        items.append(_write_report(out, name, report, note))
    parts = _summary_sections(project, out)
    parts.append(section("Reports", "<ul>" + "".join(items) + "</ul>"))
    parts += [_log_section(title, module, function, project) for title, module, function in LOGS]
    label = project.config.model_name + (f" version {version}" if version else "")
    index = out / "index.html"
    write_text(index, page(f"Evidence pack — {label}", section(f"Evidence pack — {label}", *parts, level=1)))
    return index


def _write_report(out: Path, name: str, report: Report | Unreadable | None, note: str) -> str:
    if report is None:
        return f"<li>{_html.escape(name)}: <em class='wb-missing'>{NOT_RUN}</em></li>"
    if isinstance(report, Unreadable):
        return f"<li>{_html.escape(name)}: {report.html()}</li>"
    from workbench.render.html import page
    from workbench.stakeholder.aggregate import aggregate_only, spread_section

    kept = aggregate_only(report)
    body = kept.to_html(full_page=False, plotlyjs="none") + spread_section(report)
    write_text(out / f"{name}.html", page(report.title, body, plotly_script='<script src="plotly.min.js"></script>'))
    write_text(out / f"{name}.json", kept.to_json(indent=1))
    return (
        f"<li><a href='{name}.html'>{_html.escape(report.title)}</a>{_html.escape(note)} — "
        f"{_html.escape(report.summary())}</li>"
    )


def _summary_sections(project: Any, out: Path | None) -> list[str]:
    """Model card summary (with the card copied beside it) and the gate lights."""
    from workbench.render.html import section
    from workbench.stakeholder.summary import (
        CARD_FILES,
        card_path,
        card_summary_html,
        gate_lights_html,
    )

    link = None
    if out is not None:
        for name in CARD_FILES:
            source = card_path(project, name)
            if source is not None:
                write_text(out / name, source.read_text(encoding="utf-8"))
        link = "model_card.html" if (out / "model_card.html").is_file() else None
    status = _status(project)
    return [
        section("Model card", card_summary_html(project, link=link, status=status)),
        section("Gates", gate_lights_html(project, status=status)),
    ]


def _status(project: Any) -> Any:
    """The project's status, computed once for both summary sections (None: unreadable, each says so)."""
    from workbench.phases import project_status

    try:
        return project_status(project)
    except Exception:  # the tracking store is unreadable: the sections show the error themselves
        return None


def _log_section(title: str, module: str, function: str, project: Any) -> str:
    from workbench.render.html import section, table, text

    rows = read_log(module, function, project)
    return section(title, text(NOT_RUN, css="wb-missing") if not rows else table(rows))


def sections(project: Any) -> list[tuple[str, str]]:
    """``(title, html fragment)`` per stakeholder section, for the Voila dashboard (code hidden).

    Each fragment is the report's own rendering (plotly.js sent once) or states "not run yet".
    """
    from workbench.render.html import section, text

    titles = {
        "metrics": "Performance against the baseline",
        "fairness": "Fairness by group",
        "explanation": "Top drivers",
        "drift": "Drift status",
        "monitor": "Monitoring",
    }
    card, gates = _summary_sections(project, None)
    out = [("Model card", card), ("Gates", gates)]
    found = load_latest_reports(project)
    for name, title in titles.items():
        report = found[name]
        if report is None:
            body = text(NOT_RUN, css="wb-missing")
        elif isinstance(report, Unreadable):
            body = report.html()
        else:
            body = report.to_html(full_page=False, plotlyjs="once")
        out.append((title, section(title, body)))
    out += [(title, _log_section(title, module, function, project)) for title, module, function in LOGS]
    return out

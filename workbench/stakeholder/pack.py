"""Offline evidence pack: a self-contained folder of the logged reports, readable without code.

Reads what other phases logged (``.workbench/reports/<name>.json``, gates via the tracker, the
promotion, alert and approval logs); never recomputes. The pack holds aggregates only: its copies of
the reports leave out row-level values (see :mod:`workbench.stakeholder.aggregate`). A missing source is shown as "not run yet",
a broken one as unreadable.
"""

from __future__ import annotations

import dataclasses
import html as _html
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

    The index is the stakeholder page (:mod:`workbench.stakeholder.page`): the four answers, what
    changed, who approved and promoted the version, the figures folded, then links to one page
    per report and to the model card.

    Parameters
    ----------
    project : Project
        The workbench project whose logged reports are collected.
    out : path
        Folder to write (created); holds ``index.html``, one page per report, ``plotly.min.js``.
    model : version, alias or ``models:/`` URI, optional
        Build the pack of that registered model version (default: the one in production): the
        reports its source run logged; reports that run did not log (data, drift, monitoring)
        are the project's latest, marked so.
    """
    from plotly.offline import get_plotlyjs

    from workbench.deploy import alias_history
    from workbench.render.html import page
    from workbench.stakeholder.cache import sources_key, store_page
    from workbench.stakeholder.page import render_view
    from workbench.stakeholder.view import stakeholder_view

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
    items.append(_card_item(project, out))
    label = project.config.model_name + (f" version {version}" if version else "")
    links = "<ul class='wb-sh-links'>" + "".join(items) + "</ul>"
    key = sources_key(project.root) if model is None else None  # taken before the sources are read
    view, history = stakeholder_view(project, version=version), alias_history(project)
    body = render_view(view, history=history, links=links, kicker=f"Evidence pack — {label}")
    index = out / "index.html"
    write_text(index, page(f"Evidence pack — {label}", body))
    if model is None:  # the dashboard shows the same page: its first visitor need not wait for it
        store_page(project.root, render_view(view, history=history), key)
    return index


def _card_item(project: Any, out: Path) -> str:
    """The model card copied into the pack, named by the version it was written for."""
    from workbench.stakeholder.summary import CARD_FILES, card_path, read_card_summary

    for name in CARD_FILES:
        source = card_path(project, name)
        if source is not None:
            write_text(out / name, source.read_text(encoding="utf-8"))
    if not (out / "model_card.html").is_file():
        return f"<li>model card: <em class='wb-missing'>{NOT_RUN}</em></li>"
    version = (read_card_summary(project) or {}).get("version")
    which = f" of version {_html.escape(str(version))}, the last one packaged" if version else ""
    return f"<li><a href='model_card.html'>Model card</a>{which}</li>"


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
    return f"<li><a href='{name}.html'>{_html.escape(report.title)}</a>{_html.escape(note)}</li>"

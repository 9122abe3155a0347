"""The stakeholder page: four answers first, then what changed and who signed off, figures folded.

One layout serves the Voila dashboard (``notebooks/stakeholder.ipynb`` shows :func:`stakeholder_html`)
and the evidence pack's ``index.html`` (:func:`stakeholder_page`, with links to the pack's
report pages). The page is static HTML and CSS: no script, no charting library, so it is
readable as soon as it arrives.
"""

from __future__ import annotations

import html as _html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from workbench.stakeholder._details import (
    accuracy_details,
    checks_details,
    driver_details,
    fairness_details,
    history_details,
    production_details,
)

if TYPE_CHECKING:
    from workbench.project import Project
    from workbench.stakeholder.view import StakeholderView

__all__ = ["STYLE", "render_view", "stakeholder_html", "stakeholder_page"]

#: Accessible names of the lights (a screen reader and a colour-blind reader get words too).
LIGHT_WORDS = {"green": "Yes", "amber": "Not sure", "red": "No", "grey": "Not known"}

STYLE = """
.wb-sh{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2933;max-width:1100px;
  margin:0 auto;padding:8px 16px 24px;box-sizing:border-box;line-height:1.4}
.wb-sh *{box-sizing:border-box}
.wb-sh h1{font-size:1.45em;font-weight:600;margin:4px 0 2px}.wb-sh h2{font-size:1.1em;font-weight:600;margin:18px 0 6px}
.wb-sh h4{font-size:.95em;font-weight:600;margin:14px 0 4px}
.wb-sh-sub{color:#4b5563;margin:0 0 4px}
.wb-sh-answers{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px;margin:14px 0}
.wb-sh-answer{background:#fff;border:1px solid #e5e7eb;border-left-width:6px;border-radius:8px;padding:10px 14px;
  min-width:0;overflow-wrap:anywhere}
.wb-sh-answer h2{display:flex;align-items:center;gap:8px;margin:0 0 4px;font-size:1.05em;font-weight:600}
.wb-sh-answer p{margin:0}
.wb-sh-dot{flex:none;display:inline-block;width:16px;height:16px;border-radius:50%}
.wb-sh-green{border-left-color:#16a34a}.wb-sh-green .wb-sh-dot{background:#16a34a}
.wb-sh-amber{border-left-color:#d97706}.wb-sh-amber .wb-sh-dot{background:#d97706}
.wb-sh-red{border-left-color:#dc2626}.wb-sh-red .wb-sh-dot{background:#dc2626}
.wb-sh-grey{border-left-color:#9ca3af}.wb-sh-grey .wb-sh-dot{background:#9ca3af}
.wb-sh-columns{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px}
.wb-sh-columns section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:4px 14px 10px;min-width:0;
  overflow-wrap:anywhere}
.wb-sh-columns ul,.wb-sh-links{margin:4px 0;padding-left:18px}
.wb-sh-fold{background:#fff;border:1px solid #e5e7eb;border-radius:8px;margin:8px 0;padding:6px 14px;min-width:0}
.wb-sh-fold summary{cursor:pointer;font-weight:600}
.wb-sh .wb-card{overflow-x:auto;max-width:100%}
.wb-sh .wb-table{width:auto;min-width:50%}
.wb-sh .wb-table th{white-space:normal;vertical-align:bottom}
.wb-sh-charts{display:flex;flex-wrap:wrap;gap:8px}
.wb-sh-chart{margin:0;max-width:100%}.wb-sh-chart svg{max-width:100%;height:auto;font-size:10px;fill:#374151}
.wb-sh-chart .wb-sh-title{font-weight:600;font-size:11px}
.wb-sh-keys{display:flex;flex-wrap:wrap;gap:4px 10px;font-size:.8em}
.wb-sh-key{border-left:12px solid;padding-left:4px}
.wb-sh-bar{display:grid;grid-template-columns:minmax(0,12em) minmax(0,1fr) 3.5em;gap:8px;align-items:center;margin:2px 0}
.wb-sh-bar-name{overflow-wrap:anywhere}.wb-sh-bar-value{text-align:right;font-variant-numeric:tabular-nums}
.wb-sh-bar-track{background:#f3f4f6;height:12px;border-radius:3px}
.wb-sh-bar-track span{display:block;height:12px;background:#2563eb;border-radius:3px}
.wb-sh-checks{list-style:none;padding:0}.wb-sh-checks li{display:flex;gap:8px;align-items:baseline;margin:3px 0}
.wb-sh-checks .wb-light{flex:none;display:inline-block;width:10px;height:10px;border-radius:50%}
@media (max-width:760px){.wb-sh-answers,.wb-sh-columns{grid-template-columns:minmax(0,1fr)}}
"""


def render_view(view: StakeholderView, *, history: Sequence[dict[str, Any]] = (), links: str = "",
                kicker: str = "") -> str:
    """The page's HTML fragment (its own style included) for ``view``.

    ``history`` is the production alias's moves (:func:`workbench.deploy.alias_history`);
    ``links`` an HTML list of the evidence pack's report pages, shown last; ``kicker`` a line
    above the title (the evidence pack names itself there).
    """
    from workbench.render.html import fragment_style

    reports = view.reports
    parts = [
        f"<p class='wb-sh-sub'>{_html.escape(kicker)}</p>" if kicker else "",
        _header(view),
        "<div class='wb-sh-answers'>" + "".join(_answer(a) for a in view.answers) + "</div>",
        "<div class='wb-sh-columns'>",
        _list_section("What changed since the last version", view.changes),
        _list_section("Who approved and promoted it", view.sign_off),
        "</div>",
        "<h2>The figures behind the answers</h2>",
        accuracy_details(reports.get("metrics")),
        fairness_details(reports.get("fairness")),
        driver_details(reports.get("explanation")),
        production_details(reports.get("monitor"), reports.get("drift")),
        checks_details(view.gates, reports.get("fairness")),
        history_details(history),
    ]
    if links:
        parts.append(f"<h2>Full reports</h2>{links}")
    return f"{fragment_style()}<style>{STYLE}</style><div class='wb-sh'>{''.join(parts)}</div>"


def _header(view: StakeholderView) -> str:
    challenger = ""
    if view.challenger is not None:
        challenger = (f"<p class='wb-sh-sub'>A newer version, {_html.escape(view.challenger)}, is waiting as the "
                      "challenger: it is not in production, and this page does not describe it.</p>")
    return (f"<h1>{_html.escape(view.model)}: is the model in production fit for use?</h1>"
            f"<p class='wb-sh-sub'>{_html.escape(view.described)}.</p>{challenger}")


def _answer(answer: Any) -> str:
    word = LIGHT_WORDS[answer.light]
    return (f"<div class='wb-sh-answer wb-sh-{answer.light}' data-light='{answer.light}'>"
            f"<h2><span class='wb-sh-dot' role='img' aria-label='{word}' title='{word}'></span>"
            f"{_html.escape(answer.question)}</h2><p>{_html.escape(answer.sentence)}</p></div>")


def _list_section(title: str, lines: Sequence[str]) -> str:
    items = "".join(f"<li>{_html.escape(line)}</li>" for line in lines)
    return f"<section><h2>{_html.escape(title)}</h2><ul>{items}</ul></section>"


def stakeholder_html(project: Project, *, version: str | None = None, links: str = "", kicker: str = "") -> str:
    """The stakeholder page of ``project`` as an HTML fragment (the Voila dashboard shows it).

    ``version`` describes that registered version instead of the one in production; ``links``
    and ``kicker`` are the evidence pack's report list and its line above the title.
    """
    from workbench.deploy import alias_history
    from workbench.stakeholder.view import stakeholder_view

    view = stakeholder_view(project, version=version)
    return render_view(view, history=alias_history(project), links=links, kicker=kicker)


def stakeholder_page(project: Project, *, links: str = "") -> str:
    """The stakeholder page of ``project`` as a whole HTML document."""
    from workbench.render.html import page

    return page(f"{project.config.model_name}: model overview", stakeholder_html(project, links=links))

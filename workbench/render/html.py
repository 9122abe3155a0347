"""Static HTML renderings: self-contained pages and fragments built from report blocks.

A report kind ``K`` provides ``workbench.render.K.blocks(report) -> list[str]``; each block is
an HTML fragment made with the helpers here (:func:`figure`, :func:`table`, :func:`gates` ...).
Pages inline plotly.js once, so they open offline from disk with no network request.
"""

from __future__ import annotations

import html as _html
import importlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from workbench.reports.base import Report

__all__ = ["figure", "fragment_style", "gates", "key_values", "page", "render_report", "section", "table", "text"]

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2933;background:#f7f8fa}
.wb-page{max-width:1100px;margin:0 auto;padding:24px}
.wb-report{line-height:1.45;min-width:0;max-width:100%}
.wb-report h1{font-size:1.5em;margin:0 0 4px}.wb-report h2{font-size:1.15em;margin:24px 0 8px}
.wb-meta{color:#6b7280;font-size:.85em;margin-bottom:12px}
.wb-card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;margin:12px 0;overflow-x:auto;max-width:100%;box-sizing:border-box}
.wb-table{border-collapse:collapse;font-size:.85em;width:100%}
.wb-table th,.wb-table td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;line-height:1.35;vertical-align:top}
.wb-table th{background:#f3f4f6}.wb-table td.num{text-align:right;font-variant-numeric:tabular-nums}
.wb-gate{display:flex;gap:8px;align-items:center;margin:3px 0}
.wb-light{display:inline-block;width:12px;height:12px;border-radius:50%}
.wb-pass{background:#16a34a}.wb-fail{background:#dc2626}.wb-warn{background:#d97706}.wb-off{background:#9ca3af}
.wb-kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:.9em}
.wb-kv dt{color:#6b7280;white-space:nowrap}.wb-kv dd{margin:0;min-width:0;overflow-wrap:anywhere}
.widget-html-content:has(> .wb-widget){flex:1 1 auto;min-width:0;max-width:100%}
.wb-widget{font-size:13px;color:#1f2933;width:100%;box-sizing:border-box;overflow-x:auto}.wb-widget .wb-card{margin:8px 0}.wb-widget .wb-table{width:auto;min-width:60%}
.wb-widget .wb-table th,.wb-widget .wb-table td{white-space:nowrap}
.wb-warning{color:#92400e;background:#fffbeb;border-left:3px solid #d97706;padding:4px 8px;margin:4px 0}
"""

_plotlyjs_sent = False  # a kernel needs plotly.js only once across displayed fragments


def render_report(report: Report, *, full_page: bool = True, plotlyjs: str = "inline") -> str:
    """Render ``report`` as a page (or fragment).

    ``plotlyjs``: ``"inline"`` embeds plotly.js (offline, ~4.6 MB), ``"once"`` embeds it only the
    first time in this process (notebook outputs), ``"directory"`` loads ``plotly.min.js`` beside
    the page (evidence packs), ``"none"`` leaves it to the host page.
    """
    body = section(report.title, *_blocks(report), level=1)
    meta = f'<div class="wb-meta">{_html.escape(report.kind)} report · {_html.escape(report.created_at)}</div>'
    content = f'<div class="wb-report">{meta}{body}</div>'
    script = _plotly_script(plotlyjs)
    if not full_page:
        return f"<style>{_STYLE}</style>{script}{content}"
    return page(report.title, content, plotly_script=script)


def page(title: str, content: str, *, plotly_script: str = "") -> str:
    """A complete HTML document around ``content``."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_html.escape(title)}</title>"
        f"<style>{_STYLE}</style>{plotly_script}</head><body><div class='wb-page'>{content}</div></body></html>\n"
    )


def _plotly_script(mode: str) -> str:
    global _plotlyjs_sent
    if mode == "none" or (mode == "once" and _plotlyjs_sent):
        return ""
    if mode == "directory":
        return '<script src="plotly.min.js"></script>'
    if mode not in ("inline", "once"):
        raise ValueError(f"plotlyjs must be inline, once, directory or none, not {mode!r}")
    from plotly.offline import get_plotlyjs

    _plotlyjs_sent = True
    return f'<script type="text/javascript">{get_plotlyjs()}</script>'


def _blocks(report: Report) -> list[str]:
    try:
        module = importlib.import_module(f"workbench.render.{report.kind}")
    except ModuleNotFoundError as err:
        if err.name != f"workbench.render.{report.kind}":
            raise
        return [f"<pre>{_html.escape(json.dumps(report.to_dict(), indent=2))}</pre>"]
    return list(module.blocks(report))


def fragment_style() -> str:
    """The report classes' CSS (lights, cards, tables) without the page's own rules, for widget HTML."""
    rules = [line for line in _STYLE.strip().splitlines() if not line.startswith("body")]
    return "<style>" + "".join(rules) + "</style>"


def section(title: str, *parts: str, level: int = 2) -> str:
    """A titled section holding ``parts``."""
    return f"<section><h{level}>{_html.escape(title)}</h{level}>{''.join(parts)}</section>"


def text(content: str, *, css: str = "") -> str:
    """A paragraph of escaped text."""
    cls = f' class="{css}"' if css else ""
    return f"<p{cls}>{_html.escape(content)}</p>"


def figure(fig: go.Figure, *, div_id: str | None = None) -> str:
    """A plotly figure as a fragment that expects plotly.js on the page."""
    return '<div class="wb-card">' + fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False}
    ) + "</div>"


def table(rows: Sequence[Mapping[str, Any]], *, columns: Sequence[str] | None = None, max_rows: int = 200) -> str:
    """An HTML table of ``rows`` (dicts); numbers right-aligned and shortened."""
    if not rows:
        return text("(none)")
    columns = list(columns or rows[0].keys())
    head = "".join(f"<th>{_html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(_cell(row.get(c)) for c in columns) + "</tr>" for row in list(rows)[:max_rows]
    )
    more = text(f"… {len(rows) - max_rows} more rows") if len(rows) > max_rows else ""
    return f'<div class="wb-card"><table class="wb-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}</div>'


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return f"<td>{'' if value is None else value}</td>"
    if isinstance(value, float):  # an undefined figure shows as a dash, never as "nan"
        return f'<td class="num">{value:.4g}</td>' if math.isfinite(value) else '<td class="num">–</td>'
    if isinstance(value, int):
        return f'<td class="num">{value}</td>'
    return f"<td>{_html.escape(str(value))}</td>"


def key_values(items: Mapping[str, Any]) -> str:
    """A definition list of label → value."""
    rows = "".join(
        f"<dt>{_html.escape(str(k))}</dt><dd>{_html.escape(_short(v))}</dd>" for k, v in items.items()
    )
    return f'<div class="wb-card"><dl class="wb-kv">{rows}</dl></div>'


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def gates(results: Iterable[Any]) -> str:
    """Gate lights: one line per gate result (objects or dicts with passed/reason)."""
    lines = []
    for result in results:
        passed = result["passed"] if isinstance(result, Mapping) else result.passed
        reason = result["reason"] if isinstance(result, Mapping) else result.reason
        css = "wb-pass" if passed else "wb-fail"
        word = "PASS" if passed else "FAIL"
        lines.append(
            f'<div class="wb-gate"><span class="wb-light {css}" title="{word}"></span>'
            f"<strong>{word}</strong> {_html.escape(reason)}</div>"
        )
    return '<div class="wb-card">' + "".join(lines) + "</div>" if lines else text("No gates.")


def warnings(messages: Iterable[str]) -> str:
    """Warnings, each on its own highlighted line."""
    return "".join(f'<div class="wb-warning">{_html.escape(m)}</div>' for m in messages)

"""Driving report widgets in JupyterLab: run a cell and time its drawing, walk every tab and picker.

Used by the browser test (which asserts) and ``benchmarks/widgets.py`` (which prints figures).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .checks import CHECKS_JS

#: Watches code cell ``index``: resolves with the times (ms from the call) its execution
#: finished and its widget was drawn (every visible chart of the widget drawn).
WATCH_JS = """
(index) => { window.__drawn = new Promise(resolve => {
  const t0 = performance.now();
  let done = null;
  const shown = (e) => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().height > 0;
  const tick = () => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[index];
    const prompt = cell ? cell.querySelector('.jp-InputPrompt').textContent : '';
    if (done === null && /\\[\\d+\\]/.test(prompt)) done = performance.now() - t0;
    const view = cell && cell.querySelector('.jp-Cell-outputArea .jupyter-widgets');
    if (done !== null && view && shown(view)) {
      const charts = [...view.querySelectorAll('.widget-output')].filter(shown);
      if (charts.every(o => o.querySelector('.js-plotly-plot .main-svg'))) {
        return resolve({done, drawn: performance.now() - t0});
      }
    }
    if (performance.now() - t0 > 180000) return resolve({done, drawn: null});
    setTimeout(tick, 10);
  };
  tick();
}); }
"""

#: Whether every visible chart inside the element is drawn.
DRAWN_JS = """(root) => [...root.querySelectorAll('.widget-output')]
  .filter(o => o.getBoundingClientRect().width > 0)
  .every(o => o.querySelector('.js-plotly-plot .main-svg'))"""


def review_notebook(path: Path, reports: Path, kinds: tuple[str, ...]) -> None:
    """A notebook that loads the reports in ``reports`` and shows each one alone in a cell."""
    nb = nbformat.v4.new_notebook()
    loads = "\n".join(f'{kind} = load_report("{reports / (kind + ".json")}")' for kind in kinds)
    nb.cells = [nbformat.v4.new_code_cell(f"from workbench.reports import load_report\n{loads}")]
    nb.cells += [nbformat.v4.new_code_cell(kind) for kind in kinds]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def run_cell(page: Any, index: int) -> dict[str, float | None]:
    """Run code cell ``index`` (Shift+Enter): seconds to finish (``run``), to be drawn (``drawn``), and
    from finishing to drawn (``draw``)."""
    page.evaluate(WATCH_JS, index)
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    times = page.evaluate("() => window.__drawn")
    done, drawn = times["done"], times["drawn"]
    # A widget is often drawn before its cell is marked finished: then it waited 0 s for drawing.
    return {"run": None if done is None else done / 1000, "drawn": None if drawn is None else drawn / 1000,
            "draw": None if drawn is None or done is None else max(0.0, drawn - done) / 1000}


@dataclass
class Walk:
    """What walking a widget saw: every view checked, and what was wrong in each."""

    views: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)


def _settle(page: Any, root: Any) -> None:
    """Wait until the kernel has answered a change and every visible chart is drawn again."""
    page.wait_for_timeout(250)
    page.wait_for_selector("text=| Idle", timeout=60_000)
    deadline = time.monotonic() + 30
    while not root.evaluate(DRAWN_JS) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.wait_for_timeout(150)  # plotly's relayout after the first draw


def _check(page: Any, root: Any, walk: Walk, view: str) -> None:
    _settle(page, root)
    walk.views.append(view)
    walk.findings.extend(f"{view}: {finding}" for finding in root.evaluate(CHECKS_JS))


#: A picker of at most this many options that are not columns (metrics, curves) is switched through each.
EVERY_OPTION = 10


def _choices(options: list[str], kinds: dict[str, str]) -> list[int]:
    """Option indexes to visit: a column picker's first option and first column of each kind
    (numeric, categorical); every option of a short picker of other things; else the first and last."""
    if len(options) <= EVERY_OPTION and not any(kinds.get(text.lstrip("●○ ").strip()) for text in options):
        return list(range(len(options)))
    chosen = [0]
    for kind in ("numeric", "categorical"):
        for index, text in enumerate(options):
            if kinds.get(text.lstrip("●○ ").strip()) == kind:
                chosen.append(index)
                break
    if len(chosen) == 1 and len(options) > 1:
        chosen.append(len(options) - 1)
    return list(dict.fromkeys(chosen))


def _pickers(page: Any, root: Any, owner: Any, walk: Walk, view: str, kinds: dict[str, str]) -> None:
    """Switch every visible dropdown of ``owner`` (not of a nested tab) through its chosen options."""
    selects = [s for s in root.query_selector_all("select")
               if s.is_visible() and s.evaluate("(s, o) => s.closest('.widget-tab') === o", owner)]
    for select in selects:
        options = select.evaluate("s => [...s.options].map(o => o.textContent)")
        for index in _choices(options, kinds)[::-1]:  # the default option last: leaves the view as it was
            select.select_option(index=index)
            _check(page, root, walk, f"{view} / {options[index]}")


def walk_widget(page: Any, root: Any, name: str, kinds: dict[str, str], shots: Path | None) -> Walk:
    """Open every tab (nested ones too) of the widget under ``root``; switch every picker in each."""
    walk = Walk()
    _check(page, root, walk, name)
    _pickers(page, root, None, walk, name, kinds)
    top = root.query_selector(".widget-tab")
    if top is not None:
        _tabs(page, root, top, walk, name, kinds, shots)
    elif shots is not None:
        walk.shots.append(_shot(page, root, shots / f"{name}.png"))
    return walk


def _tabs(page: Any, root: Any, tab: Any, walk: Walk, name: str, kinds: dict[str, str], shots: Path | None) -> None:
    titles = tab.query_selector_all(":scope > .lm-TabBar .lm-TabBar-tab")
    for index, title in enumerate(titles):
        label = title.inner_text().strip()
        view = f"{name} / {label}"
        title.click()
        _check(page, root, walk, view)
        if shots is not None:
            walk.shots.append(_shot(page, root, shots / f"{_slug(view)}.png"))
        _pickers(page, root, tab, walk, view, kinds)
        panel = tab.query_selector_all(":scope > .widget-tab-contents > *")[index]
        for nested in panel.query_selector_all(".widget-tab"):
            if nested.evaluate("(n, t) => n.parentElement.closest('.widget-tab') === t", tab):
                _tabs(page, root, nested, walk, view, kinds, shots)
    titles[0].click()


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("---", "-")


def _shot(page: Any, root: Any, path: Path) -> Path:
    """A 1400x900 screenshot with the widget at the top of the window."""
    root.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(100)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    return path


def column_kinds(reports: Path) -> dict[str, str]:
    """Column name -> "numeric" or "categorical", from the project's profile report."""
    profile = json.loads((reports / "profile.json").read_text())
    return {c["name"]: "categorical" if c["kind"] in ("categorical", "boolean", "text") else "numeric"
            for c in profile["columns"]}

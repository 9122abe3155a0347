"""What a stakeholder page must never show, checked in Chromium (the Voila dashboard, the pack's index)."""

from __future__ import annotations

import re
from typing import Any

from workbench.evaluate._verdict import GATED_BY_TASK
from workbench.evaluate.metrics import METRIC_LABELS
from workbench.monitor.rules import METRICS
from workbench.monitor.stats import STATTESTS

#: Keys of code that must reach a reader as words (``true positive rate``, ``Jensen-Shannon distance``).
CODE_KEYS = sorted(
    {k for k in (*METRIC_LABELS, *METRICS) if "_" in k}
    | {d for names in GATED_BY_TASK.values() for d in names}
    | {"selection_rate", "true_positive_rate", "false_positive_rate", *(s for s in STATTESTS if len(s) > 2)}
)
_LITERALS = (re.compile(r"\bnan\b", re.IGNORECASE), re.compile(r"\bNone\b"), re.compile(r"\{'"), re.compile("`"),
             re.compile(r"(?:/tmp/|/home/|/work/|\.workbench/)"))

#: Layout faults: the page scrolls sideways, a cell's text is wider than its cell, cells of a row overlap.
LAYOUT = """() => {
  const root = document.scrollingElement || document.documentElement;
  const faults = [];
  if (root.scrollWidth > root.clientWidth + 1) faults.push(`page ${root.scrollWidth} wider than ${root.clientWidth}`);
  for (const cell of document.querySelectorAll('.wb-sh th, .wb-sh td, .wb-sh li, .wb-sh p, .wb-sh summary')) {
    if (cell.offsetParent !== null && cell.scrollWidth > cell.clientWidth + 1)
      faults.push(`text wider than its box: ${cell.textContent.slice(0, 60)}`);
  }
  for (const row of document.querySelectorAll('.wb-sh tr')) {
    const cells = [...row.children].map(c => c.getBoundingClientRect());
    for (let i = 1; i < cells.length; i++)
      if (cells[i].width > 0 && cells[i - 1].right > cells[i].left + 1)
        faults.push(`cells overlap: ${row.textContent.slice(0, 60)}`);
  }
  for (const card of document.querySelectorAll('.wb-sh .wb-card, .wb-sh-answer, .wb-sh-fold')) {
    if (card.offsetParent !== null && card.scrollWidth > card.clientWidth + 1)
      faults.push(`content wider than its card: ${card.textContent.slice(0, 60)}`);
  }
  return faults;
}"""

#: Each answer: its question, light and whether it is wholly on the first screen.
ANSWERS = """() => [...document.querySelectorAll('.wb-sh-answer')].map(a => ({
  question: a.querySelector('h2').textContent, light: a.dataset.light,
  sentence: a.querySelector('p').textContent,
  onFirstScreen: a.getBoundingClientRect().bottom <= window.innerHeight}))"""

OPEN_ALL = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"


def text_faults(text: str) -> list[str]:
    """Literal ``nan``/``None``/dict reprs/backticks/server paths and code keys in visible ``text``."""
    faults = [f"{pattern.pattern} in: {text[max(0, m.start() - 40):m.end() + 40]!r}"
              for pattern in _LITERALS for m in pattern.finditer(text)]
    words = set(re.findall(r"[A-Za-z0-9_]+", text))
    return faults + [f"code key {key!r}" for key in CODE_KEYS if key in words]


def check_page(page: Any) -> dict[str, Any]:
    """Every check on ``page`` (a Playwright page showing a stakeholder page), first screen then unfolded."""
    answers = page.evaluate(ANSWERS)
    first = page.inner_text("body")
    faults = text_faults(first) + page.evaluate(LAYOUT)
    page.evaluate(OPEN_ALL)
    unfolded = page.inner_text("body")
    faults += [f"unfolded: {f}" for f in text_faults(unfolded) + page.evaluate(LAYOUT)]
    return {"answers": answers, "faults": faults, "text": unfolded}

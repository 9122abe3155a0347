"""What a reader would call broken, measured in the browser on any rendered view.

Each check is a JavaScript function of a root element that returns a list of findings (empty
when the view is fine); :func:`problems` runs them all on the elements matched by a selector.
Shared by the widget and HTML-page browser tests and by ``benchmarks/widgets.py``.
"""

from __future__ import annotations

from typing import Any

#: Visible text a reader should never see: Python's NaN/None, dict reprs, Markdown backticks.
BAD_TEXT = r"/\b(nan|NaN|None)\b|\{'|'\}|`/"

CHECKS_JS = r"""
(root) => {
  const found = [];
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    const s = getComputedStyle(e);
    return s.visibility !== 'hidden' && s.display !== 'none' && parseFloat(s.opacity || '1') > 0;
  };
  // Glyph boxes include line spacing: shrink each quad 2 px towards its centre before comparing.
  const shrink = (q) => {
    const cx = q.reduce((s, p) => s + p[0], 0) / 4, cy = q.reduce((s, p) => s + p[1], 0) / 4;
    return q.map(([x, y]) => { const dx = cx - x, dy = cy - y, d = Math.hypot(dx, dy) || 1;
                               return [x + 2 * dx / d, y + 2 * dy / d]; });
  };
  // Separating axis test of two convex quads.
  const intersect = (p, q) => {
    for (const poly of [p, q]) {
      for (let i = 0; i < 4; i++) {
        const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4], nx = y2 - y1, ny = x1 - x2;
        const pa = p.map(([x, y]) => nx * x + ny * y), pb = q.map(([x, y]) => nx * x + ny * y);
        if (Math.max(...pa) <= Math.min(...pb) || Math.max(...pb) <= Math.min(...pa)) return false;
      }
    }
    return true;
  };
  const label = (e) => (e.textContent || '').trim().slice(0, 40);
  // 1. Empty charts: a visible plot that draws no mark (bar, point, line, cell, box).
  for (const plot of root.querySelectorAll('.js-plotly-plot')) {
    if (!visible(plot)) continue;
    const marks = [...plot.querySelectorAll(
      '.cartesianlayer .trace path, .cartesianlayer .trace image, .cartesianlayer .trace text, .hm image')]
      .filter(m => { const b = m.getBoundingClientRect(); return b.width + b.height > 0.5; });
    if (marks.length === 0) {
      const title = plot.querySelector('.gtitle');
      found.push(`empty chart: ${title ? title.textContent : '(untitled)'}`);
    }
  }
  // 2. Overlapping text: boxes of visible text nodes (HTML) and SVG labels that intersect.
  const boxes = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !node.textContent.trim() || parent.closest('.hoverlayer, .modebar, option, select, style, script'))
      continue;
    if (!visible(parent)) continue;
    let quads;
    if (parent instanceof SVGElement) {
      if (parent.tagName !== 'text' && parent.tagName !== 'tspan') continue;
      const text = parent.closest('text'), box = text.getBBox(), m = text.getScreenCTM();
      if (!m || box.width <= 1) continue;
      // Rotated tick labels: their corners on screen, not their axis-aligned bounding box.
      quads = [[[box.x, box.y], [box.x + box.width, box.y], [box.x + box.width, box.y + box.height],
                [box.x, box.y + box.height]].map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f])];
    } else {
      const range = document.createRange();
      range.selectNodeContents(node);
      quads = [...range.getClientRects()].filter(r => r.width > 1 && r.height > 1)
        .map(r => [[r.left, r.top], [r.right, r.top], [r.right, r.bottom], [r.left, r.bottom]]);
    }
    for (const q of quads) boxes.push({q: shrink(q), owner: parent.closest('text') || parent,
                                       text: node.textContent.trim().slice(0, 30)});
  }
  const seen = new Set();
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.owner === b.owner || a.owner.contains(b.owner) || b.owner.contains(a.owner)) continue;
      if (intersect(a.q, b.q)) {
        const key = `${a.text} / ${b.text}`;
        if (!seen.has(key)) { seen.add(key); found.push(`text overlaps: "${a.text}" and "${b.text}"`); }
      }
    }
  }
  // 3. Content wider than its container without a scrollbar meant for it.
  for (const e of [root, ...root.querySelectorAll('*')]) {
    if (e.closest('.js-plotly-plot, select, svg') || !visible(e)) continue;
    const s = getComputedStyle(e);
    if (s.display.startsWith('inline') || e.clientWidth === 0) continue;
    if (e.scrollWidth > e.clientWidth + 2 && !['auto', 'scroll'].includes(s.overflowX)) {
      found.push(`wider than its container (${e.scrollWidth} > ${e.clientWidth}): <${e.tagName.toLowerCase()} class="${e.className}"> ${label(e)}`);
    }
  }
  // 4. Text a reader should never see.
  const words = [];
  for (const b of boxes) words.push(b.owner.textContent);
  const bad = BAD_TEXT;
  for (const text of new Set(words)) {
    const m = text.match(bad);
    if (m) found.push(`literal ${JSON.stringify(m[0])} in visible text: ${JSON.stringify(text.trim().slice(0, 80))}`);
  }
  return found;
}
""".replace("BAD_TEXT;", BAD_TEXT + ";")

#: Whether every visible plot inside ``root`` has finished drawing (plotly marks it with ``.main-svg``).
DRAWN_JS = """
(root) => {
  const outputs = [...root.querySelectorAll('.widget-output')].filter(o => o.getBoundingClientRect().width > 0);
  return outputs.every(o => o.querySelector('.js-plotly-plot .main-svg .cartesianlayer, .js-plotly-plot .main-svg'));
}
"""


def problems(page: Any, selector: str) -> list[str]:
    """Every finding of the checks on each element matching ``selector``."""
    found: list[str] = []
    for handle in page.query_selector_all(selector):
        found.extend(handle.evaluate(CHECKS_JS))
    return found


def page_scrolls_sideways(page: Any) -> bool:
    """Whether the whole page is wider than the window (it scrolls sideways)."""
    return bool(page.evaluate("() => document.scrollingElement.scrollWidth > document.scrollingElement.clientWidth + 2"))

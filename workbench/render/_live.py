"""Live figures for widgets: an ``ipywidgets.Output`` holding a plotly mime bundle, redrawn on demand.

A chart is drawn by plotly's JupyterLab mime renderer (``application/vnd.plotly.v1+json``), which
loads plotly.js once per page however many charts it draws. A plotly ``FigureWidget`` instead
carries its own copy of plotly.js (~5 MB) per figure in its widget state, which made every widget
slow to show and every saved notebook heavy. A selection change builds the new figure with the
same pure figure function the HTML uses (report data only, no recomputation) and replaces the
output, so a redraw never keeps the previous figure's axes or traces.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["PLOTLY_MIME", "figure_of", "html_content", "html_view", "live", "plotly_bundle", "redraw"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
_CONFIG = {"displaylogo": False, "responsive": True}


def plotly_bundle(fig: go.Figure) -> dict[str, Any]:
    """The display data of ``fig`` for plotly's mime renderer, with a one-line text fallback."""
    import plotly.io as pio

    spec = json.loads(pio.to_json(fig, validate=False))  # numpy arrays and dates become plain JSON
    spec["config"] = dict(_CONFIG)
    title = fig.layout.title.text if fig.layout.title and fig.layout.title.text else "chart"
    return {PLOTLY_MIME: spec, "text/plain": f"<{title}>"}


def live(fig: go.Figure) -> Any:
    """An ``Output`` widget showing ``fig``."""
    import ipywidgets as w

    target = w.Output(layout=w.Layout(width="100%", min_height=f"{_height(fig)}px"))
    redraw(target, fig)
    return target


def redraw(target: Any, fig: go.Figure) -> None:
    """Show ``fig`` in the ``Output`` widget ``target`` instead of what it showed."""
    target.layout.min_height = f"{_height(fig)}px"
    target.outputs = ({"output_type": "display_data", "data": plotly_bundle(fig), "metadata": {}},)


def figure_of(target: Any) -> go.Figure:
    """The figure an ``Output`` chart shows now, rebuilt from its plotly bundle (for tests and tools)."""
    import plotly.graph_objects as go

    (output,) = target.outputs
    spec = dict(output["data"][PLOTLY_MIME])
    spec.pop("config", None)
    return go.Figure(spec)


def html_content(content: str) -> str:
    """Report HTML for an ``HTML`` widget: the report styles, normal line spacing, never wider than the widget."""
    from workbench.render.html import fragment_style

    return fragment_style() + f'<div class="wb-report wb-widget">{content}</div>'


def html_view(content: str) -> Any:
    """An ``HTML`` widget of report HTML (see :func:`html_content`), as wide as its container."""
    import ipywidgets as w

    return w.HTML(html_content(content))


def _height(fig: go.Figure) -> int:
    """The figure's drawn height, reserved before plotly.js draws (the page does not jump)."""
    return int(fig.layout.height or 360)

"""Live plotly figures for widgets: one ``FigureWidget`` per view, redrawn from report data.

A selection change builds the new figure with the same pure figure function the HTML uses
(report data only, no recomputation) and swaps it into the widget in one batched update.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from workbench.render.widgets import figure_widget

__all__ = ["live", "redraw"]


def live(fig: go.Figure) -> Any:
    """A ``FigureWidget`` showing ``fig``."""
    return figure_widget(fig)


def redraw(target: Any, fig: go.Figure) -> None:
    """Replace the traces and layout of the ``FigureWidget`` ``target`` with ``fig``'s."""
    with target.batch_update():
        target.data = ()
        target.add_traces(list(fig.data))
        target.layout = fig.layout

"""Live renderings: ipywidgets + plotly views of reports (imported only when a widget is asked for).

A report kind ``K`` may provide ``workbench.render.K.widget(report)``; otherwise its static HTML
is shown in an ``ipywidgets.HTML``. Callbacks only redraw from the report's data: they never
recompute a review.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from workbench.exceptions import require

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from workbench.reports.base import Report

__all__ = ["figure_widget", "report_widget"]


def report_widget(report: Report) -> Any:
    """The live view of ``report``."""
    widgets = require("ipywidgets", feature="Report widgets", extra="all")
    try:
        module = importlib.import_module(f"workbench.render.{report.kind}")
    except ModuleNotFoundError as err:
        if err.name != f"workbench.render.{report.kind}":
            raise
        module = None
    if module is not None and hasattr(module, "widget"):
        return module.widget(report)
    return widgets.HTML(report.to_html(full_page=False, plotlyjs="none"))


def figure_widget(fig: go.Figure) -> Any:
    """A plotly ``FigureWidget`` of ``fig`` (needs anywidget with plotly >= 6)."""
    import plotly.graph_objects as go

    require("anywidget", feature="Interactive plotly figures", extra="all")
    return go.FigureWidget(fig)

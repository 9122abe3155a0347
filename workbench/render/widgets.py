"""Live renderings: ipywidgets views of reports (imported only when a widget is asked for).

A report kind ``K`` may provide ``workbench.render.K.widget(report)``; otherwise its static HTML
is shown in an ``ipywidgets.HTML``. Charts are ``Output`` widgets drawn by plotly's mime renderer
(:mod:`workbench.render._live`). Callbacks only redraw from the report's data: they never
recompute a review.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import TYPE_CHECKING, Any

from workbench.exceptions import require

if TYPE_CHECKING:
    from workbench.reports.base import Report

__all__ = ["BATCH_NOTEBOOK_ENV", "in_widget_kernel", "report_widget"]

#: Set in the kernels the pipeline runner starts (``workbench.tracking.NOTEBOOK_ENV``; not imported
#: from there because importing the tracking module costs seconds at display time).
BATCH_NOTEBOOK_ENV = "WORKBENCH_NOTEBOOK"


def report_widget(report: Report) -> Any:
    """The live view of ``report``."""
    require("ipywidgets", feature="Report widgets", extra="all")
    try:
        module = importlib.import_module(f"workbench.render.{report.kind}")
    except ModuleNotFoundError as err:
        if err.name != f"workbench.render.{report.kind}":
            raise
        module = None
    if module is not None and hasattr(module, "widget"):
        return module.widget(report)
    from workbench.render._live import html_view

    return html_view(report.to_html(full_page=False, plotlyjs="none"))


def in_widget_kernel() -> bool:
    """Whether this process is a Jupyter kernel that can show widgets (ipywidgets and plotly importable).

    A plain Python process or a terminal IPython has no frontend to draw a widget, and a kernel
    the pipeline runner started executes a notebook in batch (papermill): its executed notebook
    and HTML export are read later, with no kernel behind them. There a report displays as HTML.
    """
    if os.environ.get(BATCH_NOTEBOOK_ENV):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    return all(importlib.util.find_spec(name) is not None for name in ("ipywidgets", "plotly"))

"""Renderings of reports: ``figures`` (plotly), ``html`` (static pages) and ``widgets`` (live).

Each report kind ``K`` keeps its renderings in ``workbench.render.K``.
"""

__all__: list[str] = []

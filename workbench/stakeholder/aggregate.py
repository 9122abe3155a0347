"""The evidence pack holds aggregates only: row-level values are dropped from the pack's copies.

Two logged reports keep a few input values for display: the SHAP review keeps a sample of rows
(their raw values, attributions and outputs) for the beeswarm, dependence and waterfall views,
and data validation keeps up to five example values per failed check. The pack writes copies
without them; the SHAP sample is replaced by its spread per column (quantiles of the SHAP
values, no input values), drawn as box plots from the precomputed quantiles.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from workbench.reports.base import Report

#: Quantiles of each column's SHAP values kept in the pack (box: whiskers, quartiles, median).
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
TOP = 15


def aggregate_only(report: Report) -> Report:
    """A copy of ``report`` without row-level values (the report itself when it has none)."""
    from workbench.evaluate.explain import ExplanationReport

    if isinstance(report, ExplanationReport):  # every class's sample too, for a multiclass model
        return report.without_rows()
    if report.kind == "validation":
        failures = tuple(dataclasses.replace(f, examples=()) for f in getattr(report, "failures", ()))
        return dataclasses.replace(report, failures=failures)  # type: ignore[call-arg]
    return report


def shap_spread(report: Any, *, top: int = TOP) -> list[dict[str, Any]]:
    """Per top column: the 5th, 25th, 50th, 75th and 95th percentile of its sample's SHAP values."""
    if not getattr(report, "rows", ()):
        return []
    values = np.asarray(report.values, dtype=np.float64)
    columns = list(report.columns)
    wanted = [c for c in report.column_importance if c in columns][:top]
    picked = values[:, [columns.index(c) for c in wanted]]
    found = np.nanquantile(picked, QUANTILES, axis=0)
    names = ("p5", "p25", "median", "p75", "p95")
    return [
        {"column": column, **{n: float(found[i, j]) for i, n in enumerate(names)}}
        for j, column in enumerate(wanted)
    ]


def spread_section(report: Any) -> str:
    """The SHAP spread (aggregated beeswarm) as a box figure and a table; empty without a sample."""
    import plotly.graph_objects as go

    from workbench.render.figures import style
    from workbench.render.html import figure, section, table, text

    rows = shap_spread(report)
    if not rows:
        return ""
    shown = rows[::-1]
    fig = go.Figure(go.Box(
        y=[r["column"] for r in shown], lowerfence=[r["p5"] for r in shown], q1=[r["p25"] for r in shown],
        median=[r["median"] for r in shown], q3=[r["p75"] for r in shown], upperfence=[r["p95"] for r in shown],
        orientation="h", name="SHAP", showlegend=False,
    ))
    fig.update_xaxes(title=f"SHAP value ({report.output})")
    fig = style(fig, title=f"Spread of SHAP values over {len(report.rows):,} sample rows",
                height=max(320, 26 * len(rows) + 120))
    note = text("Aggregates only: this copy keeps no row of data. Each box spans the 25th–75th percentile "
                "of a column's SHAP values, the whiskers the 5th–95th.")
    return section("Spread of SHAP values (aggregated)", note, figure(fig), table(rows))

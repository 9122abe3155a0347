"""How a report displays: its widget in a Jupyter kernel, its HTML elsewhere, never a JSON tree;
charts are plotly mime bundles in Output widgets, redrawn whole when a picker changes."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

import workbench as wb
from workbench.render._live import PLOTLY_MIME

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(scope="module")
def drift_report():
    """A drift review of a numeric and a categorical column, the categorical one shifted."""
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"income": rng.normal(50, 10, 600), "region": rng.choice(["north", "south"], 600)})
    current = pd.DataFrame({"income": rng.normal(52, 10, 600),
                            "region": rng.choice(["north", "south", "east"], 600, p=[0.2, 0.5, 0.3])})
    return wb.drift(reference, current, n_bootstrap=20)


def test_outside_a_kernel_a_report_displays_as_html_not_json(drift_report) -> None:
    bundle = drift_report._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert "application/json" not in bundle
    assert 'class="wb-report"' in bundle["text/html"]
    assert json.loads(drift_report.to_json())["kind"] == "drift"  # JSON stays there for tools


def test_in_a_kernel_a_report_displays_as_its_light_widget(drift_report, tmp_path) -> None:
    """A real kernel runs a cell holding only the report: the output is a widget view, and the saved
    widget state holds Output widgets with plotly mime bundles, not a plotly.js bundle per figure."""
    path = drift_report.save(tmp_path / "drift.json")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"from workbench.reports import load_report\nload_report({str(path)!r})")]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert len(outputs) == 1 and outputs[0].output_type == "execute_result"
    assert set(outputs[0].data) == {"text/plain", WIDGET_VIEW}
    assert outputs[0].data["text/plain"] == drift_report.summary()
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    models = {m["model_name"] for m in state.values()}
    assert "OutputModel" in models and "TabModel" in models
    assert not any("anywidget" in m["model_module"] or "_esm" in m["state"] for m in state.values())
    charts = [o for m in state.values() if m["model_name"] == "OutputModel" for o in m["state"]["outputs"]]
    assert charts and all(PLOTLY_MIME in o["data"] for o in charts)
    assert len(json.dumps(state)) < 500_000


def test_a_batch_run_displays_html_for_its_executed_notebook(drift_report, tmp_path) -> None:
    """Kernels the pipeline runner starts (papermill) keep HTML outputs: nobody draws their widgets."""
    from workbench.pipelines.execute import execute_notebook
    from workbench.render.widgets import BATCH_NOTEBOOK_ENV
    from workbench.tracking import NOTEBOOK_ENV

    assert BATCH_NOTEBOOK_ENV == NOTEBOOK_ENV
    project = wb.init_project(tmp_path / "proj", rows=300)
    path = drift_report.save(project.root / "drift.json")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"from workbench.reports import load_report\nload_report({str(path)!r})")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, project.root / "notebooks" / "show.ipynb")
    out = execute_notebook(project, "notebooks/show.ipynb", output=tmp_path / "out.ipynb")
    (output,) = nbformat.read(out, as_version=4).cells[-1].outputs
    assert set(output.data) == {"text/plain", "text/html"}


def test_switching_a_numeric_column_to_a_categorical_one_redraws_the_whole_chart(drift_report) -> None:
    pytest.importorskip("ipywidgets")
    tabs = drift_report.widget()
    picker, chart = tabs.children[1].children
    assert [value for _, value in picker.options] == [c.column for c in drift_report.columns]

    def drawn() -> dict:
        (output,) = chart.outputs
        return output["data"][PLOTLY_MIME]

    picker.value = "income"
    numeric = drawn()
    assert numeric["layout"]["yaxis"]["title"]["text"].startswith("density")
    picker.value = "region"
    categorical = drawn()
    categories = drift_report.column("region").display["labels"]
    assert [trace["x"] for trace in categorical["data"]] == [categories, categories]
    assert categorical["layout"]["yaxis"]["title"]["text"] == "share of rows"
    assert "barmode" not in numeric["layout"] or numeric["layout"]["barmode"] == "overlay"
    assert categorical["layout"]["barmode"] == "group"


def test_service_chart_names_its_two_axes() -> None:
    """Requests on the left axis, latency (ms) on the right: both used to say "requests"."""
    from workbench.monitor.review import MonitorReport
    from workbench.monitor.service import WindowService
    from workbench.render.monitor import service_figure

    service = tuple(
        WindowService(start=f"2026-01-0{day}T00:00:00", end=f"2026-01-0{day + 1}T00:00:00", requests=10 * day,
                      rows=10 * day, p50_latency_ms=3.0 * day, p99_latency_ms=9.0 * day, failures=1, rejects=0,
                      failure_rate=0.1 / day, reject_rate=0.0)
        for day in (1, 2, 3)
    )
    report = MonitorReport(project="p", task="binary", since=None, until=None, window="1D", n_predictions=60,
                           n_requests=60, n_labelled=0, drift=None, service=service)
    fig = service_figure(report)
    assert fig.layout.yaxis.title.text == "requests"
    assert fig.layout.yaxis2.title.text == "latency (ms)"
    assert [trace.yaxis for trace in fig.data] == [None, None, "y2", "y2"]

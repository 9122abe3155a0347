"""notebooks/stakeholder.ipynb (the Voila dashboard) executes and shows every section."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from workbench.pipelines.execute import execute_notebook
from workbench.stakeholder import NOT_RUN

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "stakeholder.ipynb"


def test_notebook_runs_and_shows_missing_sections(project, tmp_path):
    shutil.copy(NOTEBOOK, project.root / "notebooks" / "stakeholder.ipynb")
    out = execute_notebook(
        project,
        "notebooks/stakeholder.ipynb",
        output=tmp_path / "out.ipynb",
        parameters={"project_dir": str(project.root)},
    )
    html = "".join(
        o.get("data", {}).get("text/html", "")
        for c in nbformat.read(out, as_version=4).cells
        for o in c.get("outputs", [])
    )
    for title in (
        "Performance against the baseline",
        "Fairness by group",
        "Top drivers",
        "Drift status",
        "Production history",
        "Alert history",
        "Approvals",
    ):
        assert title in html
    assert html.count(NOT_RUN) >= 5

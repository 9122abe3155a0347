"""notebooks/stakeholder.ipynb (the Voila dashboard) executes and shows the four answers first."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from workbench.pipelines.execute import execute_notebook
from workbench.stakeholder import QUESTIONS

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
    for title in (*QUESTIONS.values(), "What changed since the last version", "Who approved and promoted it",
                  "The figures behind the answers"):
        assert title in html, title
    assert html.count("Not known yet") == 4  # nothing has run: no answer is made up

"""Tiny projects with tiny notebooks, generated per test, for the pipeline tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
import yaml

from workbench.pipelines import approve_notebook
from workbench.project import Project

CONFIG = """\
[project]
name = "tiny"

[data]
path = "data.csv"
target = "y"
"""


def write_notebook(path: Path, *cells: str, parameters: str = 'project_dir = "."') -> Path:
    """A notebook with a tagged parameters cell and the given code cells."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Callable[..., Project]:
    """Make a project whose ``pipeline.yaml`` holds ``pipelines``; notebooks given as name -> cells.

    Every notebook is approved unless ``approve=False``.
    """

    def make(pipelines: dict, notebooks: dict[str, tuple], *, approve: bool = True, toml: str = "") -> Project:
        root = tmp_path / "tiny"
        root.mkdir(exist_ok=True)
        (root / "workbench.toml").write_text(CONFIG + toml)
        for name, cells in notebooks.items():
            params, *code = cells if isinstance(cells[0], dict) else ({}, *cells)
            write_notebook(root / "notebooks" / name, *code, **params)
        if pipelines:
            (root / "pipeline.yaml").write_text(yaml.safe_dump({"pipelines": pipelines}, sort_keys=False))
        project = Project.load(root, check_data=False)
        if approve:
            for name in notebooks:
                approve_notebook(project, f"notebooks/{name}", by="tester", comment="test")
        return project

    return make

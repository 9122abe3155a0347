"""pytest-jupyter's server fixtures, for these tests only (its autouse fixtures stay here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403
from traitlets.config import Config

CHECK_PIPELINE = """\
pipelines:
  check:
    description: One quick step that prints a greeting.
    parameters:
      repeat: {type: int, default: 2, help: how many times to greet}
      greeting: {type: choice, choices: [hello, hi], default: hello}
    steps:
      - name: greet
        notebook: notebooks/check.ipynb
        parameters: {repeat: "${repeat}", greeting: "${greeting}"}
"""


def add_check_pipeline(root: Path) -> Path:
    """Give the project at ``root`` a one-step pipeline ``check`` and its quick notebook."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('greeting = "hello"\nrepeat = 2', metadata={"tags": ["parameters"]})
    nb.cells = [parameters, nbformat.v4.new_code_cell("print(' '.join([greeting] * repeat))")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["workbench"] = {"phase": "monitor"}
    path = root / "notebooks" / "check.ipynb"
    nbformat.write(nb, path)
    (root / "pipeline.yaml").write_text(CHECK_PIPELINE)
    return path


@pytest.fixture
def jp_server_config() -> Config:
    """A server with the Workbench extension enabled (as the installed config file does)."""
    return Config({"ServerApp": {"jpserver_extensions": {"workbench.jupyter": True}}})


@pytest.fixture
def lab_project(jp_root_dir: Path):
    """A fresh demo project (no runs) in ``<server root>/credit``, plus a notebook outside it."""
    from workbench.scaffold import init_project

    project = init_project(jp_root_dir / "credit", rows=400)
    loose = jp_root_dir / "scratch"
    loose.mkdir()
    shutil.copyfile(project.root / "notebooks" / "01_explore.ipynb", loose / "loose.ipynb")
    add_check_pipeline(project.root)
    return project

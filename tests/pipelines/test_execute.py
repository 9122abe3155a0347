"""One notebook through papermill: parameters and environment reach the kernel; a failure keeps the output."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from workbench.exceptions import NotebookExecutionError
from workbench.pipelines.execute import execute_notebook
from workbench.project import Project


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('project_dir = "."\ngreeting = "hi"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(nb, path)
    return path


def test_parameters_and_env_reach_the_kernel(project: Project, tmp_path: Path) -> None:
    _notebook(
        project.root / "notebooks" / "hello.ipynb",
        "import os\nprint(greeting, project_dir, os.environ['WORKBENCH_NOTEBOOK'], os.environ['EXTRA'])",
    )
    out = execute_notebook(
        project, "notebooks/hello.ipynb", output=tmp_path / "out.ipynb",
        parameters={"greeting": "hello"}, env={"EXTRA": "42"},
    )
    text = nbformat.read(out, as_version=4).cells[-1].outputs[0]["text"]
    assert text.split() == ["hello", str(project.root), str(project.root / "notebooks" / "hello.ipynb"), "42"]


def test_failure_keeps_the_executed_notebook(project: Project, tmp_path: Path) -> None:
    _notebook(project.root / "notebooks" / "broken.ipynb", "x = 1", "raise ValueError('bad data')", "y = 2")
    with pytest.raises(NotebookExecutionError) as info:
        execute_notebook(project, "notebooks/broken.ipynb", output=tmp_path / "broken-out.ipynb")
    err = info.value
    assert err.ename == "ValueError" and err.evalue == "bad data"
    assert "notebooks/broken.ipynb failed in cell" in str(err) and "ValueError: bad data" in str(err)
    kept = nbformat.read(err.output_path, as_version=4)
    assert any(o.get("ename") == "ValueError" for c in kept.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_notebook_outside_the_project_is_refused(project: Project, tmp_path: Path) -> None:
    from workbench.exceptions import DataError

    with pytest.raises(DataError, match="points outside the project folder"):
        execute_notebook(project, "../elsewhere.ipynb", output=tmp_path / "x.ipynb")

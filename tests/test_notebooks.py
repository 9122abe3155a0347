from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from workbench.exceptions import PipelineError
from workbench.notebooks import content_hash, notebook_phase, parameter_defaults
from workbench.scaffold import notebook_templates_dir

NOTEBOOKS = sorted(notebook_templates_dir().glob("0*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_phase_notebooks_are_tagged_parameterised_and_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert notebook_phase(nb) == path.stem.split("_", 1)[1]
    assert parameter_defaults(nb)["project_dir"] == "."
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_hash_ignores_outputs_but_not_code(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    original = content_hash(nb)
    code = next(c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    code.outputs = [nbformat.v4.new_output("stream", text="hello")]
    code.execution_count = 7
    nb.metadata["papermill"] = {"duration": 1.0}
    assert content_hash(nb) == original
    code.source += "\nprint('changed')"
    assert content_hash(nb) != original


def test_moving_the_parameters_tag_changes_the_hash() -> None:
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    original = content_hash(nb)
    for cell in nb.cells:
        cell.metadata.pop("tags", None)
    assert content_hash(nb) != original


def test_unreadable_notebook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not json")
    with pytest.raises(PipelineError, match="is not a readable notebook"):
        content_hash(bad)


def _hashes(path: Path) -> tuple[str, str | None]:
    return content_hash(path), notebook_phase(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_file_hashes_as_nbformat_reads_it(path: Path, tmp_path: Path) -> None:
    """Files are read with the json module (approvals and status stay fast): same hash and phase."""
    nb = nbformat.read(path, as_version=4)
    assert _hashes(path) == (content_hash(nb), notebook_phase(nb))
    split = tmp_path / path.name  # nbformat's own writer splits every source into a list of lines
    nb.cells[-1].metadata["tags"] = ["skip-execution"]
    nbformat.write(nb, split)
    assert isinstance(json.loads(split.read_text())["cells"][0]["source"], list)
    assert _hashes(split) == (content_hash(nb), notebook_phase(nb))


def test_an_older_notebook_format_is_converted_by_nbformat(tmp_path: Path) -> None:
    """A file that is not plain nbformat 4 goes through nbformat (which converts it)."""
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    old = tmp_path / "old.ipynb"
    nbformat.write(nbformat.convert(nb, 3), old)
    assert content_hash(old) == content_hash(nbformat.read(old, as_version=4))
    for cell in ('{"cell_type": "code"}', '{"cell_type": "code", "source": "x = 1"}'):  # no metadata: nbformat refuses
        odd = tmp_path / "odd.ipynb"
        odd.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' + cell + "]}")
        with pytest.raises(PipelineError, match="missing an expected key: metadata"):
            content_hash(odd)

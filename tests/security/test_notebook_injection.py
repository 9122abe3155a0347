"""Code slipped into an approved notebook's run through its parameters or its cell metadata.

papermill writes every parameter as ``name = <value>`` into the notebook, so a parameter name is
code and a value must stay a literal; nbclient and papermill read a few cell tags that change
what runs, so those tags are part of what an approval locks.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import nbformat
import pytest
import yaml
from papermill.translators import translate_parameters

from workbench.cli import main
from workbench.exceptions import ApprovalError, ConfigError, ParameterError
from workbench.jupyter.api import WorkbenchAPI
from workbench.notebooks import content_hash
from workbench.pipelines import approval_states, approve_notebook, load_pipelines, run_pipeline
from workbench.pipelines.execute import execute_notebook
from workbench.pipelines.params import notebook_parameters, parse_assignments
from workbench.pipelines.scheduler import scheduler_tick
from workbench.project import Project

CODE_NAME = "x = 1; __import__('pathlib').Path('{marker}').touch(); y"
CONFIG = '[project]\nname = "tiny"\n\n[data]\npath = "data.csv"\ntarget = "y"\n'
GATE = "assert accuracy > 0.9, 'the gate failed'"


def _project(root: Path, *, steps_parameters: dict | None = None, schedule: str | None = None) -> Project:
    """A project with one approved notebook (a parameters cell and a gate cell) and one pipeline."""
    root.mkdir(parents=True)
    (root / "workbench.toml").write_text(CONFIG)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('project_dir = "."\naccuracy = 0.5\nnote = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(GATE)]
    (root / "notebooks").mkdir()
    nbformat.write(nb, root / "notebooks" / "gate.ipynb")
    pipeline = {"steps": [{"name": "gate", "notebook": "notebooks/gate.ipynb",
                           "parameters": steps_parameters or {}}]}
    if schedule:
        pipeline["schedule"] = schedule
    (root / "pipeline.yaml").write_text(yaml.safe_dump({"pipelines": {"check": pipeline}}))
    project = Project.load(root, check_data=False)
    approve_notebook(project, "notebooks/gate.ipynb", by="reviewer")
    return project


def test_a_parameter_name_that_is_code_is_refused_in_pipeline_yaml(tmp_path, capsys):
    marker = tmp_path / "ran"
    project = _project(tmp_path / "p", steps_parameters={CODE_NAME.format(marker=marker): 1})
    with pytest.raises(ConfigError, match=r"pipelines\.check\.steps\[0\]\.parameters\.x = 1; __import__") as err:
        load_pipelines(project)
    assert "not a keyword" in str(err.value) and str(project.root / "pipeline.yaml") in str(err.value)
    assert main(["run", "check", "-P", str(project.root)]) == 2
    assert "a Python identifier that is not a keyword" in capsys.readouterr().err
    with pytest.raises(ConfigError):  # the scheduler (and an alert's start_pipeline) load the same spec
        scheduler_tick(project)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["class", "x-y", "1x", "a b", "ａ", "x\n__import__('os')"])
def test_keywords_and_non_identifiers_are_refused_as_declared_parameters(tmp_path, name):
    root = tmp_path / "p"
    project = _project(root)
    spec = yaml.safe_load((root / "pipeline.yaml").read_text())
    spec["pipelines"]["check"]["parameters"] = {name: {"type": "str", "default": ""}}
    (root / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(ConfigError, match="a Python identifier that is not a keyword"):
        load_pipelines(project)


def test_cli_and_api_parameter_names_are_refused_before_anything_runs(tmp_path, capsys):
    marker = tmp_path / "ran"
    name = f"__import__('pathlib').Path('{marker}').touch() or x"  # `-p NAME=VALUE` splits at the first '='
    with pytest.raises(ParameterError, match="is not a Python identifier"):
        parse_assignments([f"{name}=1"])
    project = _project(tmp_path / "p")
    assert main(["run", "check", "-p", f"{name}=1", "-P", str(project.root)]) == 2
    assert "is not a Python identifier" in capsys.readouterr().err
    api = WorkbenchAPI(tmp_path)
    with pytest.raises(ParameterError, match="has no parameter"):
        api.start_run({"project": "p", "pipeline": "check", "parameters": {name: 1}})
    with pytest.raises(ParameterError, match="is not a Python identifier"):  # the last gate before papermill
        execute_notebook(project, "notebooks/gate.ipynb", output=tmp_path / "out.ipynb", parameters={name: 1})
    assert not marker.exists() and not (tmp_path / "out.ipynb").exists()


def test_values_are_written_as_literals_only(tmp_path):
    hostile = '"; __import__("os").system("touch pwned"); x = "\\'
    values = notebook_parameters({"note": hostile, "when": dt.date(2026, 1, 31), "nested": {"k": [1, None, 2.5]},
                                  "nan": float("nan")})
    cell = translate_parameters("python3", "python", values, "Parameters")  # papermill's own rendering
    assigned = {}
    for node in ast.parse(cell).body:  # nothing but `name = literal` lines
        assert isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
        if node.targets[0].id != "nan":
            assigned[node.targets[0].id] = ast.literal_eval(node.value)
    assert assigned == {"note": hostile, "when": "2026-01-31", "nested": {"k": [1, None, 2.5]}}
    for bad in (b"\"'; import os", {1, 2}, object()):
        with pytest.raises(ParameterError, match="is not written into a notebook"):
            notebook_parameters({"value": bad})
    deep: list = [1]
    for _ in range(25):
        deep = [deep]
    with pytest.raises(ParameterError, match="nested more than"):
        notebook_parameters({"deep": deep})


def test_a_binary_yaml_value_is_refused_in_pipeline_yaml(tmp_path):
    project = _project(tmp_path / "p")
    text = (project.root / "pipeline.yaml").read_text().replace("parameters: {}", "parameters: {note: !!binary IidzYQ==}")
    (project.root / "pipeline.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"parameters\.note' = b.*None, true/false, a number, a string"):
        load_pipelines(project)


def _retag(project: Project, change) -> None:
    path = project.root / "notebooks" / "gate.ipynb"
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


@pytest.mark.parametrize("tag", ["skip-execution", "raises-exception", "papermill-error-cell-tag"])
def test_a_tag_that_changes_what_runs_breaks_the_approval(tmp_path, tag):
    project = _project(tmp_path / "p")
    before = content_hash(project.root / "notebooks" / "gate.ipynb")
    _retag(project, lambda nb: nb.cells[1].metadata.setdefault("tags", []).append(tag))
    assert content_hash(project.root / "notebooks" / "gate.ipynb") != before
    assert approval_states(project)[0].state == "changed"
    with pytest.raises(ApprovalError, match=r"notebooks/gate\.ipynb"):
        run_pipeline(project, "check")


def test_a_notebook_language_change_breaks_the_approval(tmp_path):
    project = _project(tmp_path / "p")
    _retag(project, lambda nb: nb.metadata.__setitem__("language_info", {"name": "R"}))
    assert approval_states(project)[0].state == "changed"


def test_display_only_metadata_keeps_the_approval(tmp_path):
    project = _project(tmp_path / "p")

    def display(nb):
        gate = nb.cells[1]
        gate.metadata["jupyter"] = {"source_hidden": True}
        gate.metadata["collapsed"] = True
        gate.metadata["tags"] = ["hide-input"]
        gate.metadata["papermill"] = {"exception": True, "status": "failed"}  # reset by papermill at start
        nb.metadata["language_info"] = {"name": "python", "version": "3.11"}

    _retag(project, display)
    assert approval_states(project)[0].state == "approved"

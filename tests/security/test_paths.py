"""Paths and symbolic links that lead out of the project (or the Jupyter server's root).

Whoever can write a project folder can plant a link: every place a path is read follows it only
while it stays inside the folder it is confined to, and says so instead of failing with a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from workbench.cli import main
from workbench.config import load_config
from workbench.exceptions import ConfigError, DataError
from workbench.jupyter._paths import RequestError
from workbench.jupyter.api import WorkbenchAPI
from workbench.jupyter.handlers import error_status
from workbench.pipelines import approval_states
from workbench.project import Project

CONFIG = '[project]\nname = "tiny"\n\n[data]\npath = "data.csv"\ntarget = "y"\n'


@pytest.fixture
def layout(tmp_path) -> tuple[Path, Path, Path]:
    """``(server root, project inside it, a folder outside the root)``, the outside one with a notebook
    and a report-shaped JSON file that must never be served."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    project = root / "proj"
    (project / "notebooks").mkdir(parents=True)
    (project / "workbench.toml").write_text(CONFIG)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("print('outside')")]
    outside.mkdir()
    nbformat.write(nb, outside / "elsewhere.ipynb")
    (outside / "secret.json").write_text(json.dumps({"api_key": "s3cr3t-outside-the-root"}))
    return root, project, outside


def test_a_notebooks_folder_linked_out_of_the_project_is_a_4xx_and_explained(layout, capsys):
    root, project, outside = layout
    (project / "notebooks").rmdir()
    (project / "notebooks").symlink_to(outside, target_is_directory=True)
    api = WorkbenchAPI(root)
    with pytest.raises(DataError, match=r"notebooks/ leads outside the project folder") as err:
        api.notebooks("proj")
    assert error_status(err.value) == 400 and str(outside) not in str(err.value)
    assert main(["approvals", "-P", str(project)]) == 2
    printed = capsys.readouterr().err
    assert "notebooks/ leads outside the project folder" in printed and "Traceback" not in printed


def test_a_notebook_linked_out_of_the_project_is_refused(layout):
    root, project, outside = layout
    (project / "notebooks" / "01_linked.ipynb").symlink_to(outside / "elsewhere.ipynb")
    with pytest.raises(DataError, match=r"notebooks/01_linked\.ipynb leads outside the project folder"):
        approval_states(Project.load(project, check_data=False))
    with pytest.raises(RequestError, match="points outside the server's root folder"):
        WorkbenchAPI(root).notebook("proj/notebooks/01_linked.ipynb")


def test_a_report_linked_out_of_the_server_root_is_never_read(layout):
    root, project, outside = layout
    reports = project / ".workbench" / "reports"
    reports.mkdir(parents=True)
    (reports / "metrics.json").symlink_to(outside / "secret.json")
    (reports / "fairness.json").write_text(json.dumps({"kind": "fairness"}))
    api = WorkbenchAPI(root)
    with pytest.raises(RequestError, match="leads outside the server's root folder") as err:
        api.report("proj", "metrics")
    assert err.value.status == 403
    assert [r["name"] for r in api.reports("proj")["reports"]] == ["fairness"]
    assert api.report("proj", "fairness") == {"kind": "fairness"}


@pytest.mark.parametrize(("key", "value"), [
    ("path", "../outside.csv"), ("path", "/etc/passwd"), ("path", "data/../../x.csv"), ("production", "/tmp/traffic.csv"),
])
def test_data_paths_stay_inside_the_project(tmp_path, key, value):
    config = tmp_path / "workbench.toml"
    config.write_text(CONFIG.replace('path = "data.csv"', f'path = "data.csv"\n{key} = "{value}"')
                      if key == "production" else CONFIG.replace("data.csv", value))
    with pytest.raises(ConfigError, match=rf"'data\.{key}' = '{value}' points outside the project folder") as err:
        load_config(config)
    assert str(config) in str(err.value)


def test_the_alert_log_is_never_written_outside_the_project(tmp_path):
    config = tmp_path / "workbench.toml"
    config.write_text(CONFIG + '\n[monitor]\nalert_log = "/root/.bashrc"\n')
    with pytest.raises(ConfigError, match=r"'monitor\.alert_log' = '/root/\.bashrc' points outside the project"):
        load_config(config)

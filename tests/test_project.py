from __future__ import annotations

from pathlib import Path

import pytest

from workbench.exceptions import ConfigError, DataError
from workbench.project import Project
from workbench.scaffold import init_project


def test_init_creates_a_loadable_project(project: Project) -> None:
    assert (project.root / "workbench.toml").is_file()
    assert (project.root / ".gitignore").read_text().startswith(".workbench/")
    assert [p.name for p in project.notebooks()][:6] == [
        "01_explore.ipynb", "02_evaluate.ipynb", "03_develop.ipynb",
        "04_package.ipynb", "05_deploy.ipynb", "06_monitor.ipynb",
    ]
    data = project.load_data()
    assert len(data) == 1500 and "default" in data.columns
    assert len(project.load_production()) == 750


def test_init_refuses_an_existing_project(project: Project) -> None:
    with pytest.raises(ConfigError, match="already holds a project"):
        init_project(project.root)


def test_load_from_a_subfolder(project: Project) -> None:
    assert Project.load(project.root / "notebooks").root == project.root


def test_resolve_refuses_paths_outside(project: Project) -> None:
    assert project.resolve("data/credit.parquet", must_exist=True).is_file()
    with pytest.raises(DataError, match="points outside the project folder"):
        project.resolve("../../etc/passwd")
    with pytest.raises(DataError, match="points outside the project folder"):
        project.resolve("/etc/passwd")


def test_state_dir_is_inside(project: Project, tmp_path: Path) -> None:
    assert project.state_dir == project.root / ".workbench"

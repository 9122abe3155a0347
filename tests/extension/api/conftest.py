"""pytest-jupyter's server fixtures, for the handler tests only (its autouse fixtures stay here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403
from traitlets.config import Config

from ..conftest import add_check_pipeline


@pytest.fixture
def jp_server_config() -> Config:
    """A server with the Workbench extension enabled (as the installed config file does)."""
    return Config({"ServerApp": {"jpserver_extensions": {"workbench.jupyter": True}}})


@pytest.fixture
def lab_project(jp_root_dir: Path):
    """A fresh demo project (no runs) in ``<server root>/credit`` with the one-step ``check``
    pipeline, plus a notebook outside any project in ``<server root>/scratch``."""
    from workbench.scaffold import init_project

    project = init_project(jp_root_dir / "credit", rows=400)
    loose = jp_root_dir / "scratch"
    loose.mkdir()
    shutil.copyfile(project.root / "notebooks" / "01_explore.ipynb", loose / "loose.ipynb")
    add_check_pipeline(project.root)
    return project

"""Fixtures of the Package tests: the demo's bundle (read-only) and a packaged copy of `trained`."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from workbench.package import package_model
from workbench.project import Project
from workbench.tracking import Tracker


@pytest.fixture(scope="session")
def demo_bundle(demo_project) -> SimpleNamespace:
    """The bundle notebook 04 wrote in the finished demo, with its project. Read-only."""
    assert demo_project.returncode == 0, demo_project.stderr[-3000:]
    project = Project.load(demo_project.root)
    return SimpleNamespace(project=project, path=project.state_dir / "bundle", tracker=Tracker(project))


@pytest.fixture(scope="module")
def packaged(trained, tmp_path_factory) -> SimpleNamespace:
    """A copy of the `trained` project (a model without reviews or gates), packaged once."""
    root = tmp_path_factory.mktemp("packaged") / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    tracker = Tracker(project)
    uri = f"runs:/{trained.run_id}/model"
    bundle = package_model(project, uri, root.parent / "bundle")
    return SimpleNamespace(project=project, tracker=tracker, uri=uri, bundle=bundle, trained=trained)


def copy_bundle(source: Path, target: Path) -> Path:
    """A private copy of a bundle to change."""
    shutil.copytree(source, target)
    return target

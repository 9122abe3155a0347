"""Two registered versions side by side, from the reports their runs logged."""

from __future__ import annotations

import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest

from workbench.stakeholder import NOT_RUN, compare_rows, compare_versions


@pytest.fixture(scope="module")
def two_versions(trained, tmp_path_factory):
    """A copy of the trained project with two registered versions (real MLflow registry)."""
    from workbench.project import Project
    from workbench.tracking import Tracker

    root = tmp_path_factory.mktemp("cmp") / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    tracker = Tracker(project)
    name = project.config.model_name
    tracker.client.create_registered_model(name)
    for _ in range(2):
        tracker.client.create_model_version(name, trained.model_uri, run_id=trained.run_id)
    return project


def test_compare_without_reports_says_not_run_yet(two_versions, tmp_path):
    page = compare_versions(two_versions, 1, 2, tmp_path / "out").read_text(encoding="utf-8")
    assert "Model version 1 vs 2" in page
    assert page.count(NOT_RUN) == 4  # metrics, fairness, drivers, data: none logged by this run


def test_compare_rows_changes():
    old = SimpleNamespace(metrics={"roc_auc": 0.7, "accuracy": 0.8})
    new = SimpleNamespace(metrics={"roc_auc": 0.75})
    rows = compare_rows("metrics", old, new)
    assert rows[0] == {"item": "roc_auc", "v1": 0.7, "v2": 0.75, "change": pytest.approx(0.05)}
    assert rows[1]["v2"] == NOT_RUN and rows[1]["change"] is None


def test_cli_compare_and_unknown_version(two_versions, tmp_path):
    base = [
        sys.executable,
        "-m",
        "workbench",
        "report",
        "-P",
        str(two_versions.root),
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(
        [*base, "--compare", "1", "2"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "compare.html").is_file()
    bad = subprocess.run(
        [*base, "--compare", "1", "9"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "no version 9" in bad.stderr

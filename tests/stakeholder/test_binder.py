"""binder/postBuild builds the finished demo and its evidence pack (small rows via the env var)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_binder_files_present():
    req = (REPO / "binder" / "requirements.txt").read_text(encoding="utf-8")
    assert "-e ." in req and "stakeholder" in req
    assert os.access(REPO / "binder" / "postBuild", os.X_OK)


@pytest.mark.slow
def test_postbuild_builds_demo_and_pack(demo_project):
    """postBuild (run by the demo_project fixture in Binder's environment) builds the demo and pack."""
    assert (demo_project.bindir / "workbench").exists(), f"no workbench in {demo_project.bindir}"
    assert demo_project.returncode == 0, demo_project.stderr[-2000:]
    index = demo_project.root / "evidence-pack" / "index.html"
    assert index.is_file() and "Evidence pack" in index.read_text(encoding="utf-8")
    assert "evidence pack:" in demo_project.stdout

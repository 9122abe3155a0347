"""binder/postBuild builds the finished demo and its evidence pack (small rows via the env var)."""

from __future__ import annotations

import json
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
    page = index.read_text(encoding="utf-8")
    steps = "Explore, Evaluate, Develop, Package, Deploy and Monitor were approved by "
    assert steps in page, page[:3000]
    history = _fold(page, "Production history")
    assert "<table" in history and "champion moved to version 1" in history, history[:2000]


def _fold(page: str, summary: str) -> str:
    """The HTML of the pack's folded block whose summary line is ``summary``."""
    start = page.index(f"<summary>{summary}</summary>")
    return page[start:page.index("</details>", start)]


@pytest.mark.slow
def test_default_url_opens_the_stakeholder_view(tmp_path: Path) -> None:
    """On Binder (demo below $HOME) `jupyter lab` at / redirects to the Voila stakeholder view."""
    import subprocess
    import sys

    import httpx
    from conftest import free_port, wait_for_port

    home = tmp_path / "home"
    (home / ".jupyter").mkdir(parents=True)
    (home / ".jupyter" / "jupyter_lab_config.json").write_text('{"LabApp": {"collaborative": false}}')
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter")}
    script = REPO / "binder" / "default_url.py"
    outside = subprocess.run([sys.executable, script, tmp_path / "elsewhere"], env=env, capture_output=True, text=True)
    assert "unchanged" in outside.stdout and not (home / ".jupyter" / "jupyter_server_config.d").exists()
    done = subprocess.run([sys.executable, script, home / "workbench-demo"], env=env, capture_output=True, text=True)
    view = "/voila/render/workbench-demo/notebooks/stakeholder.ipynb"
    assert done.returncode == 0 and view in done.stdout, done.stderr
    lab = json.loads((home / ".jupyter" / "jupyter_lab_config.json").read_text())
    assert lab == {"LabApp": {"collaborative": False, "default_url": view}}  # the user's keys kept

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         "--IdentityProvider.token=t", f"--ServerApp.root_dir={home}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server, "jupyter lab", timeout=120)
        answer = httpx.get(f"http://127.0.0.1:{port}/?token=t", timeout=30)
        assert answer.status_code == 302
        assert answer.headers["location"].startswith(view)
    finally:
        server.terminate()
        server.wait(timeout=30)

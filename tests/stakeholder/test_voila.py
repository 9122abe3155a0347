"""The stakeholder view as a visitor sees it: Voila serves the dashboard, Chromium renders it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_port

SECTIONS = (
    "Model card",
    "Gates",
    "Performance against the baseline",
    "Fairness by group",
    "Top drivers",
    "Drift status",
    "Production history",
    "Alert history",
    "Approvals",
)
#: Sections the finished demo fills (the alert history may rightly be empty).
FILLED = (
    "Model card",
    "Performance against the baseline",
    "Fairness by group",
    "Top drivers",
    "Drift status",
    "Monitoring",
    "Production history",
    "Approvals",
)
#: {section title: whether it says "not run yet"} of the dashboard's top-level sections.
MISSING = """() => Object.fromEntries([...document.querySelectorAll('section')]
    .filter(s => s.querySelector(':scope > h2') && !s.parentElement.closest('section'))
    .map(s => [s.querySelector(':scope > h2').textContent, !!s.querySelector(':scope > p.wb-missing')]))"""


@pytest.fixture
def voila_url(demo_project, tmp_path: Path) -> Iterator[str]:
    """Voila (from Binder's environment) serving the demo's stakeholder notebook on 127.0.0.1."""
    assert demo_project.returncode == 0, demo_project.stderr[-2000:]
    notebook = demo_project.root / "notebooks" / "stakeholder.ipynb"
    assert notebook.is_file()
    home = tmp_path / "home"
    env = {
        **os.environ,
        "WORKBENCH_PROJECT": str(demo_project.root),
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / ".ipython"),
    }
    port = free_port()
    # Binder's environment serves the dashboard (CI builds it from binder/ alone), as on Binder.
    voila = str(demo_project.bindir / "voila")
    if not Path(voila).exists():
        voila = shutil.which("voila") or str(Path(sys.executable).parent / "voila")
    log = (tmp_path / "voila.log").open("w")
    proc = subprocess.Popen(
        [voila, str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
         "--ServerApp.port_retries=0"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for_port(port, proc, "voila", timeout=60)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.mark.slow
def test_dashboard_renders_in_chromium(voila_url: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium on this machine")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(voila_url, timeout=120_000)
            page.wait_for_selector("text=Approvals", timeout=120_000)
            page.wait_for_load_state("networkidle", timeout=60_000)
            body = page.inner_text("body")
            source = page.content()
            page.wait_for_selector(".js-plotly-plot", timeout=60_000)
            charts = page.locator(".js-plotly-plot").count()
            missing = page.evaluate(MISSING)
            artifacts = Path(os.environ.get("WORKBENCH_TEST_ARTIFACTS", "test-artifacts"))
            artifacts.mkdir(parents=True, exist_ok=True)
            shot = artifacts / "stakeholder-view.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    print(f"screenshot: {shot}")
    for title in SECTIONS:
        assert title in body, title
    assert "Traceback" not in body
    # The code is hidden: no source of the notebook's cells reaches the page.
    for code in ("import workbench", "sections(project)", "Project.load(project_dir)"):
        assert code not in source, code
    assert charts >= 3, charts  # performance, fairness and SHAP charts drawn by plotly.js
    # The finished demo fills the sections: none of the reports a stakeholder reads is missing.
    assert set(missing) >= set(FILLED), missing
    assert not any(missing[title] for title in FILLED), missing
    assert shot.stat().st_size > 20_000

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
from _page_checks import check_page
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_port

from workbench.stakeholder import QUESTIONS

REPO = Path(__file__).resolve().parents[2]


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
    _voila_config(home / ".jupyter")
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


def _voila_config(config_dir: Path) -> None:
    """The package's voila.json (Voila does not load the side panel plugin), where Voila reads it.

    ``pip install`` puts it in ``<prefix>/etc/jupyter``; an environment installed before it
    shipped has none there, so the test's own config folder gets the repository's copy.
    """
    if not (Path(sys.prefix) / "etc" / "jupyter" / "voila.json").is_file():
        config_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "extensions" / "jupyter-config" / "voila.json", config_dir / "voila.json")


def _offline(page, external: list[str]) -> None:
    """Answer requests to other hosts (Voila's template asks a CDN for icon CSS) with nothing: tests stay
    offline, and a request that cannot resolve would show as a console error that is not the page's."""
    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "file://", "data:")):
            r.continue_()
        else:
            external.append(r.request.url)
            r.fulfill(status=200, body="", content_type="text/css")

    page.route("**/*", route)


def _errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _artifacts() -> Path:
    folder = Path(os.environ.get("WORKBENCH_TEST_ARTIFACTS", "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.slow
def test_dashboard_renders_in_chromium(voila_url: str) -> None:
    """The first screen answers the four questions; nothing a reader should not see; no console error."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium on this machine")
    external: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors = _errors(page)
            _offline(page, external)
            page.goto(voila_url, timeout=180_000, wait_until="domcontentloaded")
            page.wait_for_selector(".wb-sh-answer", timeout=180_000)
            page.wait_for_load_state("networkidle", timeout=60_000)
            timing = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
                return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }""")
            source = page.content()
            shot = _artifacts() / "stakeholder-view.png"
            page.screenshot(path=str(shot))
            found = check_page(page)
        finally:
            browser.close()
    print(f"DOM ready {timing['dom'] / 1000:.2f} s, load {timing['load'] / 1000:.2f} s; screenshot {shot}")
    print(f"requests to other hosts answered offline: {external}")
    answers = found["answers"]
    assert [a["question"] for a in answers] == list(QUESTIONS.values())
    assert all(a["onFirstScreen"] for a in answers), answers
    assert all(a["light"] in ("green", "amber", "red", "grey") and a["sentence"] for a in answers), answers
    # the finished demo answers every question (none is "not known yet")
    assert not [a for a in answers if a["light"] == "grey"], answers
    assert found["faults"] == [], found["faults"][:20]
    assert errors == [], errors
    assert "Traceback" not in found["text"] and "row explained" not in found["text"].lower()
    # The code is hidden: no source of the notebook's cells reaches the page.
    for code in ("import ", "cached_stakeholder_html", "project_dir"):
        assert code not in source, code
    for title in ("What changed since the last version", "Who approved and promoted it"):
        assert title in found["text"]
    assert shot.stat().st_size > 20_000


@pytest.mark.slow
def test_evidence_pack_index_has_the_same_layout(demo_project) -> None:
    """The pack's index page passes the same checks, opened from disk."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium on this machine")
    assert demo_project.returncode == 0, demo_project.stderr[-2000:]
    index = demo_project.root / "evidence-pack" / "index.html"
    external: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors = _errors(page)
            _offline(page, external)
            page.goto(index.as_uri())
            found = check_page(page)
        finally:
            browser.close()
    assert external == []  # the pack opens offline
    assert [a["question"] for a in found["answers"]] == list(QUESTIONS.values())
    assert all(a["onFirstScreen"] for a in found["answers"]), found["answers"]
    assert found["faults"] == [], found["faults"][:20]
    assert errors == [], errors
    assert "Evidence pack" in found["text"] and "Full reports" in found["text"]

"""The evidence pack: every section says 'not run yet' when missing, opens offline, stays small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from workbench.stakeholder import NOT_RUN, REPORT_NAMES, build_evidence_pack


def test_empty_project_every_section_not_run_yet(project, tmp_path):
    index = build_evidence_pack(project, tmp_path / "pack")
    page = index.read_text(encoding="utf-8")
    for name in REPORT_NAMES:
        assert f"{name}: <em class='wb-missing'>{NOT_RUN}</em>" in page
    assert page.count(NOT_RUN) >= len(REPORT_NAMES) + 1
    assert (tmp_path / "pack" / "plotly.min.js").stat().st_size > 1_000_000


@pytest.fixture(scope="module")
def large_pack(tmp_path_factory):
    """A pack whose profile and schema were computed from a 1,000,000-row frame and logged for real."""
    from workbench.explore import profile
    from workbench.explore.schema import infer_schema
    from workbench.scaffold import init_project
    from workbench.tracking import Tracker

    project = init_project(tmp_path_factory.mktemp("large") / "proj", rows=2000)
    frame = project.load_data()
    big = pd.concat([frame] * (1_000_000 // len(frame)), ignore_index=True)
    assert len(big) == 1_000_000
    with Tracker(project).start_run("explore") as run:
        run.log_report(infer_schema(big), "schema")
        run.log_report(profile(big, target=project.config.data.target), "profile")
    out = tmp_path_factory.mktemp("pack") / "pack"
    build_evidence_pack(project, out)
    return out


def test_large_project_pack_is_small(large_pack):
    sizes = {p.name: p.stat().st_size for p in large_pack.iterdir()}
    assert {"schema.html", "schema.json", "profile.html", "profile.json"} <= set(sizes)
    assert sum(v for k, v in sizes.items() if k != "plotly.min.js") < 600_000
    assert sizes["plotly.min.js"] < 6_000_000
    assert (large_pack / "index.html").read_text(encoding="utf-8").count("<script src=") == 0
    assert "plotly.min.js" in (large_pack / "schema.html").read_text(encoding="utf-8")


def test_pack_opens_offline_in_chromium(large_pack):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium on this machine")
    attempted: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            page = browser.new_page()

            def route(r):
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    attempted.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            for name in ("index.html", "schema.html"):
                page.goto((large_pack / name).as_uri())
                page.wait_for_load_state("load")
            assert page.evaluate("typeof Plotly") == "object"
            page.goto((large_pack / "index.html").as_uri())
            assert "Evidence pack" in page.inner_text("body")
        finally:
            browser.close()
    assert attempted == []


def test_cli_writes_pack(project, tmp_path):
    out = tmp_path / "cli-pack"
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "report", "-P", str(project.root), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "index.html").is_file() and str(out / "index.html") in done.stdout

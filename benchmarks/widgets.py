"""Review widgets in JupyterLab (Chromium, 1400x900): drawing time per widget, saved notebook size.

A notebook shows the six review reports of a finished demo project alone in cells. Each cell is
run in turn; the time from the cell finishing (its prompt numbered) to every visible chart of its
widget being drawn is printed. Then the notebook is saved with the widget state and its size
printed, and every view is walked (tabs and pickers) with the checks of the browser test.
Targets: each widget drawn within 2 s of its cell finishing; the saved notebook under 2 MB.

    python benchmarks/widgets.py [--demo DIR] [--shots DIR]

Without ``--demo`` a demo project is built first (``workbench demo --rows 1500``, minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS)]

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from extension.lab import running_lab  # noqa: E402
from render.lab_views import column_kinds, review_notebook, run_cell, walk_widget  # noqa: E402
from render.projects import KINDS, demo_reports  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a finished demo project (default: build one)")
    parser.add_argument("--shots", type=Path, help="save a screenshot of every view here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        demo = args.demo or _build_demo(scratch / "demo")
        reports = demo_reports(demo, scratch / "reports")
        root = scratch / "root"
        root.mkdir()
        review_notebook(root / "reviews.ipynb", reports, KINDS)
        settings = scratch / "home" / "lab-settings" / "@jupyter-widgets" / "jupyterlab-manager"
        settings.mkdir(parents=True)
        (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
        with running_lab(root, scratch, free_port()) as lab, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(120_000)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{lab.url}/lab/tree/reviews.ipynb?reset&token={lab.token}")
            page.wait_for_selector("text=| Idle", timeout=180_000)
            run_cell(page, 0)
            print(f"load average {os.getloadavg()[0]:.1f} (2 cores, shared)")
            for index, kind in enumerate(KINDS, start=1):
                times = run_cell(page, index)
                print(f"{kind:12s} cell finished {times['run']:6.2f} s, widget drawn {times['drawn']:6.2f} s after "
                      f"the run started: {times['draw']:5.2f} s after the cell finished (target 2 s)")
            page.keyboard.press("Control+s")
            page.wait_for_timeout(1500)
            size = (root / "reviews.ipynb").stat().st_size
            print(f"notebook saved with six review widgets and their state: {size / 2**20:.2f} MB (target < 2 MB)")
            started = time.perf_counter()
            kinds = column_kinds(reports)
            cells = page.locator(".jp-Notebook .jp-CodeCell")
            findings, views = [], 0
            for index, kind in enumerate(KINDS, start=1):
                walk = walk_widget(page, cells.nth(index).locator(".jp-Cell-outputArea").element_handle(), kind, kinds,
                                   args.shots)
                views += len(walk.views)
                findings += walk.findings
            print(f"{views} views walked in {time.perf_counter() - started:.1f} s; findings: {findings or 'none'}")
            print(f"console errors: {errors or 'none'}")
            browser.close()


def _build_demo(directory: Path) -> Path:
    from workbench.demo import run_demo

    run_demo(directory, rows=1500, progress=False)
    return directory


if __name__ == "__main__":
    main()

"""The extension as a data scientist meets it: JupyterLab on a trained project, driven in Chromium.

One JupyterLab (127.0.0.1, temporary Jupyter folders) serves a copy of the session's trained
project (its Evaluate run logged), with its fairness report, an Explore run whose gates partly
failed, and a one-step pipeline added. The panel shows the six phases (Explore red with its gate
reasons), approves the pipeline's notebook,
runs the pipeline through the typed form (a wrong value is refused in the browser first), sees
the run succeed and opens its executed notebook; a notebook cell shows the fairness widget and
its plotly chart redraws when the feature selection changes. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port

from .conftest import add_check_pipeline
from .lab import running_lab

PHASES = ["Explore", "Evaluate", "Develop", "Package", "Deploy", "Monitor"]
PROJECT = "credit-demo"
CHECK = f"{PROJECT}/notebooks/check.ipynb"
FAIRNESS = f"{PROJECT}/notebooks/fairness_view.ipynb"
SLOW = 180_000  # ms: kernels start slowly on a busy 2-core machine
TICKS = (
    "() => [...document.querySelectorAll('.widget-vbox:has(.widget-dropdown) .js-plotly-plot .xtick text')]"
    ".map(e => e.textContent)"
)

pytestmark = pytest.mark.slow


def _fairness_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from workbench.reports import load_report\n"
        'load_report("../.workbench/reports/fairness.json").widget()'
    )]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _log_explore_gates(root: Path) -> None:
    """An Explore run whose gates partly failed: the panel shows the phase red with the reasons."""
    from workbench.project import Project
    from workbench.reports.gates import GateReport, check_max, check_min
    from workbench.tracking import Tracker

    gates = GateReport(phase="explore", results=(
        check_min("rows", 3000, 1000), check_max("missing_share", 0.12, 0.05, label="missing share"),
    ))
    with Tracker(Project.load(root)).start_run("explore") as run:
        run.log_gates(gates)


@pytest.fixture(scope="module")
def lab(trained, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """JupyterLab serving a copy of the session's trained project (an Evaluate run with its
    model), its fairness report, and the one-step ``check`` pipeline; stopped after the module."""
    from workbench.evaluate import assess_fairness

    scratch = tmp_path_factory.mktemp("lab")
    project = scratch / "root" / PROJECT
    shutil.copytree(trained.project.root, project)
    split = trained.split
    fairness = assess_fairness(
        model=trained.model, X=split.X_test, y_true=split.y_test,
        sensitive_features=split.sensitive_test, n_bootstrap=50,
    )
    fairness.save(project / ".workbench" / "reports" / "fairness.json")
    _log_explore_gates(project)
    add_check_pipeline(project)
    _fairness_notebook(project / "notebooks" / "fairness_view.ipynb")
    with running_lab(scratch / "root", scratch, free_port()) as server:
        server.root = scratch / "root"
        server.run_id = trained.run_id
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium on this machine (.ci/run installs Debian's chromium)")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(lab, browser) -> Iterator:
    """Lab opened with a reset layout and the Workbench panel shown."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(f"{lab.url}/lab?reset&token={lab.token}", timeout=SLOW)
    page.click("li[data-id='workbench-panel']", timeout=SLOW)
    page.wait_for_selector(".jp-WorkbenchPhase", timeout=SLOW)
    yield page
    page.close()


def _shot(page, name: str) -> Path:
    folder = Path(os.environ.get("WORKBENCH_TEST_ARTIFACTS", "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"extension-{name}.png"
    page.screenshot(path=str(path))
    return path


def _palette(page) -> None:
    """Open the command palette from the View menu (Chromium keeps Ctrl+Shift+C for itself).

    The modal palette closes when it loses focus, and a notebook that has just been opened
    takes focus a moment later: open it again until it stays open. The focus can also move
    before the palette is first seen visible: that attempt times out and is retried too.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    for _ in range(5):
        page.click(".lm-MenuBar-itemLabel:text-is('View')")
        page.click(".lm-Menu-itemLabel:text-is('Activate Command Palette')")
        try:
            page.wait_for_selector(".lm-CommandPalette-input:visible", timeout=15_000)
        except PlaywrightTimeoutError:
            continue
        page.wait_for_timeout(500)
        if page.locator(".lm-CommandPalette-input:focus").count():
            return
    raise AssertionError("the command palette kept closing: something else keeps taking focus")


def _notebook_row(path: str) -> str:
    return f".jp-WorkbenchNotebook[data-path='{path}']"


def test_panel_approves_runs_and_opens_the_executed_notebook(page, lab) -> None:
    titles = page.locator(".jp-WorkbenchPhase-name").all_inner_texts()
    assert titles == PHASES
    states = page.eval_on_selector_all(".jp-WorkbenchPhase", "items => items.map(i => i.dataset.state)")
    assert states == ["gates failed", "done", "not run", "not run", "not run", "not run"]
    explore = page.locator(".jp-WorkbenchPhase[data-phase='explore']")
    assert explore.locator(".jp-WorkbenchPhase-state").inner_text() == "gates failed"
    gates = explore.locator(".jp-WorkbenchGates")
    assert gates.get_attribute("data-passed") == "false" and gates.get_attribute("open") is not None
    assert gates.locator("summary").inner_text() == "1 of 2 gates passed"
    assert gates.locator("li").all_inner_texts() == ["✓ rows 3000 >= 1000", "✗ missing share 0.12 > 0.05"]
    assert page.locator(".jp-WorkbenchPhase[data-phase='evaluate'] .jp-WorkbenchGates").count() == 0
    assert "Explore gates failed (missing share 0.12 > 0.05)" in page.locator(".jp-WorkbenchPanel-next").inner_text()
    chosen = page.locator(".jp-WorkbenchPanel-chosen").inner_text()
    assert chosen.startswith(f"Chosen model: run {lab.run_id} (runs:/{lab.run_id}/model), chosen by run.log_model")
    row = _notebook_row(CHECK)
    assert page.locator(f"{row} .jp-WorkbenchBadge").inner_text() == "none"
    _shot(page, "1-panel")

    page.click(f"{row} .jp-WorkbenchNotebook-link")
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-WorkbenchToolbarStatus:text-is('Monitor · none')")
    page.click(f"{row} .jp-WorkbenchApprove")
    page.fill(".jp-Dialog input", "prints the greeting; reviewed")
    page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector(f"{row} .jp-WorkbenchBadge[data-state='approved']")
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-WorkbenchToolbarStatus:text-is('Monitor · approved')")

    page.click(".jp-WorkbenchRunButton")
    form = page.locator(".jp-WorkbenchRunForm")
    form.locator("select.jp-WorkbenchRunForm-pipeline").select_option("check")
    form.locator("input[name='repeat']").fill("three")
    form.locator("button.jp-mod-accept").click()
    error = form.locator(".jp-WorkbenchRunForm-field[data-parameter='repeat'] .jp-WorkbenchRunForm-error")
    assert error.inner_text() == 'repeat must be a whole number, got "three".'
    assert page.locator(".jp-WorkbenchRun").count() == 0
    _shot(page, "2-form-refuses")

    form.locator("input[name='repeat']").fill("3")
    form.locator("select[name='greeting']").select_option("hi")
    form.locator("button.jp-mod-accept").click()
    run = page.locator(".jp-WorkbenchRun").first
    run.wait_for()
    page.wait_for_selector(".jp-WorkbenchRun[data-status='succeeded']", timeout=SLOW)
    assert "CPU" in run.locator(".jp-WorkbenchRun-cost").inner_text()
    _shot(page, "3-run-succeeded")

    run.locator(".jp-WorkbenchRun-output").click()
    frame = page.frame_locator(".jp-WorkbenchOutput-frame")
    frame.locator("text=hi hi hi").wait_for(timeout=SLOW)
    assert "greet · run" in page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").inner_text()
    _shot(page, "4-executed-notebook")


def test_fairness_widget_redraws_when_the_feature_changes(page) -> None:
    page.click(f"{_notebook_row(FAIRNESS)} .jp-WorkbenchNotebook-link")
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-WorkbenchToolbarStatus:text-is('No phase · none')")
    page.wait_for_selector("text=| Idle", timeout=SLOW)
    page.click(".jp-NotebookPanel:visible .jp-Cell .jp-InputArea-editor")
    page.keyboard.press("Shift+Enter")
    chart = page.locator(".widget-vbox:has(.widget-dropdown) .js-plotly-plot").first
    chart.wait_for(timeout=SLOW)
    page.wait_for_function(f"() => ({TICKS})().length > 0")
    before = page.evaluate(TICKS)
    assert any(label.startswith(("F", "M")) for label in before), before
    _shot(page, "5-fairness-sex")

    page.locator(".widget-dropdown:has-text('Feature') select").select_option("age_band")
    # The redraw swaps traces then layout: wait for the age bands, not merely for a change.
    page.wait_for_function(f"() => ({TICKS})().some(label => label.startsWith('41-60'))", timeout=SLOW)
    after = page.evaluate(TICKS)
    assert after != before
    assert not any(label.startswith(("F ", "M ")) for label in after), after
    page.wait_for_selector(".widget-vbox:has(.widget-dropdown) .js-plotly-plot .gtitle:text-is('Selection rate by age_band')")
    page.eval_on_selector(".jp-WorkbenchPanel", "panel => { panel.scrollTop = 0; }")  # the panel from its top
    _shot(page, "6-fairness-age-band")


def test_palette_commands_tag_the_parameters_cell(page, lab) -> None:
    _palette(page)
    page.fill(".lm-CommandPalette-input", "Workbench:")
    page.wait_for_function(
        "() => document.querySelectorAll('.lm-CommandPalette-item').length === 5"
    )
    labels = page.locator(".lm-CommandPalette-item .lm-CommandPalette-itemLabel").all_inner_texts()
    assert sorted(labels) == [
        "Workbench: Approve Current Notebook", "Workbench: New Project from Data…", "Workbench: Open Panel",
        "Workbench: Run Pipeline…", "Workbench: Tag Selected Cell as Parameters",
    ]
    page.keyboard.press("Escape")
    page.click(f"{_notebook_row(FAIRNESS)} .jp-WorkbenchNotebook-link")
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-WorkbenchToolbarStatus:text-is('No phase · none')")
    page.click(".jp-NotebookPanel:visible .jp-Cell .jp-InputArea-prompt")
    page.wait_for_selector("text=| Idle", timeout=SLOW)  # the kernel connection settles first
    _palette(page)
    page.fill(".lm-CommandPalette-input", "Workbench: Tag Selected Cell as Parameters")
    # Click the item itself: Enter right after typing can run the palette's stale first result
    # on a busy machine (the search updates on the next animation frame).
    page.click(".lm-CommandPalette-item[data-command='workbench:tag-parameters']")
    page.wait_for_selector(".jp-toast-message:has-text('Tagged the selected cell as the parameters cell')")
    page.keyboard.press("Control+s")
    path = lab.root / FAIRNESS
    deadline = time.monotonic() + 60
    tags: list[str] = []
    while time.monotonic() < deadline and tags != ["parameters"]:
        time.sleep(0.5)
        try:
            tags = nbformat.read(path, as_version=4).cells[0].metadata.get("tags", [])
        except (nbformat.reader.NotJSONError, ValueError):
            continue  # caught while the server writes the file
    assert tags == ["parameters"]
    _shot(page, "7-palette-tagged")


# -- a panel that keeps up -------------------------------------------------------------------
EDIT_ME = f"{PROJECT}/notebooks/edit_me.ipynb"
NAP = f"{PROJECT}/notebooks/nap.ipynb"
SLOW_PIPELINE = """\
  slow:
    description: One step that sleeps until it is cancelled.
    steps:
      - name: nap
        notebook: notebooks/nap.ipynb
"""


def _approved_notebook(lab, path: str, *cells: str, phase: str | None = None) -> None:
    from workbench.pipelines import approve_notebook
    from workbench.project import Project

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('project_dir = "."', metadata={"tags": ["parameters"]}),
                *(nbformat.v4.new_code_cell(code) for code in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if phase:
        nb.metadata["workbench"] = {"phase": phase}
    nbformat.write(nb, lab.root / path)
    project = Project.load(lab.root / PROJECT, check_data=False)
    approve_notebook(project, path.removeprefix(f"{PROJECT}/"), by="tester", comment="reviewed")


@pytest.fixture
def edit_me(lab) -> str:
    """An approved notebook of no phase, listed under Other notebooks."""
    _approved_notebook(lab, EDIT_ME, "print('first version')")
    return EDIT_ME


@pytest.fixture
def slow_pipeline(lab) -> str:
    """The pipeline ``slow``: one approved step that sleeps for ten minutes."""
    _approved_notebook(lab, NAP, "print('napping')", "import time\ntime.sleep(600)", phase="monitor")
    spec = lab.root / PROJECT / "pipeline.yaml"
    if "slow:" not in spec.read_text():
        spec.write_text(spec.read_text() + SLOW_PIPELINE)
    return "slow"


def _in_viewport(page, selector: str) -> dict:
    return page.eval_on_selector(selector, """node => {
        const box = node.getBoundingClientRect(), panel = node.closest('.jp-WorkbenchPanel').getBoundingClientRect();
        return {top: box.top, bottom: box.bottom, panelTop: panel.top, panelBottom: panel.bottom};
    }""")


def test_saving_an_edit_turns_the_badge_changed_without_refresh(edit_me, page) -> None:
    panel = page.locator(".jp-WorkbenchPanel")
    assert "`" not in panel.inner_text(), "commands show as code, never between literal backticks"
    assert panel.evaluate("n => n.scrollWidth <= n.clientWidth"), "long run URIs wrap; nothing overflows sideways"
    row = _notebook_row(edit_me)
    badge = page.locator(f"{row} .jp-WorkbenchBadge")
    assert badge.get_attribute("data-state") == "approved"
    assert badge.get_attribute("title").startswith("Approved by tester at ")
    name = page.locator(f"{row} .jp-WorkbenchNotebook-link")
    assert name.inner_text() == "edit_me.ipynb", "the name is shown whole, not cut"
    assert name.evaluate("n => n.scrollWidth <= n.clientWidth + 1")
    page.click(f"{row} .jp-WorkbenchNotebook-link")
    status = page.locator(".jp-NotebookPanel:visible .jp-WorkbenchToolbarStatus")
    status.filter(has_text="No phase · approved").wait_for()
    assert status.get_attribute("title").startswith("Workbench: a notebook of no phase. Approved by tester at ")
    page.click(".jp-NotebookPanel:visible .jp-Cell:last-child .jp-InputArea-editor")
    page.keyboard.press("End")
    page.keyboard.type("  # edited")
    page.keyboard.press("Control+s")
    # No click on Refresh: the save itself brings the panel up to date.
    page.wait_for_selector(f"{row} .jp-WorkbenchBadge[data-state='changed']", timeout=60_000)
    assert badge.get_attribute("title").startswith("Changed since it was approved by tester at ")
    status.filter(has_text="No phase · changed").wait_for()
    assert "Pipelines will not run it until it is approved again." in status.get_attribute("title")
    _shot(page, "8-changed-after-save")


def test_run_form_opens_in_view_and_a_running_run_is_cancelled(slow_pipeline, page, lab) -> None:
    page.click(".jp-WorkbenchRunButton")
    form = ".jp-WorkbenchRunForm"
    page.wait_for_selector(form)
    place = _in_viewport(page, form)
    assert place["panelTop"] - 1 <= place["top"] < place["panelBottom"] - 60, place
    # The focus lands within a frame of the form (after the shell has activated the panel).
    page.wait_for_function(f"() => document.querySelector('{form}').contains(document.activeElement)",
                           timeout=5000)
    _shot(page, "9-run-form-in-view")
    page.locator(f"{form} select.jp-WorkbenchRunForm-pipeline").select_option(slow_pipeline)
    page.locator(f"{form} button.jp-mod-accept").click()
    run = page.locator(".jp-WorkbenchRun[data-status='running']").first
    run.wait_for(timeout=SLOW)
    page.wait_for_selector(".jp-WorkbenchRun[data-status='running'] li[data-status='running']", timeout=SLOW)
    cost = run.locator(".jp-WorkbenchRun-cost").inner_text()
    assert "so far · started by jupyterlab" in cost and "CPU" not in cost and "· ·" not in cost, cost
    run.scroll_into_view_if_needed()
    scrolled = page.eval_on_selector(".jp-WorkbenchPanel", "n => n.scrollTop")
    assert scrolled > 0
    page.wait_for_timeout(5000)  # the kernel reaches the sleeping cell; the panel polls twice meanwhile
    assert page.eval_on_selector(".jp-WorkbenchPanel", "n => n.scrollTop") == scrolled, \
        "a poll while the run is running keeps the panel where the reader scrolled"
    _shot(page, "10-run-running")
    run.locator(".jp-WorkbenchRun-cancel").click()
    page.click(".jp-Dialog .jp-mod-warn")
    cancelled = page.locator(".jp-WorkbenchRun[data-status='cancelled']").first
    cancelled.wait_for(timeout=SLOW)
    step = cancelled.locator("li[data-status='cancelled']")
    assert step.inner_text().startswith("nap: cancelled")
    assert "the executed notebook is kept with the cells that ran" in step.inner_text()
    assert cancelled.locator(".jp-WorkbenchRun-output").count() == 1
    assert cancelled.locator(".jp-WorkbenchRun-cancel").count() == 0
    cancelled.scroll_into_view_if_needed()
    _shot(page, "11-run-cancelled")


def test_a_run_started_elsewhere_shows_up_without_refresh(slow_pipeline, page, lab) -> None:
    from workbench.pipelines import cancel_run, start_pipeline
    from workbench.project import Project

    project = Project.load(lab.root / PROJECT, check_data=False)
    shown = page.eval_on_selector_all(".jp-WorkbenchRun", "runs => runs.map(r => r.dataset.runId)")
    run_id = start_pipeline(project, slow_pipeline, trigger="cli")  # as `workbench run` in a terminal would
    assert run_id not in shown
    page.wait_for_selector(f".jp-WorkbenchRun[data-run-id='{run_id}']", timeout=60_000)
    page.wait_for_selector(f".jp-WorkbenchRun[data-run-id='{run_id}'] li[data-status='running']", timeout=SLOW)
    cancel_run(project, run_id, by="a terminal", wait=90)
    done = page.locator(f".jp-WorkbenchRun[data-run-id='{run_id}'][data-status='cancelled']")
    done.wait_for(timeout=60_000)
    assert "Cancelled by a terminal" in done.inner_text()

"""The panel's New project form and its status lights, driven in Chromium.

JupyterLab serves a folder holding scikit-learn's breast cancer data as a CSV (with a sensitive
column derived from it), a folder that already holds a project, and a copy of the session's
trained project in which a newer model was chosen after Develop ran and Monitor's review fired
alerts. The form refuses the taken folder with the server's message, then creates the project
from the CSV and the panel opens it; the trained copy shows Develop stale and Monitor alerting,
with the reasons and the chosen model. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port

from .lab import running_lab
from .test_lab_browser import SLOW, _shot, browser  # noqa: F401  (the module's Chromium fixture)

pytestmark = pytest.mark.slow

TRAINED = "credit-demo"


def _breast_cancer_csv(path: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame["size_band"] = (frame["mean radius"] > frame["mean radius"].median()).map({True: "large", False: "small"})
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def _stale_and_alerting(root: Path, trained) -> None:
    """Develop checked the trained model, then a newer model was chosen; Monitor's review fired alerts."""
    from workbench.explore.schema import infer_schema
    from workbench.monitor import MonitorReport
    from workbench.project import Project
    from workbench.reports.gates import GateReport, check_max
    from workbench.tracking import Tracker

    tracker = Tracker(Project.load(root))
    with tracker.start_run("explore") as explore:
        explore.log_gates(GateReport(phase="explore", results=(check_max("missing_share", 0.01, 0.5),)))
    with tracker.start_run("develop", params={"model_uri": f"runs:/{trained.run_id}/model"}):
        pass
    with tracker.start_run("evaluate") as run:
        run.log_model(trained.model, input_example=trained.split.X_test.head(2), schema=infer_schema(trained.split.X_train))
    alerts = ({"rule": "drift", "metric": "drift_share", "value": 0.6, "threshold": 0.25, "message": "drifted"},)
    review = MonitorReport(project=tracker.project.name, task="binary", since=None, until=None, window="7D", n_predictions=300,
                           n_requests=3, n_labelled=0, drift=None, alerts=alerts)
    with tracker.start_run("monitor") as monitor:
        monitor.log_report(review, "monitor")


@pytest.fixture(scope="module")
def lab(trained, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    scratch = tmp_path_factory.mktemp("lab-new")
    root = scratch / "root"
    _breast_cancer_csv(root / "data" / "breast_cancer.csv")
    (root / "taken").mkdir()
    (root / "taken" / "workbench.toml").write_text('[project]\nname = "taken"\n')
    shutil.copytree(trained.project.root, root / TRAINED)
    _stale_and_alerting(root / TRAINED, trained)
    with running_lab(root, scratch, free_port()) as server:
        server.root = root
        server.trained_run = trained.run_id
        yield server


@pytest.fixture
def page(lab, browser) -> Iterator:  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{lab.url}/lab?reset&token={lab.token}", timeout=SLOW)
    page.click("li[data-id='workbench-panel']", timeout=SLOW)
    page.wait_for_selector(".jp-WorkbenchPhase", timeout=SLOW)
    yield page
    page.close()


def test_new_project_form_creates_a_project_from_a_csv(page, lab) -> None:
    page.click(".jp-WorkbenchPanel-newProject")
    form = page.locator(".jp-WorkbenchNewProject")
    page.wait_for_function("() => document.querySelectorAll('.jp-WorkbenchNewProject datalist option').length > 0")
    assert form.locator("datalist option").evaluate_all("os => os.map(o => o.value)") == ["data/breast_cancer.csv"]
    form.locator("input[name='data']").fill("data/breast_cancer.csv")
    form.locator("input[name='data']").dispatch_event("change")
    page.wait_for_function("() => document.querySelectorAll(\".jp-WorkbenchNewProject select[name='target'] option\").length > 2")
    assert form.locator("input[name='directory']").input_value() == "breast_cancer"
    form.locator("select[name='target']").select_option("target")
    form.locator("select[name='task']").select_option("auto")
    form.locator("select[name='sensitive']").select_option(["size_band"])
    assert "target" not in form.locator("select[name='sensitive'] option").all_inner_texts()

    form.locator("input[name='directory']").fill("taken")
    form.locator("button.jp-mod-accept").click()
    message = form.locator(".jp-WorkbenchRunForm-message")
    page.wait_for_function(
        "() => document.querySelector('.jp-WorkbenchNewProject .jp-WorkbenchRunForm-message').textContent"
        ".includes('already holds')")
    assert message.inner_text() == "'taken' already holds a Workbench project. Choose another project folder."
    _shot(page, "new-1-form-refuses")

    form.locator("input[name='directory']").fill("cancer")
    form.locator("button.jp-mod-accept").click()
    page.wait_for_selector(".jp-WorkbenchNewProject", state="detached", timeout=SLOW)
    page.wait_for_function(
        "() => document.querySelector('select.jp-WorkbenchPanel-project')?.value === 'cancer'", timeout=SLOW)
    assert (lab.root / "cancer" / "workbench.toml").is_file()
    states = page.eval_on_selector_all(".jp-WorkbenchPhase", "items => items.map(i => i.dataset.state)")
    assert states == ["not run"] * 6
    assert page.locator(".jp-WorkbenchPanel-next").inner_text().startswith("Next: Run notebooks/01_explore.ipynb")
    from workbench.project import Project

    created = Project.load(lab.root / "cancer")
    assert (created.config.data.target, created.config.data.task) == ("target", "binary")
    assert created.config.data.sensitive == ("size_band",)
    _shot(page, "new-2-project-created")


def test_stale_and_alerting_phases_say_why(page, lab) -> None:
    page.locator("select.jp-WorkbenchPanel-project").select_option(TRAINED)
    page.wait_for_selector(".jp-WorkbenchPhase[data-phase='monitor'][data-state='alerts fired']", timeout=SLOW)
    develop = page.locator(".jp-WorkbenchPhase[data-phase='develop']")
    assert develop.get_attribute("data-state") == "stale"
    reason = develop.locator(".jp-WorkbenchPhase-reason").inner_text()
    assert reason.startswith(f"it checked the model of run {lab.trained_run}, but the chosen model is now the model of run")
    monitor = page.locator(".jp-WorkbenchPhase[data-phase='monitor'] .jp-WorkbenchPhase-reason").inner_text()
    assert monitor == "its latest review fired 1 alert(s): drift"
    assert page.locator(".jp-WorkbenchPanel-chosen").inner_text().startswith("Chosen model: run ")
    assert page.locator(".jp-WorkbenchPanel-next").inner_text().startswith(f"Next: Develop is stale: {reason}.")
    _shot(page, "new-3-stale-and-alerts")

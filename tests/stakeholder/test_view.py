"""The stakeholder page describes the version in production, names a challenger apart, shows no row."""

from __future__ import annotations

import re
import shutil

import pytest

from workbench.stakeholder import QUESTIONS, StakeholderView, stakeholder_html, stakeholder_view
from workbench.stakeholder.cache import PAGE_FILE, cached_stakeholder_html, sources_key


@pytest.fixture(scope="module")
def two_versions(reviewed, tmp_path_factory):
    """A copy of the reviewed project: version 2 is the champion (promoted from 1), version 1 the challenger."""
    from workbench.deploy import promote
    from workbench.project import Project
    from workbench.tracking import Tracker

    root = tmp_path_factory.mktemp("view") / "proj"
    shutil.copytree(reviewed.project.root, root)
    project = Project.load(root)
    client, name = Tracker(project).client, project.config.model_name
    client.set_registered_model_alias(name, "champion", "1")
    promote(project, "2", reason="better on the new half", force=True)  # no gates were logged: forced
    client.set_registered_model_alias(name, "challenger", "1")
    return project


def test_page_describes_the_champion_and_names_the_challenger(two_versions, reviewed):
    view = stakeholder_view(two_versions)
    assert (view.champion, view.challenger) == ("2", "1")
    assert view.described == "Version 2, the version in production"
    # the answers read version 2's own run: its metrics were measured on the second half of the test rows
    metrics = view.reports["metrics"]
    assert metrics.n_rows == len(reviewed.split.X_test) - reviewed.half
    assert metrics.metrics == reviewed.last["metrics"].metrics
    assert [a.question for a in view.answers] == list(QUESTIONS.values())
    assert view.changes[0] == "Compared with version 1, the version before it:"
    assert any(line.startswith("ROC AUC went from ") for line in view.changes)
    assert view.sign_off[0].startswith("Promoted to production by ")
    assert "(reason: better on the new half). The promotion overrode failed release checks." in view.sign_off[0]
    html = stakeholder_html(two_versions)
    assert "A newer version, 1, is waiting as the challenger: it is not in production" in html
    assert StakeholderView.from_dict(view.to_dict()).to_dict() == view.to_dict()


def test_page_shows_no_individual_row(two_versions, reviewed):
    full = reviewed.last["explanation"]
    numeric = [c for c in full.columns if full.column_kinds[c] == "numeric"]
    values = {repr(v) for c in numeric for v in full.data[c] if v is not None and len(repr(v)) >= 7}
    assert len(values) > 20
    html = stakeholder_html(two_versions)
    assert not [v for v in values if v in html]
    assert "row explained" not in html.lower() and "waterfall" not in html.lower()


def test_an_older_version_is_described_as_not_in_production(two_versions):
    view = stakeholder_view(two_versions, version="1")
    assert view.described == "Version 1, not the version in production (version 2 is)"
    assert view.sign_off[0] == "Version 1 is not in production: it was not promoted."


def test_the_pack_stores_the_dashboard_page(two_versions, tmp_path):
    from workbench.stakeholder import build_evidence_pack

    (two_versions.root / PAGE_FILE).unlink(missing_ok=True)
    index = build_evidence_pack(two_versions, tmp_path / "pack")
    stored = (two_versions.root / PAGE_FILE).read_text(encoding="utf-8")
    assert stored == stakeholder_html(two_versions)
    assert "Evidence pack — " in index.read_text(encoding="utf-8") and "Evidence pack" not in stored


def test_stored_page_is_used_until_a_source_changes(two_versions):
    from workbench.deploy import rollback

    root = two_versions.root
    first = cached_stakeholder_html(root)
    assert (root / PAGE_FILE).is_file() and sources_key(root) is not None
    assert cached_stakeholder_html(root) == first
    rollback(two_versions, reason="the new half was a fluke")  # promotions.jsonl and the registry change
    after = cached_stakeholder_html(root)
    assert after != first and "Version 1, the version in production" in after
    assert re.search(r"Put back into production \(a rollback\) by \S+ on [^<]*\(reason: the new half was a fluke\)",
                     after)


@pytest.mark.parametrize(("task", "label"), [("multiclass", "ROC AUC (one-vs-rest, macro)"), ("regression", "R²")])
def test_multiclass_and_regression_pages(task, label, tmp_path):
    """The accuracy answer leads with the task's primary metric; without a sensitive column fairness is
    not applicable (grey), as its gate says."""
    from _task_projects import make_task_project

    from workbench.evaluate import assess_fairness, evaluate_model, evaluation_gates
    from workbench.tracking import Tracker

    made = make_task_project(tmp_path / task, task)
    project, tracker = made.project, Tracker(made.project)
    metrics = evaluate_model(made.model, made.X_test, made.y_test, n_bootstrap=20)
    fairness = assess_fairness(model=made.model, X=made.X_test, y_true=made.y_test, n_bootstrap=20)
    gates = evaluation_gates(project, metrics=metrics, fairness=fairness)
    with tracker.start_run("evaluate") as run:
        run.log_report(metrics, "metrics")
        run.log_report(fairness, "fairness")
        run.log_gates(gates)
    name = project.config.model_name
    tracker.client.create_registered_model(name)
    version = tracker.client.create_model_version(name, made.model_uri, run_id=run.run_id)
    tracker.client.set_registered_model_alias(name, "champion", version.version)
    view = stakeholder_view(project)
    accuracy, fair = view.answer("accuracy"), view.answer("fairness")
    assert f"{label} {metrics.metrics[metrics.primary_metric]:.3g}" in accuracy.sentence
    assert accuracy.light == ("green" if gates.passed else "red")
    assert fair.light == "grey" and fair.sentence.startswith("Not applicable")
    html = stakeholder_html(project)
    assert "Not applicable" in html and label in html


def test_a_read_only_project_still_shows_the_page(tmp_path):
    from workbench.stakeholder.cache import store_page

    blocked = tmp_path / "ro"
    (blocked / ".workbench").mkdir(parents=True)
    (blocked / ".workbench" / "stakeholder").write_text("a file where the folder would go")
    (blocked / "workbench.toml").write_text("[project]\nname = 'x'\n")
    store_page(blocked, "<p>page</p>", sources_key(blocked))  # cannot write: no error, nothing kept
    assert (blocked / ".workbench" / "stakeholder").read_text() == "a file where the folder would go"

"""The evidence pack per model version, the model card summary and the gate lights."""

from __future__ import annotations

import json
import shutil

import pytest

from workbench.exceptions import TrackingError
from workbench.stakeholder import QUESTIONS, build_evidence_pack, resolve_version, stakeholder_html


@pytest.fixture(scope="module")
def versioned(trained, tmp_path_factory):
    """A copy of the trained project whose version 1 was produced by a run that logged a schema."""
    from workbench.explore.schema import infer_schema
    from workbench.project import Project
    from workbench.tracking import Tracker

    root = tmp_path_factory.mktemp("ver") / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    tracker = Tracker(project)
    with tracker.start_run("evaluate") as run:
        run.log_report(infer_schema(trained.split.X_train), "schema")
    name = project.config.model_name
    tracker.client.create_registered_model(name)
    version = tracker.client.create_model_version(name, trained.model_uri, run_id=run.run_id)
    tracker.client.set_registered_model_alias(name, "champion", version.version)
    return project


def test_model_versions_resolve_by_number_alias_and_uri(versioned):
    name = versioned.config.model_name
    for ref in ("1", 1, "champion", f"models:/{name}@champion", f"models:/{name}/1"):
        assert resolve_version(versioned, ref) == "1"
    with pytest.raises(TrackingError, match="no version or alias 'nightly'") as err:
        resolve_version(versioned, "nightly")
    assert "workbench history" in err.value.hint


def test_version_pack_holds_that_version_reports(versioned, tmp_path):
    index = build_evidence_pack(versioned, tmp_path / "pack", model="champion")
    page = index.read_text(encoding="utf-8")
    assert f"Evidence pack — {versioned.config.model_name} version 1" in page
    assert (tmp_path / "pack" / "schema.html").is_file()
    schema_item = page[page.index("schema.html"):].split("</li>")[0]
    assert "project-wide" not in schema_item
    assert "metrics: <em class='wb-missing'>not run yet</em>" in page


def test_pack_index_is_the_stakeholder_page_with_the_model_card_linked(project, tmp_path):
    reports = project.state_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    summary = {"name": "credit", "version": "3", "intended_use": "Rank loan applications for manual review."}
    (reports / "model_card.json").write_text(json.dumps(summary), encoding="utf-8")
    (reports / "model_card.html").write_text("<html>card</html>", encoding="utf-8")
    index = build_evidence_pack(project, tmp_path / "pack")
    page = index.read_text(encoding="utf-8")
    assert "<a href='model_card.html'>Model card</a> of version 3, the last one packaged" in page
    assert (tmp_path / "pack" / "model_card.html").read_text(encoding="utf-8") == "<html>card</html>"
    # Nothing has run: the four questions are asked, each answered grey ("not known yet").
    for question in QUESTIONS.values():
        assert question in page
    assert page.count("data-light='grey'") == 4 and page.count("Not known yet") == 4
    assert "Nothing is in production yet" in page and "No step of the lifecycle has been approved yet." in page


def test_a_broken_report_is_marked_unreadable_and_the_rest_still_shows(trained, tmp_path):
    from workbench.explore.schema import infer_schema
    from workbench.project import Project

    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    reports = project.state_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    infer_schema(trained.split.X_train).save(reports / "schema.json")
    (reports / "metrics.json").write_text('{"report_class": "workbench.reports.gone:OldReport"}')
    (reports / "fairness.json").write_text('{"report_class": "workbench.evaluate.fairn')  # cut short
    index = build_evidence_pack(project, tmp_path / "pack")
    page = index.read_text(encoding="utf-8")
    assert page.count("unreadable (") == 2 and "run the phase&#x27;s notebook again" in page
    assert (tmp_path / "pack" / "schema.html").is_file() and "Is it accurate enough?" in page
    shown = stakeholder_html(project)  # the dashboard still answers; the broken reviews are not known
    assert "Not known yet: the model has not been evaluated." in shown
    assert "Not known yet: fairness has not been reviewed." in shown


def test_pack_holds_aggregates_only(reviewed, tmp_path):
    """No value of a training row reaches the pack: the SHAP sample becomes per-column quantiles."""
    import numpy as np

    from workbench.evaluate import ExplanationReport

    full = reviewed.last["explanation"]
    numeric = [c for c in full.columns if full.column_kinds[c] == "numeric"]
    # distinctive raw values (short ones such as 0.2 also occur as thresholds and axis ticks)
    values = {repr(v) for c in numeric for v in full.data[c] if v is not None and len(repr(v)) >= 7}
    assert len(values) > 20
    kept = (reviewed.project.state_dir / "reports" / "explanation.json").read_text(encoding="utf-8")
    assert sum(v in kept for v in values) > 20  # the project's own copy keeps the sample rows
    out = tmp_path / "pack"
    build_evidence_pack(reviewed.project, out, model="champion")
    texts = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.name != "plotly.min.js"}
    assert {"explanation.html", "explanation.json", "metrics.html", "fairness.html"} <= set(texts)
    for name, body in texts.items():
        leaked = [v for v in values if v in body]
        assert not leaked, f"{name} holds row values {leaked[:5]}"
    packed = ExplanationReport.from_dict(json.loads(texts["explanation.json"]))
    assert packed.rows == () and packed.values == () and packed.outputs == ()
    assert set(packed.data.values()) == {()}
    assert packed.column_importance == full.column_importance  # the aggregates are kept
    page = texts["explanation.html"]
    assert "Spread of SHAP values (aggregated)" in page and "Importance per input column" in page
    top = next(iter(full.column_importance))
    shap_top = np.asarray(full.values)[:, full.columns.index(top)]
    assert f"{np.quantile(shap_top, 0.5):.4g}" in page or repr(float(np.quantile(shap_top, 0.5))) in page


def test_validation_examples_are_left_out_of_the_pack():
    from workbench.explore.validation import ValidationFailure, ValidationReport
    from workbench.stakeholder.aggregate import aggregate_only

    report = ValidationReport(n_rows=10, n_checks=3, failures=(
        ValidationFailure(column="income", check="min", failing_count=2, examples=("-5.0", "-7.5")),))
    kept = aggregate_only(report)
    assert kept.failures[0].examples == () and kept.failures[0].failing_count == 2
    assert report.failures[0].examples == ("-5.0", "-7.5")

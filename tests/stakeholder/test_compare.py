"""Two registered versions side by side, from the reports their runs logged."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest

from workbench.stakeholder import NOT_RUN, compare, compare_rows, compare_versions


@pytest.fixture(scope="module")
def two_versions(trained, tmp_path_factory):
    """A copy of the trained project with two registered versions (real MLflow registry)."""
    from workbench.project import Project
    from workbench.tracking import Tracker

    root = tmp_path_factory.mktemp("cmp") / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    tracker = Tracker(project)
    name = project.config.model_name
    tracker.client.create_registered_model(name)
    for _ in range(2):
        tracker.client.create_model_version(name, trained.model_uri, run_id=trained.run_id)
    return project


def test_compare_without_reports_says_not_run_yet(two_versions, tmp_path):
    page = compare_versions(two_versions, 1, 2, tmp_path / "out").read_text(encoding="utf-8")
    assert "Model version 1 vs version 2" in page
    assert page.count(NOT_RUN) == 3  # metrics, fairness, drivers: none logged by this run
    result = compare(two_versions, 1, 2)
    assert result.sections["data"] == [
        {"item": "data fingerprint", "v1": "not recorded", "v2": "not recorded", "change": "unknown"}
    ]
    assert result.data_changed() is None


def test_compare_rows_changes():
    old = SimpleNamespace(metrics={"roc_auc": 0.7, "accuracy": 0.8})
    new = SimpleNamespace(metrics={"roc_auc": 0.75})
    rows = compare_rows("metrics", old, new)
    assert rows[0] == {"item": "roc_auc", "v1": 0.7, "v2": 0.75, "change": pytest.approx(0.05)}
    assert rows[1]["v2"] == NOT_RUN and rows[1]["change"] is None


def test_compare_shows_what_changed_between_logged_reviews(reviewed):
    from workbench.explore import fingerprint
    from workbench.stakeholder import version_reports

    result = compare(reviewed.project, "1", "champion")
    assert (result.v1, result.v2) == ("1", "2")
    assert result.labels == ("version 1", "champion (version 2)")
    first, second = version_reports(reviewed.project, 1), version_reports(reviewed.project, 2)
    metrics = {row["item"]: row for row in result.sections["metrics"]}
    assert set(metrics) == set(first["metrics"].metrics) and "roc_auc" in metrics
    auc = metrics["roc_auc"]
    assert (auc["v1"], auc["v2"]) == (first["metrics"].metrics["roc_auc"], second["metrics"].metrics["roc_auc"])
    assert auc["change"] == pytest.approx(auc["v2"] - auc["v1"]) and auc["change"] != 0
    fairness = {row["item"]: row for row in result.sections["fairness"]}
    assert set(fairness) == set(second["fairness"].disparities)
    assert any(row["change"] for row in fairness.values())
    drivers = [row["item"] for row in result.sections["explanation"]]
    assert drivers[:3] == list(first["explanation"].column_importance)[:3]
    assert all(isinstance(row["change"], float) for row in result.sections["explanation"])
    [data] = result.sections["data"]
    X = reviewed.split.X_test
    tags = fingerprint(X.iloc[: reviewed.half]).tag, fingerprint(X.iloc[reviewed.half:]).tag
    assert data["v1"] == "sha256:" + tags[0][7:23] and data["v2"] == "sha256:" + tags[1][7:23]
    assert data["change"] == "changed" and result.data_changed() is True
    page = compare_versions(reviewed.project, "1", "champion").read_text(encoding="utf-8")
    assert "Model version 1 vs champion (version 2)" in page and NOT_RUN not in page
    assert "The training data changed between the two versions." in page
    assert (reviewed.project.state_dir / "compare" / "1-vs-2" / "compare.html").is_file()


def _cli(capsys, project, *args):
    """``workbench report -P PROJECT ARGS`` through the command line's own entry point."""
    from workbench.cli import main

    code = main(["report", "-P", str(project.root), *args])
    out = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)


def test_cli_compare_prints_and_writes_by_default(reviewed, capsys):
    done = _cli(capsys, reviewed.project, "--compare", "1", "champion")
    assert done.returncode == 0, done.stderr
    assert "Model version 1 vs champion (version 2)" in done.stdout
    assert "Performance:" in done.stdout and "roc_auc" in done.stdout
    assert "data fingerprint" in done.stdout and "changed" in done.stdout
    target = reviewed.project.state_dir / "compare" / "1-vs-2" / "compare.html"
    assert f"comparison: {target}" in done.stdout and target.is_file()


def test_cli_compare_and_unknown_version(two_versions, tmp_path, capsys):
    done = _cli(capsys, two_versions, "--out", str(tmp_path), "--compare", "1", "2")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "compare.html").is_file()
    bad = _cli(capsys, two_versions, "--out", str(tmp_path), "--compare", "1", "9")
    assert bad.returncode == 2 and "no version 9" in bad.stderr
    alias = _cli(capsys, two_versions, "--compare", "1", "nightly")
    assert alias.returncode == 2 and "no version or alias 'nightly'" in alias.stderr
    no_out = _cli(capsys, two_versions)
    assert no_out.returncode == 2 and "needs --out DIR" in no_out.stderr

"""wb.monitor on a served model: service figures, prediction drift, importance ranking, rules, concept drift."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.datasets import TARGET, make_credit_risk
from workbench.monitor import drift

from .conftest import SERVED_START, SERVED_WEEKS, log_requests


def _copy(project, tmp_path):
    shutil.copytree(project.root, tmp_path / "proj")
    return wb.Project.load(tmp_path / "proj")


@pytest.fixture(scope="module")
def review(served, tmp_path_factory):
    """One dry-run review of the served project (nothing recorded)."""
    return wb.monitor(_copy(served.project, tmp_path_factory.mktemp("review")), record=False)


def test_service_figures_per_window_follow_the_request_log(review):
    assert len(review.service) == len(SERVED_WEEKS) and review.n_requests == 15
    for window, plan in zip(review.service, SERVED_WEEKS, strict=True):
        latencies = [*plan["latencies"], *plan["rejects"], *plan["failures"]]
        assert window.requests == len(latencies)
        assert window.rows == 150 * len(plan["latencies"])
        assert window.p50_latency_ms == pytest.approx(np.percentile(latencies, 50))
        assert window.p99_latency_ms == pytest.approx(np.percentile(latencies, 99))
        assert (window.rejects, window.failures) == (len(plan["rejects"]), len(plan["failures"]))
        assert window.failure_rate == pytest.approx(len(plan["failures"]) / len(latencies))
        assert window.reject_rate == pytest.approx(len(plan["rejects"]) / len(latencies))
    every = [x for plan in SERVED_WEEKS for key in ("latencies", "rejects", "failures") for x in plan[key]]
    assert review.figures["p99_latency_ms"] == pytest.approx(np.percentile(every, 99))
    assert review.figures["failure_rate"] == pytest.approx(3 / 15)
    assert review.figures["reject_rate"] == pytest.approx(4 / 15)
    assert review.n_labelled == review.n_predictions == 1200  # rejects and failures log no rows


def test_prediction_drift_of_the_registered_model_is_reviewed(review):
    prediction = review.drift.prediction
    assert prediction is not None and prediction.column == "probability"
    assert prediction.n_reference > 0 and prediction.n_current == 1200
    assert prediction.drifted  # the covariate shift of weeks 3-4 moves the scores
    assert review.figures["prediction_drift"] == pytest.approx(prediction.drift_score)
    assert not any("prediction drift" in note for note in review.notes)


def test_columns_are_ranked_by_drift_times_shap_importance(review, served):
    report = review.drift
    assert report.importance_source == "explanation"
    shap = {k: v for k, v in served.explanation.importance_by_column().items()
            if k in {c.column for c in report.columns}}
    total = sum(shap.values())
    for column in report.columns:
        assert column.importance == pytest.approx(shap[column.column] / total)
        assert column.impact == pytest.approx(column.psi * column.importance)
    assert [c.impact for c in report.columns] == sorted((c.impact for c in report.columns), reverse=True)
    assert report.top_features(3) == sorted(shap, key=lambda k: -shap[k])[:3]
    assert report.columns[0].column == report.top_features(1)[0] and report.columns[0].drifted
    # importance reorders drift: some column ranks above another whose PSI is larger
    assert any(a.psi < b.psi for i, a in enumerate(report.columns) for b in report.columns[i + 1:])


def test_rules_on_top_features_and_latency_fire(review):
    fired = {a["rule"]: a for a in review.alerts}
    assert set(fired) == {"top-features", "slow"}, review.alerts
    drifted = set(review.drift.drifted_columns())
    expected = sum(c in drifted for c in review.drift.top_features(3))
    assert expected >= 1 and fired["top-features"]["value"] == expected
    assert fired["slow"]["value"] == pytest.approx(review.figures["p99_latency_ms"])
    assert review.figures["latest_auc_drop"] < 0.1  # covariate shift alone: the AUC rule stays quiet


def test_concept_drift_shows_in_performance_not_in_input_drift(served, tmp_path):
    """The concept_drift scenario keeps every input distribution: only labelled performance catches it."""
    project = _copy(served.project, tmp_path)
    for week, seed in ((6, 70), (7, 71)):
        log_requests(project, served.model, make_credit_risk(300, seed=seed, scenario="concept_drift"),
                     week=week, latencies=[10.0, 12.0])
    report = wb.monitor(project, since=SERVED_START + pd.Timedelta(days=42), record=False)
    assert report.n_labelled == 600
    assert report.drift.n_drifted == 0 and not report.drift.prediction.drifted
    assert report.figures["latest_auc_drop"] > 0.1
    assert all(p.interval("roc_auc")[1] < report.reference_metrics["roc_auc"] for p in report.performance)
    assert [a["rule"] for a in report.alerts] == ["auc"]
    reference = make_credit_risk(6000, seed=11)
    plain = drift(reference, make_credit_risk(3000, seed=7, scenario="concept_drift"))
    assert TARGET not in plain.drifted_columns()  # the target's shares barely move


def _feedback(project) -> pd.DataFrame:
    from workbench.deploy.predlog import read_feedback

    labels = read_feedback(project)[["request_id", "row", "label"]]
    return labels.assign(label=labels["label"].astype(int))


def test_labels_from_a_file_replace_the_feedback(served, tmp_path, review, capsys):
    from workbench.cli import main

    project = _copy(served.project, tmp_path)
    labels = _feedback(project)
    labels.to_parquet(tmp_path / "labels.parquet")
    from_file = wb.monitor(project, labels=tmp_path / "labels.parquet", record=False)
    assert from_file.n_labelled == 1200
    assert [p.value("roc_auc") for p in from_file.performance] == [p.value("roc_auc") for p in review.performance]
    # without 'row', a request's labels are its rows in order; flipping labels changes the figures
    flipped = labels.sort_values(["request_id", "row"]).drop(columns="row")
    flipped = flipped.assign(label=1 - flipped["label"])
    flipped.to_csv(tmp_path / "flipped.csv", index=False)
    worse = wb.monitor(project, labels=str(tmp_path / "flipped.csv"), record=False)
    for a, b in zip(worse.performance, review.performance, strict=True):
        assert a.value("roc_auc") == pytest.approx(1 - b.value("roc_auc"))
        assert a.value("accuracy") == pytest.approx(1 - b.value("accuracy"))
    assert main(["monitor", "-P", str(project.root), "--labels", str(tmp_path / "flipped.csv"), "--json",
                 "--dry-run"]) == 3
    import json

    printed = json.loads(capsys.readouterr().out)
    assert printed["figures"]["roc_auc"] == pytest.approx(worse.figures["roc_auc"])
    assert "auc" in [a["rule"] for a in printed["alerts"]]


def test_labels_files_are_checked(served, tmp_path, capsys):
    from workbench.cli import main
    from workbench.exceptions import DataError

    project = _copy(served.project, tmp_path)
    pd.DataFrame({"request": ["a"], "y": [1]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match=r"lack the column\(s\) request_id, label; found: request, y"):
        wb.monitor(project, labels=tmp_path / "bad.csv", record=False)
    pd.DataFrame({"request_id": ["a"], "row": [-1], "label": [1]}).to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(DataError, match="'row' is not a whole number >= 0"):
        wb.monitor(project, labels=tmp_path / "rows.csv", record=False)
    with pytest.raises(DataError, match="No such data file"):
        wb.monitor(project, labels=tmp_path / "none.csv", record=False)
    assert main(["monitor", "-P", str(project.root), "--labels", str(tmp_path / "bad.csv")]) == 2
    assert "request_id, label" in capsys.readouterr().err

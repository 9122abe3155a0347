"""The metrics review, cross-checked against scikit-learn."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LinearRegression
from sklearn.svm import LinearSVC

from workbench.evaluate import ChampionModel, evaluate_model, load_champion
from workbench.evaluate._bootstrap import bootstrap_indices, weights_from_indices
from workbench.evaluate._scores import classification_scores, regression_scores
from workbench.exceptions import DataError, ModelError, WorkbenchWarning
from workbench.reports import load_report


@pytest.fixture(scope="module")
def report(credit):
    return evaluate_model(
        credit.model, credit.X_test, credit.y_test, X_train=credit.X_train, y_train=credit.y_train,
        n_bootstrap=100, seed=3,
    )


def test_point_metrics_equal_sklearn(credit, report) -> None:
    y, score = credit.y_test, credit.model.predict_proba(credit.X_test)[:, 1]
    predicted = credit.model.predict(credit.X_test)
    expected = {
        "roc_auc": skm.roc_auc_score(y, score),
        "average_precision": skm.average_precision_score(y, score),
        "accuracy": skm.accuracy_score(y, predicted),
        "precision": skm.precision_score(y, predicted),
        "recall": skm.recall_score(y, predicted),
        "f1": skm.f1_score(y, predicted),
        "log_loss": skm.log_loss(y, score),
        "brier": skm.brier_score_loss(y, score),
    }
    assert report.metrics == pytest.approx(expected, abs=1e-12)
    assert report.confusion_matrix == tuple(map(tuple, skm.confusion_matrix(y, predicted)))
    assert report.confusion_labels == ("0", "1") and report.positive_label == "1"


def test_vectorised_resample_scores_equal_sklearn_on_the_drawn_rows() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.3
    score = np.round(np.clip(0.3 * y + 0.7 * rng.random(400), 0, 1), 2)  # rounded: many ties
    predicted = score >= 0.5
    indices = bootstrap_indices(400, 6, rng)
    found = classification_scores(weights_from_indices(indices, 400), y, score, predicted)
    for b, rows in enumerate(indices):
        yy, ss, pp = y[rows], score[rows], predicted[rows]
        assert found["roc_auc"][b] == pytest.approx(skm.roc_auc_score(yy, ss), abs=1e-12)
        assert found["average_precision"][b] == pytest.approx(skm.average_precision_score(yy, ss), abs=1e-12)
        assert found["f1"][b] == pytest.approx(skm.f1_score(yy, pp), abs=1e-12)
        assert found["log_loss"][b] == pytest.approx(skm.log_loss(yy, ss), abs=1e-12)
        assert found["brier"][b] == pytest.approx(skm.brier_score_loss(yy, ss), abs=1e-12)
    target = rng.normal(size=400)
    guess = target + rng.normal(size=400)
    found = regression_scores(weights_from_indices(indices, 400), target, guess)
    for b, rows in enumerate(indices):
        assert found["r2"][b] == pytest.approx(skm.r2_score(target[rows], guess[rows]), abs=1e-12)
        assert found["rmse"][b] == pytest.approx(skm.root_mean_squared_error(target[rows], guess[rows]), abs=1e-12)


def test_intervals_are_percentiles_of_the_seeded_resamples(credit, report) -> None:
    y = credit.y_test.to_numpy() == 1
    score = credit.model.predict_proba(credit.X_test)[:, 1]
    indices = np.random.default_rng(3).integers(0, y.size, size=(100, y.size))
    aucs = [skm.roc_auc_score(y[rows], score[rows]) for rows in indices]
    assert report.n_bootstrap == 100
    assert report.intervals["roc_auc"] == pytest.approx(tuple(np.percentile(aucs, [2.5, 97.5])), abs=1e-12)
    for name, (low, high) in report.intervals.items():
        assert low <= report.metrics[name] <= high, name


def test_baseline_is_a_dummy_and_the_champion_is_compared_on_the_same_rows(credit, report) -> None:
    baseline = report.comparison("baseline")
    assert baseline.description == "Dummy (class prior of the training labels)"
    assert baseline.metrics["roc_auc"] == 0.5
    assert report.margin_over("baseline") == pytest.approx(report.metrics["roc_auc"] - 0.5)
    low, high = baseline.intervals["roc_auc"]
    assert low <= report.margin_over("baseline") <= high
    same = evaluate_model(credit.model, credit.X_test, credit.y_test, champion=ChampionModel(credit.model, "v1"), n_bootstrap=20)
    champion = same.comparison("champion")
    assert champion.description == "v1"
    assert champion.differences["roc_auc"] == 0 and champion.intervals["roc_auc"] == (0.0, 0.0)
    assert "evaluated labels" in same.comparison("baseline").description


def test_curves_are_bounded_point_lists(credit, report) -> None:
    y, score = credit.y_test, credit.model.predict_proba(credit.X_test)[:, 1]
    roc = report.curves["roc"]
    assert len(roc.x) <= 200 and (roc.x[0], roc.y[0]) == (0.0, 0.0) and (roc.x[-1], roc.y[-1]) == (1.0, 1.0)
    small = evaluate_model(credit.model, credit.X_test, credit.y_test, n_bootstrap=0, max_curve_points=20)
    assert len(small.curves["roc"].x) <= 20 and small.intervals == {}
    observed, predicted = calibration_curve(y, score, n_bins=10)
    calibration = report.curves["calibration"]
    assert calibration.y == pytest.approx(tuple(observed)) and calibration.x == pytest.approx(tuple(predicted))
    assert sum(calibration.counts) == len(y)


def test_regression_metrics_and_residuals(credit) -> None:
    X = credit.X_train.select_dtypes("number").drop(columns=["loan_amount"]).fillna(0)
    y = credit.X_train["loan_amount"]
    model = LinearRegression().fit(X, y)
    report = evaluate_model(model, X, y, n_bootstrap=50)
    predicted = model.predict(X)
    assert report.task == "regression" and report.primary_metric == "r2"
    assert report.metrics == pytest.approx(
        {"r2": skm.r2_score(y, predicted), "mae": skm.mean_absolute_error(y, predicted),
         "rmse": skm.root_mean_squared_error(y, predicted)}
    )
    assert report.comparison("baseline").metrics["r2"] == pytest.approx(0.0)
    assert sum(report.curves["residual_histogram"].counts) == len(y)
    assert load_report(report.to_dict()).to_dict() == report.to_dict()


def test_json_round_trip(report) -> None:
    again = load_report(report.to_json())
    assert again.to_dict() == report.to_dict()
    assert again.comparison("baseline").intervals == report.comparison("baseline").intervals


def test_bad_input_is_named(credit) -> None:
    with pytest.raises(DataError, match="X has 800 rows, y has 799 rows"):
        evaluate_model(credit.model, credit.X_test, credit.y_test.iloc[1:])
    numeric = credit.X_test.select_dtypes("number").fillna(0)
    svc = LinearSVC().fit(numeric, credit.y_test)
    with pytest.raises(ModelError, match=r"The model \(LinearSVC\) has no predict_proba"):
        evaluate_model(svc, numeric, credit.y_test)
    continuous = credit.X_test["interest_rate"]
    with pytest.raises(DataError, match=r"y looks like a regression target .* but this is a classification review"):
        evaluate_model(credit.model, credit.X_test, continuous)
    with pytest.raises(DataError, match="y has 3 classes"):
        evaluate_model(credit.model, credit.X_test, pd.Series(np.arange(800) % 3))


def test_one_class_labels_give_nan_with_a_warning(credit) -> None:
    rows = credit.y_test == 0
    with pytest.warns(WorkbenchWarning, match="Undefined on these rows .*roc_auc"):
        report = evaluate_model(credit.model, credit.X_test[rows], credit.y_test[rows], n_bootstrap=10)
    assert math.isnan(report.metrics["roc_auc"]) and "roc" not in report.curves
    assert report.to_dict()["metrics"]["roc_auc"] is None


def test_champion_is_loaded_from_the_registry(trained, tmp_path) -> None:
    from workbench.project import Project
    from workbench.tracking import Tracker

    shutil.copytree(trained.project.root, tmp_path / "proj")
    project = Project.load(tmp_path / "proj")
    assert load_champion(project) is None
    client = Tracker(project).client
    name = project.config.model_name
    client.create_registered_model(name)
    version = client.create_model_version(name, trained.model_uri, run_id=trained.run_id)
    client.set_registered_model_alias(name, "champion", version.version)
    champion = load_champion(project)
    assert champion.description == f"{name} version 1 (@champion)" and champion.uri == f"models:/{name}@champion"
    split = trained.split
    report = evaluate_model(trained.model, split.X_test, split.y_test, champion=champion, n_bootstrap=10)
    assert report.comparison("champion").differences["roc_auc"] == 0


def test_labels_that_do_not_match_the_model_are_refused(credit) -> None:
    with pytest.raises(DataError, match=r"labels of y \('0', '1'\) are not among the model's classes \(0, 1\)"):
        evaluate_model(credit.model, credit.X_test, credit.y_test.astype(str), n_bootstrap=0)
    with pytest.raises(DataError, match=r"positive label 2 is not one of the model's classes"):
        evaluate_model(credit.model, credit.X_test, credit.y_test, positive_label=2, n_bootstrap=0)

"""The metrics review for each task, cross-checked against scikit-learn on its bundled datasets.

Wine (three cultivars) is the multiclass case, diabetes the regression case, breast cancer the
binary case.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from workbench.evaluate import evaluate_model
from workbench.evaluate._bootstrap import bootstrap_indices, weights_from_indices
from workbench.evaluate._scores import multiclass_scores
from workbench.exceptions import DataError, ModelError, ParameterError
from workbench.reports import load_report

CULTIVARS = {0: "barolo", 1: "grignolino", 2: "barbera"}


def _split(X: pd.DataFrame, y: pd.Series, *, stratify: bool) -> SimpleNamespace:
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y if stratify else None)
    return SimpleNamespace(X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test)


@pytest.fixture(scope="module")
def wine_review() -> SimpleNamespace:
    """Wine on four weak columns (so the model makes mistakes), labels as names, a logistic model."""
    X, y = load_wine(return_X_y=True, as_frame=True)
    data = _split(X[["alcohol", "malic_acid", "ash", "magnesium"]], y.map(CULTIVARS).rename("cultivar"), stratify=True)
    data.model = LogisticRegression(max_iter=5000).fit(data.X_train, data.y_train)
    data.report = evaluate_model(
        data.model, data.X_test, data.y_test, X_train=data.X_train, y_train=data.y_train, n_bootstrap=100, seed=4,
    )
    return data


@pytest.fixture(scope="module")
def diabetes_review() -> SimpleNamespace:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    data = _split(X, y, stratify=False)
    data.model = LinearRegression().fit(data.X_train, data.y_train)
    data.report = evaluate_model(
        data.model, data.X_test, data.y_test, X_train=data.X_train, y_train=data.y_train, n_bootstrap=100, seed=4,
    )
    return data


def test_multiclass_metrics_equal_sklearn(wine_review) -> None:
    report, y = wine_review.report, wine_review.y_test
    proba, predicted = wine_review.model.predict_proba(wine_review.X_test), wine_review.model.predict(wine_review.X_test)
    classes = wine_review.model.classes_
    assert report.task == "multiclass" and report.primary_metric == "roc_auc"
    assert report.metrics == pytest.approx({
        "roc_auc": skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes),
        "accuracy": skm.accuracy_score(y, predicted),
        "balanced_accuracy": skm.balanced_accuracy_score(y, predicted),
        "f1_macro": skm.f1_score(y, predicted, average="macro"),
        "f1_weighted": skm.f1_score(y, predicted, average="weighted"),
        "log_loss": skm.log_loss(y, proba, labels=classes),
    }, abs=1e-12)
    assert list(report.metrics) == ["roc_auc", "accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "log_loss"]
    assert report.confusion_labels == tuple(classes) == ("barbera", "barolo", "grignolino")
    assert report.confusion_matrix == tuple(map(tuple, skm.confusion_matrix(y, predicted, labels=classes)))
    assert report.positive_label is None and report.threshold is None


def test_per_class_figures_equal_sklearn(wine_review) -> None:
    y, proba = wine_review.y_test, wine_review.model.predict_proba(wine_review.X_test)
    predicted, classes = wine_review.model.predict(wine_review.X_test), wine_review.model.classes_
    precision, recall, f1, support = skm.precision_recall_fscore_support(y, predicted, labels=classes, zero_division=np.nan)
    auc = skm.roc_auc_score(y, proba, multi_class="ovr", average=None, labels=classes)
    found = wine_review.report.class_metrics
    assert [c.label for c in found] == list(classes)
    assert [c.support for c in found] == list(support)
    for name, expected in (("precision", precision), ("recall", recall), ("f1", f1), ("roc_auc", auc)):
        assert [getattr(c, name) for c in found] == pytest.approx(list(expected), abs=1e-12), name
    for entry in found:
        for name, (low, high) in entry.intervals.items():
            assert low <= getattr(entry, name) <= high, (entry.label, name)


def test_multiclass_resample_scores_equal_sklearn_on_the_drawn_rows() -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 4, 300)
    raw = rng.random((300, 4)) + 1.5 * np.eye(4)[truth]
    proba = np.round(raw / raw.sum(axis=1, keepdims=True), 2)  # rounded: ties in every class's ranking
    proba /= proba.sum(axis=1, keepdims=True)
    predicted = np.where(rng.random(300) < 0.1, 3, proba.argmax(axis=1))  # class 3 over-predicted
    indices = bootstrap_indices(300, 8, rng)
    found = multiclass_scores(weights_from_indices(indices, 300), truth, proba, predicted)
    labels = np.arange(4)
    for b, rows in enumerate(indices):
        t, p, q = truth[rows], predicted[rows], proba[rows]
        assert found["roc_auc"][b] == pytest.approx(skm.roc_auc_score(t, q, multi_class="ovr", labels=labels), abs=1e-12)
        assert found["accuracy"][b] == pytest.approx(skm.accuracy_score(t, p), abs=1e-12)
        assert found["balanced_accuracy"][b] == pytest.approx(skm.balanced_accuracy_score(t, p), abs=1e-12)
        assert found["f1_macro"][b] == pytest.approx(skm.f1_score(t, p, average="macro"), abs=1e-12)
        assert found["f1_weighted"][b] == pytest.approx(skm.f1_score(t, p, average="weighted"), abs=1e-12)
        assert found["log_loss"][b] == pytest.approx(skm.log_loss(t, q, labels=labels), abs=1e-12)
        assert found["class_f1"][b] == pytest.approx(skm.f1_score(t, p, average=None, labels=labels), abs=1e-12)


def test_a_resample_without_a_class_gives_an_undefined_auc_like_sklearn() -> None:
    truth = np.array([0, 0, 1, 1, 2, 2])
    proba = np.array([[0.8, 0.1, 0.1], [0.6, 0.2, 0.2], [0.2, 0.7, 0.1], [0.3, 0.4, 0.3], [0.1, 0.2, 0.7], [0.2, 0.2, 0.6]])
    rows = np.array([[0, 1, 2, 3, 0, 1]])  # no row of class 2
    found = multiclass_scores(weights_from_indices(rows, 6), truth, proba, proba.argmax(axis=1))
    with pytest.warns(UndefinedMetricWarning, match="Only one class is present"):
        expected = skm.roc_auc_score(truth[rows[0]], proba[rows[0]], multi_class="ovr", labels=[0, 1, 2])
    assert math.isnan(expected) and math.isnan(found["roc_auc"][0])
    assert found["f1_macro"][0] == pytest.approx(skm.f1_score(truth[rows[0]], proba[rows[0]].argmax(axis=1), average="macro"))


def test_multiclass_intervals_are_percentiles_of_the_seeded_resamples(wine_review) -> None:
    y = wine_review.y_test.to_numpy()
    predicted = wine_review.model.predict(wine_review.X_test)
    indices = np.random.default_rng(4).integers(0, y.size, size=(100, y.size))
    f1 = [skm.f1_score(y[rows], predicted[rows], average="macro") for rows in indices]
    assert wine_review.report.intervals["f1_macro"] == pytest.approx(tuple(np.percentile(f1, [2.5, 97.5])), abs=1e-12)
    assert set(wine_review.report.intervals) == set(wine_review.report.metrics)


def test_multiclass_baseline_is_the_class_prior_and_the_comparison_is_paired(wine_review) -> None:
    baseline = wine_review.report.comparison("baseline")
    assert baseline.description == "Dummy (class prior of the training labels)"
    assert baseline.metrics["roc_auc"] == 0.5
    majority = wine_review.y_train.value_counts().idxmax()
    assert baseline.metrics["accuracy"] == pytest.approx(float(np.mean(wine_review.y_test == majority)), abs=1e-12)
    low, high = baseline.intervals["f1_macro"]
    assert low <= wine_review.report.margin_over("baseline", "f1_macro") <= high
    champion = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(wine_review.X_train, wine_review.y_train)
    again = evaluate_model(wine_review.model, wine_review.X_test, wine_review.y_test, champion=champion, n_bootstrap=20)
    expected = wine_review.report.metrics["log_loss"] - skm.log_loss(wine_review.y_test, champion.predict_proba(wine_review.X_test))
    assert again.comparison("champion").differences["log_loss"] == pytest.approx(expected, abs=1e-12)


def test_multiclass_curves_are_one_vs_rest_per_class(wine_review) -> None:
    curves = wine_review.report.curves
    assert sorted(curves) == ["calibration", "roc:barbera", "roc:barolo", "roc:grignolino"]
    proba = wine_review.model.predict_proba(wine_review.X_test)
    fpr, tpr, _ = skm.roc_curve(wine_review.y_test == "barolo", proba[:, 1])
    assert curves["roc:barolo"].x == pytest.approx(tuple(fpr)) and curves["roc:barolo"].y == pytest.approx(tuple(tpr))
    assert sum(curves["calibration"].counts) == len(wine_review.y_test)


def test_multiclass_report_round_trips_and_old_reports_read_as_binary(wine_review, credit) -> None:
    again = load_report(wine_review.report.to_json())
    assert again.to_dict() == wine_review.report.to_dict() and again.class_metrics == wine_review.report.class_metrics
    binary = evaluate_model(credit.model, credit.X_test, credit.y_test, n_bootstrap=0)
    old = {**binary.to_dict(), "task": "classification"}
    old.pop("class_metrics")  # written before the field existed
    assert load_report(old).task == "binary" and load_report(old).primary_metric == "roc_auc"


def test_a_classifier_with_three_classes_is_reviewed_as_multiclass_without_naming_the_task(wine_review) -> None:
    report = evaluate_model(wine_review.model, wine_review.X_test, wine_review.y_test, n_bootstrap=0)
    assert report.task == "multiclass" and report.metrics == wine_review.report.metrics


def test_regression_metrics_equal_sklearn(diabetes_review) -> None:
    report, y = diabetes_review.report, diabetes_review.y_test
    predicted = diabetes_review.model.predict(diabetes_review.X_test)
    assert report.task == "regression" and report.primary_metric == "r2"
    assert report.metrics == pytest.approx({
        "r2": skm.r2_score(y, predicted), "mae": skm.mean_absolute_error(y, predicted),
        "rmse": skm.root_mean_squared_error(y, predicted),
    }, abs=1e-12)
    baseline = report.comparison("baseline")
    mean = np.full(len(y), diabetes_review.y_train.mean())
    assert baseline.metrics["rmse"] == pytest.approx(skm.root_mean_squared_error(y, mean), abs=1e-12)
    assert report.margin_over("baseline", "mae") == pytest.approx(
        skm.mean_absolute_error(y, predicted) - skm.mean_absolute_error(y, mean), abs=1e-12
    )
    indices = np.random.default_rng(4).integers(0, y.size, size=(100, y.size))
    truth = y.to_numpy()
    mae = [skm.mean_absolute_error(truth[rows], predicted[rows]) for rows in indices]
    assert report.intervals["mae"] == pytest.approx(tuple(np.percentile(mae, [2.5, 97.5])), abs=1e-12)
    residuals = report.curves["residuals"]  # every row here: the sample holds up to 500
    assert sorted(residuals.y) == pytest.approx(sorted(truth - predicted), abs=1e-9)
    assert sum(report.curves["residual_histogram"].counts) == len(y)


def test_binary_metrics_on_breast_cancer_equal_sklearn() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    data = _split(X, y, stratify=True)
    model = LogisticRegression(max_iter=10_000).fit(data.X_train, data.y_train)
    report = evaluate_model(model, data.X_test, data.y_test, X_train=data.X_train, y_train=data.y_train, n_bootstrap=0)
    score, predicted = model.predict_proba(data.X_test)[:, 1], model.predict(data.X_test)
    assert report.task == "binary" and report.positive_label == "1"
    assert report.metrics == pytest.approx({
        "roc_auc": skm.roc_auc_score(data.y_test, score), "average_precision": skm.average_precision_score(data.y_test, score),
        "accuracy": skm.accuracy_score(data.y_test, predicted), "precision": skm.precision_score(data.y_test, predicted),
        "recall": skm.recall_score(data.y_test, predicted), "f1": skm.f1_score(data.y_test, predicted),
        "log_loss": skm.log_loss(data.y_test, score), "brier": skm.brier_score_loss(data.y_test, score),
    }, abs=1e-12)
    assert report.class_metrics == ()


def test_multiclass_bad_input_is_named(wine_review) -> None:
    with pytest.raises(ParameterError, match=r"positive_label='barolo' applies to binary classification, but this review is multiclass"):
        evaluate_model(wine_review.model, wine_review.X_test, wine_review.y_test, positive_label="barolo")
    with pytest.raises(ParameterError, match=r"threshold=0.5 applies to binary classification.*Leave threshold out"):
        evaluate_model(wine_review.model, wine_review.X_test, wine_review.y_test, threshold=0.5)
    svc = LinearSVC().fit(wine_review.X_train, wine_review.y_train)
    with pytest.raises(ModelError, match=r"The model \(LinearSVC\) has no predict_proba.*CalibratedClassifierCV"):
        evaluate_model(svc, wine_review.X_test, wine_review.y_test)
    calibrated = CalibratedClassifierCV(LinearSVC()).fit(wine_review.X_train, wine_review.y_train)  # the fix the message names
    assert evaluate_model(calibrated, wine_review.X_test, wine_review.y_test, n_bootstrap=0).task == "multiclass"
    unknown = wine_review.y_test.replace({"barolo": "nebbiolo"})
    with pytest.raises(DataError, match=r"labels of y include 'nebbiolo', which are not among the model's classes"):
        evaluate_model(wine_review.model, wine_review.X_test, unknown)
    missing = wine_review.y_test.where(wine_review.y_test != "barolo", None)
    with pytest.raises(DataError, match=r"y has 15 missing labels"):
        evaluate_model(wine_review.model, wine_review.X_test, missing, task="multiclass")
    with pytest.raises(ModelError, match=r"The review was asked for task 'binary', but the model is a multiclass "
                                         r"classification model with 3 classes\. Pass task=\"multiclass\""):
        evaluate_model(wine_review.model, wine_review.X_test, wine_review.y_test, task="binary")
    many = pd.Series(np.arange(60))
    with pytest.raises(DataError, match=r"y has 60 classes \(0, 1, 2, 3, 4…\), but the task is multiclass classification "
                       r"\(at most 50 classes\)\. If the target is a quantity, use task=\"regression\""):
        evaluate_model(wine_review.model, wine_review.X_train.iloc[:60], many)
    with pytest.raises(ParameterError, match=r"Unknown task 'ordinal'"):
        evaluate_model(wine_review.model, wine_review.X_test, wine_review.y_test, task="ordinal")


def test_regression_bad_input_is_named(diabetes_review) -> None:
    infinite = diabetes_review.y_test.copy()
    infinite.iloc[:2] = np.inf
    with pytest.raises(DataError, match=r"y has 2 infinite values\. Drop or correct those rows"):
        evaluate_model(diabetes_review.model, diabetes_review.X_test, infinite)
    missing = diabetes_review.y_test.copy()
    missing.iloc[:3] = np.nan
    with pytest.raises(DataError, match=r"y has 3 missing values"):
        evaluate_model(diabetes_review.model, diabetes_review.X_test, missing)
    with pytest.raises(ParameterError, match=r"positive_label=1 applies to binary classification, but this review is regression"):
        evaluate_model(diabetes_review.model, diabetes_review.X_test, diabetes_review.y_test, positive_label=1)

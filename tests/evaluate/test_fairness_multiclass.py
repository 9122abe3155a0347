"""The multiclass fairness review on wine: every figure against fairlearn on one-vs-rest labels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

from workbench.evaluate import assess_fairness
from workbench.exceptions import DataError, ModelError
from workbench.reports import load_report

CLASSES = ("0", "1", "2")
FEATURES = [["magnesium_band"], ["ash_band"], ["magnesium_band", "ash_band"]]


@pytest.fixture(scope="module")
def predicted(wine):
    return wine.model.predict(wine.X_test)


@pytest.fixture(scope="module")
def report(wine):
    return assess_fairness(
        model=wine.model, X=wine.X_test, y_true=wine.y_test, sensitive_features=wine.sensitive_test,
        n_bootstrap=40, seed=3, min_group_size=10,
    )


def _features(wine, columns):
    frame = wine.sensitive_test[columns]
    return frame.iloc[:, 0] if len(columns) == 1 else frame


def test_task_and_classes_come_from_the_model(report) -> None:
    assert report.task == "multiclass" and report.classes == CLASSES and report.positive_label == ""
    assert report.applicable and report.gated_disparities == ("demographic_parity_difference", "equalized_odds_difference")


@pytest.mark.parametrize("columns", FEATURES)
def test_per_class_rates_equal_fairlearn_metricframe_one_vs_rest(wine, predicted, report, columns) -> None:
    grouping = report.grouping(" & ".join(columns))
    y, p = wine.y_test.to_numpy(), predicted
    for label in CLASSES:
        k = int(label)
        frame = MetricFrame(
            metrics={"count": count, "selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
                     "false_positive_rate": false_positive_rate},
            y_true=(y == k).astype(int), y_pred=(p == k).astype(int), sensitive_features=_features(wine, columns),
        )
        assert list(grouping.groups) == [", ".join(g) if isinstance(g, tuple) else g for g in frame.by_group.index]
        assert list(grouping.counts) == list(frame.by_group["count"])
        for metric in ("selection_rate", "true_positive_rate", "false_positive_rate"):
            key = f"{metric}[{label}]"
            assert grouping.metrics[key] == pytest.approx(tuple(frame.by_group[metric]), abs=1e-12), key
            assert grouping.overall[key] == pytest.approx(frame.overall[metric], abs=1e-12), key
    accuracy = MetricFrame(metrics=accuracy_score, y_true=y, y_pred=p, sensitive_features=_features(wine, columns))
    assert grouping.metrics["accuracy"] == pytest.approx(tuple(accuracy.by_group), abs=1e-12)
    assert grouping.positives == () and "positives" not in grouping.rows()[0]


@pytest.mark.parametrize("columns", FEATURES)
def test_class_disparities_equal_fairlearn_and_the_worst_class_is_gated(wine, predicted, report, columns) -> None:
    feature = " & ".join(columns)
    grouping = report.grouping(feature)
    functions = {
        "demographic_parity_difference": demographic_parity_difference,
        "demographic_parity_ratio": demographic_parity_ratio,
        "equalized_odds_difference": equalized_odds_difference,
        "equalized_odds_ratio": equalized_odds_ratio,
    }
    expected = {
        label: {
            name: function(wine.y_test == int(label), predicted == int(label), sensitive_features=_features(wine, columns))
            for name, function in functions.items()
        }
        for label in CLASSES
    }
    for label in CLASSES:
        assert grouping.class_disparities[label] == pytest.approx(expected[label], abs=1e-12), label
    for name in functions:
        pick = min if name.endswith("_ratio") else max
        worst = pick(CLASSES, key=lambda label, name=name: expected[label][name])
        assert report.disparities[f"{name}[{feature}]"] == pytest.approx(expected[worst][name], abs=1e-12), name
        assert grouping.worst_class[name] == worst


def test_intervals_are_bootstrap_percentiles_of_fairlearn_on_resampled_rows(wine, predicted) -> None:
    report = assess_fairness(
        y_true=wine.y_test, y_pred=predicted, sensitive_features=wine.sensitive_test["magnesium_band"],
        task="multiclass", n_bootstrap=25, seed=9, min_group_size=0,
    )
    y, p, s = wine.y_test.to_numpy(), predicted, wine.sensitive_test["magnesium_band"].to_numpy()
    draws = np.random.default_rng(9).integers(0, y.size, size=(25, y.size))
    grouping = report.grouping("magnesium_band")
    for label in CLASSES:
        k = int(label)
        rates = np.array([
            MetricFrame(metrics=selection_rate, y_true=y[i] == k, y_pred=p[i] == k, sensitive_features=s[i]).by_group.to_numpy()
            for i in draws
        ])
        for position in range(2):
            expected = np.percentile(rates[:, position], [2.5, 97.5])
            assert grouping.intervals[f"selection_rate[{label}]"][position] == pytest.approx(tuple(expected), abs=1e-12)
        dp = [demographic_parity_difference(y[i] == k, p[i] == k, sensitive_features=s[i]) for i in draws]
        assert grouping.class_disparity_intervals[label]["demographic_parity_difference"] == pytest.approx(
            tuple(np.percentile(dp, [2.5, 97.5])), abs=1e-12
        )
    worst = [max(demographic_parity_difference(y[i] == k, p[i] == k, sensitive_features=s[i]) for k in range(3)) for i in draws]
    assert grouping.disparity_intervals["demographic_parity_difference"] == pytest.approx(
        tuple(np.percentile(worst, [2.5, 97.5])), abs=1e-12
    )


def test_mitigation_does_not_apply_and_says_so(wine) -> None:
    report = assess_fairness(
        model=wine.model, X=wine.X_test, y_true=wine.y_test, sensitive_features=wine.sensitive_test,
        n_bootstrap=0, min_group_size=10, mitigate=True,
    )
    assert report.mitigation == ()
    assert report.mitigation_note == (
        "Mitigation does not apply to a multiclass model: fairlearn's ThresholdOptimizer re-thresholds the "
        "probability of one positive label, so it needs a binary classifier."
    )


def test_labels_without_a_model_read_as_multiclass(wine, predicted) -> None:
    names = np.array(["barolo", "grignolino", "barbera"])
    report = assess_fairness(
        y_true=names[wine.y_test.to_numpy()], y_pred=names[predicted], sensitive_features=wine.sensitive_test["ash_band"],
        n_bootstrap=0, min_group_size=10,
    )
    assert report.task == "multiclass" and report.classes == ("barbera", "barolo", "grignolino")
    expected = demographic_parity_difference(
        wine.y_test == 0, predicted == 0, sensitive_features=wine.sensitive_test["ash_band"]
    )
    assert report.grouping("ash_band").class_disparities["barolo"]["demographic_parity_difference"] == pytest.approx(expected)


def test_json_round_trip_and_summary(report) -> None:
    again = load_report(report.to_json())
    assert again.to_dict() == report.to_dict()
    assert again.grouping("ash_band").class_disparity_intervals == report.grouping("ash_band").class_disparity_intervals
    feature, value = report.worst("demographic_parity_difference")
    assert feature in ("magnesium_band", "ash_band") and math.isfinite(value)
    assert report.summary().startswith("Fairness (multiclass) over magnesium_band, ash_band on 89 rows: largest demographic parity")


def test_bad_input_is_named(wine, predicted) -> None:
    with pytest.raises(DataError, match=r"y_true has labels the model does not know: 7 \(its classes: 0, 1, 2\)"):
        assess_fairness(
            model=wine.model, y_true=np.where(wine.y_test == 2, 7, wine.y_test), y_pred=predicted,
            sensitive_features=wine.sensitive_test, n_bootstrap=0,
        )
    probabilities = wine.model.predict_proba(wine.X_test)[:, 1]
    with pytest.raises(DataError, match=r"y_pred has continuous values .* Pass predicted labels \(model.predict\), not probabilities"):
        assess_fairness(y_true=wine.y_test.astype(str), y_pred=probabilities, sensitive_features=wine.sensitive_test, n_bootstrap=0)
    with pytest.raises(ModelError, match=r"asked for task 'binary', but the model is a multiclass classification model with 3 classes"):
        assess_fairness(model=wine.model, X=wine.X_test, y_true=wine.y_test, sensitive_features=wine.sensitive_test, task="binary")
    with pytest.raises(DataError, match=r"y_true has 3 classes \(0, 1, 2\), but the task is binary\..*task=\"multiclass\""):
        assess_fairness(y_true=wine.y_test, y_pred=predicted, sensitive_features=wine.sensitive_test, task="binary")


def test_a_model_without_predict_proba_is_reviewed_from_its_predictions(wine) -> None:
    """Only the binary mitigation needs probabilities: a multiclass review takes labels."""
    from sklearn.svm import LinearSVC

    model = LinearSVC().fit(wine.X_train / wine.X_train.max(), wine.y_train)
    X = wine.X_test / wine.X_train.max()
    report = assess_fairness(model=model, X=X, y_true=wine.y_test, sensitive_features=wine.sensitive_test,
                             n_bootstrap=0, min_group_size=10, mitigate=True)
    expected = MetricFrame(metrics=accuracy_score, y_true=wine.y_test, y_pred=model.predict(X),
                           sensitive_features=wine.sensitive_test["ash_band"])
    assert report.grouping("ash_band").metrics["accuracy"] == pytest.approx(tuple(expected.by_group))
    assert "Mitigation does not apply" in report.mitigation_note


def test_a_linear_model_on_string_labels(wine) -> None:
    labels = np.array(["a", "b", "c"])
    model = LogisticRegression(max_iter=5000).fit(wine.X_train, labels[wine.y_train])
    report = assess_fairness(model=model, X=wine.X_test, y_true=pd.Series(labels[wine.y_test], index=wine.y_test.index),
                             sensitive_features=wine.sensitive_test, n_bootstrap=0, min_group_size=10)
    assert report.classes == ("a", "b", "c")
    assert report.grouping("magnesium_band").metrics["selection_rate[b]"] == pytest.approx(tuple(
        MetricFrame(metrics=selection_rate, y_true=labels[wine.y_test] == "b", y_pred=model.predict(wine.X_test) == "b",
                    sensitive_features=wine.sensitive_test["magnesium_band"]).by_group
    ))


def test_gates_judge_the_worst_class_and_name_it(project, report) -> None:
    from workbench.evaluate import evaluation_gates

    gates = {r.name: r for r in evaluation_gates(project, fairness=report).results}
    assert list(gates) == ["max_demographic_parity_difference", "max_equalized_odds_difference", "min_group_size"]
    feature, _ = report.worst("demographic_parity_difference")
    worst = report.grouping(feature).worst_class["demographic_parity_difference"]
    low = report.grouping(feature).disparity_intervals["demographic_parity_difference"][0]
    prefix = f"lower bound of the demographic parity difference interval ({feature}, class {worst}) {low:.4g}"
    assert gates["max_demographic_parity_difference"].reason.startswith(prefix)  # the demo project judges intervals

"""The fairness review: every number against fairlearn computed directly on the same data."""

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
from sklearn.metrics import precision_score
from sklearn.svm import LinearSVC

from workbench.evaluate import assess_fairness
from workbench.exceptions import DataError, ModelError, WorkbenchWarning
from workbench.reports import load_report


@pytest.fixture(scope="module")
def predictions(credit):
    return credit.model.predict(credit.X_test)


@pytest.fixture(scope="module")
def report(credit):
    return assess_fairness(
        model=credit.model, X=credit.X_test, y_true=credit.y_test,
        sensitive_features=credit.sensitive_test, n_bootstrap=50, seed=1, mitigate=True,
    )


def _reference(y, predicted, sensitive):
    metrics = {
        "count": count, "selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate, "precision": precision_score,
    }
    return MetricFrame(metrics=metrics, y_true=y, y_pred=predicted, sensitive_features=sensitive)


@pytest.mark.parametrize("columns", [["sex"], ["age_band"], ["sex", "age_band"]])
def test_group_metrics_equal_fairlearn_metricframe(credit, predictions, report, columns) -> None:
    sensitive = credit.sensitive_test[columns]
    frame = _reference(credit.y_test, predictions, sensitive.iloc[:, 0] if len(columns) == 1 else sensitive)
    grouping = report.grouping(" & ".join(columns))
    expected = frame.by_group
    assert list(grouping.groups) == [", ".join(g) if isinstance(g, tuple) else g for g in expected.index]
    assert list(grouping.counts) == list(expected["count"])
    for metric in ("selection_rate", "true_positive_rate", "false_positive_rate", "precision"):
        assert grouping.metrics[metric] == pytest.approx(tuple(expected[metric]), abs=1e-12), metric
        assert grouping.overall[metric] == pytest.approx(frame.overall[metric], abs=1e-12)
    positives = credit.y_test.groupby([credit.sensitive_test[c] for c in columns]).sum()
    assert list(grouping.positives) == list(positives)


@pytest.mark.parametrize("columns", [["sex"], ["age_band"], ["sex", "age_band"]])
def test_disparities_equal_fairlearn_functions(credit, predictions, report, columns) -> None:
    sensitive = credit.sensitive_test[columns]
    feature = " & ".join(columns)
    for name, function in (
        ("demographic_parity_difference", demographic_parity_difference),
        ("demographic_parity_ratio", demographic_parity_ratio),
        ("equalized_odds_difference", equalized_odds_difference),
        ("equalized_odds_ratio", equalized_odds_ratio),
    ):
        expected = function(credit.y_test, predictions, sensitive_features=sensitive)
        assert report.disparities[f"{name}[{feature}]"] == pytest.approx(expected, abs=1e-12), name


def test_group_intervals_are_bootstrap_percentiles_of_fairlearn_on_resampled_rows(credit, predictions) -> None:
    report = assess_fairness(
        y_true=credit.y_test, y_pred=predictions, sensitive_features=credit.sensitive_test["sex"],
        n_bootstrap=30, seed=5,
    )
    y, p, s = credit.y_test.to_numpy(), predictions, credit.sensitive_test["sex"].to_numpy()
    indices = np.random.default_rng(5).integers(0, y.size, size=(30, y.size))
    rates = np.array(
        [MetricFrame(metrics=true_positive_rate, y_true=y[i], y_pred=p[i], sensitive_features=s[i]).by_group.to_numpy() for i in indices]
    )
    dp = [demographic_parity_difference(y[i], p[i], sensitive_features=s[i]) for i in indices]
    grouping = report.grouping("sex")
    for position in range(len(grouping.groups)):
        expected = np.percentile(rates[:, position], [2.5, 97.5])
        assert grouping.intervals["true_positive_rate"][position] == pytest.approx(tuple(expected), abs=1e-12)
    assert grouping.disparity_intervals["demographic_parity_difference"] == pytest.approx(
        tuple(np.percentile(dp, [2.5, 97.5])), abs=1e-12
    )


def test_group_without_positive_labels_is_nan_with_a_warning() -> None:
    y = np.array([0, 0, 0, 1, 1, 0, 1, 0, 1, 0])
    predicted = np.array([0, 1, 0, 1, 0, 0, 1, 1, 1, 0])
    group = np.array(["a", "a", "a", "b", "b", "b", "c", "c", "c", "c"])
    y[:3] = 0  # group a: no positive label, its TPR is undefined
    with pytest.warns(WorkbenchWarning, match=r"true_positive_rate is undefined \(NaN\) for group = a \(no positive label\)"):
        report = assess_fairness(
            y_true=y, y_pred=predicted, sensitive_features={"group": group}, n_bootstrap=20, min_group_size=0
        )
    grouping = report.grouping("group")
    assert math.isnan(grouping.metrics["true_positive_rate"][0])
    defined = MetricFrame(metrics=true_positive_rate, y_true=y[3:], y_pred=predicted[3:], sensitive_features=group[3:])
    fpr = MetricFrame(metrics=false_positive_rate, y_true=y, y_pred=predicted, sensitive_features=group)
    assert report.disparities["equalized_odds_difference[group]"] == pytest.approx(
        max(defined.difference(), fpr.difference())
    )
    assert report.to_dict()["groupings"][0]["metrics"]["true_positive_rate"][0] is None


def test_small_groups_are_flagged_and_left_out_of_the_disparities(credit, predictions) -> None:
    report = assess_fairness(
        y_true=credit.y_test, y_pred=predictions, sensitive_features=credit.sensitive_test,
        min_group_size=150, n_bootstrap=0,
    )
    feature, group, size = report.smallest_group()
    assert feature == "age_band" and size < 150
    grouping = report.grouping("age_band")
    assert grouping.judged[grouping.groups.index(group)] is False
    assert any(w.startswith(f"age_band: {group} ({size}) has fewer than 150 rows: too small to judge") for w in report.warnings)
    kept = (credit.sensitive_test["age_band"] != group).to_numpy()
    expected = demographic_parity_difference(
        credit.y_test[kept], predictions[kept], sensitive_features=credit.sensitive_test["age_band"][kept]
    )
    assert report.disparities["demographic_parity_difference[age_band]"] == pytest.approx(expected, abs=1e-12)
    assert report.judged_groups(150)["age_band"] == [g for g in grouping.groups if g != group]


def test_mitigation_compares_threshold_optimizer(credit, predictions, report) -> None:
    as_is, parity, odds = report.mitigation
    both = credit.sensitive_test
    assert as_is.accuracy == pytest.approx(np.mean(predictions == credit.y_test))
    assert as_is.demographic_parity_difference == pytest.approx(
        demographic_parity_difference(credit.y_test, predictions, sensitive_features=both)
    )
    assert parity.strategy == "thresholds for demographic parity"
    assert parity.demographic_parity_difference < as_is.demographic_parity_difference
    assert odds.strategy == "thresholds for equalized odds"
    assert "fitted on the evaluated rows" in report.mitigation_note


def test_json_round_trip(report) -> None:
    again = load_report(report.to_dict())
    assert again.to_dict() == report.to_dict()
    assert again.grouping("sex & age_band").intervals == report.grouping("sex & age_band").intervals


def test_bad_input_is_named(credit, predictions) -> None:
    with pytest.raises(DataError, match="The sensitive feature 'gender' is not a column of X"):
        assess_fairness(model=credit.model, X=credit.X_test, y_true=credit.y_test, sensitive_features=["gender"])
    with pytest.raises(DataError, match="y_true has 800 rows, y_pred has 799 rows"):
        assess_fairness(y_true=credit.y_test, y_pred=predictions[1:], sensitive_features=credit.sensitive_test)
    with pytest.raises(DataError, match="y_true looks like a regression target"):
        assess_fairness(y_true=credit.X_test["interest_rate"], y_pred=predictions, sensitive_features=credit.sensitive_test)
    with pytest.raises(DataError, match="different row indexes"):
        assess_fairness(y_true=credit.y_test, y_pred=predictions, sensitive_features=credit.sensitive_test.reset_index(drop=True))
    with pytest.raises(DataError, match="needs predictions: pass y_pred, or model and X"):
        assess_fairness(y_true=credit.y_test, sensitive_features=credit.sensitive_test)
    numeric = credit.X_train.select_dtypes("number").fillna(0)
    svc = LinearSVC().fit(numeric, credit.y_train)  # decision_function only: nothing to re-threshold
    with pytest.raises(
        ModelError,
        match=r"The model \(LinearSVC\) has no predict_proba, which the mitigation comparison needs "
        r"\(it re-thresholds the model's probability of the positive label per group\)\..*CalibratedClassifierCV",
    ):
        assess_fairness(
            model=svc, X=credit.X_test[numeric.columns].fillna(0), y_true=credit.y_test,
            sensitive_features=credit.sensitive_test, mitigate=True,
        )


def test_missing_sensitive_values_form_their_own_group(credit, predictions) -> None:
    sex = credit.sensitive_test["sex"].where(np.arange(800) % 10 != 0)
    report = assess_fairness(y_true=credit.y_test, y_pred=predictions, sensitive_features=sex, n_bootstrap=0)
    grouping = report.grouping("sex")
    assert "(missing)" in grouping.groups and sum(grouping.counts) == 800
    assert isinstance(pd.Series(grouping.counts).sum(), np.integer)


def test_positive_label_not_among_the_labels_is_refused(credit, predictions) -> None:
    y = np.where(credit.y_test.to_numpy() == 1, "yes", "no")
    predicted = np.where(predictions == 1, "yes", "no")
    with pytest.raises(DataError, match=r"positive label 'Yes' is not among the labels of y_true \('no', 'yes'\)"):
        assess_fairness(y_true=y, y_pred=predicted, sensitive_features=credit.sensitive_test, positive_label="Yes", n_bootstrap=0)
    with pytest.raises(DataError, match=r"positive label '1' is not one of the model's classes \(0, 1\)"):
        assess_fairness(
            model=credit.model, X=credit.X_test, y_true=credit.y_test, sensitive_features=credit.sensitive_test,
            positive_label="1", n_bootstrap=0,
        )
    report = assess_fairness(y_true=y, y_pred=predicted, sensitive_features=credit.sensitive_test, positive_label="yes", n_bootstrap=0)
    expected = demographic_parity_difference(credit.y_test, predictions, sensitive_features=credit.sensitive_test["sex"])
    assert report.disparities["demographic_parity_difference[sex]"] == pytest.approx(expected)


def test_bootstrap_of_sparse_intersections_stays_small_and_equals_fairlearn() -> None:
    """Empty combinations of an intersection cost no memory; the resampled rates match fairlearn's."""
    import tracemalloc

    from workbench.evaluate._groups import bootstrap_groups, metric_frame

    rng = np.random.default_rng(0)
    n = 20_000
    sensitive = pd.DataFrame({
        "sex": rng.choice(["F", "M"], n), "age": rng.choice(list("abcdef"), n), "region": rng.choice(list("ghijklmnop"), n),
    })
    sensitive.loc[sensitive["sex"] == "F", "region"] = "g"  # 45 of the 120 combinations are empty
    y, p = rng.integers(0, 2, n), rng.integers(0, 2, n)
    specs = [("sex",), ("sex", "age", "region")]
    frames = [metric_frame(y, p, sensitive[list(cols)]) for cols in specs]
    tracemalloc.start()
    samples = bootstrap_groups(frames, y, p, sensitive, specs, n_bootstrap=3, seed=2)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40e6  # a dense rows × groups indicator alone would be 20,000 × 7 × 122 × 8 B = 137 MB
    drawn = np.random.default_rng(2).integers(0, n, size=(3, n))[1]
    direct = MetricFrame(
        metrics=selection_rate, y_true=y[drawn], y_pred=p[drawn], sensitive_features=sensitive.iloc[drawn].reset_index(drop=True)
    ).by_group
    expected = direct.reindex(frames[1].by_group.index).to_numpy()
    assert np.array_equal(samples[1]["selection_rate"][1], expected, equal_nan=True)

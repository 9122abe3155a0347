"""The regression fairness review on diabetes by sex, against fairlearn; and a review with no sensitive column."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, count, mean_prediction
from sklearn.metrics import mean_absolute_error, root_mean_squared_error

from workbench.evaluate import assess_fairness, evaluation_gates
from workbench.evaluate.fairness import NOT_APPLICABLE, FairnessReport
from workbench.evaluate.gates import fairness_thresholds
from workbench.exceptions import DataError
from workbench.project import Project
from workbench.render.fairness import lights
from workbench.reports import load_report


def _mean_target(y_true, y_pred) -> float:
    return float(np.mean(y_true))


METRICS = {"mae": mean_absolute_error, "rmse": root_mean_squared_error, "mean_prediction": mean_prediction, "mean_target": _mean_target}


@pytest.fixture(scope="module")
def predicted(diabetes):
    return diabetes.model.predict(diabetes.X_test)


@pytest.fixture(scope="module")
def report(diabetes):
    return assess_fairness(
        model=diabetes.model, X=diabetes.X_test, y_true=diabetes.y_test, sensitive_features=diabetes.sensitive_test,
        n_bootstrap=40, seed=4,
    )


def _regression_project(project: Project, **limits: float) -> Project:
    """``project`` reopened as a regression project judging estimates, with ``[gates.evaluate]`` limits changed."""
    config = project.root / "workbench.toml"
    text = re.sub(r'(?m)^task = .*$', 'task = "regression"', config.read_text(encoding="utf-8"))
    text = text.replace('fairness_evidence = "interval"', 'fairness_evidence = "estimate"')
    text = text.replace('metric = "latest_auc_drop"', 'metric = "latest_mae_rise"')  # the demo's ROC AUC rule, for a regression
    text = text.replace("[gates.evaluate]\n", "[gates.evaluate]\n" + "".join(f"{k} = {v}\n" for k, v in limits.items()))
    config.write_text(text, encoding="utf-8")
    return Project.load(project.root)


def test_group_metrics_equal_fairlearn_metricframe(diabetes, predicted, report) -> None:
    frame = MetricFrame(metrics={"count": count, **METRICS}, y_true=diabetes.y_test, y_pred=predicted,
                        sensitive_features=diabetes.sensitive_test["sex"])
    grouping = report.grouping("sex")
    assert report.task == "regression" and grouping.groups == ("1", "2")
    assert list(grouping.counts) == list(frame.by_group["count"])
    for metric in METRICS:
        assert grouping.metrics[metric] == pytest.approx(tuple(frame.by_group[metric]), abs=1e-9), metric
        assert grouping.overall[metric] == pytest.approx(frame.overall[metric], abs=1e-9), metric
    difference, ratio = frame.difference(), frame.ratio()
    assert report.disparities == pytest.approx({
        "mean_prediction_difference[sex]": difference["mean_prediction"], "mean_prediction_ratio[sex]": ratio["mean_prediction"],
        "mae_difference[sex]": difference["mae"], "mae_ratio[sex]": ratio["mae"],
    }, abs=1e-9)
    assert report.target_scale == pytest.approx(np.std(diabetes.y_test), abs=1e-9)


def test_intervals_are_bootstrap_percentiles_of_fairlearn_on_resampled_rows(diabetes, predicted, report) -> None:
    y, p, s = diabetes.y_test.to_numpy(), predicted, diabetes.sensitive_test["sex"].to_numpy()
    draws = np.random.default_rng(4).integers(0, y.size, size=(40, y.size))
    frames = [MetricFrame(metrics={"mae": mean_absolute_error, "rmse": root_mean_squared_error, "mean_prediction": mean_prediction},
                          y_true=y[i], y_pred=p[i], sensitive_features=s[i]) for i in draws]
    grouping = report.grouping("sex")
    for metric in ("mae", "rmse", "mean_prediction"):
        values = np.array([f.by_group[metric].to_numpy() for f in frames])
        for position in range(2):
            expected = tuple(np.percentile(values[:, position], [2.5, 97.5]))
            assert grouping.intervals[metric][position] == pytest.approx(expected, abs=1e-9), metric
    gaps = [f.difference()["mean_prediction"] for f in frames]
    assert grouping.disparity_intervals["mean_prediction_difference"] == pytest.approx(tuple(np.percentile(gaps, [2.5, 97.5])), abs=1e-9)


def test_limits_are_in_target_standard_deviations(project, diabetes, report) -> None:
    project = _regression_project(project, max_mae_difference=0.05)
    limits = fairness_thresholds(project)
    assert limits == {"mean_prediction_difference": 0.25, "mae_difference": 0.05, "fairness_evidence": "estimate"}
    judged = assess_fairness(model=diabetes.model, X=diabetes.X_test, y_true=diabetes.y_test,
                             sensitive_features=diabetes.sensitive_test, n_bootstrap=0, thresholds=limits)
    gates = {r.name: r for r in evaluation_gates(project, fairness=judged).results}
    assert list(gates) == ["max_mean_prediction_difference", "max_mae_difference", "min_group_size"]
    sd = judged.target_scale
    gap, mae_gap = judged.disparities["mean_prediction_difference[sex]"], judged.disparities["mae_difference[sex]"]
    prediction = gates["max_mean_prediction_difference"]
    assert prediction.threshold == pytest.approx(0.25 * sd) and prediction.passed is (gap <= 0.25 * sd)
    assert prediction.reason == (
        f"mean prediction difference (sex) {gap:.4g} {'<=' if prediction.passed else '>'} {0.25 * sd:.4g} "
        f"(limit 0.25 × the target's standard deviation {sd:.4g})"
    )
    assert gates["max_mae_difference"].passed is (mae_gap <= 0.05 * sd)
    shown = {html.unescape(t).split(" = ")[0]: css for css, t in re.findall(r'wb-light (wb-\w+)"></span>([^<]*)</div>', lights(judged))}
    assert shown == {
        "mean prediction difference [sex]": "wb-pass" if prediction.passed else "wb-fail",
        "mae difference [sex]": "wb-pass" if gates["max_mae_difference"].passed else "wb-fail",
    }


def test_default_limits_follow_the_task_and_round_trip(report) -> None:
    assert report.thresholds == {"mean_prediction_difference": 0.25, "mae_difference": 0.25, "fairness_evidence": "estimate"}
    assert report.limit("mae_difference") == pytest.approx(0.25 * report.target_scale)
    again = load_report(report.to_json())
    assert again.to_dict() == report.to_dict() and again.target_scale == report.target_scale
    assert report.summary().startswith("Fairness (regression) over sex on 177 rows: largest mean prediction difference")


def test_class_labels_as_predictions_of_a_regression_target_are_refused(diabetes) -> None:
    with pytest.raises(DataError, match=r"y_true looks like a regression target \(values such as .*\), but y_pred holds class labels \(0, 1\)"):
        assess_fairness(y_true=diabetes.y_test, y_pred=(diabetes.y_test > 150).astype(int), sensitive_features=diabetes.sensitive_test)
    with pytest.raises(DataError, match=r"y_pred has 1 infinite values\. Drop or correct those rows first"):
        assess_fairness(y_true=diabetes.y_test, y_pred=np.r_[np.inf, np.ones(len(diabetes.y_test) - 1) * 0.5],
                        sensitive_features=diabetes.sensitive_test, task="regression")


@pytest.mark.parametrize("nothing", [None, pd.DataFrame(index=range(177)), [], {}])
def test_no_sensitive_column_is_not_applicable(diabetes, nothing) -> None:
    report = assess_fairness(model=diabetes.model, X=diabetes.X_test, y_true=diabetes.y_test, sensitive_features=nothing)
    assert not report.applicable and report.reason == NOT_APPLICABLE
    assert report.task == "regression" and report.groupings == () and report.disparities == {}
    assert report.summary() == "Fairness: not applicable — the project names no sensitive column ([data] sensitive)"
    assert report.worst("mae_difference") == ("not applicable", 0.0)
    data = report.to_dict()
    assert data["applicable"] is False and data["reason"] == NOT_APPLICABLE
    assert load_report(report.to_json()).to_dict() == data


def test_not_applicable_passes_the_gates_with_its_reason(project, credit) -> None:
    report = assess_fairness(model=credit.model, X=credit.X_test, y_true=credit.y_test, sensitive_features=None)
    assert report.task == "binary"
    gates = evaluation_gates(project, fairness=report)
    assert gates.passed and [(r.name, r.reason) for r in gates.results] == [
        ("fairness", "fairness: not applicable — the project names no sensitive column ([data] sensitive)"),
    ]
    with pytest.raises(DataError, match=r"has no groups: it is not applicable"):
        report.smallest_group()


def test_a_report_saved_before_the_tasks_still_loads(credit) -> None:
    report = assess_fairness(model=credit.model, X=credit.X_test, y_true=credit.y_test,
                             sensitive_features=credit.sensitive_test, n_bootstrap=5)
    old = report.to_dict()
    for key in ("task", "classes", "target_scale", "applicable", "reason"):
        old.pop(key)
    for grouping in old["groupings"]:
        for key in ("class_disparities", "class_disparity_intervals", "worst_class"):
            grouping.pop(key)
    again = FairnessReport.from_dict(old)
    assert again.task == "binary" and again.applicable and again.to_dict() == report.to_dict()


def test_missing_sensitive_values_form_a_named_group_with_a_warning(diabetes, predicted) -> None:
    sex = diabetes.sensitive_test["sex"].where(np.arange(177) % 5 != 0)  # 36 rows without a value
    report = assess_fairness(y_true=diabetes.y_test, y_pred=predicted, sensitive_features=sex, n_bootstrap=0)
    assert report.warnings[0] == (
        "sex: 36 rows have no value; they form the group (missing). Fill them in the data if the value is known."
    )
    frame = MetricFrame(metrics=mean_absolute_error, y_true=diabetes.y_test, y_pred=predicted,
                        sensitive_features=sex.fillna("(missing)"))
    grouping = report.grouping("sex")
    assert grouping.groups == ("(missing)", "1", "2")
    assert grouping.metrics["mae"] == pytest.approx(tuple(frame.by_group), abs=1e-9)

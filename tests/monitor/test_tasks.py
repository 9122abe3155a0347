"""wb.monitor for each task on a real model and a real prediction log: per-window performance equal
to scikit-learn's, the task's alerts firing on a degraded last week, prediction drift by task."""

from __future__ import annotations

import json
import shutil
import types

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk

import workbench as wb
from workbench.deploy.predlog import log_batch
from workbench.exceptions import DataError
from workbench.monitor import MonitorReport
from workbench.monitor.performance import METRIC_TITLES
from workbench.reports import load_report

from .conftest import SERVED_START, TASK_RULES, TASK_WEEKS


def _copy(project, tmp_path):
    shutil.copytree(project.root, tmp_path / "proj")
    return wb.Project.load(tmp_path / "proj")


def sklearn_metrics(task: str, week) -> dict[str, float]:
    """The week's metrics computed by scikit-learn from what was logged and posted."""
    y, predicted = week.labels, week.predictions
    if task == "binary":
        return {"roc_auc": sk.roc_auc_score(y == 1, week.probabilities[:, 1]),
                "accuracy": sk.accuracy_score(y, predicted)}
    if task == "multiclass":
        return {"accuracy": sk.accuracy_score(y, predicted),
                "f1_macro": sk.f1_score(y, predicted, average="macro"),
                "f1_weighted": sk.f1_score(y, predicted, average="weighted")}
    return {"mae": sk.mean_absolute_error(y, predicted), "rmse": np.sqrt(sk.mean_squared_error(y, predicted)),
            "r2": sk.r2_score(y, predicted)}


@pytest.fixture(scope="module")
def review(tasked, tmp_path_factory):
    """A dry-run review of the task's project over the four weeks."""
    return wb.monitor(_copy(tasked.project, tmp_path_factory.mktemp("review")), record=False)


def test_each_window_scores_the_tasks_metrics_as_sklearn_does(tasked, review):
    assert review.task == tasked.task and review.n_labelled == review.n_predictions == 150 * TASK_WEEKS
    assert len(review.performance) == TASK_WEEKS
    for window, week in zip(review.performance, tasked.weeks, strict=True):
        expected = sklearn_metrics(tasked.task, week)
        assert window.n_labelled == 150 and set(window.metrics) == set(expected)
        for name, value in expected.items():
            assert window.value(name) == pytest.approx(value, abs=1e-12), name
            low, high = window.interval(name)
            assert low <= value <= high, (name, low, value, high)


def test_the_degraded_last_week_fires_the_tasks_alerts(tasked, review):
    reference, latest = tasked.reference.metrics, sklearn_metrics(tasked.task, tasked.weeks[-1])
    fired = {a["rule"]: a["value"] for a in review.alerts}
    expected = {}
    for rule, metric, _, _ in TASK_RULES[tasked.task]:
        if metric.endswith("_drop"):  # latest_accuracy_drop: Evaluate's accuracy minus the latest week's
            base = {"auc": "roc_auc", "f1_macro": "f1_macro"}.get(metric[7:-5], metric[7:-5])
            expected[rule] = reference[base] - latest[base]
        elif metric.endswith("_rise"):  # latest_mae_rise: (latest - Evaluate) / Evaluate
            base = metric[7:-5]
            expected[rule] = (latest[base] - reference[base]) / reference[base]
    assert set(fired) == set(expected), review.alerts
    for rule, value in expected.items():
        assert fired[rule] == pytest.approx(value, abs=1e-12)
    assert review.reference_metrics == pytest.approx(
        {k: v for k, v in reference.items() if k in review.reference_metrics})
    assert not any("has no value" in note for note in review.notes), review.notes


def test_the_quiet_weeks_fire_nothing_and_report_overall_values(tasked, review):
    before = wb.monitor(tasked.project, until=SERVED_START + pd.Timedelta(days=7 * (TASK_WEEKS - 1)), record=False)
    assert before.n_labelled == 150 * (TASK_WEEKS - 1) and before.alerts == ()
    labels = np.concatenate([w.labels for w in tasked.weeks])
    predicted = np.concatenate([w.predictions for w in tasked.weeks])
    if tasked.task == "binary":
        metric, value = "roc_auc", sk.roc_auc_score(labels == 1, np.concatenate([w.probabilities[:, 1]
                                                                                 for w in tasked.weeks]))
    elif tasked.task == "multiclass":
        metric, value = "f1_macro", sk.f1_score(labels, predicted, average="macro")
    else:
        metric, value = "mae", sk.mean_absolute_error(labels, predicted)
    assert review.figures[metric] == pytest.approx(value, abs=1e-12)
    assert f"{METRIC_TITLES[metric]} {value:.4g}" in review.summary()
    absent = {"binary": "mae", "multiclass": "roc_auc", "regression": "accuracy"}[tasked.task]
    assert review.figures[absent] is None


def test_intervals_are_the_percentiles_of_sklearn_on_the_resampled_rows(tasked):
    """The vectorised bootstrap equals scoring each resample's rows with scikit-learn."""
    from workbench.evaluate._bootstrap import interval, resample_weights
    from workbench.monitor._scorers import SCORERS, score_rows

    week = tasked.weeks[0]
    part = pd.DataFrame({"prediction": week.predictions, "label": week.labels,
                         "probability": week.probabilities[:, 1] if tasked.task == "binary" else np.nan})
    values, intervals = score_rows(part, SCORERS[tasked.task], positive_label=1, n_bootstrap=40, seed=3)
    draws: dict[str, list[float]] = {name: [] for name in values}
    for weights in resample_weights(len(part), 40, seed=3):
        for counts in weights.astype(int):
            rows = np.repeat(np.arange(len(part)), counts)
            resampled = types.SimpleNamespace(labels=week.labels[rows], predictions=week.predictions[rows],
                                              probabilities=None if week.probabilities is None
                                              else week.probabilities[rows])
            for name, value in sklearn_metrics(tasked.task, resampled).items():
                draws[name].append(value)
    for name, samples in draws.items():
        assert intervals[name] == pytest.approx(interval(np.array(samples)), abs=1e-12), name


def test_labels_from_a_file_give_the_same_windows(tasked, review, tmp_path):
    project = _copy(tasked.project, tmp_path)
    rows = [{"request_id": w.request_id, "row": i, "label": label}
            for w in tasked.weeks for i, label in enumerate(w.labels.tolist())]
    pd.DataFrame(rows).to_csv(tmp_path / "labels.csv", index=False)
    from_file = wb.monitor(project, labels=tmp_path / "labels.csv", record=False)
    for a, b in zip(from_file.performance, review.performance, strict=True):
        assert a.metrics == pytest.approx(b.metrics, abs=1e-12, nan_ok=True)
    assert [a["rule"] for a in from_file.alerts] == [a["rule"] for a in review.alerts]


def test_prediction_drift_compares_the_tasks_model_output(tasked, review, tmp_path):
    """Binary: the positive-class probability; multiclass: the predicted class; regression: the number."""
    column, kind = {"binary": ("probability", "numeric"), "multiclass": ("prediction", "categorical"),
                    "regression": ("prediction", "numeric")}[tasked.task]
    prediction = review.drift.prediction
    assert (prediction.column, prediction.kind) == (column, kind)
    assert prediction.n_current == 150 * TASK_WEEKS and not prediction.drifted
    data = tasked.project.load_data()
    features = data.drop(columns="target")
    scored = tasked.model.predict_proba(features)[:, 1] if tasked.task == "binary" else tasked.model.predict(features)
    logged = np.concatenate([w.probabilities[:, 1] if tasked.task == "binary" else w.predictions for w in tasked.weeks])
    if kind == "categorical":
        scored, logged = scored.astype(str), logged.astype(str)
    direct = wb.drift(features.assign(**{column: scored}), pd.DataFrame({column: logged}), columns=[column],
                      prediction=column)
    assert prediction.drift_score == pytest.approx(direct.prediction.drift_score, abs=1e-12)
    # a week of rows the model puts in one corner of its output space: the predictions drift
    project = _copy(tasked.project, tmp_path)
    order = np.argsort(scored if kind == "numeric" else (scored == scored[0]))
    corner = features.iloc[order[-40:]].sample(150, replace=True, random_state=0).reset_index(drop=True)
    week = SERVED_START + pd.Timedelta(days=7 * TASK_WEEKS)
    result = types.SimpleNamespace(predictions=tasked.model.predict(corner), probabilities=None
                                   if tasked.task == "regression" else tasked.model.predict_proba(corner))
    log_batch(project, corner, result, model_name=project.config.model_name, model_version="1",
              variant="champion", timestamp=week + pd.Timedelta(days=1))
    shifted = wb.monitor(project, since=week, record=False)
    assert shifted.drift.prediction.drifted and shifted.figures["prediction_drift"] is not None


def test_the_report_round_trips_and_renders_the_tasks_metrics(tasked, review, tmp_path):
    from workbench.render.monitor import PERFORMANCE_PANELS

    again = load_report(json.loads(review.to_json()))
    assert isinstance(again, MonitorReport) and again.to_dict() == review.to_dict()
    page = review.save(tmp_path / "monitor.html").read_text()
    shown = {"binary": ["ROC AUC", "Evaluate ROC AUC", "accuracy"],
             "multiclass": ["macro F1", "weighted F1", "Evaluate accuracy", "Evaluate macro F1"],
             "regression": ["MAE", "RMSE", "R²", "Evaluate MAE", "error (target units)"]}[tasked.task]
    for text in ["Performance per window", "95 % interval", *shown]:
        assert text in page, text
    if tasked.task != "binary":
        assert "ROC AUC" not in page
    tabs = review.widget()
    performance = tabs.children[[tabs.get_title(i) for i in range(len(tabs.children))].index("Performance")]
    assert len(performance.children) == len(PERFORMANCE_PANELS[tasked.task]) + 1  # the figures, then the table


def test_rules_report_why_they_cannot_be_evaluated(tasked, tmp_path):
    """Without Evaluate's metrics report, a rule comparing with it says so instead of staying silent."""
    project = _copy(tasked.project, tmp_path)
    (project.state_dir / "reports" / "metrics.json").unlink()
    report = wb.monitor(project, record=False)
    compared = [r for r in TASK_RULES[tasked.task] if r[1].startswith("latest_")]
    assert report.alerts == () and report.reference_metrics == {}
    for rule, metric, *_ in compared:
        assert any(note.startswith(f"Rule '{rule}' ({metric}) has no value in this review: Evaluate's")
                   for note in report.notes), report.notes


@pytest.mark.parametrize("tasked", ["regression"], indirect=True)
def test_regression_labels_must_be_numbers(tasked, tmp_path):
    project = _copy(tasked.project, tmp_path)
    week = tasked.weeks[0]
    pd.DataFrame({"request_id": [week.request_id] * 2, "row": [0, 1], "label": [151.0, "high"]}).to_csv(
        tmp_path / "labels.csv", index=False)
    with pytest.raises(DataError, match=r"1 of the labels are not finite numbers \(first: 'high'\), but the "
                                        r"project's task is regression"):
        wb.monitor(project, labels=tmp_path / "labels.csv", record=False)


@pytest.mark.parametrize("tasked", ["binary", "multiclass"], indirect=True)
def test_classes_the_model_never_predicts_are_noted(tasked, tmp_path):
    project = _copy(tasked.project, tmp_path)
    week = tasked.weeks[0]
    pd.DataFrame({"request_id": week.request_id, "label": [f"class_{v}" for v in week.labels]}).to_csv(
        tmp_path / "labels.csv", index=False)
    report = wb.monitor(project, labels=tmp_path / "labels.csv", record=False)
    assert report.performance[0].value("accuracy") == 0.0
    assert any(note.startswith("None of the labels (e.g. 'class_") for note in report.notes), report.notes


@pytest.mark.parametrize("tasked", ["binary"], indirect=True)
def test_a_review_saved_before_tasks_reads_as_binary(review):
    """Schema 1 (flat accuracy / roc_auc per window, no task) still loads."""
    old = review.to_dict()
    old["schema_version"] = 1
    del old["task"]
    old["performance"] = [{"start": p["start"], "end": p["end"], "n_labelled": p["n_labelled"],
                           **{k: p["metrics"][k] for k in ("accuracy", "roc_auc")},
                           **{f"{k}_interval": p["intervals"][k] for k in ("accuracy", "roc_auc")}}
                          for p in old["performance"]]
    again = load_report(old)
    assert again.task == "binary" and again.schema_version == 2
    assert [p.value("roc_auc") for p in again.performance] == pytest.approx(
        [p.value("roc_auc") for p in review.performance], abs=1e-12)

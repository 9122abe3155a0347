"""Scoring labelled predictions by task: edge cases cross-checked against scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk

from workbench.monitor._scorers import MIN_R2_ROWS, SCORERS, label_text, score_rows
from workbench.monitor.performance import WindowPerformance, check_labelled, performance_by_window


def _score(task, **columns):
    frame = pd.DataFrame({"probability": np.nan, **columns})
    return score_rows(frame, SCORERS[task], positive_label=1, n_bootstrap=30, seed=0)


def test_macro_f1_averages_the_classes_seen_or_predicted_as_sklearn_does():
    """A class predicted but never true, and one true but never predicted, both count with F1 = 0."""
    labels = np.array(["a", "a", "b", "b", "b", "c", "c", "a"])
    predicted = np.array(["a", "b", "b", "b", "d", "a", "b", "a"])
    values, _ = _score("multiclass", label=labels, prediction=predicted)
    assert values["f1_macro"] == pytest.approx(sk.f1_score(labels, predicted, average="macro", zero_division=0),
                                               abs=1e-12)
    assert values["f1_weighted"] == pytest.approx(
        sk.f1_score(labels, predicted, average="weighted", zero_division=0), abs=1e-12)
    assert values["accuracy"] == pytest.approx(sk.accuracy_score(labels, predicted), abs=1e-12)


def test_regression_window_scores_and_r2_needs_enough_rows():
    rng = np.random.default_rng(1)
    observed = rng.normal(100, 20, 200)
    predicted = observed + rng.normal(0, 8, 200)
    values, _ = _score("regression", label=observed, prediction=predicted)
    assert values["mae"] == pytest.approx(sk.mean_absolute_error(observed, predicted), abs=1e-12)
    assert values["rmse"] == pytest.approx(math.sqrt(sk.mean_squared_error(observed, predicted)), abs=1e-12)
    assert values["r2"] == pytest.approx(sk.r2_score(observed, predicted), abs=1e-12)
    few, few_intervals = _score("regression", label=observed[: MIN_R2_ROWS - 1], prediction=predicted[: MIN_R2_ROWS - 1])
    assert math.isnan(few["r2"]) and all(math.isnan(x) for x in few_intervals["r2"])
    assert few["mae"] == pytest.approx(sk.mean_absolute_error(observed[:19], predicted[:19]), abs=1e-12)
    constant, _ = _score("regression", label=np.full(30, 5.0), prediction=np.linspace(4, 6, 30))
    assert math.isnan(constant["r2"])  # no spread in the labels: R² is undefined, not a huge negative number


def test_class_values_compare_across_json_and_csv_spellings():
    assert label_text(pd.Series([1.0, 2.0, 3.5])).tolist() == ["1", "2", "3.5"]
    assert label_text(pd.Series([True, False])).tolist() == ["True", "False"]
    assert label_text(pd.Series(["1", "x", 2], dtype=object)).tolist() == ["1", "x", "2"]
    values, _ = _score("binary", label=np.array([1.0, 0.0, 1.0]), prediction=np.array([1, 0, 0]))
    assert values["accuracy"] == pytest.approx(2 / 3) and math.isnan(values["roc_auc"])  # no probabilities logged


def test_windows_follow_the_timestamps():
    stamps = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-09", "2026-01-10"], utc=True)
    labelled = pd.DataFrame({"timestamp": stamps, "prediction": [1.0, 2.0, 3.0, 5.0], "label": [1.5, 2.0, 2.0, 5.0],
                             "probability": np.nan})
    labelled, notes = check_labelled(labelled, "regression")
    windows = performance_by_window(labelled, task="regression", window="7D",
                                    origin=pd.Timestamp("2026-01-01", tz="UTC"), n_bootstrap=20)
    assert notes == [] and [w.n_labelled for w in windows] == [2, 2]
    assert [w.value("mae") for w in windows] == pytest.approx([0.25, 0.5])
    assert math.isnan(windows[0].value("roc_auc"))  # not a regression metric
    assert WindowPerformance.from_dict(
        {"start": "a", "end": "b", "n_labelled": 3, "accuracy": 0.5, "accuracy_interval": [0.1, None],
         "roc_auc": None, "roc_auc_interval": [None, None]}).interval("accuracy")[0] == 0.1


def test_without_a_positive_label_the_probability_is_for_the_last_class():
    """As scikit-learn orders classes: numbers as numbers, text as text."""
    from workbench.monitor.performance import last_class

    def frame(labels, predicted):
        return pd.DataFrame({"label": labels, "prediction": predicted})

    assert last_class(frame([2, 10, 2], [10, 2, 2])) == 10
    assert last_class(frame(["yes", "no"], ["no", "no"])) == "yes"
    assert last_class(frame([], [])) == 1
    labels, scores = np.array(["no", "yes", "yes", "no"]), np.array([0.2, 0.9, 0.6, 0.7])
    values, _ = score_rows(pd.DataFrame({"label": labels, "prediction": np.where(scores > 0.5, "yes", "no"),
                                         "probability": scores}), SCORERS["binary"],
                           positive_label=last_class(frame(labels, labels)), n_bootstrap=20, seed=0)
    assert values["roc_auc"] == pytest.approx(sk.roc_auc_score(labels == "yes", scores), abs=1e-12)

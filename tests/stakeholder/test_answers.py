"""The four answers: each light agrees with the gate or alert behind it, and says when it cannot tell."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from workbench.evaluate import assess_fairness, evaluate_model
from workbench.exceptions import ParameterError
from workbench.monitor.review import MonitorReport
from workbench.reports.gates import GateReport, check_max, check_min, check_true
from workbench.stakeholder.answers import (
    Answer,
    accuracy_answer,
    drivers_answer,
    fairness_answer,
    production_answer,
)


@pytest.fixture(scope="module")
def cancer():
    """A real binary model on breast cancer, with a seeded two-group sensitive column."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X.iloc[::2], y.iloc[::2])
    X_test, y_test = X.iloc[1::2].reset_index(drop=True), y.iloc[1::2].reset_index(drop=True)
    group = pd.Series(np.random.default_rng(0).choice(["a", "b"], size=len(y_test)), name="group")
    return model, X_test, y_test, group


@pytest.fixture(scope="module")
def fairness(cancer):
    model, X, y, group = cancer
    return assess_fairness(model=model, X=X, y_true=y, sensitive_features=group.to_frame(), n_bootstrap=40)


def _with_disparity(report, estimate, low, high, *, limit, evidence="estimate"):
    """``report`` whose feature ``group`` shows ``estimate`` [``low``, ``high``] for demographic parity."""
    name = "demographic_parity_difference"
    grouping = report.grouping("group")
    changed = dataclasses.replace(grouping, disparities={**grouping.disparities, name: estimate},
                                  disparity_intervals={**grouping.disparity_intervals, name: (low, high)})
    thresholds = {name: limit, "equalized_odds_difference": 1.0, "fairness_evidence": evidence}
    return dataclasses.replace(report, groupings=(changed,), thresholds=thresholds)


def test_inconclusive_disparity_is_amber_never_green(fairness):
    report = _with_disparity(fairness, 0.12, 0.04, 0.2, limit=0.1)
    gate = check_max("max_demographic_parity_difference", 0.12, 0.1, label="demographic parity difference (group)")
    answer = fairness_answer(report, GateReport(phase="evaluate", results=(gate,)))
    assert answer.light == "amber"
    assert answer.sentence.startswith("Not enough evidence: the gap between groups in the share of positive decisions")
    assert "0.12, above the limit of 0.1, but its 95% range 0.04 to 0.2 reaches below the limit" in answer.sentence
    # the gate compared the estimate and failed: the answer says so rather than contradict it
    assert answer.sentence.endswith("The release check, which compares the estimate, failed.")
    # with the interval evidence the gate passed; the answer is still amber, not a green PASS
    lenient = _with_disparity(fairness, 0.12, 0.04, 0.2, limit=0.1, evidence="interval")
    assert fairness_answer(lenient, None).light == "amber"


def test_disparity_shown_by_the_whole_interval_is_red_and_within_the_limit_is_green(fairness):
    red = fairness_answer(_with_disparity(fairness, 0.3, 0.2, 0.4, limit=0.1), None)
    assert red.light == "red" and red.sentence.startswith("No: ") and "above the limit of 0.1" in red.sentence
    within = _with_disparity(fairness, fairness.grouping("group").disparities["demographic_parity_difference"],
                             0.0, 0.05, limit=0.5)
    assert fairness_answer(within, None).light == "green"


def test_fairness_figure_is_fairlearns(cancer, fairness):
    from fairlearn.metrics import demographic_parity_difference

    model, X, y, group = cancer
    expected = demographic_parity_difference(y, model.predict(X), sensitive_features=group)
    report = dataclasses.replace(fairness, thresholds={"demographic_parity_difference": expected / 2,
                                                       "equalized_odds_difference": 1.0})
    answer = fairness_answer(report, None)
    assert answer.light in ("amber", "red")
    assert f"{expected:.3g}" in answer.sentence


def test_too_small_groups_and_not_applicable(fairness):
    report = dataclasses.replace(fairness, thresholds={"demographic_parity_difference": 1.0,
                                                       "equalized_odds_difference": 1.0})
    small = check_true("min_group_size", False, reason="fewer than two groups of >= 500 rows to compare for group")
    answer = fairness_answer(report, GateReport(phase="evaluate", results=(small,)))
    assert answer.light == "amber" and "too small to compare" in answer.sentence
    blank = dataclasses.replace(fairness, applicable=False, groupings=(), sensitive=())
    assert fairness_answer(blank, None).light == "grey"
    assert fairness_answer(None, None) == Answer(key="fairness", light="grey",
                                                 sentence="Not known yet: fairness has not been reviewed.")


def test_accuracy_answer_follows_the_gates(cancer):
    model, X, y, _ = cancer
    metrics = evaluate_model(model, X, y, n_bootstrap=30)
    auc = roc_auc_score(y, model.predict_proba(X)[:, 1])
    assert metrics.metrics["roc_auc"] == pytest.approx(auc, abs=1e-12)
    passed = GateReport(phase="evaluate", results=(check_min("min_roc_auc", auc, 0.7),
                                                   check_min("min_margin_over_baseline", auc - 0.5, 0.05)))
    answer = accuracy_answer(metrics, passed)
    assert answer.light == "green"
    assert f"ROC AUC {auc:.3g} against 0.5 for a simple baseline, on {len(y):,} held-out rows" in answer.sentence
    failed = GateReport(phase="evaluate", results=(check_min("min_roc_auc", auc, 0.9999),))
    red = accuracy_answer(metrics, failed)
    assert red.light == "red" and "the minimum ROC AUC is 1" in red.sentence
    assert accuracy_answer(metrics, None).light == "amber"  # measured, never checked
    assert accuracy_answer(None, None).light == "grey"


def test_multiclass_and_regression_lead_with_their_primary_metric():
    X, y = load_wine(return_X_y=True, as_frame=True)
    wine = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X.iloc[::2], y.iloc[::2])
    metrics = evaluate_model(wine, X.iloc[1::2], y.iloc[1::2], n_bootstrap=20)
    gates = GateReport(phase="evaluate", results=(check_min("min_roc_auc", metrics.metrics["roc_auc"], 0.7),))
    assert "ROC AUC (one-vs-rest, macro)" in accuracy_answer(metrics, gates).sentence

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    linear = LinearRegression().fit(X.iloc[::2], y.iloc[::2])
    metrics = evaluate_model(linear, X.iloc[1::2], y.iloc[1::2], n_bootstrap=20)
    r2 = r2_score(y.iloc[1::2], linear.predict(X.iloc[1::2]))
    gates = GateReport(phase="evaluate", results=(check_min("min_r2", r2, 0.9),))
    answer = accuracy_answer(metrics, gates)
    assert answer.light == "red" and f"R² {r2:.3g}" in answer.sentence and "the minimum R² is 0.9" in answer.sentence


def _monitor(alerts=()):
    return MonitorReport(project="p", task="binary", since=None, until=None, window="7D", n_predictions=757,
                         n_requests=40, n_labelled=200, drift=None, alerts=tuple(alerts))


def test_alerts_firing_mean_it_is_not_working_or_under_watch():
    quality = {"rule": "performance", "metric": "latest_auc_drop", "value": 0.334, "threshold": 0.05}
    drifted = {"rule": "top-feature-drift", "metric": "top_features_drifted", "value": 3.0, "threshold": 1}
    red = production_answer(_monitor([drifted, quality]), state="alerts fired")
    assert red.light == "red"
    assert red.sentence == ("No: the last review of 757 predictions raised 2 alerts: 3 of its most important inputs "
                            "drifted from the training data and its ROC AUC fell by 0.334 in the latest period, "
                            "against its evaluation.")
    amber = production_answer(_monitor([drifted]), state="alerts fired")
    assert amber.light == "amber" and amber.sentence.startswith("Under watch: ")
    assert production_answer(_monitor(), state="passed").light == "green"
    stale = production_answer(_monitor(), state="stale")
    assert stale.light == "amber" and "earlier deployment" in stale.sentence
    assert production_answer(None).light == "grey"


def test_drivers_name_the_top_inputs_and_flag_a_sensitive_one(cancer):
    from workbench.evaluate import explain

    model, X, _, _ = cancer
    explanation = explain(model, X, max_rows=120, display_rows=20)
    importance = explanation.importance_by_column()
    top = list(importance)[:3]
    answer = drivers_answer(explanation, None)
    assert answer.light == "green" and answer.sentence.startswith(f"Mostly {top[0]} (")
    share = importance[top[0]] / sum(importance.values())
    assert f"{top[0]} ({share:.0%})" in answer.sentence
    assert drivers_answer(explanation, None, sensitive=(top[1],)).light == "amber"
    over = check_max("max_top_driver_share", share, share / 2)
    assert drivers_answer(explanation, GateReport(phase="evaluate", results=(over,))).light == "red"


def test_answer_round_trips_and_refuses_an_unknown_light():
    answer = Answer(key="accuracy", light="amber", sentence="Probably.")
    assert Answer.from_dict(answer.to_dict()) == answer and answer.question == "Is it accurate enough?"
    with pytest.raises(ParameterError, match="Unknown verdict light 'blue'") as err:
        Answer(key="accuracy", light="blue", sentence="?")
    assert "green, amber, red, grey" in err.value.hint


def test_release_check_that_passed_on_the_interval_reads_not_conclusive(fairness):
    from workbench.stakeholder._details import checks_details

    report = _with_disparity(fairness, 0.12, 0.04, 0.2, limit=0.1, evidence="interval")
    gate = check_max("max_demographic_parity_difference", 0.04, 0.1, label="lower bound of the interval (group)")
    html = checks_details(GateReport(phase="evaluate", results=(gate,)), report)
    assert "<span class='wb-light wb-warn'></span><strong>passed, not conclusive</strong>" in html
    plain = checks_details(GateReport(phase="evaluate", results=(gate,)), _with_disparity(fairness, 0.05, 0.01, 0.08,
                                                                                         limit=0.1))
    assert "<strong>passed</strong>" in plain and "not conclusive" not in plain


def test_a_group_too_small_to_judge_shows_its_size_but_not_its_outcomes(cancer):
    from workbench.stakeholder._details import WITHHELD, fairness_details

    model, X, y, group = cancer
    tiny = group.copy()
    tiny.iloc[:2] = "c"  # two people: their selection rate would be their own decisions
    report = assess_fairness(model=model, X=X, y_true=y, sensitive_features=tiny.to_frame(), n_bootstrap=20)
    rows = {row["group"]: row for row in report.grouping("group").rows()}
    assert rows["c"]["judged"] is False and rows["a"]["judged"] is True
    page = fairness_details(report)
    small = page[page.index(">c<"):].split("</tr>")[0]
    assert WITHHELD in small and f"{rows['c']['selection_rate']:.3g}" not in small
    large = page[page.index(">a<"):].split("</tr>")[0]
    assert WITHHELD not in large

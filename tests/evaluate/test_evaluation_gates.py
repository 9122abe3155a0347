"""Evaluate gates read the metrics, fairness and explanation reports with the project's thresholds."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest

from workbench.evaluate import assess_fairness, evaluate_model, evaluation_gates, explain
from workbench.evaluate.gates import fairness_thresholds
from workbench.exceptions import ConfigError, DataError
from workbench.project import Project
from workbench.render.fairness import lights
from workbench.reports import load_report


def _judging_by(project: Project, evidence: str) -> Project:
    """``project`` reopened with ``fairness_evidence`` set to ``evidence``."""
    config = project.root / "workbench.toml"
    text = config.read_text(encoding="utf-8").replace('fairness_evidence = "interval"', f'fairness_evidence = "{evidence}"')
    config.write_text(text, encoding="utf-8")
    return Project.load(project.root)


@pytest.fixture(scope="module")
def reports(credit):
    metrics = evaluate_model(credit.model, credit.X_test, credit.y_test, X_train=credit.X_train, y_train=credit.y_train, n_bootstrap=20)
    fairness = assess_fairness(
        model=credit.model, X=credit.X_test, y_true=credit.y_test, sensitive_features=credit.sensitive_test, n_bootstrap=50
    )
    explanation = explain(credit.model, credit.X_test.iloc[:200], display_rows=20)
    return metrics, fairness, explanation


def test_gates_from_reports_name_values_and_thresholds(project, reports) -> None:
    metrics, fairness, explanation = reports
    project = _judging_by(project, "estimate")
    gates = evaluation_gates(project, metrics=metrics, fairness=fairness, explanation=explanation)
    by_name = {r.name: r for r in gates.results}
    assert list(by_name) == [
        "min_roc_auc", "min_margin_over_baseline", "max_demographic_parity_difference",
        "max_equalized_odds_difference", "min_group_size", "max_top_driver_share",
    ]
    assert by_name["min_roc_auc"].value == metrics.metrics["roc_auc"] and by_name["min_roc_auc"].threshold == 0.7
    assert by_name["min_margin_over_baseline"].value == pytest.approx(metrics.metrics["roc_auc"] - 0.5)
    feature, value = fairness.worst("demographic_parity_difference")
    assert by_name["max_demographic_parity_difference"].reason.startswith(f"demographic parity difference ({feature}) {value:.4g}")
    assert by_name["min_group_size"].reason == "every sensitive feature has at least two groups of >= 30 rows"
    top = next(iter(explanation.importance_by_column()))
    assert f"top driver's share of mean |SHAP| ({top})" in by_name["max_top_driver_share"].reason


def test_failing_gates_say_why(project, reports) -> None:
    metrics, fairness, _ = reports
    worse = dataclasses.replace(metrics, metrics={**metrics.metrics, "roc_auc": 0.6})
    gates = evaluation_gates(project, metrics=worse, fairness=fairness)
    assert not gates.passed
    assert gates.failures[0].reason == "ROC AUC 0.6 < 0.7"
    sex = fairness.grouping("sex")
    unfair = dataclasses.replace(sex, disparities={**sex.disparities, "equalized_odds_difference": 0.5},
                                 disparity_intervals={**sex.disparity_intervals, "equalized_odds_difference": (0.2, 0.7)})
    worse_fairness = dataclasses.replace(fairness, groupings=(unfair, *fairness.groupings[1:]))
    result = evaluation_gates(_judging_by(project, "estimate"), fairness=worse_fairness).results[1]
    assert not result.passed and result.reason == "equalized odds difference (sex) 0.5 > 0.3"


def test_interval_evidence_fails_only_when_the_whole_interval_is_above_the_limit(project, reports) -> None:
    _, fairness, _ = reports
    sex = fairness.grouping("sex")
    for interval, passed in (((0.2, 0.7), True), ((0.35, 0.7), False)):
        changed = dataclasses.replace(
            sex, disparities={**sex.disparities, "equalized_odds_difference": 0.5},
            disparity_intervals={**sex.disparity_intervals, "equalized_odds_difference": interval},
        )
        result = evaluation_gates(project, fairness=dataclasses.replace(fairness, groupings=(changed, *fairness.groupings[1:]))).results[1]
        assert result.passed is passed and result.value == interval[0]
        assert result.reason.startswith(f"lower bound of the equalized odds difference interval (sex) {interval[0]:.4g}")
        assert result.reason.endswith(f"estimate 0.5, 95% interval [{interval[0]:.4g}, 0.7]")


def _with_disparity(fairness, feature: str, estimate: float, interval: tuple[float, float]):
    """``fairness`` with ``feature``'s equalized odds difference set to ``estimate`` and ``interval``."""
    name = "equalized_odds_difference"
    changed = [
        dataclasses.replace(g, disparities={**g.disparities, name: estimate}, disparity_intervals={**g.disparity_intervals, name: interval})
        if g.feature == feature else g
        for g in fairness.groupings
    ]
    return dataclasses.replace(fairness, groupings=tuple(changed))


def _lights(report) -> dict[str, tuple[str, str]]:
    """``{"<disparity> [<feature>]": (css class, text)}`` read from the rendered gate lights."""
    found = re.findall(r'wb-light (wb-\w+)"></span>([^<]*)</div>', lights(report))
    return {html.unescape(text).split(" = ")[0]: (css, html.unescape(text)) for css, text in found}


@pytest.mark.parametrize(("evidence", "passed"), [("estimate", False), ("interval", True)])
def test_gate_lights_make_the_gates_decision(project, reports, evidence, passed) -> None:
    _, fairness, _ = reports
    project = _judging_by(project, evidence)
    unfair = _with_disparity(fairness, "sex", 0.5, (0.2, 0.7))  # estimate above the 0.3 limit, interval not wholly
    unfair = _with_disparity(unfair, "sex & age_band", 0.9, (0.8, 1.0))  # far above, but an intersection
    report = dataclasses.replace(unfair, thresholds=fairness_thresholds(project))
    gates = {r.name: r for r in evaluation_gates(project, fairness=report).results}
    shown = _lights(report)
    for name in ("demographic_parity_difference", "equalized_odds_difference"):
        label = name.replace("_", " ")
        single = [shown[f"{label} [{f}]"][0] for f in report.sensitive]
        assert gates[f"max_{name}"].passed is (set(single) == {"wb-pass"}), (name, single)
        css, text = shown[f"{label} [sex & age_band]"]
        assert css == "wb-off" and text.endswith("(not gated: an intersection)")
    css, text = shown["equalized odds difference [sex]"]
    assert gates["max_equalized_odds_difference"].passed is passed and css == ("wb-pass" if passed else "wb-fail")
    assert ("interval [0.200, 0.700], lower end judged" in text) is (evidence == "interval")
    assert load_report(report.to_json()).thresholds == report.thresholds == {
        "demographic_parity_difference": 0.25, "equalized_odds_difference": 0.3, "fairness_evidence": evidence,
    }


def test_an_unknown_evidence_mode_is_refused(credit) -> None:
    with pytest.raises(ConfigError, match="fairness_evidence must be one of estimate, interval, not 'likely'"):
        assess_fairness(
            y_true=credit.y_test, y_pred=credit.y_test, sensitive_features=credit.sensitive_test, n_bootstrap=0,
            thresholds={"fairness_evidence": "likely"},
        )


def test_group_size_gate_names_groups_too_small_to_judge(project, credit) -> None:
    predictions = credit.model.predict(credit.X_test)
    few = credit.sensitive_test.iloc[:60].copy()
    fairness = assess_fairness(y_true=credit.y_test.iloc[:60], y_pred=predictions[:60], sensitive_features=few, n_bootstrap=0)
    result = evaluation_gates(project, fairness=fairness).results[-1]
    assert result.name == "min_group_size" and not result.passed
    assert result.reason.startswith("fewer than two groups of >= 30 rows to compare for sex, age_band; too small to judge:")
    small = int((few["age_band"] == "26-40").sum())
    assert f"age_band = 26-40 ({small} rows)" in result.reason


def test_regression_gates_on_r2(project, credit) -> None:
    from sklearn.linear_model import LinearRegression

    X = credit.X_train.select_dtypes("number").drop(columns=["loan_amount"]).fillna(0)
    model = LinearRegression().fit(X, credit.X_train["loan_amount"])
    metrics = evaluate_model(model, X, credit.X_train["loan_amount"], n_bootstrap=0)
    names = [r.name for r in evaluation_gates(project, metrics=metrics).results]
    assert names == ["min_r2", "min_margin_over_baseline"]


def test_plain_figures_and_nothing_to_gate(project) -> None:
    gates = evaluation_gates(project, roc_auc=0.8, baseline_roc_auc=0.5)
    assert gates.passed and [r.name for r in gates.results] == ["min_roc_auc", "min_margin_over_baseline"]
    with pytest.raises(DataError, match="evaluation_gates has nothing to gate"):
        evaluation_gates(project)


@pytest.fixture(scope="module")
def wine_project(tmp_path_factory):
    """A multiclass project without sensitive columns, its split and a fitted logistic model."""
    from sklearn.linear_model import LogisticRegression

    from workbench.evaluate import split_data

    from .conftest import make_project, wine_frame

    project = make_project(tmp_path_factory.mktemp("gates") / "wine", wine_frame(), target="cultivar", task="multiclass")
    split = split_data(project, project.load_data())
    columns = ["alcohol", "malic_acid", "ash", "magnesium"]  # weak columns: a model far from perfect
    model = LogisticRegression(max_iter=5000).fit(split.X_train[columns], split.y_train)
    metrics = evaluate_model(
        model, split.X_test[columns], split.y_test, X_train=split.X_train[columns], y_train=split.y_train, n_bootstrap=20,
    )
    return project, metrics


def test_multiclass_gates_on_the_one_vs_rest_auc_and_fairness_does_not_apply(wine_project) -> None:
    project, metrics = wine_project
    gates = evaluation_gates(project, metrics=metrics)
    by_name = {r.name: r for r in gates.results}
    assert list(by_name) == ["min_roc_auc", "min_margin_over_baseline", "fairness"]
    auc = metrics.metrics["roc_auc"]
    assert by_name["min_roc_auc"].value == auc and by_name["min_roc_auc"].reason == f"ROC AUC (one-vs-rest, macro) {auc:.4g} >= 0.7"
    assert by_name["min_margin_over_baseline"].value == pytest.approx(auc - 0.5)
    assert by_name["min_margin_over_baseline"].reason.startswith("ROC AUC (one-vs-rest, macro) margin over the baseline")
    assert gates.passed and by_name["fairness"].passed
    assert by_name["fairness"].reason == (
        "fairness: not applicable — the project names no sensitive column ([data] sensitive)"
    )
    worse = dataclasses.replace(metrics, metrics={**metrics.metrics, "roc_auc": 0.62})
    failed = evaluation_gates(project, metrics=worse)
    assert [r.reason for r in failed.failures] == ["ROC AUC (one-vs-rest, macro) 0.62 < 0.7"]


def test_regression_gates_read_min_r2_and_the_r2_margin(wine_project) -> None:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression

    project, _ = wine_project
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(X.iloc[:300], y.iloc[:300])
    metrics = evaluate_model(model, X.iloc[300:], y.iloc[300:], X_train=X.iloc[:300], y_train=y.iloc[:300], n_bootstrap=0)
    results = evaluation_gates(project, metrics=metrics).results
    assert [r.name for r in results][:2] == ["min_r2", "min_margin_over_baseline"]
    assert results[0].threshold == 0.0 and results[0].reason == f"R² {metrics.metrics['r2']:.4g} >= 0"
    assert results[1].value == pytest.approx(metrics.metrics["r2"] - metrics.comparison("baseline").metrics["r2"])
    assert results[1].reason.startswith("R² margin over the baseline")

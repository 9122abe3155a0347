"""``explain(..., budget_s=...)``: a random sample of rows explained exactly, importances with stated error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

from workbench.evaluate import ExplanationReport, explain, explain_row
from workbench.evaluate._budget import explain_within, importance_intervals
from workbench.exceptions import DataError


@pytest.fixture(scope="module")
def forest() -> tuple[RandomForestClassifier, pd.DataFrame]:
    X, y = make_classification(n_samples=2_400, n_features=8, n_informative=5, flip_y=0.1, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    model = RandomForestClassifier(n_estimators=40, max_depth=20, random_state=0).fit(frame[:1_200], y[:1_200])
    return model, frame[1_200:]


def _exact_importance(model, rows: pd.DataFrame) -> np.ndarray:
    values = np.asarray(shap.TreeExplainer(model).shap_values(rows.to_numpy()))  # rows × features × classes
    return np.abs(values[:, :, 1]).mean(axis=0)


def test_intervals_from_a_random_sample_cover_the_exact_importance_of_all_rows(forest) -> None:
    model, rows = forest
    exact = _exact_importance(model, rows)
    sample = np.random.default_rng(3).permutation(len(rows))[:60]
    values = np.asarray(shap.TreeExplainer(model).shap_values(rows.to_numpy()[sample]))[:, :, [1]]
    names = tuple(rows.columns)
    intervals, note = importance_intervals(names, values, seed=0)
    for name, value in zip(names, exact, strict=True):
        low, high = intervals[name]
        assert low <= value <= high, (name, low, value, high)
        assert low < high
    assert note == ("bootstrap percentile intervals (2,000 resamples of the 60 rows explained), each at level "
                    "0.9938 so that all 8 hold together at 95% (Bonferroni)")


def test_a_budget_explains_a_sample_exactly_and_states_the_error(forest) -> None:
    model, rows = forest
    report = explain(model, rows, budget_s=0.5, display_rows=50)
    assert 4 <= report.n_explained < len(rows) and report.estimated
    assert report.sample_note.startswith(f"{report.n_explained:,} of 1,200 rows explained exactly within budget_s=0.5 "
                                         "(a seeded random sample: the time per row measured ")
    assert report.interval_note.startswith(f"Importances are estimated from {report.n_explained:,} of 1,200 rows: ")
    assert set(report.column_importance_interval) == set(report.column_importance)
    for column, (low, high) in report.column_importance_interval.items():
        assert low <= report.column_importance[column] <= high
    positions = [rows.index.get_loc(int(label)) for label in report.rows]
    reference = np.asarray(shap.TreeExplainer(model).shap_values(rows.to_numpy()[positions]))[:, :, 1]
    assert np.abs(np.asarray(report.values) - reference).max() <= 1e-9  # the rows explained are exact
    assert ExplanationReport.from_dict(report.to_dict()) == report


def test_a_budget_that_fits_every_row_gives_exact_importances(forest) -> None:
    model, rows = forest
    report = explain(model, rows.iloc[:30], budget_s=60)
    assert report.n_explained == 30 and not report.estimated
    assert report.column_importance_interval == {} and report.interval_note == ""
    assert report.sample_note == "30 of 30 rows explained exactly within budget_s=60 (every row fit)"
    exact = _exact_importance(model, rows.iloc[:30])
    assert np.allclose([report.column_importance[c] for c in rows.columns], exact, atol=1e-12)


def test_chunks_follow_the_time_left() -> None:
    calls: list[tuple[int, int]] = []
    run = explain_within(lambda a, b: calls.append((a, b)), rows=1_000, budget_s=5.0, started=0.0)
    assert calls == [(0, 4)] and run.explained == 4  # 0.0 is long past: the budget was spent before the first chunk


@pytest.mark.parametrize("budget", [0, -1.0, float("nan"), "10"])
def test_a_bad_budget_is_refused_with_the_fix(forest, budget) -> None:
    model, rows = forest
    with pytest.raises(DataError, match=r"is not a positive number of seconds") as caught:
        explain(model, rows, budget_s=budget)
    assert "budget_s=10" in caught.value.hint


def test_one_row_is_explained_exactly(forest) -> None:
    model, rows = forest
    report = explain_row(model, rows.iloc[7])
    reference = np.asarray(shap.TreeExplainer(model).shap_values(rows.to_numpy()[[7]]))[0, :, 1]
    waterfall = report.row(0)
    assert {item["column"]: item["shap"] for item in waterfall["items"]} == pytest.approx(
        dict(zip(rows.columns, reference, strict=True)), abs=1e-12)
    assert waterfall["output"] == pytest.approx(model.predict_proba(rows.iloc[[7]])[0, 1], abs=1e-9)


def test_explain_row_refuses_several_rows(forest) -> None:
    model, rows = forest
    with pytest.raises(DataError, match=r"^explain_row takes one row, not 2 rows\.") as caught:
        explain_row(model, rows.iloc[:2])
    assert "X.iloc[[i]]" in caught.value.hint


def test_the_rest_is_explained_at_once_when_it_fits() -> None:
    import time

    calls: list[tuple[int, int]] = []
    run = explain_within(lambda a, b: calls.append((a, b)), rows=1_000, budget_s=60.0, started=time.perf_counter())
    assert calls == [(0, 4), (4, 1_000)] and run.explained == 1_000


def test_the_page_and_the_importance_chart_state_the_error(forest) -> None:
    from workbench.render.explanation import importance_figure

    model, rows = forest
    report = explain(model, rows, budget_s=0.5, display_rows=50)
    page = report.to_html()
    assert "error of the importances" in page and "Bonferroni" in page
    bars = importance_figure(report).data[0]
    for name, value, above, below in zip(bars.y, bars.x, bars.error_x.array, bars.error_x.arrayminus, strict=True):
        low, high = report.column_importance_interval[name]
        assert (value - below, value + above) == pytest.approx((low, high), abs=1e-12)
    exact = explain(model, rows.iloc[:30])
    assert importance_figure(exact).data[0].error_x.array is None and "error of the importances" not in exact.to_html()


def test_a_multiclass_budget_gives_each_class_its_intervals() -> None:
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True)
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(data.data, data.target)
    rows = pd.concat([data.data] * 200, ignore_index=True)  # 35,600 rows: ~0.3 s exact, far past a 0.01 s budget
    report = explain(model, rows, budget_s=0.01)
    assert report.estimated and report.interval_note.endswith("each class's importances have intervals of their own, made the same way.")
    for view in report.class_views:
        assert set(view.column_importance_interval) == set(view.column_importance)
        for column, (low, high) in view.column_importance_interval.items():
            assert low <= view.column_importance[column] <= high
    other = report.for_class(report.classes[0])
    assert other.column_importance_interval == report.class_views[0].column_importance_interval
    assert ExplanationReport.from_dict(report.to_dict()) == report

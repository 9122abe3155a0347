"""HTML pages and widgets of the three reviews, drawn from the reports' stored data only."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from workbench.evaluate import assess_fairness, evaluate_model, explain
from workbench.render._live import figure_of


@pytest.fixture(scope="module")
def large():
    """10,000 test rows: labels, predictions, two sensitive features, and a small tree model."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(10_000, 6)), columns=[f"f{i}" for i in range(6)])
    y = (X["f0"] + 0.5 * X["f1"] + rng.normal(size=10_000) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    sensitive = pd.DataFrame({"sex": rng.choice(["F", "M"], 10_000), "band": rng.choice(["a", "b", "c"], 10_000)})
    return X, y, model, sensitive


def _sections(page: str) -> list[str]:
    return [part.split("</h2>")[0] for part in page.split("<h2>")[1:]]


def test_metrics_page_and_widget(credit) -> None:
    report = evaluate_model(credit.model, credit.X_test, credit.y_test, X_train=credit.X_train, y_train=credit.y_train, n_bootstrap=20)
    page = report.to_html(plotlyjs="none")
    assert _sections(page) == ["Overview", "Against the baseline", "Curves", "Confusion matrix", "Metrics"]
    assert page.count("plotly-graph-div") == 5 and "Dummy (class prior of the training labels)" in page
    tabs = report.widget()
    picker, curve = tabs.children[0].children
    picker.value = "pr"
    assert figure_of(curve).layout.title.text == "Precision-recall curve" and figure_of(curve).data[0].x == report.curves["pr"].x
    metric, comparison = tabs.children[1].children
    metric.value = "brier"
    assert figure_of(comparison).data[0].y[0] == pytest.approx(report.metrics["brier"])


def test_fairness_page_and_widget_redraw_fast_on_10000_rows(large) -> None:
    X, y, model, sensitive = large
    report = assess_fairness(y_true=y, y_pred=model.predict(X), sensitive_features=sensitive, n_bootstrap=50)
    page = report.to_html(plotlyjs="none")
    assert _sections(page) == ["Overview", "Disparities", "Groups", "Disparity table", "Group tables"]
    assert page.count('class="wb-light') == 6  # two gated disparities × (sex, band, sex & band)
    tabs = report.widget()
    feature, metric = tabs.children[0].children[0].children
    chart = tabs.children[0].children[1]
    started = time.perf_counter()
    feature.value = "sex & band"
    metric.value = "false_positive_rate"
    elapsed = time.perf_counter() - started
    grouping = report.grouping("sex & band")
    assert list(figure_of(chart).data[0].y) == pytest.approx(list(grouping.metrics["false_positive_rate"]))
    assert figure_of(chart).layout.title.text == "False positive rate by sex & band"
    assert "F, a" in tabs.children[0].children[2].value
    assert elapsed < 2.0, f"two redraws took {elapsed:.2f} s"  # loose: ~0.1 s here; nothing is recomputed


def test_fairness_mitigation_view(credit) -> None:
    report = assess_fairness(
        model=credit.model, X=credit.X_test, y_true=credit.y_test, sensitive_features=credit.sensitive_test,
        n_bootstrap=0, mitigate=True, thresholds={"demographic_parity_difference": 0.01},
    )
    page = report.to_html(plotlyjs="none")
    assert "Mitigation" in _sections(page) and "thresholds for equalized odds" in page
    assert "limit 0.01" in page and "wb-fail" in page
    assert figure_of([tabs for tabs in report.widget().children][2].children[0]).data[0].name == "model as is"


def test_explanation_page_and_widget_redraw_fast_on_10000_rows(large) -> None:
    X, _, model, _ = large
    report = explain(model, X, display_rows=300)
    assert report.n_explained == 10_000 and len(report.rows) == 300
    page = report.to_html(plotlyjs="none")
    assert _sections(page) == ["Overview", "Global importance", "A row explained", "Dependence", "Model features", "Importance tables"]
    tabs = report.widget()
    row_picker, waterfall = tabs.children[1].children
    column_picker, dependence = tabs.children[2].children
    position = row_picker.options[5][1]
    started = time.perf_counter()
    row_picker.value = position
    column_picker.value = "f3"
    elapsed = time.perf_counter() - started
    assert figure_of(waterfall).layout.title.text.startswith(f"Row {report.rows[position]}:")
    assert figure_of(waterfall).data[0].x[-1] == pytest.approx(report.outputs[position])
    assert list(figure_of(dependence).data[0].y) == pytest.approx(list(report.column_values("f3")[1]))
    assert elapsed < 2.0, f"two redraws took {elapsed:.2f} s"  # loose: ~0.1 s here; no model call
    beeswarm = tabs.children[0].children[2]
    assert len(figure_of(beeswarm).data) == 6 and len(figure_of(beeswarm).data[0].x) == 300


@pytest.fixture(scope="module")
def many_classes():
    """Ten classes, a weak model that never predicts some of them: undefined precisions to show."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    labels = np.array([f"category-{c}" for c in "ABCDEFGHIJ"])
    codes = rng.choice(10, size=1200, p=[.3, .2, .1, .1, .08, .07, .06, .05, .03, .01])
    X = pd.DataFrame({"a": codes + rng.normal(0, 3, 1200), "b": rng.normal(size=1200)})
    y = pd.Series(labels[codes], name="kind")
    model = LogisticRegression(max_iter=2000).fit(X.iloc[:800], y.iloc[:800])
    return evaluate_model(model, X.iloc[800:], y.iloc[800:], X_train=X.iloc[:800], y_train=y.iloc[:800], n_bootstrap=30)


def test_multiclass_page_and_widget(many_classes) -> None:
    report = many_classes
    undefined = [c.label for c in report.class_metrics if np.isnan(c.precision)]
    assert undefined  # the case the page must show without 'nan'
    page = report.to_html(plotlyjs="none")
    assert _sections(page) == ["Overview", "Against the baseline", "Per class", "Curves", "Metrics", "Classes"]
    assert page.count("plotly-graph-div") == 5 and "ROC AUC (one-vs-rest, macro): model vs baseline" in page
    assert re.search(r">\s*nan\s*<", page) is None and "<td>undefined</td>" in page
    assert "10: category-A (117)" in page
    tabs = report.widget()
    assert [tabs.get_title(i) for i in range(len(tabs.children))] == [
        "Curves", "Against the baseline", "Per class", "Confusion matrix", "Table",
    ]
    picker, curves = tabs.children[0].children
    assert picker.value == "roc_ovr" and len(figure_of(curves).data) == 11  # ten classes and the chance line
    assert figure_of(curves).data[0].name == f"category-A (AUC {report.class_metrics[0].roc_auc:.3f})"
    picker.value = "calibration"
    assert figure_of(curves).layout.title.text == "Calibration" and figure_of(curves).data[0].x == report.curves["calibration"].x
    figure, bars = tabs.children[2].children
    figure.value = "precision"
    shown = list(figure_of(bars).layout.yaxis.ticktext)
    assert figure_of(bars).layout.title.text == "precision by class"
    for entry, text in zip(report.class_metrics, shown, strict=True):
        assert text == (f"{entry.label}  undefined" if entry.label in undefined else f"{entry.label}  <b>{entry.precision:.3f}</b>")
    heatmap = figure_of(tabs.children[3]).data[0]
    assert heatmap.z[0][0] == pytest.approx(report.confusion_matrix[0][0] / report.class_metrics[0].support)


def test_regression_page_and_widget() -> None:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(X.iloc[:300], y.iloc[:300])
    report = evaluate_model(model, X.iloc[300:], y.iloc[300:], X_train=X.iloc[:300], y_train=y.iloc[:300], n_bootstrap=20)
    page = report.to_html(plotlyjs="none")
    assert _sections(page) == ["Overview", "Against the baseline", "Curves", "Metrics"]
    assert page.count("plotly-graph-div") == 4 and "R²: model vs baseline" in page
    assert re.search(r">\s*nan\s*<", page) is None
    tabs = report.widget()
    picker, curve = tabs.children[0].children
    assert picker.value == "actual_vs_predicted"
    diagonal = figure_of(curve).data[1]
    assert diagonal.name == "actual = predicted" and diagonal.x == diagonal.y
    picker.value = "residuals"
    assert figure_of(curve).layout.title.text == "Residuals vs predicted (row sample)"
    assert figure_of(curve).data[0].y == report.curves["residuals"].y
    metric, comparison = tabs.children[1].children
    metric.value = "mae"
    assert figure_of(comparison).data[0].y == (report.metrics["mae"], report.comparison("baseline").metrics["mae"])
    assert figure_of(comparison).layout.title.text == "MAE: model vs baseline (lower is better)"


def _visible_text(page: str) -> str:
    """The page without its scripts (figure data), as a reader sees its text."""
    import re

    return re.sub(r"<script.*?</script>", "", page, flags=re.S)


def test_multiclass_fairness_page_and_widget_with_a_class_picker(wine) -> None:
    report = assess_fairness(
        model=wine.model, X=wine.X_test, y_true=wine.y_test, sensitive_features=wine.sensitive_test,
        n_bootstrap=30, min_group_size=10, mitigate=True,
    )
    page = report.to_html(plotlyjs="none")
    assert _sections(page) == ["Overview", "Disparities", "Groups", "Mitigation", "Disparity table", "Group tables"]
    assert "Selection rate per class by magnesium_band" in page and "Demographic parity difference per class" in page
    text = _visible_text(page)
    assert "nan" not in text.lower().replace("nonflavanoid", "") and "None" not in text
    assert "worst class" in text and "Mitigation does not apply to a multiclass model" in text
    tabs = report.widget()
    feature, metric, klass = tabs.children[0].children[0].children
    chart = tabs.children[0].children[1]
    assert [o[1] for o in metric.options] == ["selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"]
    feature.value, metric.value, klass.value = "ash_band", "true_positive_rate", "2"
    grouping = report.grouping("ash_band")
    assert list(figure_of(chart).data[0].y) == pytest.approx(list(grouping.metrics["true_positive_rate[2]"]))
    assert figure_of(chart).layout.title.text == "Recall (true positive rate) of class 2 (one-vs-rest) by ash_band"
    every_class = tabs.children[0].children[3]
    assert [trace.name for trace in figure_of(every_class).data] == ["class 0", "class 1", "class 2"]
    assert figure_of(every_class).layout.title.text == "Selection rate per class by ash_band"
    metric.value = "accuracy"  # one figure per group, whatever the class
    assert list(figure_of(chart).data[0].y) == pytest.approx(list(grouping.metrics["accuracy"]))


def test_regression_fairness_page_and_widget(diabetes) -> None:
    report = assess_fairness(
        model=diabetes.model, X=diabetes.X_test, y_true=diabetes.y_test, sensitive_features=diabetes.sensitive_test,
        n_bootstrap=30,
    )
    page = report.to_html(plotlyjs="none")
    assert _sections(page) == ["Overview", "Disparities", "Groups", "Disparity table", "Group tables"]
    assert "Mean prediction by sex" in page and "MAE by sex" in page and "target standard deviation" in page
    assert "× the target&#x27;s standard deviation" in page and "nan" not in _visible_text(page).lower()
    tabs = report.widget()
    _, metric = tabs.children[0].children[0].children
    chart = tabs.children[0].children[1]
    assert [trace.name for trace in figure_of(chart).data] == ["Mean prediction", "mean target"]
    metric.value = "mae"
    assert list(figure_of(chart).data[0].y) == pytest.approx(list(report.grouping("sex").metrics["mae"]))


def test_not_applicable_renders_as_one_line(diabetes) -> None:
    report = assess_fairness(model=diabetes.model, X=diabetes.X_test, y_true=diabetes.y_test, sensitive_features=None)
    line = "Fairness: not applicable — the project names no sensitive column ([data] sensitive)"
    page = report.to_html(plotlyjs="none")
    assert _sections(page) == ["Fairness"] and line in page and "plotly-graph-div" not in page
    assert line in report.widget().value


def test_multiclass_explanation_page_and_class_picker(wine) -> None:
    report = explain(wine.model, wine.X_test, display_rows=60)
    page = report.to_html(plotlyjs="none")
    assert _sections(page) == ["Overview", "Global importance", "A row explained", "Dependence", "Model features", "Importance tables"]
    assert "Importance per input column, by class" in page and f"(class {report.explained_class})" in page
    assert "nan" not in _visible_text(page).lower().replace("nonflavanoid", "")
    box = report.widget()
    picker, tabs = box.children
    importance, beeswarm = tabs.children[0].children[1], tabs.children[0].children[2]
    assert [t.name for t in figure_of(importance).data] == ["class 0", "class 1", "class 2"]
    row_picker, waterfall = tabs.children[1].children
    column_picker, dependence = tabs.children[2].children
    other = next(c for c in report.classes if c != report.explained_class)
    started = time.perf_counter()
    picker.value = other
    elapsed = time.perf_counter() - started
    view = report.for_class(other)
    assert figure_of(beeswarm).layout.title.text.endswith(f"(class {other})")
    assert list(figure_of(beeswarm).data[-1].x) == pytest.approx(list(view.column_values(next(iter(view.column_importance)))[1]))
    assert figure_of(waterfall).data[0].x[-1] == pytest.approx(view.outputs[row_picker.value])
    assert list(figure_of(dependence).data[0].y) == pytest.approx(list(view.column_values(column_picker.value)[1]))
    assert elapsed < 2.0, f"a class change took {elapsed:.2f} s"  # loose: redraws only, no SHAP call

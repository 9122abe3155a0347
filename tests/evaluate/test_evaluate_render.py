"""HTML pages and widgets of the three reviews, drawn from the reports' stored data only."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from workbench.evaluate import assess_fairness, evaluate_model, explain


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
    assert curve.layout.title.text == "Precision-recall curve" and curve.data[0].x == report.curves["pr"].x
    metric, comparison = tabs.children[1].children
    metric.value = "brier"
    assert comparison.data[0].y[0] == pytest.approx(report.metrics["brier"])


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
    assert list(chart.data[0].y) == pytest.approx(list(grouping.metrics["false_positive_rate"]))
    assert chart.layout.title.text == "False positive rate by sex & band"
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
    assert [tabs for tabs in report.widget().children][2].children[0].data[0].name == "model as is"


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
    assert waterfall.layout.title.text.startswith(f"Row {report.rows[position]}:")
    assert waterfall.data[0].x[-1] == pytest.approx(report.outputs[position])
    assert list(dependence.data[0].y) == pytest.approx(list(report.column_values("f3")[1]))
    assert elapsed < 2.0, f"two redraws took {elapsed:.2f} s"  # loose: ~0.1 s here; no model call
    beeswarm = tabs.children[0].children[2]
    assert len(beeswarm.data) == 6 and len(beeswarm.data[0].x) == 300

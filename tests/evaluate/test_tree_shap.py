"""Our TreeSHAP (distinct rows per tree, two processes) against ``shap.TreeExplainer`` itself."""

from __future__ import annotations

import numpy as np
import pytest
import shap
from sklearn.datasets import load_diabetes, load_wine
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)

from workbench.datasets import make_credit_risk
from workbench.evaluate import build_pipeline, explain
from workbench.evaluate._tree_shap import PARALLEL_MIN_WORK, supports, tree_shap


@pytest.fixture(scope="module")
def demo() -> tuple:
    frame = make_credit_risk(3_500, seed=1)
    X = frame.drop(columns=["default", "application_date", "age_band"])
    model = build_pipeline(X.iloc[:2_000], seed=0).fit(X.iloc[:2_000], frame["default"].iloc[:2_000])
    return model, X.iloc[2_000:]


def _shap_values(estimator, features: np.ndarray) -> np.ndarray:
    values = shap.TreeExplainer(estimator).shap_values(features)
    array = np.stack(values, axis=-1) if isinstance(values, list) else np.asarray(values)
    return array if array.ndim == 3 else array[:, :, None]


def test_demo_pipeline_equals_shap_and_adds_up_to_the_model_score(demo) -> None:
    model, rows = demo
    features = np.asarray(model[:-1].transform(rows), dtype=np.float64)
    assert np.isnan(features).any()  # missing values take each node's default branch
    explainer = shap.TreeExplainer(model[-1])
    assert supports(explainer)
    ours = tree_shap(explainer, features, parallel=False)
    assert np.abs(ours - _shap_values(model[-1], features)).max() <= 1e-9
    added = explainer.expected_value + ours[:, :, 0].sum(axis=1)
    assert np.abs(added - model[-1].decision_function(features)).max() <= 1e-9


def test_two_processes_give_the_one_process_values(demo) -> None:
    model, rows = demo
    features = np.asarray(model[:-1].transform(rows), dtype=np.float64)
    explainer = shap.TreeExplainer(model[-1])
    assert features.shape[0] * explainer.model.features.size >= PARALLEL_MIN_WORK  # large enough to be split
    both = tree_shap(explainer, features, parallel=True)
    assert np.abs(both - tree_shap(explainer, features, parallel=False)).max() <= 1e-12


@pytest.mark.parametrize(
    "estimator",
    [
        HistGradientBoostingClassifier(max_iter=30, random_state=0),
        RandomForestClassifier(n_estimators=8, random_state=0),  # deep trees: > 64 nodes per pattern
    ],
    ids=["hgb-multiclass", "forest-multiclass"],
)
def test_multiclass_models_equal_shap(estimator) -> None:
    X, y = load_wine(return_X_y=True)
    estimator.fit(X, y)
    explainer = shap.TreeExplainer(estimator)
    assert supports(explainer)
    ours = tree_shap(explainer, X, parallel=False)
    assert ours.shape == (len(X), X.shape[1], 3)
    assert np.abs(ours - _shap_values(estimator, X)).max() <= 1e-9


@pytest.mark.parametrize(
    "estimator",
    [HistGradientBoostingRegressor(max_iter=40, random_state=0), GradientBoostingRegressor(n_estimators=40, random_state=0)],
    ids=["hgb", "gbr"],
)
def test_regressors_equal_shap_and_add_up_to_the_prediction(estimator) -> None:
    X, y = load_diabetes(return_X_y=True)
    estimator.fit(X, y)
    explainer = shap.TreeExplainer(estimator)
    ours = tree_shap(explainer, X, parallel=False)
    assert np.abs(ours - _shap_values(estimator, X)).max() <= 1e-6
    added = np.ravel(explainer.expected_value)[0] + ours[:, :, 0].sum(axis=1)
    assert np.abs(added - estimator.predict(X)).max() <= 1e-6


def test_explain_reports_shaps_values_for_the_demo_pipeline(demo) -> None:
    model, rows = demo
    report = explain(model, rows, max_rows=len(rows), display_rows=len(rows))
    features = np.asarray(model[:-1].transform(rows), dtype=np.float64)
    reference = _shap_values(model[-1], features)[:, :, 0].sum(axis=1)  # per row, over every feature
    assert np.abs(np.asarray(report.values).sum(axis=1) - reference).max() <= 1e-9


def test_other_libraries_models_are_left_to_shap() -> None:
    lightgbm = pytest.importorskip("lightgbm")
    X, y = load_wine(return_X_y=True)
    booster = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y).booster_
    assert not supports(shap.TreeExplainer(booster))  # shap hands these to LightGBM's own code

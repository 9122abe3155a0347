"""LightGBM's own TreeSHAP (``pred_contrib``) against ``shap.TreeExplainer``, and through ``explain``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from workbench.evaluate import explain
from workbench.evaluate._native_shap import native_contributions

lightgbm = pytest.importorskip("lightgbm")

CASES = {
    "binary": (load_breast_cancer, lightgbm.LGBMClassifier),
    "multiclass": (load_wine, lightgbm.LGBMClassifier),
    "regression": (load_diabetes, lightgbm.LGBMRegressor),
}


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request) -> tuple[str, object, pd.DataFrame]:
    load, model_class = CASES[request.param]
    data = load(as_frame=True)
    model = model_class(n_estimators=60, num_leaves=15, verbose=-1, random_state=0).fit(data.data, data.target)
    return request.param, model, data.data


def _shap(model, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    explainer = shap.TreeExplainer(model)
    values = np.asarray(explainer.shap_values(X))
    return (values if values.ndim == 3 else values[:, :, None]), np.ravel(explainer.expected_value)


def test_native_values_equal_shaps_and_add_up_to_the_raw_score(fitted) -> None:
    task, model, X = fitted
    native = native_contributions(model, X.to_numpy(dtype=np.float64))
    assert native is not None
    values, bases = _shap(model, X)
    assert native.values.shape == values.shape
    assert np.abs(native.values - values).max() <= 1e-6
    assert np.abs(native.base_values - bases).max() <= 1e-6
    raw = np.asarray(model.predict(X, raw_score=True)).reshape(len(X), -1)
    assert np.abs(native.base_values + native.values.sum(axis=1) - raw).max() <= 1e-9
    assert native.tree_output == ("raw_value" if task == "regression" else "log_odds")


def test_explain_uses_lightgbms_own_treeshap(fitted) -> None:
    task, model, X = fitted
    report = explain(model, X, display_rows=len(X))
    assert report.explainer == "tree (LightGBM's own TreeSHAP, pred_contrib)" and report.task == task
    values, bases = _shap(model, X)
    chosen = report.classes.index(report.explained_class) if report.classes else 0
    expected = values[:, :, chosen] if values.shape[2] > 1 else values[:, :, 0]
    assert np.abs(np.asarray(report.values) - expected).max() <= 1e-6
    assert report.base_value == pytest.approx(bases[chosen], abs=1e-6)

"""LightGBM's and XGBoost's own TreeSHAP (``pred_contrib(s)``) against ``shap.TreeExplainer``, and through ``explain``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from workbench.evaluate import explain
from workbench.evaluate._native_shap import native_contributions

lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")

LOADERS = {"binary": load_breast_cancer, "multiclass": load_wine, "regression": load_diabetes}
LIBRARIES = {
    "lightgbm": (lightgbm.LGBMClassifier, lightgbm.LGBMRegressor, {"num_leaves": 15, "verbose": -1},
                 "tree (LightGBM's own TreeSHAP, pred_contrib)"),
    "xgboost": (xgboost.XGBClassifier, xgboost.XGBRegressor, {"max_depth": 4}, "tree (XGBoost's own TreeSHAP, pred_contribs)"),
}


@pytest.fixture(scope="module", params=[(lib, task) for lib in LIBRARIES for task in LOADERS], ids=lambda p: "-".join(p))
def fitted(request) -> tuple[str, object, pd.DataFrame]:
    library, task = request.param
    classifier, regressor, options, _ = LIBRARIES[library]
    data = LOADERS[task](as_frame=True)
    model_class = regressor if task == "regression" else classifier
    model = model_class(n_estimators=60, random_state=0, **options).fit(data.data, data.target)
    return task, model, data.data


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
    assert np.abs(native.values - values).max() <= 1e-9
    assert np.abs(native.base_values - bases).max() <= 1e-9
    raw = _raw_score(model, X)  # XGBoost adds up in float32: additivity holds to 1e-6 of the score's size
    assert np.abs(native.base_values + native.values.sum(axis=1) - raw).max() <= 1e-6 * max(1.0, float(np.abs(raw).max()))
    assert native.tree_output == ("raw_value" if task == "regression" else "log_odds")


def _raw_score(model, X: pd.DataFrame) -> np.ndarray:
    if type(model).__module__.startswith("lightgbm"):
        return np.asarray(model.predict(X, raw_score=True)).reshape(len(X), -1)
    return np.asarray(model.predict(X, output_margin=True)).reshape(len(X), -1)


def test_explain_uses_the_librarys_own_treeshap(fitted) -> None:
    task, model, X = fitted
    report = explain(model, X, display_rows=len(X))
    library = type(model).__module__.split(".")[0]
    assert report.explainer == LIBRARIES[library][3] and report.task == task
    values, bases = _shap(model, X)
    chosen = report.classes.index(report.explained_class) if report.classes else 0
    expected = values[:, :, chosen] if values.shape[2] > 1 else values[:, :, 0]
    assert np.abs(np.asarray(report.values) - expected).max() <= 1e-9
    assert report.base_value == pytest.approx(bases[chosen], abs=1e-9)

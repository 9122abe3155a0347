"""The SHAP review of multiclass (wine) and regression (diabetes) models, against shap directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import make_column_transformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workbench.evaluate import explain
from workbench.evaluate._explainers import per_output
from workbench.exceptions import DataError, ModelError
from workbench.reports import load_report

CLASSES = ("0", "1", "2")


@pytest.fixture(scope="module")
def report(wine):
    return explain(wine.model, wine.X_test, display_rows=40, seed=1)


def _shown(report, rows: pd.DataFrame) -> list[int]:
    return [rows.index.get_loc(int(label)) for label in report.rows]


def test_values_per_class_equal_shap_and_add_up_per_class(wine, report) -> None:
    expected = shap.TreeExplainer(wine.model).shap_values(wine.X_test.to_numpy())
    assert expected.shape == (89, 11, 3) and report.task == "multiclass" and report.classes == CLASSES
    raw = wine.model.decision_function(wine.X_test)  # one raw score (logit) per class
    shown = _shown(report, wine.X_test)
    for k, label in enumerate(CLASSES):
        view = report.class_view(label)
        assert view.output == f"raw score (logit) of class {label}"
        assert np.abs(np.array(view.values) - expected[shown, :, k]).max() <= 1e-6
        assert np.abs(view.base_value + np.array(view.values).sum(axis=1) - raw[shown, k]).max() <= 1e-6
        assert np.abs(np.array(view.outputs) - raw[shown, k]).max() <= 1e-6
        importance = dict(zip(wine.X_test.columns, np.abs(expected[:, :, k]).mean(axis=0), strict=True))
        assert view.column_importance == pytest.approx(importance, abs=1e-12)
        assert list(view.column_importance.values()) == sorted(view.column_importance.values(), reverse=True)


def test_overall_importance_is_mean_abs_shap_summed_over_classes(wine, report) -> None:
    expected = shap.TreeExplainer(wine.model).shap_values(wine.X_test.to_numpy())
    overall = dict(zip(wine.X_test.columns, np.abs(expected).mean(axis=0).sum(axis=1), strict=True))
    assert report.importance_by_column() == pytest.approx(overall, abs=1e-12)
    assert list(report.importance_by_column()) == sorted(overall, key=lambda c: -overall[c])
    assert report.feature_importance == pytest.approx(overall, abs=1e-12)  # no preprocessing: features are columns
    by_class = report.importance_by_class()
    assert set(by_class) == set(CLASSES)
    for column, value in overall.items():
        assert sum(by_class[label][column] for label in CLASSES) == pytest.approx(value, abs=1e-12)


def test_the_class_shown_first_is_the_one_predicted_most_often(wine, report) -> None:
    counts = pd.Series(wine.model.predict(wine.X_test)).value_counts()
    assert report.explained_class == str(counts.idxmax())
    view = report.class_view(report.explained_class)
    assert report.values == view.values and report.outputs == view.outputs and report.base_value == view.base_value
    assert report.output == view.output
    chosen = explain(wine.model, wine.X_test, display_rows=40, seed=1, class_index=2)
    assert chosen.explained_class == "2" and chosen.values == report.class_view("2").values
    assert chosen.importance_by_column() == report.importance_by_column()


def test_a_class_view_carries_beeswarm_dependence_and_waterfall_data(wine, report) -> None:
    other = next(label for label in CLASSES if label != report.explained_class)
    seen = report.for_class(other)
    assert seen.explained_class == other and seen.output == f"raw score (logit) of class {other}"
    assert seen.importance_by_column() == report.class_view(other).column_importance
    raw, values = seen.column_values("proline")
    assert raw == report.data["proline"] and values == tuple(row[seen.columns.index("proline")] for row in seen.values)
    waterfall = seen.row(0)
    assert waterfall["base_value"] + sum(i["shap"] for i in waterfall["items"]) == pytest.approx(waterfall["output"])
    with pytest.raises(DataError, match=r"The explanation has no class '7' \(its classes: 0, 1, 2\)"):
        report.for_class("7")


def test_random_forest_probabilities_per_class(wine) -> None:
    forest = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(wine.X_train, wine.y_train)
    report = explain(forest, wine.X_test)
    expected = shap.TreeExplainer(forest).shap_values(wine.X_test.to_numpy())
    probabilities = forest.predict_proba(wine.X_test.loc[[int(r) for r in report.rows]])
    for k, label in enumerate(CLASSES):
        view = report.class_view(label)
        assert view.output == f"probability of class {label}"
        assert np.abs(np.array(view.outputs) - probabilities[:, k]).max() <= 1e-6
        assert view.column_importance == pytest.approx(
            dict(zip(wine.X_test.columns, np.abs(expected[:, :, k]).mean(axis=0), strict=True)), abs=1e-12
        )


def test_both_multiclass_shapes_shap_produces_are_read_alike(wine) -> None:
    values = shap.TreeExplainer(wine.model).shap_values(wine.X_test.to_numpy()[:10])
    as_list = [values[:, :, k] for k in range(values.shape[2])]  # the per-class list older shap versions return
    assert np.array_equal(per_output(as_list), values) and np.array_equal(per_output(values), values)
    assert per_output(values[:, :, 0]).shape == (10, 11, 1)


def test_linear_multiclass_equals_shap_linear_explainer(wine) -> None:
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(wine.X_train, wine.y_train)
    report = explain(model, wine.X_test, background=wine.X_train, background_size=60)
    features = model[:-1].transform(wine.X_test)
    background = model[:-1].transform(wine.X_train.iloc[np.sort(np.random.default_rng(0).choice(len(wine.X_train), 60, replace=False))])
    expected = shap.LinearExplainer(model[-1], shap.maskers.Independent(background, max_samples=60)).shap_values(features)
    assert report.explainer == "linear (shap.LinearExplainer)" and report.background_size == 60
    shown = _shown(report, wine.X_test)
    raw = model.decision_function(wine.X_test)
    for k, label in enumerate(CLASSES):
        view = report.class_view(label)
        assert np.abs(np.array(view.values) - expected[shown, :, k]).max() <= 1e-6
        assert np.abs(np.array(view.outputs) - raw[shown, k]).max() <= 1e-6


def test_one_hot_columns_are_summed_back_per_class(wine) -> None:
    X_train = wine.X_train.assign(colour=np.where(wine.X_train["color_intensity"] > 5, "deep", "pale"))
    X_test = wine.X_test.assign(colour=np.where(wine.X_test["color_intensity"] > 5, "deep", "pale"))
    numeric = [c for c in X_train.columns if c != "colour"]
    model = make_pipeline(
        make_column_transformer((StandardScaler(), numeric), (OneHotEncoder(sparse_output=False), ["colour"])),
        HistGradientBoostingClassifier(max_iter=20, random_state=0),
    ).fit(X_train, wine.y_train)
    report = explain(model, X_test, display_rows=30)
    values = shap.TreeExplainer(model[-1]).shap_values(model[:-1].transform(X_test))
    names = list(model[:-1].get_feature_names_out())
    colour = [i for i, n in enumerate(names) if n.startswith("onehotencoder__colour_")]
    assert len(colour) == 2 and set(report.columns) == set(X_test.columns)
    for k, label in enumerate(CLASSES):
        summed = values[:, colour, k].sum(axis=1)
        assert report.class_view(label).column_importance["colour"] == pytest.approx(np.abs(summed).mean(), abs=1e-12)


def test_kernel_explains_every_class_of_a_model_agnostic_classifier(wine) -> None:
    columns = ["proline", "flavanoids", "color_intensity", "hue"]
    model = GaussianNB().fit(wine.X_train[columns], wine.y_train)
    X, background = wine.X_test[columns], wine.X_train[columns].iloc[:15]
    report = explain(model, X, max_samples=4, background=background, background_size=15, seed=5)
    positions = np.sort(np.random.default_rng(5).choice(len(X), size=4, replace=False))
    explainer = shap.KernelExplainer(lambda a: model.predict_proba(pd.DataFrame(a, columns=columns)), background.to_numpy())
    np.random.seed(5)
    expected = explainer.shap_values(X.iloc[positions].to_numpy(), nsamples=2 * 4 + 2048, l1_reg=False, silent=True)
    probabilities = model.predict_proba(X.loc[[int(r) for r in report.rows]])
    for k, label in enumerate(CLASSES):
        view = report.class_view(label)
        assert view.output == f"probability of class {label}"
        assert np.abs(np.array(view.values) - expected[:, :, k]).max() <= 1e-6
        assert np.abs(np.array(view.outputs) - probabilities[:, k]).max() <= 1e-6


def test_regression_values_are_in_the_targets_units(diabetes) -> None:
    report = explain(diabetes.model, diabetes.X_test, display_rows=50)
    expected = shap.TreeExplainer(diabetes.model).shap_values(diabetes.X_test.to_numpy())
    assert report.task == "regression" and report.classes == () and report.class_views == ()
    assert report.output == "predicted value, in the target's units"
    shown = _shown(report, diabetes.X_test)
    assert np.abs(np.array(report.values) - expected[shown]).max() <= 1e-6
    predicted = diabetes.model.predict(diabetes.X_test.iloc[shown])
    assert np.abs(np.array(report.outputs) - predicted).max() <= 1e-6
    assert report.base_value == pytest.approx(float(np.ravel(shap.TreeExplainer(diabetes.model).expected_value)[0]))
    assert report.importance_by_column() == pytest.approx(
        dict(zip(diabetes.X_test.columns, np.abs(expected).mean(axis=0), strict=True)), abs=1e-12
    )
    linear = explain(LinearRegression().fit(diabetes.X_train, diabetes.y_train), diabetes.X_test, display_rows=20)
    assert linear.output == "predicted value, in the target's units"


def test_a_link_scale_regressor_says_its_values_are_not_in_target_units(diabetes) -> None:
    model = HistGradientBoostingRegressor(loss="poisson", max_iter=20, random_state=0).fit(diabetes.X_train, diabetes.y_train)
    report = explain(model, diabetes.X_test, display_rows=10)
    assert report.output == "raw output, on the model's link scale (not the target's units)"
    shown = diabetes.X_test.loc[[int(r) for r in report.rows]]
    assert np.allclose(np.exp(report.outputs), model.predict(shown), rtol=1e-6)


def test_json_round_trip_and_aggregates_only(report) -> None:
    again = load_report(report.to_json())
    assert again.to_dict() == report.to_dict() and again.for_class("2").values == report.for_class("2").values
    bare = report.without_rows()
    assert bare.rows == () and bare.values == () and all(v.values == () and v.outputs == () for v in bare.class_views)
    assert bare.importance_by_class() == report.importance_by_class()


class _VotesOnly(ClassifierMixin, BaseEstimator):
    """A classifier that only votes: no probabilities, no decision scores."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.mean_ = np.asarray(X, dtype=float).mean(axis=0)
        return self

    def predict(self, X):
        return self.classes_[(np.asarray(X, dtype=float)[:, 0] > self.mean_[0]).astype(int)]


def test_bad_input_is_named(wine, diabetes) -> None:
    with pytest.raises(DataError, match=r"class_index=3 is not a class of the model \(its classes: 0: 0, 1: 1, 2: 2\)"):
        explain(wine.model, wine.X_test, class_index=3)
    with pytest.raises(DataError, match=r"class_index=0 is not a class of the model \(its classes: none: the model is not a classifier\)"):
        explain(diabetes.model, diabetes.X_test, class_index=0)
    with pytest.raises(ModelError, match=r"asked for task 'regression', but the model is a multiclass classification model with 3 classes"):
        explain(wine.model, wine.X_test, task="regression")
    with pytest.raises(ModelError, match=r"has neither predict_proba nor decision_function, which the SHAP review of a multiclass model needs"):
        explain(_VotesOnly().fit(wine.X_train, wine.y_train), wine.X_test.iloc[:5], max_samples=2)

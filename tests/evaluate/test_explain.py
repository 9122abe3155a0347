"""The SHAP review: values equal shap's own, additivity for trees, one-hot columns summed back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from workbench.evaluate import explain
from workbench.evaluate._features import feature_map
from workbench.exceptions import DataError, ModelError
from workbench.reports import load_report


@pytest.fixture(scope="module")
def rows(credit):
    return credit.X_test.iloc[:300]


@pytest.fixture(scope="module")
def report(credit, rows):
    return explain(credit.model, rows, display_rows=120, seed=2)


def _shap_per_feature(credit, rows):
    features = credit.model[:-1].transform(rows)
    return shap.TreeExplainer(credit.model[-1]).shap_values(features), features


def _owner(feature: str, frame: pd.DataFrame) -> str:
    """The input column behind a transformed feature, spelled out from the test pipelines' naming."""
    base = feature.split("__", 1)[-1].removeprefix("missingindicator_")
    if base in frame.columns:
        return base
    return next(c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c]) and base.startswith(f"{c}_"))


def _summed_by_column(values: np.ndarray, features: list[str], frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """shap's per-feature values summed per input column (columns with no feature sum to 0)."""
    owners = [_owner(f, frame) for f in features]
    return {c: values[:, [i for i, o in enumerate(owners) if o == c]].sum(axis=1) for c in frame.columns}


def _assert_columns_equal(report, expected: dict[str, np.ndarray], rows: pd.DataFrame) -> None:
    """Every shown row's per-column value and every column's mean |SHAP| equal the summed shap values."""
    assert set(report.columns) == set(expected) and report.warnings == ()
    shown = [rows.index.get_loc(int(label)) for label in report.rows]
    for column, summed in expected.items():
        position = report.columns.index(column)
        assert [row[position] for row in report.values] == pytest.approx(list(summed[shown]), abs=1e-9), column
        assert report.column_importance[column] == pytest.approx(np.abs(summed).mean(), abs=1e-12), column


def test_tree_values_equal_shap_and_add_up_to_the_model_output(credit, rows, report) -> None:
    values, features = _shap_per_feature(credit, rows)
    assert report.explainer == "tree (shap.TreeExplainer)" and report.output == "log-odds of class 1"
    names = list(credit.model[:-1].get_feature_names_out())
    assert report.feature_importance == pytest.approx(dict(zip(names, np.abs(values).mean(axis=0), strict=True)), abs=1e-12)
    positions = [rows.index.get_loc(int(label)) for label in report.rows]
    raw = credit.model[-1].decision_function(features[positions])
    assert np.abs(np.array(report.outputs) - raw).max() < 1e-6
    assert np.abs(report.base_value + np.array(report.values).sum(axis=1) - raw).max() < 1e-6


def test_one_hot_columns_are_summed_back_to_their_input_column(credit, rows, report) -> None:
    values, _ = _shap_per_feature(credit, rows)
    names = list(credit.model[:-1].get_feature_names_out())
    education = [i for i, n in enumerate(names) if n.startswith("education_")]
    assert len(education) > 1 and all(report.feature_columns[names[i]] == "education" for i in education)
    summed = values[:, education].sum(axis=1)
    assert report.column_importance["education"] == pytest.approx(np.abs(summed).mean(), abs=1e-12)
    position = [rows.index.get_loc(int(label)) for label in report.rows]
    column = report.columns.index("education")
    assert [row[column] for row in report.values] == pytest.approx(list(summed[position]), abs=1e-12)
    importance = report.importance_by_column()
    assert set(importance) == set(rows.columns) and list(importance.values()) == sorted(importance.values(), reverse=True)


def test_every_column_equals_shap_summed_over_its_features(credit, rows, report) -> None:
    values, _ = _shap_per_feature(credit, rows)
    features = list(credit.model[:-1].get_feature_names_out())
    _assert_columns_equal(report, _summed_by_column(values, features, rows), rows)


def _mixed_preprocess(frame: pd.DataFrame):
    numeric = list(frame.select_dtypes("number").columns)
    categorical = [c for c in frame.columns if c not in numeric]
    return make_column_transformer(
        (make_pipeline(SimpleImputer(add_indicator=True), StandardScaler()), numeric),
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
    )


def test_columns_are_summed_back_through_steps_around_the_column_transformer(credit) -> None:
    X = credit.X_train.assign(constant=1.0)  # its feature is dropped by VarianceThreshold
    model = make_pipeline(
        FunctionTransformer(feature_names_out="one-to-one"), _mixed_preprocess(X), VarianceThreshold(),
        HistGradientBoostingClassifier(max_iter=20, random_state=0),
    ).fit(X, credit.y_train)
    rows = X.iloc[:150]
    report = explain(model, rows, display_rows=60)
    features = list(model[:-1].get_feature_names_out())
    assert "pipeline__constant" not in features and any(f.startswith("onehotencoder__education_") for f in features)
    values = shap.TreeExplainer(model[-1]).shap_values(model[:-1].transform(rows))
    expected = _summed_by_column(values, features, rows)
    _assert_columns_equal(report, expected, rows)
    assert report.column_importance["constant"] == 0.0 and report.column_importance["education"] > 0
    assert report.feature_columns["onehotencoder__housing_rent"] == "housing"


def test_sample_rows_carry_values_for_beeswarm_dependence_and_waterfall(rows, report) -> None:
    assert len(report.rows) == 120 and report.n_explained == 300 and "300 of 300 rows" in report.sample_note
    raw, shap_values = report.column_values("income")
    label = report.rows[0]
    income = rows.loc[int(label), "income"]
    assert raw[0] == (None if pd.isna(income) else pytest.approx(income)) and len(shap_values) == 120
    assert report.column_kinds["education"] == "categorical" and report.column_kinds["income"] == "numeric"
    waterfall = report.row(0)
    assert waterfall["row"] == label and abs(waterfall["items"][0]["shap"]) >= abs(waterfall["items"][-1]["shap"])
    assert waterfall["base_value"] + sum(i["shap"] for i in waterfall["items"]) == pytest.approx(waterfall["output"])


def test_random_forest_explains_the_positive_class(credit) -> None:
    X = credit.X_train.select_dtypes("number").fillna(0).iloc[:400]
    forest = RandomForestClassifier(n_estimators=15, max_depth=4, random_state=0).fit(X, credit.y_train.iloc[:400])
    report = explain(forest, X.iloc[:100])
    expected = shap.TreeExplainer(forest).shap_values(X.iloc[:100].to_numpy())[:, :, 1]
    assert report.output == "probability of class 1"
    assert report.column_importance == pytest.approx(dict(zip(X.columns, np.abs(expected).mean(axis=0), strict=True)))
    shown = X.loc[[int(r) for r in report.rows]]
    assert np.allclose(report.outputs, forest.predict_proba(shown)[:, 1], atol=1e-6)


def test_linear_model_uses_the_linear_explainer(credit) -> None:
    model = make_pipeline(_mixed_preprocess(credit.X_train), LogisticRegression(max_iter=500)).fit(credit.X_train, credit.y_train)
    background, rows = credit.X_train.iloc[:50], credit.X_test.iloc[:80]
    report = explain(model, rows, background=background, background_size=50)
    explainer = shap.LinearExplainer(model[-1], shap.maskers.Independent(model[:-1].transform(background), max_samples=50))
    expected = explainer.shap_values(model[:-1].transform(rows))
    assert report.explainer == "linear (shap.LinearExplainer)" and report.background_size == 50
    assert list(report.feature_importance.values()) == pytest.approx(sorted(np.abs(expected).mean(axis=0), reverse=True))
    assert report.feature_columns["pipeline__missingindicator_income"] == "income"
    assert report.feature_columns["onehotencoder__housing_rent"] == "housing"
    _assert_columns_equal(report, _summed_by_column(expected, list(model[:-1].get_feature_names_out()), rows), rows)
    shuffled = background[list(reversed(background.columns))].assign(extra=1.0)  # put in X's order, extra dropped
    assert explain(model, rows, background=shuffled, background_size=50).to_dict() == report.to_dict()


def test_other_models_get_a_sampled_model_agnostic_explainer(credit) -> None:
    X = credit.X_train[["credit_score", "utilization_rate", "num_late_payments", "debt_to_income"]]
    model = GaussianNB().fit(X, credit.y_train)
    report = explain(model, X, max_samples=5, background=X.iloc[:10], background_size=10, seed=4)
    assert report.explainer == "model-agnostic (shap.KernelExplainer)"
    assert report.sample_note == (
        f"5 of {len(X):,} rows explained (seeded sample); background of 10 rows; 2,056 sampled coalitions per row"
    )
    positions = np.sort(np.random.default_rng(4).choice(len(X), size=5, replace=False))
    explainer = shap.KernelExplainer(
        lambda a: model.predict_proba(pd.DataFrame(a, columns=X.columns))[:, 1], X.iloc[:10].to_numpy()
    )
    np.random.seed(4)
    expected = explainer.shap_values(X.iloc[positions].to_numpy(), nsamples=2056, l1_reg=False, silent=True)
    assert report.column_importance == pytest.approx(dict(zip(X.columns, np.abs(expected).mean(axis=0), strict=True)))
    outputs = model.predict_proba(X.loc[[int(r) for r in report.rows]])[:, 1]
    assert np.allclose(report.outputs, outputs, atol=1e-9)  # Kernel SHAP adds up to the output exactly


def test_unmatched_features_are_kept_on_their_own() -> None:
    from sklearn.decomposition import PCA

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 3)), columns=["a", "b", "c"])
    mapping = feature_map(make_pipeline(PCA(n_components=2)).fit(X), list(X.columns), 2)
    assert mapping.columns == ("a", "b", "c", "pca0", "pca1") and mapping.unmapped == ("pca0", "pca1")


def test_json_round_trip(report) -> None:
    again = load_report(report.to_json())
    assert again.to_dict() == report.to_dict()
    assert again.importance_by_column() == report.importance_by_column()


def test_bad_input_is_named(credit) -> None:
    with pytest.raises(DataError, match="X must be a DataFrame or a 2-D array of rows, not list"):
        explain(credit.model, [1, 2, 3])
    categorical = credit.X_train[["education", "region"]]
    with pytest.raises(ModelError, match=r"The model's input is not numeric .* Put the encoding in a scikit-learn Pipeline"):
        explain(GaussianNB(), categorical)  # refused before the model is called
    with pytest.raises(DataError, match=r"background lacks the columns income, region of X\. Pass background= as rows"):
        explain(credit.model, credit.X_test.iloc[:20], background=credit.X_train.drop(columns=["income", "region"]))
    with pytest.raises(DataError, match=r"background has shape \(5, 2\); X has 3 columns"):
        explain(GaussianNB(), np.zeros((10, 3)), background=np.zeros((5, 2)))
    with pytest.raises(DataError, match="The explanation has no column 'gender'"):
        explain(credit.model, credit.X_test.iloc[:20]).column_values("gender")

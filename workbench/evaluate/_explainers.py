"""Choosing and running the shap explainer for a fitted estimator on transformed features."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import ModelError

__all__ = ["Attributions", "attributions", "explainer_kind"]

TREE_MODELS = {
    "sklearn": (
        "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor",
        "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
        "GradientBoostingClassifier", "GradientBoostingRegressor", "HistGradientBoostingClassifier",
        "HistGradientBoostingRegressor", "IsolationForest",
    ),
    "xgboost": ("XGBClassifier", "XGBRegressor", "XGBRanker", "Booster"),
    "lightgbm": ("LGBMClassifier", "LGBMRegressor", "LGBMRanker", "Booster"),
    "catboost": ("CatBoostClassifier", "CatBoostRegressor", "CatBoost"),
}


@dataclasses.dataclass(frozen=True)
class Attributions:
    """SHAP values of the explained rows on the estimator's features, and how they were made."""

    values: np.ndarray
    base_value: float
    explainer: str
    output: str
    background_size: int | None
    note: str
    row_positions: np.ndarray
    row_labels: np.ndarray


def explainer_kind(estimator: Any) -> str:
    """``"tree"``, ``"linear"`` or ``"kernel"`` (model-agnostic) for ``estimator``."""
    cls = type(estimator)
    package = cls.__module__.split(".")[0]
    if cls.__name__ in TREE_MODELS.get(package, ()):
        return "tree"
    if cls.__module__.startswith("sklearn.linear_model") and hasattr(estimator, "coef_"):
        return "linear"
    return "kernel"


def _rows(X: Any, limit: int, rng: np.random.Generator) -> tuple[np.ndarray, Any, np.ndarray]:
    """Positions, rows and row labels of at most ``limit`` rows of ``X`` (all, in order, if fewer)."""
    n = len(X)
    positions = np.arange(n) if n <= limit else np.sort(rng.choice(n, size=limit, replace=False))
    if isinstance(X, pd.DataFrame):
        return positions, X.iloc[positions], np.asarray(X.index[positions])
    return positions, np.asarray(X)[positions], positions


def _features(preprocess: Any, rows: Any) -> np.ndarray:
    """The estimator's input for ``rows``: transformed, dense, float64."""
    out = rows if preprocess is None else preprocess.transform(rows)
    if hasattr(out, "toarray"):
        out = out.toarray()
    try:
        return np.asarray(out.to_numpy() if isinstance(out, pd.DataFrame) else out, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ModelError(
            f"The model's input is not numeric ({err}), so SHAP cannot perturb it.",
            hint="Put the encoding in a scikit-learn Pipeline (e.g. a ColumnTransformer with a OneHotEncoder) "
            "and explain the whole Pipeline.",
        ) from err


def _classes(estimator: Any) -> list[Any]:
    return list(getattr(estimator, "classes_", []))


def _select_output(values: Any, base: Any, estimator: Any, class_index: int | None) -> tuple[np.ndarray, float, Any]:
    """One output's values and base value, and the class it is about (None for a regressor)."""
    classes = _classes(estimator)
    array = np.stack(values, axis=-1) if isinstance(values, list) else np.asarray(values)
    bases = np.ravel(np.asarray(base, dtype=np.float64))
    if array.ndim == 3:
        index = array.shape[2] - 1 if class_index is None else class_index
        label = classes[index] if classes else index
        return array[:, :, index], float(bases[index]), label
    if len(classes) == 2 and class_index == 0:  # one output, for class 1: class 0's is its negation
        return -array, -float(bases[0]), classes[0]
    return array, float(bases[0]), classes[-1] if classes else None


def _describe(scale: str, label: Any) -> str:
    if label is None:
        return "predicted value"
    return f"{scale} of class {label}"


def _tree(estimator: Any, features: np.ndarray, class_index: int | None) -> tuple[np.ndarray, float, str]:
    import shap

    explainer = shap.TreeExplainer(estimator)
    values = explainer.shap_values(features)
    array, base, label = _select_output(values, explainer.expected_value, estimator, class_index)
    scale = {"log_odds": "log-odds", "probability": "probability"}.get(getattr(explainer.model, "tree_output", ""), "raw output")
    return array, base, _describe(scale, label)


def _background(preprocess: Any, X: Any, background: Any, size: int, rng: np.random.Generator) -> np.ndarray:
    source = X if background is None else background
    _, rows, _ = _rows(source, size, rng)
    return _features(preprocess, rows)


def _linear(estimator: Any, features: np.ndarray, masker_data: np.ndarray, class_index: int | None) -> tuple[np.ndarray, float, str]:
    import shap

    explainer = shap.LinearExplainer(estimator, shap.maskers.Independent(masker_data, max_samples=len(masker_data)))
    values = explainer.shap_values(features)
    array, base, label = _select_output(values, explainer.expected_value, estimator, class_index)
    return array, base, _describe("log-odds", label)


def _output_function(estimator: Any, class_index: int | None) -> tuple[Any, Any]:
    """The explained function of a feature matrix, and the class it scores (None: a regressor)."""
    names = getattr(estimator, "feature_names_in_", None)

    def frame(features: np.ndarray) -> Any:
        return pd.DataFrame(features, columns=names) if names is not None else features

    classes = _classes(estimator)
    if classes and hasattr(estimator, "predict_proba"):
        index = len(classes) - 1 if class_index is None else class_index
        return (lambda features: estimator.predict_proba(frame(features))[:, index]), classes[index]
    return (lambda features: estimator.predict(frame(features))), None


def _kernel(
    estimator: Any, features: np.ndarray, masker_data: np.ndarray, class_index: int | None, seed: int
) -> tuple[np.ndarray, float, str, int]:
    """Kernel SHAP: ``2 * features + 2048`` sampled coalitions per row (shap's default)."""
    import shap

    function, label = _output_function(estimator, class_index)
    explainer = shap.KernelExplainer(function, masker_data)
    coalitions = 2 * features.shape[1] + 2048
    state = np.random.get_state()  # KernelExplainer samples with numpy's global generator
    np.random.seed(seed)
    try:
        values = explainer.shap_values(features, nsamples=coalitions, l1_reg=False, silent=True)
    finally:
        np.random.set_state(state)
    return np.asarray(values), float(np.ravel(explainer.expected_value)[0]), _describe("probability", label), coalitions


def attributions(
    estimator: Any,
    X: Any,
    preprocess: Any,
    *,
    seed: int,
    background: Any,
    max_rows: int,
    max_samples: int,
    background_size: int,
    class_index: int | None,
) -> Attributions:
    """SHAP values of a sample of ``X``'s rows with the explainer that fits ``estimator``."""
    rng = np.random.default_rng(seed)
    kind = explainer_kind(estimator)
    limit = max_samples if kind == "kernel" else max_rows
    positions, rows, labels = _rows(X, limit, rng)
    features = _features(preprocess, rows)
    note = f"{len(positions):,} of {len(X):,} rows explained" + (" (seeded sample)" if len(positions) < len(X) else "")
    if kind == "tree":
        values, base, output = _tree(estimator, features, class_index)
        return Attributions(values, base, "tree (shap.TreeExplainer)", output, None, note, positions, labels)
    masker_data = _background(preprocess, X, background, background_size, rng)
    note += f"; background of {len(masker_data):,} rows"
    if kind == "linear":
        values, base, output = _linear(estimator, features, masker_data, class_index)
        return Attributions(values, base, "linear (shap.LinearExplainer)", output, len(masker_data), note, positions, labels)
    values, base, output, coalitions = _kernel(estimator, features, masker_data, class_index, seed)
    note += f"; {coalitions:,} sampled coalitions per row"
    explainer = "model-agnostic (shap.KernelExplainer)"
    return Attributions(values, base, explainer, output, len(masker_data), note, positions, labels)

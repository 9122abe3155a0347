"""Choosing and running the shap explainer for a fitted estimator on transformed features.

What is explained depends on the task: one output for a binary classifier (its explained
class, the positive one by default) and for a regressor (the prediction, in the target's
units), one output per class for a multiclass classifier. shap returns multiclass values as a
list of per-class arrays or as one ``(rows, features, classes)`` array depending on the
explainer and version; :func:`per_output` reads both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from workbench.evaluate._budget import explain_within
from workbench.evaluate._native_shap import native_contributions, native_library
from workbench.evaluate._tree_shap import supports, tree_shap
from workbench.exceptions import ModelError

__all__ = ["Attributions", "attributions", "explainer_kind", "per_output"]

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
TARGET_UNITS = "predicted value, in the target's units"
LINK_SCALE = "raw output, on the model's link scale (not the target's units)"


@dataclasses.dataclass(frozen=True)
class Attributions:
    """SHAP values of the explained rows on the estimator's features, and how they were made.

    ``values`` has shape ``(rows, features, outputs)``: one output for a binary classifier or
    a regressor, one per class for a multiclass classifier; ``base_values[k]``,
    ``describes[k]`` (what output ``k`` is, in words) and ``labels[k]`` (its class) go with it.
    """

    values: np.ndarray
    base_values: np.ndarray
    describes: tuple[str, ...]
    labels: tuple[str, ...]
    explainer: str
    background_size: int | None
    note: str
    row_positions: np.ndarray
    row_labels: np.ndarray

    @property
    def outputs(self) -> np.ndarray:
        """The model output each row's attributions add up to, per output: ``(rows, outputs)``."""
        return self.base_values + self.values.sum(axis=1)


class _Explained(NamedTuple):
    values: np.ndarray
    base_values: np.ndarray
    describes: tuple[str, ...]
    labels: tuple[str, ...]


def per_output(values: Any) -> np.ndarray:
    """shap's values as ``(rows, features, outputs)``: a list of per-class arrays and a 3-D array alike."""
    if isinstance(values, list):
        return np.stack([np.asarray(v, dtype=np.float64) for v in values], axis=-1)
    array = np.asarray(values, dtype=np.float64)
    return array if array.ndim == 3 else array[:, :, None]


@dataclasses.dataclass(frozen=True)
class _Output:
    """What to explain: every class (multiclass), one class (``index``; None = the last), or a regressor."""

    classes: list[Any]
    index: int | None
    every_class: bool

    @property
    def chosen(self) -> int:
        return len(self.classes) - 1 if self.index is None else self.index

    def select(self, values: Any, base: Any, scale: str) -> _Explained:
        """The explained outputs of shap's ``values`` and ``base``: what each is, and its class."""
        array = per_output(values)
        bases = np.ravel(np.asarray(base, dtype=np.float64))
        if self.every_class:
            labels = tuple(str(c) for c in self.classes)
            return _Explained(array, bases[: array.shape[2]], tuple(f"{scale} of class {c}" for c in labels), labels)
        if not self.classes:
            return _Explained(array[:, :, :1], bases[:1], (scale,), ())
        label = str(self.classes[self.chosen])
        describes = (f"{scale} of class {label}",)
        if array.shape[2] > 1:  # one column per class: keep the chosen one
            return _Explained(array[:, :, [self.chosen]], bases[[self.chosen]], describes, (label,))
        if len(self.classes) == 2 and self.chosen == 0:  # one output, for class 1: class 0's is its negation
            return _Explained(-array, -bases[:1], describes, (label,))
        return _Explained(array, bases[:1], describes, (label,))


def explainer_kind(estimator: Any) -> str:
    """``"tree"``, ``"linear"`` or ``"kernel"`` (model-agnostic) for ``estimator``."""
    cls = type(estimator)
    package = cls.__module__.split(".")[0]
    if cls.__name__ in TREE_MODELS.get(package, ()):
        return "tree"
    if cls.__module__.startswith("sklearn.linear_model") and hasattr(estimator, "coef_"):
        return "linear"
    return "kernel"


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


def _framed(estimator: Any) -> Any:
    """A function of a feature matrix that hands it to the estimator with the names it was fitted with."""
    names = getattr(estimator, "feature_names_in_", None)
    return lambda features: pd.DataFrame(features, columns=names) if names is not None else features


def _tree(estimator: Any, features: np.ndarray, output: _Output) -> _Explained:
    import shap

    native = native_contributions(estimator, features)
    if native is not None:
        values, expected, tree_output = native
    else:
        explainer = shap.TreeExplainer(estimator)
        values = tree_shap(explainer, features) if supports(explainer) else explainer.shap_values(features)
        expected, tree_output = explainer.expected_value, getattr(explainer.model, "tree_output", "")
    logit = "raw score (logit)" if output.every_class else "log-odds"
    scale = {"log_odds": logit, "probability": "probability"}.get(tree_output, "raw output")
    return output.select(values, expected, scale if output.classes else TARGET_UNITS)


def _background(preprocess: Any, X: Any, background: Any, size: int, rng: np.random.Generator) -> np.ndarray:
    source = X if background is None else background
    return _features(preprocess, _take(source, _positions(len(source), size, rng, ordered=True)))


def _linear(estimator: Any, features: np.ndarray, masker_data: np.ndarray, output: _Output) -> _Explained:
    import shap

    explainer = shap.LinearExplainer(estimator, shap.maskers.Independent(masker_data, max_samples=len(masker_data)))
    values = explainer.shap_values(features)
    scale = ("raw score (logit)" if output.every_class else "log-odds") if output.classes else TARGET_UNITS
    return output.select(values, explainer.expected_value, scale)


def _output_function(estimator: Any, output: _Output) -> tuple[Any, str, tuple[str, ...]]:
    """The explained function of a feature matrix, what it returns, and the class(es) it scores."""
    frame = _framed(estimator)
    if output.every_class:
        found = [(m, scale) for m, scale in (("predict_proba", "probability"), ("decision_function", "decision score"))
                 if hasattr(estimator, m)]
        if found:
            method, scale = getattr(estimator, found[0][0]), found[0][1]
            return (lambda features: method(frame(features))), scale, tuple(str(c) for c in output.classes)
        raise ModelError(
            f"The model ({type(estimator).__name__}) has neither predict_proba nor decision_function, which the "
            "SHAP review of a multiclass model needs (a score per class to attribute).",
            hint="Use a classifier with predict_proba, or wrap it in sklearn's CalibratedClassifierCV.",
        )
    if output.classes and hasattr(estimator, "predict_proba"):
        index = output.chosen
        return (lambda features: estimator.predict_proba(frame(features))[:, index]), "probability", (str(output.classes[index]),)
    return (lambda features: estimator.predict(frame(features))), TARGET_UNITS if not output.classes else "predicted value", ()


def _kernel(
    estimator: Any, features: np.ndarray, masker_data: np.ndarray, output: _Output, seed: int
) -> tuple[_Explained, int]:
    """Kernel SHAP: ``2 * features + 2048`` sampled coalitions per row (shap's default)."""
    import shap

    function, scale, labels = _output_function(estimator, output)
    explainer = shap.KernelExplainer(function, masker_data)
    coalitions = 2 * features.shape[1] + 2048
    state = np.random.get_state()  # KernelExplainer samples with numpy's global generator
    np.random.seed(seed)
    try:
        values = explainer.shap_values(features, nsamples=coalitions, l1_reg=False, silent=True)
    finally:
        np.random.set_state(state)
    array = per_output(values)
    bases = np.ravel(np.asarray(explainer.expected_value, dtype=np.float64))[: array.shape[2]]
    describes = tuple(f"{scale} of class {c}" for c in labels) if labels else (scale,)
    return _Explained(array, bases, describes, labels), coalitions


def _regression_units(estimator: Any, features: np.ndarray, found: _Explained) -> _Explained:
    """Say so when a regressor's attributions are on a link scale (a Poisson loss), not the target's."""
    if found.labels or found.describes != (TARGET_UNITS,) or not len(features):
        return found
    rows = features[:5]
    predicted = np.asarray(estimator.predict(_framed(estimator)(rows)), dtype=np.float64)
    added = found.base_values[0] + found.values[:5, :, 0].sum(axis=1)
    tolerance = 1e-6 * max(1.0, float(np.abs(predicted).max()))
    if np.abs(added - predicted).max() <= tolerance:
        return found
    return found._replace(describes=(LINK_SCALE,))


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
    every_class: bool = False,
    budget_s: float | None = None,
    started: float = 0.0,
) -> Attributions:
    """SHAP values of a sample of ``X``'s rows with the explainer that fits ``estimator``.

    ``every_class`` explains each class of a (multiclass) classifier; otherwise one output.
    ``budget_s`` (seconds from ``started``, a ``time.perf_counter()``) explains a seeded random
    sample of as many rows as the time allows (see ``_budget``).
    """
    rng = np.random.default_rng(seed)
    kind = explainer_kind(estimator)
    output = _Output(_classes(estimator), class_index, every_class)
    limit = max_samples if kind == "kernel" else max_rows
    positions = _positions(len(X), limit, rng, ordered=budget_s is None)
    features = _features(preprocess, _take(X, positions))
    explain_features, explainer, extra, background_rows = _explainer(
        kind, estimator, output, preprocess, X, background, background_size, rng, seed,
    )
    if budget_s is None:
        found = explain_features(features)
        note = f"{len(positions):,} of {len(X):,} rows explained" + (" (seeded sample)" if len(positions) < len(X) else "")
    else:
        found, positions, note = _within_budget(explain_features, features, positions, len(X), budget_s, started)
        features = features[: len(positions)]
    found = _regression_units(estimator, features, found)
    return Attributions(
        found.values, found.base_values, found.describes, found.labels, explainer, background_rows,
        note + extra, positions, _labels(X, positions),
    )


def _positions(n: int, limit: int, rng: np.random.Generator, *, ordered: bool) -> np.ndarray:
    """At most ``limit`` row positions: all in order if they fit, else a seeded sample (shuffled if not ``ordered``)."""
    if ordered:
        return np.arange(n) if n <= limit else np.sort(rng.choice(n, size=limit, replace=False))
    return rng.permutation(n)[:limit]


def _take(X: Any, positions: np.ndarray) -> Any:
    return X.iloc[positions] if isinstance(X, pd.DataFrame) else np.asarray(X)[positions]


def _labels(X: Any, positions: np.ndarray) -> np.ndarray:
    return np.asarray(X.index[positions]) if isinstance(X, pd.DataFrame) else positions


def _explainer(
    kind: str, estimator: Any, output: _Output, preprocess: Any, X: Any, background: Any, background_size: int,
    rng: np.random.Generator, seed: int,
) -> tuple[Callable[[np.ndarray], _Explained], str, str, int | None]:
    """A function explaining a feature matrix, the explainer's name, what the note adds, the background size."""
    if kind == "tree":
        library = native_library(estimator)
        name = "tree (shap.TreeExplainer)" if library is None else library.name
        return (lambda features: _tree(estimator, features, output)), name, "", None
    masker_data = _background(preprocess, X, background, background_size, rng)
    extra = f"; background of {len(masker_data):,} rows"
    if kind == "linear":
        return (
            (lambda features: _linear(estimator, features, masker_data, output)), "linear (shap.LinearExplainer)",
            extra, len(masker_data),
        )
    coalitions = 2 * masker_data.shape[1] + 2048
    return (
        (lambda features: _kernel(estimator, features, masker_data, output, seed)[0]),
        "model-agnostic (shap.KernelExplainer)", extra + f"; {coalitions:,} sampled coalitions per row", len(masker_data),
    )


def _within_budget(
    explain_features: Callable[[np.ndarray], _Explained], features: np.ndarray, positions: np.ndarray, n_rows: int,
    budget_s: float, started: float,
) -> tuple[_Explained, np.ndarray, str]:
    """Explain the shuffled rows in chunks until the budget is spent: the values, positions (sorted) and a note."""
    parts: list[_Explained] = []
    run = explain_within(lambda a, b: parts.append(explain_features(features[a:b])), rows=len(features),
                         budget_s=budget_s, started=started)
    order = np.argsort(positions[: run.explained], kind="stable")
    values = np.concatenate([part.values for part in parts])[order]
    found = parts[0]._replace(values=values)
    why = ("every row fit" if run.explained == len(features) else
           f"a seeded random sample: the time per row measured {run.seconds_per_row:.3g} s, so no more fit")
    note = f"{run.explained:,} of {n_rows:,} rows explained exactly within budget_s={budget_s:g} ({why})"
    return found, positions[: run.explained][order], note

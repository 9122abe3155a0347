"""SHAP values computed by the tree library itself, where it has them (same TreeSHAP, its own threads).

LightGBM's ``predict(..., pred_contrib=True)`` and XGBoost's ``predict(..., pred_contribs=True)``
run path-dependent TreeSHAP in C++ over all cores and return, per row, each feature's
contribution and the base value last (one block per class for a multiclass model). The values equal ``shap.TreeExplainer``'s (the tests check it),
without shap parsing the model's trees first. Libraries are looked up by package name in
:data:`NATIVE`; a model not listed there goes through shap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = ["NATIVE", "Native", "NativeLibrary", "native_contributions", "native_library"]


class Native(NamedTuple):
    """``values`` ``(rows, features, outputs)``, ``base_values`` per output, and shap's name of the scale."""

    values: np.ndarray
    base_values: np.ndarray
    tree_output: str


def _split(contributions: np.ndarray, features: int, outputs: int) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, outputs × (features + 1))`` blocks → values ``(rows, features, outputs)`` and the base values."""
    blocks = contributions.reshape(contributions.shape[0], outputs, features + 1)
    return np.ascontiguousarray(blocks[:, :, :features].transpose(0, 2, 1)), blocks[0, :, features].copy()


def _lightgbm(estimator: Any, features: np.ndarray) -> Native:
    names = getattr(estimator, "feature_names_in_", None)
    rows = pd.DataFrame(features, columns=names) if names is not None else features
    contributions = np.asarray(estimator.predict(rows, pred_contrib=True), dtype=np.float64)
    classes = len(getattr(estimator, "classes_", ()))
    outputs = classes if classes > 2 else 1
    values, bases = _split(contributions, features.shape[1], outputs)
    return Native(values, bases, "log_odds" if classes else "raw_value")


def _xgboost(estimator: Any, features: np.ndarray) -> Native:
    import xgboost

    booster = estimator.get_booster()
    matrix = xgboost.DMatrix(features, feature_names=booster.feature_names, missing=np.nan)
    contributions = np.asarray(booster.predict(matrix, pred_contribs=True), dtype=np.float64)
    classes = len(getattr(estimator, "classes_", ()))
    outputs = classes if classes > 2 else 1
    values, bases = _split(contributions.reshape(len(features), -1), features.shape[1], outputs)
    return Native(values, bases, "log_odds" if classes else "raw_value")


class NativeLibrary(NamedTuple):
    """A tree library with its own TreeSHAP: the explainer's name, which models, and the call."""

    name: str
    applies: Callable[[Any], bool]
    contributions: Callable[[Any, np.ndarray], Native]


NATIVE: dict[str, NativeLibrary] = {
    # a bare Booster (of either library) is left to shap, which reads its objective from the model dump
    "lightgbm": NativeLibrary("tree (LightGBM's own TreeSHAP, pred_contrib)", lambda m: hasattr(m, "booster_"), _lightgbm),
    "xgboost": NativeLibrary("tree (XGBoost's own TreeSHAP, pred_contribs)", lambda m: hasattr(m, "get_booster"), _xgboost),
}


def native_library(estimator: Any) -> NativeLibrary | None:
    """The library that explains ``estimator`` itself, or None (use shap)."""
    library = NATIVE.get(type(estimator).__module__.split(".")[0])
    return library if library is not None and library.applies(estimator) else None


def native_contributions(estimator: Any, features: np.ndarray) -> Native | None:
    """The library's own SHAP values of ``features``, or None when the library has none (use shap)."""
    library = native_library(estimator)
    return None if library is None else library.contributions(estimator, features)

"""Exact path-dependent TreeSHAP, faster than ``shap.TreeExplainer.shap_values`` on the same trees.

Two exact shortcuts, both using shap's own C++ TreeSHAP on shap's own parsed trees:

- **One tree at a time, each distinct row once.** A tree's SHAP values for a row depend only on
  the direction the row takes at every internal node of that tree (TreeSHAP walks both branches of
  every node, following the row's direction as the "hot" one). Rows with the same directions at
  all of a tree's nodes therefore get identical values from that tree. Per tree, the rows are
  grouped by their direction pattern (vectorised over the tree's thresholds), the C++ routine
  explains one representative per group, and the values are scattered back. Gradient-boosted
  trees split on binned features with a few dozen nodes, so a tree sees ~10× fewer distinct
  patterns than rows; a deep random forest sees nearly every row as distinct (no gain, no loss).
- **Both cores.** The trees are split in two halves: one is explained in a worker process (kept
  alive between calls), the other here, and the two sums are added. By default the split is made
  only when it can pay: the worker is started in the background by the first large call (which
  runs in one process rather than wait seconds for the worker's imports), and a call splits only
  when the worker is ready and the 1-minute load average leaves a core free.

Only ``feature_perturbation="tree_path_dependent"`` with the raw (identity) output is handled,
which is what the review asks shap for; :func:`supports` says whether an explainer qualifies.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["supports", "tree_shap"]

TREE_PATH_DEPENDENT = 1  # shap's feature_perturbation code for "tree_path_dependent"
IDENTITY = 0  # shap's output transform code for "identity"
PARALLEL_MIN_WORK = 2_000_000  # rows × tree nodes below which a second process costs more than it saves
_ARRAYS = ("children_left", "children_right", "children_default", "features", "thresholds", "threshold_types",
           "values", "node_sample_weight")


def supports(explainer: Any) -> bool:
    """Whether ``explainer`` (a ``shap.TreeExplainer``) is one :func:`tree_shap` reproduces exactly."""
    model: Any = getattr(explainer, "model", None)
    return (
        # other libraries' models are explained by shap through their own code (or ours, _native_shap)
        getattr(model, "model_type", "") == "internal"  # shap's own parse of a scikit-learn model
        and getattr(explainer, "feature_perturbation", "") == "tree_path_dependent"
        and getattr(model, "model_output", "") == "raw"
        and model.get_transform() == "identity"
        and all(hasattr(model, name) for name in (*_ARRAYS, "input_dtype"))
        and not np.any(model.threshold_types)  # numeric "<=" splits only: the direction test below assumes it
    )


def tree_shap(explainer: Any, features: np.ndarray, *, parallel: bool | None = None) -> np.ndarray:
    """SHAP values ``(rows, features, outputs)`` of ``features``, equal to shap's (to rounding).

    ``parallel``: True splits the trees over two processes (waiting for the worker if need be),
    False never, None when it pays (a large call, a ready worker, a free core).
    """
    model = explainer.model
    # rounded as shap rounds them (float32 for scikit-learn's forests), compared as its C++ compares them
    X = np.ascontiguousarray(np.asarray(features, dtype=model.input_dtype), dtype=np.float64)
    trees = _trees(model)
    count = trees["values"].shape[0]
    large = X.shape[0] * trees["features"].size >= PARALLEL_MIN_WORK and count >= 2
    worker = _worker() if parallel or (parallel is None and large and _core_free()) else None
    if worker is None or not (parallel or _WARM_UP[0].done()):
        return _sum_over_trees(trees, int(model.max_depth), X)
    half = count // 2
    first = {name: array[:half] for name, array in trees.items()}
    second = {name: array[half:] for name, array in trees.items()}
    pending = worker.submit(_sum_over_trees, second, int(model.max_depth), X)
    return _sum_over_trees(first, int(model.max_depth), X) + pending.result()


def _core_free() -> bool:
    """Whether the 1-minute load average (this process included) leaves a core for a second process."""
    return os.getloadavg()[0] <= (os.cpu_count() or 1) - 0.5


def _trees(model: Any) -> dict[str, np.ndarray]:
    """shap's parsed tree arrays, trimmed to the model's tree limit."""
    limit = model.values.shape[0] if model.tree_limit is None else min(int(model.tree_limit), model.values.shape[0])
    return {name: np.ascontiguousarray(getattr(model, name)[:limit]) for name in _ARRAYS}


_WARM_UP: list[Any] = []  # the future of the current worker's warm-up (its imports), kept across calls


def _worker() -> Any:
    """One reusable worker process (loky, bundled with scikit-learn's joblib), warming up if new."""
    from joblib.externals.loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=1, timeout=300)
    if not _WARM_UP or _WARM_UP[1] is not executor:
        _WARM_UP[:] = [executor.submit(_warm_up), executor]
    return executor


def _warm_up() -> bool:
    from shap import _cext  # noqa: F401  (the import is the warm-up)

    return True


def _sum_over_trees(trees: dict[str, np.ndarray], max_depth: int, X: np.ndarray) -> np.ndarray:
    """The summed SHAP values of ``trees`` on ``X``: ``(rows, features, outputs)``, base value excluded."""
    missing = np.isnan(X)
    outputs = trees["values"].shape[2]
    # (feature, output) × rows, so that a tree's few used features are whole contiguous rows to add to
    total = np.zeros((X.shape[1] * outputs, X.shape[0]))
    for index in range(trees["values"].shape[0]):
        tree = {name: array[index : index + 1] for name, array in trees.items()}
        used, first, inverse = _patterns(tree, X, missing)
        found = np.zeros((len(first), X.shape[1] + 1, outputs))
        _explain_rows(tree, max_depth, X[first], missing[first], found)
        slots = (used[:, None] * outputs + np.arange(outputs)).ravel()
        total[slots] += found[:, used, :].reshape(len(first), -1).T[:, inverse]
    return total.reshape(X.shape[1], outputs, X.shape[0]).transpose(2, 0, 1)


def _patterns(tree: dict[str, np.ndarray], X: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tree's split features, one representative row per direction pattern, and each row's pattern."""
    internal = np.flatnonzero(tree["children_left"][0] >= 0)
    split_on = tree["features"][0, internal]
    used = np.unique(split_on)
    if not len(internal):  # a single leaf: every row alike
        return used, np.zeros(1, dtype=np.intp), np.zeros(X.shape[0], dtype=np.intp)
    goes_right = X[:, split_on] > tree["thresholds"][0, internal]  # NaN compares False: fixed just below
    default_right = tree["children_default"][0, internal] == tree["children_right"][0, internal]
    goes_right |= missing[:, split_on] & default_right
    inverse, keys = pd.factorize(_keys(goes_right))  # a hash table: no sort
    first = np.empty(len(keys), dtype=np.intp)
    first[inverse] = np.arange(len(inverse))  # any row of a pattern represents it
    return used, first, inverse


def _keys(directions: np.ndarray) -> np.ndarray:
    """One sortable key per row of a boolean matrix: an integer up to 64 nodes, bytes beyond."""
    if directions.shape[1] <= 64:
        weights = np.left_shift(np.uint64(1), np.arange(directions.shape[1], dtype=np.uint64))
        return (directions.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    packed = np.ascontiguousarray(np.packbits(directions, axis=1))
    return packed.view(np.dtype((np.void, packed.shape[1])))[:, 0]


def _explain_rows(tree: dict[str, np.ndarray], max_depth: int, X: np.ndarray, missing: np.ndarray, out: np.ndarray) -> None:
    """shap's C++ path-dependent TreeSHAP of one tree on ``X``, added into ``out``."""
    from shap import _cext

    _cext.dense_tree_shap(
        *(tree[name] for name in _ARRAYS), max_depth, np.ascontiguousarray(X), np.ascontiguousarray(missing),
        None, None, None, 1, np.zeros(out.shape[2]), out, TREE_PATH_DEPENDENT, IDENTITY, False,
    )

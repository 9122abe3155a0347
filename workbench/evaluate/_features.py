"""From the features a model sees back to the columns a user gave: the map behind per-column SHAP.

A scikit-learn ``Pipeline`` is split into its preprocessing and its final estimator; the
estimator is explained on the transformed features, and each transformed feature is owned by
one original input column. With a ``ColumnTransformer`` the owner comes from each
transformer's input columns (``output_indices_`` gives its output slice); within a
transformer, a one-column input owns all its outputs (one-hot columns), otherwise a feature
belongs to the longest input column its name starts with (``education_bachelor`` →
``education``), or to the input at the same position when the transformer keeps the count.
A feature that matches nothing is kept as its own column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FeatureMap", "feature_map", "input_columns", "split_pipeline"]


@dataclasses.dataclass(frozen=True)
class FeatureMap:
    """``owner[i]`` is the position in ``columns`` of the input column behind ``features[i]``."""

    columns: tuple[str, ...]
    features: tuple[str, ...]
    owner: tuple[int, ...]
    unmapped: tuple[str, ...] = ()

    def matrix(self) -> np.ndarray:
        """The ``(features, columns)`` 0/1 matrix that sums feature values into columns."""
        out = np.zeros((len(self.features), len(self.columns)))
        out[np.arange(len(self.features)), list(self.owner)] = 1.0
        return out


def split_pipeline(model: Any) -> tuple[Any, Any]:
    """``(preprocessing or None, final estimator)`` of a Pipeline; ``(None, model)`` otherwise."""
    steps = getattr(model, "steps", None)
    if not steps or len(steps) == 1:
        return None, steps[-1][1] if steps else model
    return model[:-1], steps[-1][1]


def input_columns(X: Any) -> list[str]:
    """The column names of ``X`` (``x0, x1 …`` for an array)."""
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return [f"x{i}" for i in range(np.shape(X)[1])]


def _names_out(preprocess: Any, n_features: int) -> list[str]:
    try:
        return [str(n) for n in preprocess.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError):  # a transformer without feature names
        return [f"feature_{i}" for i in range(n_features)]


def _column_transformer(preprocess: Any) -> Any:
    """The ColumnTransformer at the head of the preprocessing, when it is all there is."""
    from sklearn.compose import ColumnTransformer

    if isinstance(preprocess, ColumnTransformer):
        return preprocess
    steps = getattr(preprocess, "steps", None)
    if steps and len(steps) == 1 and isinstance(steps[0][1], ColumnTransformer):
        return steps[0][1]
    return None


def _transformer_inputs(ct: Any, name: str, columns: Sequence[str]) -> list[str]:
    positions = getattr(ct, "_transformer_to_input_indices", {}).get(name)
    if positions is not None:
        return [columns[i] for i in positions]
    for trans_name, _, spec in ct.transformers_:
        if trans_name == name:
            picked = pd.Index(columns)[spec] if not isinstance(spec, str) else [spec]
            return [str(c) for c in picked]
    return []


def _match(names: Sequence[str], inputs: Sequence[str], prefix: str = "") -> list[str | None]:
    """The input column owning each name (None when nothing matches)."""
    stripped = [n[len(prefix):] if prefix and n.startswith(prefix) else n for n in names]
    if len(inputs) == 1:
        return [inputs[0]] * len(names)
    owners: list[str | None] = []
    for name in stripped:
        found = [c for c in inputs if name == c or name.startswith(f"{c}_") or name.endswith(f"_{c}")]
        owners.append(max(found, key=len) if found else None)
    if None in owners and len(names) == len(inputs):
        owners = [o if o is not None else inputs[i] for i, o in enumerate(owners)]
    return owners


def feature_map(preprocess: Any, columns: Sequence[str], n_features: int) -> FeatureMap:
    """Map the ``n_features`` outputs of ``preprocess`` to the input ``columns``."""
    columns = list(columns)
    if preprocess is None:
        return FeatureMap(tuple(columns), tuple(columns), tuple(range(len(columns))))
    names = _names_out(preprocess, n_features)
    owners: list[str | None] = [None] * len(names)
    ct = _column_transformer(preprocess)
    if ct is not None and hasattr(ct, "output_indices_"):
        for name, block in ct.output_indices_.items():
            inputs = _transformer_inputs(ct, name, columns)
            owners[block] = _match(names[block], inputs, prefix=f"{name}__")
    else:
        owners = _match(names, columns)
    extra = [n for n, o in zip(names, owners, strict=True) if o is None]
    all_columns = columns + extra
    position = {c: i for i, c in enumerate(all_columns)}
    owner = tuple(position[o if o is not None else n] for n, o in zip(names, owners, strict=True))
    return FeatureMap(tuple(all_columns), tuple(names), owner, tuple(extra))

"""From the features a model sees back to the columns a user gave: the map behind per-column SHAP.

A scikit-learn ``Pipeline`` is split into its preprocessing and its final estimator; the
estimator is explained on the transformed features, and each transformed feature is owned by
one original input column. Ownership is carried step by step through the preprocessing
(``get_feature_names_out`` of each step): a feature keeps the owner of the input feature of
the same name (scalers, imputers, feature selectors after a ``ColumnTransformer``), else it
belongs to the longest input its name starts with (``education_bachelor`` → ``education``);
a one-column input owns all its outputs (one-hot columns). Inside a ``ColumnTransformer``
each transformer's output slice (``output_indices_``) is owned through that transformer's
own input columns, wherever the ColumnTransformer sits in the chain. A step that cannot name
its outputs is taken to keep their order. A feature that matches nothing is kept as its own
column.
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


def _names_out(step: Any, names_in: list[str]) -> list[str] | None:
    """``step``'s output feature names (None when it cannot name them)."""
    for args in ((names_in,), ()):
        try:
            return [str(n) for n in step.get_feature_names_out(*args)]
        except (AttributeError, ValueError, TypeError, NotImplementedError):
            continue
    return None


def _match(names: Sequence[str], inputs: Sequence[str], prefix: str = "") -> list[str | None]:
    """The input owning each name: itself, else the longest input it starts or ends with."""
    stripped = [n[len(prefix):] if prefix and n.startswith(prefix) else n for n in names]
    if len(inputs) == 1:
        return [inputs[0]] * len(names)
    known = set(inputs)
    owners: list[str | None] = []
    for name in stripped:
        if name in known:
            owners.append(name)
            continue
        found = [c for c in inputs if name.startswith(f"{c}_") or name.endswith(f"_{c}")]
        owners.append(max(found, key=len) if found else None)
    return owners


Owners = list[str | None]


def _through(step: Any, names_in: list[str], owners_in: Owners) -> tuple[list[str], Owners]:
    """Carry column ownership through one fitted step: its output names and their owners."""
    from sklearn.compose import ColumnTransformer

    if step is None or (isinstance(step, str) and step == "passthrough"):
        return names_in, owners_in
    if isinstance(step, str):  # "drop"
        return [], []
    if hasattr(step, "steps"):  # a Pipeline inside the chain
        for _, inner in step.steps:
            names_in, owners_in = _through(inner, names_in, owners_in)
        return names_in, owners_in
    names = _names_out(step, names_in)
    if isinstance(step, ColumnTransformer) and hasattr(step, "output_indices_"):
        width = max((block.stop for block in step.output_indices_.values()), default=0)
        names = names or [f"feature_{i}" for i in range(width)]
        return names, _column_transformer_owners(step, names, names_in, owners_in)
    if names is None:  # no names: a step that keeps the count is taken to keep the order
        return names_in, owners_in
    return names, _carry(names, names_in, owners_in)


def _carry(names: Sequence[str], names_in: list[str], owners_in: Owners, prefix: str = "") -> Owners:
    """The owner of each of ``names``: that of the input feature it matches (:func:`_match`)."""
    owner_of = dict(zip(names_in, owners_in, strict=True))
    return [owner_of[m] if m is not None else None for m in _match(names, names_in, prefix)]


def _column_transformer_owners(ct: Any, names: list[str], names_in: list[str], owners_in: Owners) -> Owners:
    """Each output block of ``ct`` is owned through the transformer that made it."""
    owners: Owners = [None] * len(names)
    for name, block in ct.output_indices_.items():
        positions = _transformer_inputs(ct, name, names_in)
        sub_names = [names_in[i] for i in positions]
        sub_owners = [owners_in[i] for i in positions]
        transformer = ct.named_transformers_.get(name, "drop")
        _, carried = _through(transformer, sub_names, sub_owners)
        if len(carried) != block.stop - block.start:  # the transformer could not name its outputs
            carried = _carry(names[block], sub_names, sub_owners, f"{name}__")
        owners[block] = carried
    return owners


def _transformer_inputs(ct: Any, name: str, names_in: Sequence[str]) -> list[int]:
    """Positions in ``names_in`` of the columns transformer ``name`` of ``ct`` reads."""
    positions = getattr(ct, "_transformer_to_input_indices", {}).get(name)
    if positions is not None:
        return [int(i) for i in positions]
    for trans_name, _, spec in ct.transformers_:
        if trans_name == name:
            index = pd.Index(names_in)
            picked = index[spec] if not isinstance(spec, str) else [spec]
            return [index.get_loc(str(c)) for c in picked]
    return []


def feature_map(preprocess: Any, columns: Sequence[str], n_features: int) -> FeatureMap:
    """Map the ``n_features`` outputs of ``preprocess`` to the input ``columns``."""
    columns = list(columns)
    if preprocess is None:
        return FeatureMap(tuple(columns), tuple(columns), tuple(range(len(columns))))
    names, owners = _through(preprocess, columns, list(columns))
    if len(names) != n_features:  # ownership was lost on the way
        names = _names_out(preprocess, columns) or []
        names = names if len(names) == n_features else [f"feature_{i}" for i in range(n_features)]
        owners = [None] * n_features
    extra = [n for n, o in zip(names, owners, strict=True) if o is None]
    all_columns = columns + extra
    position = {c: i for i, c in enumerate(all_columns)}
    owner = tuple(position[o if o is not None else n] for n, o in zip(names, owners, strict=True))
    return FeatureMap(tuple(all_columns), tuple(names), owner, tuple(extra))

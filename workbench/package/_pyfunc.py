"""The loader MLflow calls for a bundle's ``python_function`` flavor.

A bundle's ``model/MLmodel`` keeps the ``sklearn`` flavor (``mlflow.sklearn.load_model`` and
``workbench serve`` load the estimator) and points ``python_function`` here, so stock
``mlflow.pyfunc.load_model`` returns the estimator wrapped by the robust inference pipeline
(``workbench.develop.wrap_model``) with the input schema recorded at training time. When the
model folder sits in a bundle, its files are checked against the bundle's manifest first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BundledModel", "output_columns"]


def _load_pyfunc(path: str) -> BundledModel:
    """Entry point for ``mlflow.pyfunc.load_model`` (``path``: the model folder or its file)."""
    import mlflow.sklearn
    from mlflow.models import Model

    from workbench.explore.schema import Schema
    from workbench.package.manifest import MANIFEST_NAME, verify_manifest
    from workbench.tracking import SCHEMA_METADATA_KEY

    model_dir = Path(path)
    model_dir = model_dir.parent if model_dir.is_file() else model_dir
    if (model_dir.parent / MANIFEST_NAME).is_file():
        verify_manifest(model_dir.parent, only=model_dir.name + "/")
    estimator = mlflow.sklearn.load_model(str(model_dir))
    metadata = Model.load(str(model_dir / "MLmodel")).metadata or {}
    stored = metadata.get(SCHEMA_METADATA_KEY)
    return BundledModel(estimator, Schema.from_dict(stored) if stored else None)


def output_columns(classes: list[Any] | None) -> list[str]:
    """The pyfunc's output columns for a model with ``classes`` (None: a regressor)."""
    if classes is None:
        return ["prediction", "warnings"]
    if len(classes) == 2:
        return ["prediction", "probability", "warnings"]
    return ["prediction", *[f"probability_{c}" for c in classes], "warnings"]


class BundledModel:
    """The bundle's pyfunc: robust inference when the schema is known, a frame of results out."""

    def __init__(self, estimator: Any, schema: Any) -> None:
        self.estimator = estimator
        self.schema = schema
        self.robust = _wrap(estimator, schema)

    @property
    def inference(self) -> str:
        """``robust`` when predictions go through ``wrap_model``, else ``plain``."""
        return "robust" if self.robust is not None else "plain"

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Predictions, class probabilities and each row's warnings (joined by ``; ``)."""
        if self.robust is not None:
            result = self.robust.predict(model_input)
            predictions, probabilities = result.predictions, result.probabilities
            classes, warnings = result.classes, result.warnings
        else:
            frame = pd.DataFrame(model_input)
            predictions = self.estimator.predict(frame)
            has_proba = hasattr(self.estimator, "predict_proba")
            probabilities = self.estimator.predict_proba(frame) if has_proba else None
            classes = getattr(self.estimator, "classes_", None)
            warnings = [[] for _ in range(len(frame))]
        return _frame(predictions, probabilities, classes, warnings)


def _wrap(estimator: Any, schema: Any) -> Any:
    if schema is None:
        return None
    try:
        from workbench.develop import wrap_model
    except ImportError:
        return None
    return wrap_model(estimator, schema)


def _frame(predictions: Any, probabilities: Any, classes: Any, warnings: Any) -> pd.DataFrame:
    out = pd.DataFrame({"prediction": np.asarray(predictions)})
    if probabilities is not None and classes is not None:
        proba = np.asarray(probabilities, dtype=float)
        labels = list(classes)
        if len(labels) == 2:
            out["probability"] = proba[:, -1]
        else:
            for index, label in enumerate(labels):
                out[f"probability_{label}"] = proba[:, index]
    out["warnings"] = ["; ".join(str(w) for w in row) for row in warnings]
    return out

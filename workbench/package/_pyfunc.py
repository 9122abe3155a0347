"""The loader MLflow calls for a bundle's ``python_function`` flavor.

A bundle's ``model/MLmodel`` keeps the ``sklearn`` flavor (``mlflow.sklearn.load_model`` and
``workbench serve`` load the estimator) and points ``python_function`` here, so stock
``mlflow.pyfunc.load_model`` returns the estimator wrapped by the robust inference pipeline
(:func:`workbench.develop.wrap_model`) with the input schema recorded at training time.

Before anything is unpickled, the model folder's files and ``policy.json`` are checked against
the bundle's manifest: a model folder without its bundle's ``MANIFEST.sha256`` (deleted, or the
folder copied out of its bundle) is refused, and the robust pipeline applies the bundle's
inference policy, which is never skipped. The only exception is packaging's own smoke test of a
bundle still being written (:func:`unsealed`, in this process only). This loader runs only while
``MLmodel`` names it: loading a bundle nobody vouches for goes through :func:`~workbench.package.load_bundle`
with an anchor, or ``workbench verify``, first.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BundledModel", "output_columns", "unsealed"]

# The staging model folder packaging is smoke-testing (its manifest is written last); nothing else.
_UNSEALED: contextvars.ContextVar[Path | None] = contextvars.ContextVar("workbench_unsealed_model", default=None)


@contextlib.contextmanager
def unsealed(model_dir: Path) -> Iterator[None]:
    """Let this process load ``model_dir`` before its bundle's manifest is written (packaging's smoke test)."""
    token = _UNSEALED.set(Path(model_dir).resolve())
    try:
        yield
    finally:
        _UNSEALED.reset(token)


def _checked_policy(model_dir: Path) -> dict[str, Any]:
    """Check the model folder and ``policy.json`` against the bundle's manifest; returns the policy."""
    from workbench.package.manifest import verify_manifest
    from workbench.package.verify import POLICY_NAME, read_policy

    root = model_dir.parent
    if _UNSEALED.get() == model_dir.resolve():
        return read_policy(root)
    verify_manifest(root, only=model_dir.name + "/")  # no manifest: TamperedBundleError
    verify_manifest(root, only=POLICY_NAME)
    return read_policy(root)


def _load_pyfunc(path: str) -> BundledModel:
    """Entry point for ``mlflow.pyfunc.load_model`` (``path``: the model folder or its file)."""
    import mlflow.sklearn
    from mlflow.models import Model

    from workbench.exceptions import ModelError
    from workbench.explore.schema import Schema
    from workbench.tracking import SCHEMA_METADATA_KEY

    model_dir = Path(path)
    model_dir = model_dir.parent if model_dir.is_file() else model_dir
    policy = _checked_policy(model_dir)
    estimator = mlflow.sklearn.load_model(str(model_dir))
    metadata = Model.load(str(model_dir / "MLmodel")).metadata or {}
    stored = metadata.get(SCHEMA_METADATA_KEY)
    if not stored:
        raise ModelError(
            f"The model at {model_dir} has no stored input schema, which its robust inference needs.",
            hint="Package models logged with run.log_model(..., schema=infer_schema(X_train)).",
        )
    return BundledModel(estimator, Schema.from_dict(stored), policy=policy)


def output_columns(classes: list[Any] | None) -> list[str]:
    """The pyfunc's output columns for a model with ``classes`` (None: a regressor)."""
    if classes is None:
        return ["prediction", "warnings"]
    if len(classes) == 2:
        return ["prediction", "probability", "warnings"]
    return ["prediction", *[f"probability_{c}" for c in classes], "warnings"]


class BundledModel:
    """The bundle's pyfunc: the robust inference pipeline in, a frame of results out."""

    inference = "robust"

    def __init__(self, estimator: Any, schema: Any, *, policy: dict[str, Any] | None = None) -> None:
        from workbench.develop import wrap_model

        self.estimator = estimator
        self.schema = schema
        self.policy = dict(policy or {})
        self.robust = wrap_model(estimator, schema, **self.policy)

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Predictions, class probabilities and each row's warnings (joined by ``; ``).

        Input the pipeline cannot repair raises :class:`~workbench.exceptions.InputError`
        naming each bad row and field.
        """
        result = self.robust.predict(model_input)
        return _frame(result.predictions, result.probabilities, result.classes, result.warnings)


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

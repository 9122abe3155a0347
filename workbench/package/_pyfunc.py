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

The pyfunc answers a frame with the columns of the model's task (:mod:`workbench.develop.answers`)
and ``warnings``; the task and classes are :attr:`BundledModel.task` and :attr:`BundledModel.classes`
(also recorded in the MLmodel metadata and ``schema/output_schema.json``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


TASK_METADATA_KEY = "workbench_task"
CLASSES_METADATA_KEY = "workbench_classes"


def _load_pyfunc(path: str) -> BundledModel:
    """Entry point for ``mlflow.pyfunc.load_model`` (``path``: the model folder or its file)."""
    from mlflow.models import Model

    from workbench.evaluate.model_code import load_logged_model
    from workbench.exceptions import ModelError
    from workbench.explore.schema import Schema
    from workbench.tracking import SCHEMA_METADATA_KEY

    model_dir = Path(path)
    model_dir = model_dir.parent if model_dir.is_file() else model_dir
    policy = _checked_policy(model_dir)
    estimator = load_logged_model(str(model_dir))
    metadata = Model.load(str(model_dir / "MLmodel")).metadata or {}
    stored = metadata.get(SCHEMA_METADATA_KEY)
    if not stored:
        raise ModelError(
            f"The model at {model_dir} has no stored input schema, which its robust inference needs.",
            hint="Package models logged with run.log_model(..., schema=infer_schema(X_train)).",
        )
    return BundledModel(estimator, Schema.from_dict(stored), policy=policy)


def output_columns(task: str, classes: list[Any] | None, *, probabilistic: bool = True) -> list[str]:
    """The pyfunc's output columns for a ``task`` model with ``classes`` (None: a regressor)."""
    from workbench.develop.answers import answer_format

    return [*answer_format(task).column_names(classes, probabilistic=probabilistic), "warnings"]


class BundledModel:
    """The bundle's pyfunc: the robust inference pipeline in, a frame of the task's answers out."""

    inference = "robust"

    def __init__(self, estimator: Any, schema: Any, *, policy: dict[str, Any] | None = None) -> None:
        from workbench.develop import wrap_model

        self.estimator = estimator
        self.schema = schema
        self.policy = dict(policy or {})
        self.robust = wrap_model(estimator, schema, **self.policy)

    @property
    def task(self) -> str:
        """``"binary"``, ``"multiclass"`` or ``"regression"``."""
        return str(self.robust.task)

    @property
    def classes(self) -> list[Any] | None:
        """The model's class labels (plain Python values), None for a regressor."""
        return self.robust.classes

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """The task's answer columns and each row's warnings (joined by ``; ``).

        Binary: ``prediction, probability`` (the positive class's); multiclass: ``prediction``
        and ``probability_<class>`` for every class; regression: ``prediction``. Input the
        pipeline cannot repair raises :class:`~workbench.exceptions.InputError` naming each bad
        row and field.
        """
        result = self.robust.predict(model_input)
        out = pd.DataFrame(self.robust.format.columns(result.scored))
        out["warnings"] = ["; ".join(str(w) for w in row) for row in result.warnings]
        return out

"""Training: the feature split, the default pipeline for each task, and the project's own model.

The default model is a ``Pipeline`` of a ``ColumnTransformer`` (numeric columns pass through,
NaN included; categorical columns one-hot encoded, unseen categories ignored) and a histogram
gradient-boosted tree ensemble: a classifier for binary and multiclass tasks, a regressor for
regression. A project's ``model.py`` (:mod:`workbench.evaluate.model_code`) replaces it.
Protected attributes are left out of the features by default so the fairness review sees what
the model learns through proxies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from threadpoolctl import threadpool_limits

from workbench.evaluate.model_code import build_own_model, describe_error, model_code_path
from workbench.exceptions import DataError, ModelError
from workbench.tasks import check_target, task_named

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["Split", "build_pipeline", "feature_columns", "split_data", "train_model", "train_project_model"]

# The default estimator by whether the task is a classification: one table, no branch on names.
_ESTIMATORS = {True: HistGradientBoostingClassifier, False: HistGradientBoostingRegressor}
# Below this many training rows the trees are grown on one OpenMP thread: starting and
# synchronising threads costs more than it saves on small data, and far more on a busy machine
# (diabetes' 331 rows: 0.26 s on one thread, 3.1 s on two contended ones).
SINGLE_THREAD_ROWS = 50_000


@dataclasses.dataclass(frozen=True)
class Split:
    """Train and test features, targets and the test rows' sensitive features, for a ``task``."""

    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    sensitive_test: pd.DataFrame
    task: str = "binary"


def feature_columns(project: Project, frame: pd.DataFrame, *, include_sensitive: bool = False) -> list[str]:
    """The model's input columns: all but the target, time, id (and sensitive) columns."""
    data = project.config.data
    excluded = {data.target, *data.id_columns, *([data.time_column] if data.time_column else [])}
    if not include_sensitive:
        excluded |= set(data.sensitive)
    return [c for c in frame.columns if c not in excluded]


def split_data(project: Project, frame: pd.DataFrame, *, include_sensitive: bool = False) -> Split:
    """A seeded train/test split (stratified for classification) of a checked target.

    The target must suit the project's task (:func:`workbench.tasks.check_target`): no missing
    labels, two classes or more, at least five rows per class, finite numbers for regression.
    """
    data = project.config.data
    if data.target not in frame.columns:
        raise DataError(
            f"The target column '{data.target}' is not in the data.", column=data.target,
            hint="Set [data] target in workbench.toml to one of the data's columns.",
        )
    task = task_named(data.task)
    y = frame[data.target]
    check_target(y, task, name=f"The target column '{data.target}'")
    X = frame[feature_columns(project, frame, include_sensitive=include_sensitive)]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=data.test_size, random_state=data.seed, stratify=y if task.classifier else None
    )
    sensitive = frame.loc[X_test.index, list(data.sensitive)]
    return Split(X_train, X_test, y_train, y_test, sensitive, task=task.name)


def build_pipeline(X: pd.DataFrame, *, task: str = "binary", seed: int = 0, **params: Any) -> Pipeline:
    """The default model for the columns of ``X`` and a TASKS ``task``; ``params`` go to the trees."""
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False, min_frequency=5)
    columns = ColumnTransformer(
        [("numeric", "passthrough", numeric), ("categorical", encoder, categorical)],
        verbose_feature_names_out=False,
    )
    settings = {
        "max_iter": 150, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 30,
        "random_state": seed, **params,
    }
    estimator = _ESTIMATORS[task_named(task).classifier](**settings)
    return Pipeline([("columns", columns), ("model", estimator)])


def train_model(split: Split, *, task: str | None = None, seed: int = 0, **params: Any) -> Pipeline:
    """Fit :func:`build_pipeline` on the training part of ``split`` (for the split's task by default)."""
    model = build_pipeline(split.X_train, task=task or split.task, seed=seed, **params)
    threads = 1 if len(split.X_train) < SINGLE_THREAD_ROWS else None
    with threadpool_limits(threads, user_api="openmp"):
        return model.fit(split.X_train, split.y_train)


def train_project_model(project: Project, split: Split, *, params: Mapping[str, Any] | None = None) -> Any:
    """Fit the project's model on the training part of ``split``.

    The model is ``build_model(params)`` from the project's ``model.py`` when it has one
    (:mod:`workbench.evaluate.model_code`), else :func:`build_pipeline` for the project's task
    with ``params`` and the project's seed.

    Examples
    --------
    >>> model = train_project_model(project, split, params={"max_iter": 200})  # doctest: +SKIP
    """
    params = dict(params or {})
    task = task_named(project.config.data.task)
    code = model_code_path(project)
    if code is None:
        return train_model(split, task=task.name, seed=project.config.data.seed, **params)
    model = build_own_model(code, params, task=task)
    try:
        fitted = model.fit(split.X_train, split.y_train)
    except Exception as err:  # the user's estimator: name the file and the error
        raise ModelError(
            f"Fitting the model from {code} failed: {describe_error(err)}",
            hint="Check that build_model's estimator accepts the project's feature columns (a DataFrame) and target.",
        ) from err
    return model if fitted is None else fitted

"""Training helpers for the demo model: the feature split and a scikit-learn Pipeline.

The model is a ``Pipeline`` of a ``ColumnTransformer`` (numeric columns pass through, NaN
included; categorical columns one-hot encoded, unseen categories ignored) and a histogram
gradient-boosted tree ensemble. Protected attributes are left out of the features by default
so the fairness review sees what the model learns through proxies.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from workbench.exceptions import DataError
from workbench.tasks import task_named

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["Split", "build_pipeline", "feature_columns", "split_data", "train_model"]


@dataclasses.dataclass(frozen=True)
class Split:
    """Train and test features, targets and the test rows' sensitive features."""

    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    sensitive_test: pd.DataFrame


def feature_columns(project: Project, frame: pd.DataFrame, *, include_sensitive: bool = False) -> list[str]:
    """The model's input columns: all but the target, time, id (and sensitive) columns."""
    data = project.config.data
    excluded = {data.target, *data.id_columns, *([data.time_column] if data.time_column else [])}
    if not include_sensitive:
        excluded |= set(data.sensitive)
    return [c for c in frame.columns if c not in excluded]


def split_data(project: Project, frame: pd.DataFrame, *, include_sensitive: bool = False) -> Split:
    """A seeded train/test split (stratified for classification)."""
    data = project.config.data
    if data.target not in frame.columns:
        raise DataError(f"The target column '{data.target}' is not in the data.", column=data.target)
    frame = frame.dropna(subset=[data.target])
    y = frame[data.target]
    stratify = y if task_named(data.task).classifier else None
    X = frame[feature_columns(project, frame, include_sensitive=include_sensitive)]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=data.test_size, random_state=data.seed, stratify=stratify
    )
    sensitive = frame.loc[X_test.index, list(data.sensitive)]
    return Split(X_train, X_test, y_train, y_test, sensitive)


def build_pipeline(X: pd.DataFrame, *, task: str = "classification", seed: int = 0, **params: Any) -> Pipeline:
    """The demo model for the columns of ``X``; ``params`` go to the gradient-boosted trees."""
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
    estimator = HistGradientBoostingClassifier(**settings) if task == "classification" else HistGradientBoostingRegressor(**settings)
    return Pipeline([("columns", columns), ("model", estimator)])


def train_model(split: Split, *, task: str = "classification", seed: int = 0, **params: Any) -> Pipeline:
    """Fit :func:`build_pipeline` on the training part of ``split``."""
    model = build_pipeline(split.X_train, task=task, seed=seed, **params)
    return model.fit(split.X_train, split.y_train)

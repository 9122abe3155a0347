"""Fixtures of the Evaluate tests: seeded credit data and a fitted demo Pipeline (binary), wine
(multiclass) and diabetes (regression) with fitted models, shared read-only; and projects made
by hand from scikit-learn's bundled datasets."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from workbench.datasets import make_credit_risk
from workbench.evaluate.training import build_pipeline
from workbench.project import Project
from workbench.scaffold import notebook_templates_dir

SENSITIVE = ["sex", "age_band"]


@pytest.fixture(scope="session")
def credit():
    """1,600 training and 800 test rows of the credit data, the demo Pipeline fitted on them.

    The rare 18-25 age band is left out, so every group has both labels (the tests of
    undefined group metrics build their own data). Returns a namespace with ``X_train, X_test, y_train, y_test, sensitive_test, model``.
    """
    frame = make_credit_risk(2500, seed=7)
    frame = frame[frame["age_band"] != "18-25"].iloc[:2400]
    features = frame.drop(columns=["default", "application_date", *SENSITIVE])
    train, test = slice(0, 1600), slice(1600, None)
    X_train, y_train = features.iloc[train], frame["default"].iloc[train]
    model = build_pipeline(X_train, seed=0, max_iter=60).fit(X_train, y_train)
    return SimpleNamespace(
        X_train=X_train,
        y_train=y_train,
        X_test=features.iloc[test],
        y_test=frame["default"].iloc[test],
        sensitive_test=frame[SENSITIVE].iloc[test],
        model=model,
    )


@pytest.fixture(scope="session")
def wine():
    """scikit-learn's wine data (3 classes): a fitted multiclass model and two sensitive features.

    The sensitive features are binarised columns of the data (magnesium and ash above their
    median), kept out of the model's inputs. Returns a namespace with ``X_train, X_test,
    y_train, y_test, sensitive_test, model``.
    """
    from sklearn.datasets import load_wine
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    X, y = load_wine(return_X_y=True, as_frame=True)
    sensitive = pd.DataFrame({
        "magnesium_band": np.where(X["magnesium"] > X["magnesium"].median(), "high", "low"),
        "ash_band": np.where(X["ash"] > X["ash"].median(), "high", "low"),
    }, index=X.index)
    features = X.drop(columns=["magnesium", "ash"])
    X_train, X_test, y_train, y_test, _, s_test = train_test_split(
        features, y, sensitive, test_size=0.5, random_state=3, stratify=y
    )
    model = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(X_train, y_train)
    return SimpleNamespace(X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test, sensitive_test=s_test, model=model)


@pytest.fixture(scope="session")
def diabetes():
    """scikit-learn's diabetes data (a regression target in the hundreds) with its ``sex`` column.

    ``sex`` is the sensitive feature (groups ``"1"`` and ``"2"``) and stays among the inputs.
    Returns a namespace with ``X_train, X_test, y_train, y_test, sensitive_test, model``.
    """
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.model_selection import train_test_split

    X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0)
    model = HistGradientBoostingRegressor(max_iter=60, random_state=0).fit(X_train, y_train)
    sensitive = X_test[["sex"]].astype(int).astype(str)
    return SimpleNamespace(X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test, sensitive_test=sensitive, model=model)


def make_project(
    root: Path, frame: pd.DataFrame, *, target: str, task: str, sensitive: tuple[str, ...] = (),
    model_code: str | None = None, notebooks: tuple[str, ...] = (),
) -> Project:
    """A project folder made by hand: ``workbench.toml``, the data as Parquet, ``model.py`` and
    copies of the shipped ``notebooks`` when given."""
    (root / "data").mkdir(parents=True)
    frame.to_parquet(root / "data" / "data.parquet")
    listed = ", ".join(f'"{name}"' for name in sensitive)
    (root / "workbench.toml").write_text(
        f'[project]\nname = "{root.name}"\n\n[data]\npath = "data/data.parquet"\ntarget = "{target}"\n'
        f'task = "{task}"\nsensitive = [{listed}]\n',
        encoding="utf-8",
    )
    if model_code is not None:
        (root / "model.py").write_text(textwrap.dedent(model_code), encoding="utf-8")
    for name in notebooks:
        (root / "notebooks").mkdir(exist_ok=True)
        shutil.copy(notebook_templates_dir() / name, root / "notebooks" / name)
    return Project.load(root)


def wine_frame() -> pd.DataFrame:
    """scikit-learn's wine data with the cultivar as a named class (the multiclass target)."""
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    return X.assign(cultivar=y.map({0: "barolo", 1: "grignolino", 2: "barbera"}))


def diabetes_frame() -> pd.DataFrame:
    """scikit-learn's diabetes data with disease progression as the regression target."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X.assign(progression=y)

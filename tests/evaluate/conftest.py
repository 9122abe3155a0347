"""Fixtures of the Evaluate tests: seeded credit data and a fitted demo Pipeline, shared read-only."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from workbench.datasets import make_credit_risk
from workbench.evaluate.training import build_pipeline

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

"""Which task a review is about: given by name, read from the model, or read from the labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from workbench.evaluate._task_of import model_task, resolve_task
from workbench.exceptions import ModelError, ParameterError

X = np.arange(40, dtype=float).reshape(20, 2)


@pytest.mark.parametrize(("model", "expected"), [
    (make_pipeline(StandardScaler(), DummyRegressor()).fit(X, np.arange(20.0)), "regression"),
    (DummyClassifier().fit(X, np.arange(20) % 2), "binary"),
    (make_pipeline(StandardScaler(), DummyClassifier()).fit(X, np.arange(20) % 3), "multiclass"),
    (None, None),
])
def test_the_model_says_which_task(model, expected) -> None:
    found = model_task(model)
    assert (found.name if found else None) == expected


def test_labels_decide_without_a_model_and_a_name_wins() -> None:
    assert resolve_task(None, y=np.array(["a", "b", "c", "a"]), review="review").name == "multiclass"
    assert resolve_task(None, y=np.array([0, 1, 1, 0]), review="review").name == "binary"
    assert resolve_task(None, y=np.linspace(0, 1, 50), review="review").name == "regression"
    assert resolve_task("classification", y=np.linspace(0, 1, 50), review="review").name == "binary"


def test_a_wrong_task_is_refused_with_the_fix() -> None:
    with pytest.raises(ParameterError, match=r"Unknown task 'ordinal'\. Tasks: binary, multiclass, regression"):
        resolve_task("ordinal", review="review")
    regressor = DummyRegressor().fit(X, np.arange(20.0))
    with pytest.raises(ModelError, match=r"asked for task 'multiclass', but the model is a regressor\. Pass task=\"regression\""):
        resolve_task("multiclass", model=regressor, review="review")

"""What a model is compared with: a dummy baseline, and the registered champion when there is one."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.evaluate._checks import model_name
from workbench.tasks import task_named

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["ChampionModel", "fit_dummy", "load_champion"]


@dataclasses.dataclass(frozen=True)
class ChampionModel:
    """A loaded champion model and how to name it in a report."""

    model: Any
    description: str
    uri: str | None = None


def fit_dummy(
    task: str, y: np.ndarray, *, baseline: Any = None, X_train: Any = None, y_train: Any = None
) -> tuple[Any, str]:
    """The baseline and its description: ``baseline`` as given, else a fitted dummy model.

    The dummy predicts the class prior (``task`` a classification task: binary or multiclass)
    or the mean (regression), learnt from ``y_train`` when given, else from the evaluated
    labels ``y``.
    """
    if baseline is not None:
        return baseline, model_name(baseline)
    from sklearn.dummy import DummyClassifier, DummyRegressor

    classifier = task_named(task).classifier
    dummy = DummyClassifier(strategy="prior") if classifier else DummyRegressor(strategy="mean")
    kind = "class prior" if classifier else "mean"
    if X_train is not None and y_train is not None:
        return dummy.fit(X_train, y_train), f"Dummy ({kind} of the training labels)"
    features = np.zeros((len(y), 1))
    return dummy.fit(features, y), f"Dummy ({kind} of the evaluated labels; pass X_train, y_train to learn it from training data)"


def load_champion(project: Project, *, alias: str = "champion") -> ChampionModel | None:
    """The project's registered model at ``alias`` (``models:/<name>@champion``), or None.

    Examples
    --------
    >>> champion = load_champion(project)  # doctest: +SKIP
    >>> wb.evaluate_model(model, X_test, y_test, champion=champion)  # doctest: +SKIP
    """
    from workbench.evaluate.model_code import load_logged_model
    from workbench.tracking import Tracker

    name = project.config.model_name
    client = Tracker(project).client
    try:
        version = client.get_model_version_by_alias(name, alias)
    except Exception:  # no such registered model or alias: there is no champion yet
        return None
    uri = f"models:/{name}@{alias}"
    model = load_logged_model(uri)
    return ChampionModel(model, f"{name} version {version.version} (@{alias})", uri)

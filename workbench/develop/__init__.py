"""Develop: the robust inference pipeline and the robustness check that attacks it.

:func:`wrap_model` wraps a fitted model with the Explore schema of its input; the resulting
:class:`RobustModel` reorders, coerces, repairs (with per-row warnings) or refuses (with an
:class:`~workbench.exceptions.InputError` naming each bad row and field) whatever it is sent,
and caps the batch size. Its answers have the shape of the model's task (binary, multiclass or
regression; :mod:`workbench.develop.answers`). :func:`check_robustness` throws hostile and
malformed input at it with hypothesis and returns a :class:`RobustnessReport` (HTML, JSON, and
a pytest module to keep). :func:`load_robust_model` resolves ``runs:/…``, ``models:/name@alias``
or a phase name; :func:`resolve_policy` reads the project's ``[develop]`` policy (what a bundle's
``policy.json`` records).

The names load on first use: the prediction log and the server import the answer formats
without loading hypothesis, which only the robustness check needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.develop.inference import Prediction, RobustModel, wrap_model
    from workbench.develop.models import load_robust_model, resolve_model_uri, resolve_policy
    from workbench.develop.robustness import RobustnessReport, check_robustness

__all__ = [
    "Prediction",
    "RobustModel",
    "RobustnessReport",
    "check_robustness",
    "load_robust_model",
    "resolve_model_uri",
    "resolve_policy",
    "wrap_model",
]

_HOMES = {
    "Prediction": "inference", "RobustModel": "inference", "wrap_model": "inference",
    "load_robust_model": "models", "resolve_model_uri": "models", "resolve_policy": "models",
    "RobustnessReport": "robustness", "check_robustness": "robustness",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'workbench.develop' has no attribute {name!r}")
    return getattr(importlib.import_module(f"workbench.develop.{home}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)

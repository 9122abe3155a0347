"""Develop: the robust inference pipeline and the robustness check that attacks it.

:func:`wrap_model` wraps a fitted model with the Explore schema of its input; the resulting
:class:`RobustModel` reorders, coerces, repairs (with per-row warnings) or refuses (with an
:class:`~workbench.exceptions.InputError` naming each bad row and field) whatever it is sent,
and caps the batch size. :func:`check_robustness` throws hostile and malformed input at it with
hypothesis and returns a :class:`RobustnessReport` (HTML, JSON, and a pytest module to keep).
:func:`load_robust_model` resolves ``runs:/…``, ``models:/name@alias`` or a phase name;
:func:`resolve_policy` reads the project's ``[develop]`` policy (what a bundle's ``policy.json`` records).
"""

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

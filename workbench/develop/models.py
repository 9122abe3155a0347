"""Finding the model a command means: ``runs:/…``, ``models:/name@alias``, or a phase's latest model."""

from __future__ import annotations

from typing import Any

from workbench.exceptions import ModelError

__all__ = ["load_robust_model", "resolve_model_uri"]


def resolve_model_uri(project: Any, spec: str) -> str:
    """The MLflow model URI for ``spec``: a URI as it is, a phase name as that phase's newest model.

    Examples
    --------
    >>> resolve_model_uri(project, "evaluate")  # doctest: +SKIP
    'runs:/0a1b…/model'
    """
    from workbench.phases import PHASES
    from workbench.tracking import Tracker

    tracker = Tracker(project)
    if ":/" in spec:
        return spec
    if spec in {p.name for p in PHASES}:
        return tracker.model_uri(spec)
    raise ModelError(
        f"Cannot tell which model {spec!r} means.",
        hint="Pass runs:/<run id>/model, models:/<name>@<alias> (or /<version>), or a phase name such as evaluate.",
    )


def load_robust_model(project: Any, spec: str, **policy: Any) -> tuple[Any, str]:
    """``(RobustModel, model URI)`` for ``spec``, wrapped with the schema stored with the model."""
    import mlflow.sklearn

    from workbench.develop.inference import wrap_model
    from workbench.tracking import model_schema

    uri = resolve_model_uri(project, spec)
    schema = model_schema(uri)
    try:
        model = mlflow.sklearn.load_model(uri)
    except Exception as err:
        raise ModelError(f"Cannot load the model at {uri}: {err}", hint="Check the URI with `workbench status`.") from err
    return wrap_model(model, schema, **policy), uri

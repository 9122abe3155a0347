"""Finding the model a command means: ``runs:/…``, ``models:/name@alias``, or a phase's model.

The phase name ``evaluate`` means the *chosen* Evaluate model (:mod:`workbench.selection`), never
merely the newest Evaluate run: a side experiment does not change what Develop checks.
"""

from __future__ import annotations

from typing import Any

from workbench.exceptions import ModelError

__all__ = ["POLICY_KEYS", "load_robust_model", "resolve_model_uri", "resolve_policy"]

POLICY_KEYS = ("unseen", "out_of_range", "non_finite", "max_rows")


def resolve_model_uri(project: Any, spec: str) -> str:
    """The MLflow model URI for ``spec``: a URI as it is, a phase name as that phase's model.

    ``evaluate`` is the chosen Evaluate model (``workbench select`` or notebook 02 with
    ``select_model = True``); another phase's name, its newest run that logged a model.

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
    from workbench.develop.inference import wrap_model
    from workbench.evaluate.model_code import load_logged_model
    from workbench.tracking import model_schema

    uri = resolve_model_uri(project, spec)
    schema = model_schema(uri)
    try:
        model = load_logged_model(uri)
    except Exception as err:
        raise ModelError(f"Cannot load the model at {uri}: {err}", hint="Check the URI with `workbench status`.") from err
    return wrap_model(model, schema, **policy), uri


def resolve_policy(project: Any, **given: Any) -> dict[str, Any]:
    """The inference policy: the project's ``[develop]`` section, overridden by ``given`` (None: not given).

    Returns ``{"unseen", "out_of_range", "non_finite", "max_rows"}``, checked like :func:`wrap_model`
    checks them; what ``workbench package`` writes into a bundle's ``policy.json``.
    """
    from workbench.config import SECTIONS
    from workbench.develop._columns import NON_FINITE_POLICIES, RANGE_POLICIES, UNSEEN_POLICIES
    from workbench.develop.inference import _check_choice
    from workbench.exceptions import ParameterError

    unknown = sorted(set(given) - set(POLICY_KEYS))
    if unknown:
        raise ParameterError(f"Unknown inference policy key(s): {', '.join(unknown)}.", name="policy",
                             value=unknown, hint=f"Use {', '.join(POLICY_KEYS)}.")
    section = dict(project.config.sections.get("develop", {})) if project is not None else {}
    defaults = {key: SECTIONS["develop"][key].default for key in POLICY_KEYS}  # what [develop] declares
    policy = {key: given[key] if given.get(key) is not None else section.get(key, defaults[key]) for key in POLICY_KEYS}
    for key, choices in (("unseen", UNSEEN_POLICIES), ("out_of_range", RANGE_POLICIES),
                         ("non_finite", NON_FINITE_POLICIES)):
        _check_choice(key, str(policy[key]), choices)
    if isinstance(policy["max_rows"], bool) or not isinstance(policy["max_rows"], int) or policy["max_rows"] < 1:
        raise ParameterError(f"max_rows must be a whole number of at least 1, not {policy['max_rows']!r}.",
                             name="max_rows", value=policy["max_rows"])
    return policy

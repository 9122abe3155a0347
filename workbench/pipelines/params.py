"""Typed pipeline parameters: parse ``key=value`` strings (or Python values) before anything runs.

Types: ``int``, ``float``, ``str``, ``bool``, ``date`` (ISO ``YYYY-MM-DD``), ``path`` (inside the
project) and ``choice`` (one of the declared choices). Validated values are plain JSON values
(a date becomes its ISO string, a path its absolute string) so they can be recorded and
injected by papermill as they are. Only the standard library is imported here: the Airflow
runtime uses the same code.

papermill writes each parameter into the notebook as the line ``name = <value>``, so a parameter
*name* is code: :func:`check_parameter_name` admits only ASCII identifiers that are not Python
keywords, wherever the name comes from (``pipeline.yaml``, ``-p``, the Jupyter API, a run
started by the scheduler or an alert, reproduce), and :func:`notebook_parameters` checks every
name and value once more right before papermill renders them. Values are written as literals
only: ``None``, booleans, numbers, strings, and lists and string-keyed tables of those (a YAML
date becomes its ISO string); anything else (bytes, sets, objects whose text papermill would
paste unquoted) is refused.
"""

from __future__ import annotations

import datetime as dt
import keyword
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench.exceptions import ParameterError

__all__ = [
    "check_parameter_name", "coerce_value", "literal_value", "notebook_parameters", "parse_assignments",
    "read_secrets", "resolve_step_parameters", "validate_parameters",
]

MIN_SECRET_LENGTH = 4
MAX_LITERAL_DEPTH = 20
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NAME_HINT = ("A parameter becomes a variable of the notebook's parameters cell: use letters, digits and '_' "
             "(not first a digit), and not a Python keyword. Nothing was run.")


def check_parameter_name(name: Any, *, where: str) -> str:
    """``name`` when it is an ASCII Python identifier and not a keyword; a :class:`ParameterError` naming it otherwise."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
        raise ParameterError(
            f"{where}: the parameter name {name!r} is not a Python identifier (or is a keyword), so it cannot be "
            "written into the notebook's parameters cell.",
            name=str(name), value=name, hint=NAME_HINT,
        )
    return name


def literal_value(value: Any, *, where: str, depth: int = 0) -> Any:
    """``value`` as a literal papermill writes verbatim and Python reads back as the same value.

    ``None``, booleans, numbers and strings as they are; a date (from YAML) as its ISO string;
    lists (and tuples) and string-keyed tables of those, nested at most :data:`MAX_LITERAL_DEPTH`
    deep. Anything else is a :class:`ParameterError` naming ``where``.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if depth >= MAX_LITERAL_DEPTH:
        raise ParameterError(f"{where} is nested more than {MAX_LITERAL_DEPTH} levels deep.", name=where,
                             hint="Pass a flatter value. Nothing was run.")
    if isinstance(value, (list, tuple)):
        return [literal_value(item, where=f"{where}[{index}]", depth=depth + 1) for index, item in enumerate(value)]
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise ParameterError(f"{where} has the key {key!r}: table keys of a parameter must be strings.",
                                     name=where, value=key, hint="Quote the key. Nothing was run.")
        return {key: literal_value(item, where=f"{where}.{key}", depth=depth + 1) for key, item in value.items()}
    raise ParameterError(
        f"{where} = {value!r} is a {type(value).__name__}, which is not written into a notebook: parameters are "
        "None, true/false, numbers, strings, and lists and tables of those.",
        name=where, value=repr(value)[:200], hint="Pass the value as a string or a number. Nothing was run.",
    )


def notebook_parameters(parameters: Mapping[str, Any], *, where: str = "notebook parameters") -> dict[str, Any]:
    """Every name checked by :func:`check_parameter_name` and every value made a literal, right before papermill."""
    return {check_parameter_name(name, where=where): literal_value(value, where=f"{where}: {name}")
            for name, value in parameters.items()}

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _field(spec: Any, name: str) -> Any:
    return spec[name] if isinstance(spec, Mapping) else getattr(spec, name)


def coerce_value(spec: Any, value: Any, *, root: Path | None) -> Any:
    """``value`` converted to the parameter's type; ValueError/TypeError when it is not one."""
    kind = _field(spec, "type")
    if kind == "int":
        if isinstance(value, (bool, float)):
            raise TypeError("not a whole number")
        return int(value.strip()) if isinstance(value, str) else int(value)
    if kind == "float":
        if isinstance(value, bool):
            raise TypeError("not a number")
        return float(value.strip()) if isinstance(value, str) else float(value)
    if kind == "bool":
        return _bool(value)
    if kind == "date":
        return _date(value)
    if kind == "path":
        return _path(value, root)
    if kind == "choice":
        return _choice(value, list(_field(spec, "choices")))
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("not true/false")


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        raise TypeError("a date, not a date and time")
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError("not a date")
    return dt.date.fromisoformat(value.strip()).isoformat()


def _path(value: Any, root: Path | None) -> str:
    if not isinstance(value, (str, Path)) or not str(value).strip():
        raise TypeError("not a path")
    if root is None:
        return str(value)
    root = Path(root).resolve()
    candidate = (root / str(value)).resolve()
    if candidate != root and root not in candidate.parents:
        raise ValueError(f"outside the project folder {root}")
    return str(candidate)


def _choice(value: Any, choices: list[Any]) -> Any:
    for choice in choices:
        if value == choice and type(value) is type(choice):
            return choice
    for choice in choices:
        if isinstance(value, str) and value.strip() == str(choice):
            return choice
    raise ValueError("not one of the choices")


_EXPECTED = {
    "int": "a whole number, e.g. 3", "float": "a number, e.g. 0.5", "str": "a string",
    "bool": "true or false", "date": "an ISO date, e.g. 2026-01-31",
    "path": "a path inside the project", "choice": "one of the choices",
}


def validate_parameters(spec: Any, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check ``raw`` (strings from ``-p key=value`` or Python values) against the pipeline's
    typed parameters; returns every parameter's value (defaults filled in).

    Raises
    ------
    ParameterError
        For an unknown name, a missing required parameter or a value of the wrong type,
        naming the parameter, the bad value and what was expected.

    Examples
    --------
    >>> validate_parameters(spec, {"cutoff": "0.4"})  # doctest: +SKIP
    {'cutoff': 0.4}
    """
    raw = dict(raw or {})
    declared = {p.name: p for p in spec.parameters}
    for name in raw:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "(none)"
            raise ParameterError(
                f"Pipeline {spec.name!r} has no parameter {name!r}.",
                name=name, value=raw[name], hint=f"Its parameters: {known}.",
            )
    values: dict[str, Any] = {}
    for name, param in declared.items():
        if name not in raw:
            if param.required:
                raise ParameterError(
                    f"Pipeline {spec.name!r} needs the parameter {name!r} ({param.type}).",
                    name=name, hint=f"Pass it with -p {name}=VALUE.",
                )
            values[name] = param.default
            if param.type == "path" and param.default is not None:
                values[name] = coerce_value(param, param.default, root=spec.root)
            continue
        values[name] = _checked(spec, param, raw[name])
    return values


def _checked(spec: Any, param: Any, value: Any) -> Any:
    try:
        return coerce_value(param, value, root=spec.root)
    except (TypeError, ValueError) as err:
        expected = _EXPECTED[param.type]
        if param.type == "choice":
            expected = "one of " + ", ".join(repr(c) for c in param.choices)
        raise ParameterError(
            f"Parameter {param.name!r} of pipeline {spec.name!r} = {value!r} is not valid: "
            f"expected {expected} ({err}).",
            name=param.name, value=value, hint="Nothing was run.",
        ) from err


def parse_assignments(items: list[str] | None) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}`` (from ``-p key=value`` options)."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(
                f"The parameter {item!r} is not of the form key=value.",
                name=item, hint="Write -p name=value.",
            )
        out[check_parameter_name(name.strip(), where=f"-p {item[:80]!r}")] = value
    return out


def resolve_step_parameters(step_parameters: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A step's notebook parameters with ``${name}`` references to pipeline parameters filled in.

    A value that is exactly ``"${name}"`` takes the parameter's typed value; a reference inside
    a longer string is replaced by its text.
    """
    from workbench.pipelines.spec import REFERENCE

    out: dict[str, Any] = {}
    for key, value in step_parameters.items():
        if isinstance(value, str):
            whole = REFERENCE.fullmatch(value)
            if whole:
                value = values[whole.group(1)]
            else:
                value = REFERENCE.sub(lambda m: str(values[m.group(1)]), value)
        out[key] = value
    return out


def read_secrets(pipeline: str, names: Iterable[str]) -> dict[str, str]:
    """The values of a pipeline's secrets from the environment (name -> value).

    :class:`ParameterError` when one is not set, or is too short to be redacted reliably from
    the outputs (a two-letter value would be blanked out of every word holding it).
    """
    values = {}
    for name in names:
        value = os.environ.get(name)
        if not value:
            raise ParameterError(
                f"Pipeline {pipeline!r} needs the secret {name}, which is not set in the environment.",
                name=name, hint=f"Set the environment variable {name} before running it. Nothing was run.",
            )
        if len(value) < MIN_SECRET_LENGTH:
            raise ParameterError(
                f"The secret {name} is shorter than {MIN_SECRET_LENGTH} characters, too short to be "
                "redacted reliably from the outputs.", name=name, hint="Use a real secret value.",
            )
        values[name] = value
    return values

"""Pipeline specifications: ``pipeline.yaml`` or ``[pipelines.NAME]`` in ``workbench.toml``.

A pipeline has steps (a notebook each, with parameters, dependencies, retries and a timeout),
typed parameters, secrets named by environment variable, and an optional cron schedule with its
time zone. Both sources are checked by the same code; every problem names the file, the key,
the bad value and what was expected.

Example ``pipeline.yaml``::

    pipelines:
      retrain:
        schedule: "0 3 * * 1"
        timezone: Europe/Paris
        parameters:
          cutoff: {type: float, default: 0.5, help: decision threshold}
        secrets: [WAREHOUSE_TOKEN]
        steps:
          - {name: explore, notebook: notebooks/01_explore.ipynb}
          - name: evaluate
            notebook: notebooks/02_evaluate.ipynb
            depends_on: [explore]
            parameters: {threshold: "${cutoff}"}
            retries: 1
            timeout: 600
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from workbench.exceptions import ConfigError, PipelineError

__all__ = [
    "PARAMETER_TYPES",
    "ParameterSpec",
    "PipelineSpec",
    "StepSpec",
    "check_pipelines_section",
    "get_pipeline",
    "load_pipelines",
]

PIPELINE_FILE = "pipeline.yaml"
PARAMETER_TYPES = ("int", "float", "str", "bool", "date", "path", "choice")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_PIPELINE_KEYS = {"description", "schedule", "timezone", "workers", "parameters", "secrets", "steps"}
_STEP_KEYS = {"name", "notebook", "parameters", "depends_on", "retries", "timeout"}
_PARAM_KEYS = {"type", "default", "choices", "help"}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, kw_only=True)
class ParameterSpec:
    """A typed pipeline parameter; ``required`` when it has no default."""

    name: str
    type: str
    default: Any = None
    required: bool = False
    choices: tuple[Any, ...] = ()
    help: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "default": self.default,
            "required": self.required, "choices": list(self.choices), "help": self.help,
        }


@dataclass(frozen=True, kw_only=True)
class StepSpec:
    """One step: a notebook, its parameters, the steps it waits for, retries and a timeout."""

    name: str
    notebook: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    retries: int = 0
    timeout: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "notebook": self.notebook, "parameters": dict(self.parameters),
            "depends_on": list(self.depends_on), "retries": self.retries, "timeout": self.timeout,
        }


@dataclass(frozen=True, kw_only=True)
class PipelineSpec:
    """A validated pipeline. ``steps`` are in a dependency order (every step after its inputs)."""

    name: str
    steps: tuple[StepSpec, ...]
    parameters: tuple[ParameterSpec, ...] = ()
    secrets: tuple[str, ...] = ()
    schedule: str | None = None
    timezone: str = "UTC"
    workers: int = 2
    description: str = ""
    source: str = ""
    root: Path | None = None

    def step(self, name: str) -> StepSpec:
        for step in self.steps:
            if step.name == name:
                return step
        raise PipelineError(f"Pipeline {self.name!r} has no step {name!r}.")

    def parameter(self, name: str) -> ParameterSpec | None:
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def notebooks(self) -> list[str]:
        return list(dict.fromkeys(step.notebook for step in self.steps))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "description": self.description, "source": self.source,
            "schedule": self.schedule, "timezone": self.timezone, "workers": self.workers,
            "secrets": list(self.secrets), "parameters": [p.to_dict() for p in self.parameters],
            "steps": [s.to_dict() for s in self.steps],
        }


def load_pipelines(project: Any) -> dict[str, PipelineSpec]:
    """Every pipeline of ``project``: ``pipeline.yaml`` and ``[pipelines.*]`` in workbench.toml.

    Examples
    --------
    >>> specs = load_pipelines(Project.load("credit-demo"))  # doctest: +SKIP
    >>> [s.name for s in specs["lifecycle"].steps]  # doctest: +SKIP
    ['explore', 'evaluate', 'develop', 'package', 'deploy', 'monitor']
    """
    root = Path(project.root)
    found: dict[str, PipelineSpec] = {}
    sections = getattr(project.config, "sections", {}) or {}
    toml_raw = sections.get("pipelines") or {}
    sources = [(toml_raw, Path(project.config.path))]
    yaml_path = root / PIPELINE_FILE
    if yaml_path.is_file():
        sources.append((_read_yaml(yaml_path), yaml_path))
    for raw, path in sources:
        for name, spec in check_pipelines_section(raw, path).items():
            if name in found:
                raise PipelineError(
                    f"The pipeline {name!r} is defined twice: in {found[name].source} and in {path}.",
                    hint="Keep one definition.",
                )
            found[name] = _build(name, spec, path, root)
    return found


def get_pipeline(project: Any, name: str | None = None) -> PipelineSpec:
    """The pipeline ``name``; without a name, the project's only pipeline."""
    specs = load_pipelines(project)
    if not specs:
        raise PipelineError(
            f"The project {project.root} defines no pipeline.",
            hint=f"Add one to {PIPELINE_FILE} (a `pipelines:` mapping) or [pipelines.NAME] in workbench.toml.",
        )
    if name is None:
        if len(specs) == 1:
            return next(iter(specs.values()))
        raise PipelineError(
            f"The project defines several pipelines ({', '.join(sorted(specs))}); name one.",
            hint=f"For example: workbench run {sorted(specs)[0]}",
        )
    if name not in specs:
        raise PipelineError(
            f"No pipeline named {name!r}.", hint=f"Pipelines of this project: {', '.join(sorted(specs))}."
        )
    return specs[name]


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} is not valid YAML: {err}", path=path) from err
    if not isinstance(data, dict) or set(data) - {"pipelines"}:
        raise ConfigError(
            f"{path} must hold one mapping `pipelines:` (name -> pipeline).",
            path=path, expected="a `pipelines:` mapping",
        )
    return data.get("pipelines") or {}


def check_pipelines_section(value: Any, path: Path) -> dict[str, dict[str, Any]]:
    """Validate a ``pipelines`` mapping (name -> pipeline table); returns it normalised."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _error(path, "pipelines", value, "a table of pipelines (name -> pipeline)")
    return {str(name): _check_pipeline(str(name), spec, path) for name, spec in value.items()}


def _error(path: Path, key: str, value: Any, expected: str, hint: str | None = None) -> ConfigError:
    return ConfigError(
        f"{path}: '{key}' = {value!r} is not valid: expected {expected}.",
        path=path, key=key, value=value, expected=expected, hint=hint,
    )


def _unknown(path: Path, where: str, table: Mapping[str, Any], known: set[str]) -> None:
    extra = sorted(set(table) - known)
    if extra:
        raise ConfigError(
            f"{path}: unknown key '{extra[0]}' in {where}.",
            path=path, key=f"{where}.{extra[0]}", expected=f"one of {', '.join(sorted(known))}",
            hint=f"Known keys: {', '.join(sorted(known))}.",
        )


def _check_pipeline(name: str, spec: Any, path: Path) -> dict[str, Any]:
    where = f"pipelines.{name}"
    if not _NAME.match(name):
        raise _error(path, where, name, "a name of letters, digits, '_' and '-'")
    if not isinstance(spec, Mapping):
        raise _error(path, where, spec, "a table with `steps`")
    _unknown(path, where, spec, _PIPELINE_KEYS)
    out: dict[str, Any] = {
        "description": _typed(spec, "description", str, "", path, where),
        "schedule": _schedule(spec.get("schedule"), path, where),
        "timezone": _timezone(spec.get("timezone", "UTC"), path, where),
        "workers": _typed(spec, "workers", int, 2, path, where),
        "secrets": _secrets(spec.get("secrets", []), path, where),
        "parameters": _parameters(spec.get("parameters", {}), path, where),
    }
    if out["workers"] < 1:
        raise _error(path, f"{where}.workers", out["workers"], "a whole number >= 1")
    out["steps"] = _steps(spec.get("steps"), out["parameters"], path, where)
    return out


def _typed(table: Mapping[str, Any], key: str, kind: type, default: Any, path: Path, where: str) -> Any:
    value = table.get(key, default)
    if value is None and default is None:
        return None
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        raise _error(path, f"{where}.{key}", value, f"a {kind.__name__}")
    return value


def _schedule(value: Any, path: Path, where: str) -> str | None:
    if value in (None, ""):
        return None
    import datetime as dt

    from croniter import CroniterError, croniter

    if not isinstance(value, str) or not croniter.is_valid(value):
        raise _error(path, f"{where}.schedule", value, "a cron expression such as '0 3 * * 1'")
    try:  # valid syntax that never fires ('0 0 30 2 *') would stop the scheduler at its first check
        croniter(value, dt.datetime.now(dt.UTC)).get_next(dt.datetime)
    except (CroniterError, ValueError, OverflowError) as err:
        raise _error(path, f"{where}.schedule", value, "a cron expression that fires (this one never does)",
                     hint="Check the day of the month against the month: '0 0 30 2 *' asks for February 30.") from err
    return value


def _timezone(value: Any, path: Path, where: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise _error(path, f"{where}.timezone", value, "an IANA time zone such as 'Europe/Paris'") from err
    return str(value)


def _secrets(value: Any, path: Path, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and _ENV_NAME.match(v) for v in value):
        raise _error(path, f"{where}.secrets", value, "a list of environment variable names")
    return list(value)


def _parameters(value: Any, path: Path, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(value, Mapping):
        raise _error(path, f"{where}.parameters", value, "a table of name -> {type, default, ...}")
    out = {}
    for name, raw in value.items():
        key = f"{where}.parameters.{name}"
        _parameter_name(name, path, key)
        table = {"type": raw} if isinstance(raw, str) else raw
        if not isinstance(table, Mapping):
            raise _error(path, key, raw, "a table with `type` (and `default`, `choices`, `help`)")
        _unknown(path, key, table, _PARAM_KEYS)
        out[str(name)] = _parameter(str(name), table, path, key)
    return out


def _parameter(name: str, table: Mapping[str, Any], path: Path, key: str) -> dict[str, Any]:
    from workbench.pipelines.params import coerce_value

    kind = table.get("type", "str")
    if kind not in PARAMETER_TYPES:
        raise _error(path, f"{key}.type", kind, f"one of {', '.join(PARAMETER_TYPES)}")
    choices = table.get("choices", [])
    if kind == "choice" and (not isinstance(choices, list) or not choices):
        raise _error(path, f"{key}.choices", choices, "a non-empty list for a choice parameter")
    choices = _literal(choices, path, f"{key}.choices")
    spec = {"name": name, "type": kind, "choices": list(choices), "help": str(table.get("help", ""))}
    spec["required"] = "default" not in table
    spec["default"] = None
    if not spec["required"]:
        try:
            spec["default"] = coerce_value(spec, table["default"], root=None)
        except Exception as err:
            raise _error(path, f"{key}.default", table["default"], f"a valid {kind}") from err
    return spec


def _parameter_name(name: Any, path: Path, key: str) -> None:
    """A parameter name is written into the notebook as code: an identifier, not a keyword."""
    from workbench.exceptions import ParameterError
    from workbench.pipelines.params import NAME_HINT, check_parameter_name

    try:
        check_parameter_name(name, where=str(path))
    except ParameterError as err:
        raise _error(path, key, name, "a Python identifier that is not a keyword (letters, digits, '_')",
                     hint=NAME_HINT) from err


def _literal(value: Any, path: Path, key: str) -> Any:
    """``value`` as a literal papermill can write (see :func:`workbench.pipelines.params.literal_value`)."""
    from workbench.exceptions import ParameterError
    from workbench.pipelines.params import literal_value

    try:
        return literal_value(value, where=key)
    except ParameterError as err:
        raise _error(path, key, value, "None, true/false, a number, a string, or a list or table of those",
                     hint=err.hint) from err


def _steps(value: Any, parameters: Mapping[str, Any], path: Path, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise _error(path, f"{where}.steps", value, "a non-empty list of steps")
    steps: list[dict[str, Any]] = []
    for index, raw in enumerate(value):
        key = f"{where}.steps[{index}]"
        if not isinstance(raw, Mapping):
            raise _error(path, key, raw, "a table with `name` and `notebook`")
        _unknown(path, key, raw, _STEP_KEYS)
        steps.append(_step(raw, parameters, path, key))
    names = [s["name"] for s in steps]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise _error(path, f"{where}.steps", duplicated, "unique step names")
    for step in steps:
        for dep in step["depends_on"]:
            if dep not in names:
                raise _error(path, f"{where}.steps.{step['name']}.depends_on", dep,
                             f"the name of another step ({', '.join(names)})")
    return _ordered(steps, path, where)


def _step(raw: Mapping[str, Any], parameters: Mapping[str, Any], path: Path, key: str) -> dict[str, Any]:
    notebook = raw.get("notebook")
    if not isinstance(notebook, str) or not notebook.endswith(".ipynb"):
        raise _error(path, f"{key}.notebook", notebook, "a .ipynb path relative to the project")
    pure = PurePosixPath(notebook)
    if pure.is_absolute() or ".." in pure.parts:
        raise _error(path, f"{key}.notebook", notebook, "a path inside the project (no '..')")
    name = raw.get("name", pure.stem)
    if not isinstance(name, str) or not _NAME.match(name):
        raise _error(path, f"{key}.name", name, "a name of letters, digits, '_' and '-'")
    depends = raw.get("depends_on", [])
    depends = [depends] if isinstance(depends, str) else depends
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise _error(path, f"{key}.depends_on", depends, "a list of step names")
    params = raw.get("parameters", {})
    if not isinstance(params, Mapping):
        raise _error(path, f"{key}.parameters", params, "a table of notebook parameters")
    for pname in params:
        _parameter_name(pname, path, f"{key}.parameters.{pname}")
    params = {pname: _literal(pvalue, path, f"{key}.parameters.{pname}") for pname, pvalue in params.items()}
    for pname, pvalue in params.items():
        for ref in REFERENCE.findall(pvalue) if isinstance(pvalue, str) else []:
            if ref not in parameters:
                raise _error(path, f"{key}.parameters.{pname}", pvalue,
                             "references to declared pipeline parameters", hint=f"Declare `{ref}` under parameters.")
    retries = _typed(raw, "retries", int, 0, path, key)
    timeout = _typed(raw, "timeout", float, None, path, key)
    if retries < 0 or (timeout is not None and timeout <= 0):
        raise _error(path, key, {"retries": retries, "timeout": timeout}, "retries >= 0 and timeout > 0")
    return {"name": name, "notebook": pure.as_posix(), "parameters": dict(params),
            "depends_on": list(dict.fromkeys(depends)), "retries": retries, "timeout": timeout}


def _ordered(steps: list[dict[str, Any]], path: Path, where: str) -> list[dict[str, Any]]:
    """Steps in dependency order, keeping the written order among independent steps."""
    done: list[dict[str, Any]] = []
    placed: set[str] = set()
    pending = list(steps)
    while pending:
        ready = [s for s in pending if set(s["depends_on"]) <= placed]
        if not ready:
            cycle = ", ".join(s["name"] for s in pending)
            raise _error(path, f"{where}.steps", cycle, "dependencies without a cycle")
        done.extend(ready)
        placed.update(s["name"] for s in ready)
        pending = [s for s in pending if s["name"] not in placed]
    return done


def _build(name: str, spec: Mapping[str, Any], path: Path, root: Path) -> PipelineSpec:
    return PipelineSpec(
        name=name,
        description=spec["description"],
        schedule=spec["schedule"],
        timezone=spec["timezone"],
        workers=spec["workers"],
        secrets=tuple(spec["secrets"]),
        parameters=tuple(ParameterSpec(**p) for p in spec["parameters"].values()),
        steps=tuple(
            StepSpec(
                name=s["name"], notebook=s["notebook"], parameters=s["parameters"],
                depends_on=tuple(s["depends_on"]), retries=s["retries"], timeout=s["timeout"],
            )
            for s in spec["steps"]
        ),
        source=str(path),
        root=root,
    )

"""``workbench.toml``: its declared keys, and validation that names every problem.

The file is checked against :data:`SECTIONS` (plain key/type tables) and :data:`GATES` (the
thresholds each phase's gates read). Later capabilities add their keys here; a key that is
not declared is an error, so a typo never silently does nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from workbench._config_keys import Key, check_content
from workbench.exceptions import ConfigError
from workbench.tasks import TASK_ALIASES, TASKS

__all__ = [
    "CARD_PLACEHOLDER", "GATES", "SECTIONS", "DataConfig", "Key", "ProjectConfig", "http_url_problem", "load_config",
]

CONFIG_NAME = "workbench.toml"
# `workbench init --data` starts [package] intended_use and limitations with this; the Package
# gate require_card_text fails while either still does.
CARD_PLACEHOLDER = "TODO:"

_NUM = (int, float)
_QUANTITY = r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?"
_QUANTITY_DOC = "a Kubernetes quantity such as 250m, 1, 512Mi or 1Gi"


def http_url_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute ``http://`` or ``https://`` URL with a host; None when it is.

    Other schemes are refused because urllib would honour them (``file:///etc/passwd`` reads a
    local file), and credentials in the URL because they would not be sent.
    """
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "it holds whitespace or control characters"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return f"its scheme is {parts.scheme + ':' if parts.scheme else 'missing'}; only http: and https: are allowed"
    if not parts.hostname:
        return "it names no host"
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 and parts.netloc.rsplit("]", 1)[-1].count(":"):
        return "its port is not a number from 1 to 65535"
    if parts.username is not None or parts.password is not None:
        return "it holds credentials (user:password@), which are never sent; put a token in the path or query"
    return None


def _webhook_url(value: str) -> str | None:
    problem = http_url_problem(value) if value else None
    return f"alerts are POSTed to an http(s) URL, and {problem}" if problem else None


SECTIONS: dict[str, dict[str, Key]] = {
    "project": {
        "name": Key(str, doc="Project name; also the MLflow experiment name."),
        "description": Key(str, "", multiline=True),
    },
    "data": {
        "path": Key(str, doc="Training dataset, CSV or Parquet, relative to the project.", inside_project=True),
        "target": Key(str, doc="The column to predict."),
        "task": Key(str, "binary", choices=("binary", "multiclass", "regression", "classification"),
                    doc="binary, multiclass or regression ('classification' is read as binary)."),
        "positive_label": Key((int, str, bool), None),
        "sensitive": Key(list, [], item_type=str, doc="Protected attributes for fairness review."),
        "time_column": Key(str, None),
        "id_columns": Key(list, [], item_type=str),
        "production": Key(str, None, doc="Production traffic (CSV/Parquet) for deploy/monitor.", inside_project=True),
        "test_size": Key(float, 0.25, min=0, max=1, exclusive_min=True, exclusive_max=True,
                         doc="Share of rows held out for evaluation."),
        "seed": Key(int, 0, min=0, max=2**32 - 1, doc="Random seed (numpy accepts 0 to 2**32 - 1)."),
    },
    "model": {
        "name": Key(str, None, doc="Registered model name; defaults to the project name."),
    },
    "tracking": {
        "uri": Key(str, "", doc="MLflow tracking URI; empty means the embedded SQLite store."),
        "experiment": Key(str, "", doc="Experiment name; defaults to the project name."),
    },
    "monitor": {
        "window": Key(str, "auto", doc="Window span of `workbench monitor` ('1h', '1D', '7D' ...; 'auto')."),
        "calibrate": Key(bool, False, doc="Bootstrap-calibrate drift thresholds to each window's size."),
        "drift_share": Key(_NUM, 0.5, doc="Share of drifted columns at which the dataset drifts.", min=0, max=1),
        "n_bootstrap": Key(int, 200, min=0, max=100_000, doc="Resamples of the performance intervals."),
        "webhook_url": Key(str, "", doc="Alerts are POSTed here as JSON (an http(s) URL; empty: no webhook).",
                           check=_webhook_url),
        "webhook_timeout": Key(_NUM, 5.0, min=0, max=300, exclusive_min=True, doc="Seconds to wait for the webhook."),
        "alert_log": Key(str, ".workbench/alerts.log", doc="Alerts are appended here, one line each.",
                         inside_project=True),
    },
    "develop": {
        "unseen": Key(str, "missing", choices=("missing", "keep", "reject"),
                      doc="Unseen categories: treated as missing, kept, or the row refused (packaged in policy.json)."),
        "out_of_range": Key(str, "clip", choices=("clip", "warn", "reject"),
                            doc="Numbers outside the training range: clipped, passed with a warning, or refused."),
        "non_finite": Key(str, "missing", choices=("missing", "reject"), doc="Infinities: missing, or the row refused."),
        "max_rows": Key(int, 10_000, min=1, max=10_000_000, doc="The largest batch the packaged model accepts."),
    },
    "package": {
        "intended_use": Key(str, "", doc="The model card's intended use; defaults to the project description.",
                            multiline=True),
        "limitations": Key(list, [], item_type=str, doc="Known limitations, listed first on the model card.",
                           multiline=True),
        "image": Key(str, "", doc="Container image name; defaults to <model name>:v<version>.",
                     pattern=r"(?:[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254})?",
                     pattern_doc="an image reference such as registry.example.com/credit:v3 (one word: letters, "
                                 "digits and . _ / : @ -; it is written into the Dockerfile and the manifests)"),
        "port": Key(int, 8000, min=1, max=65535, doc="Port the container's service listens on."),
        "replicas": Key(int, 1, min=1, max=1000,
                        doc="Pods of the Deployment; more than one needs a PostgreSQL [deploy] prediction_log "
                            "(the pods read its URL from the model's Secret)."),
        "cpu_request": Key(str, "250m", pattern=_QUANTITY, pattern_doc=_QUANTITY_DOC),
        "memory_request": Key(str, "512Mi", pattern=_QUANTITY, pattern_doc=_QUANTITY_DOC),
        "cpu_limit": Key(str, "1", pattern=_QUANTITY, pattern_doc=_QUANTITY_DOC),
        "memory_limit": Key(str, "1Gi", pattern=_QUANTITY, pattern_doc=_QUANTITY_DOC),
        "reproduce_tolerance": Key(_NUM, 1e-4, min=0, doc="Largest absolute metric difference `workbench reproduce` accepts."),
        "strict_versions": Key(bool, False, doc="Serving a bundle refuses library versions other than its pins (else warns)."),
    },
    "deploy": {
        "prediction_log": Key(str, "", doc="The prediction log: empty (.workbench/predictions.db), a SQLite path, or "
                              "postgresql://USER:PASSWORD@HOST:PORT/DB; WORKBENCH_PREDICTION_LOG wins over it."),
    },
}

GATES: dict[str, dict[str, Key]] = {
    "explore": {
        "max_missing_share": Key(_NUM, 0.5, min=0, max=1),
        "fail_on_leakage": Key(bool, True),
    },
    "evaluate": {
        "min_roc_auc": Key(_NUM, 0.7, min=0, max=1),
        "min_margin_over_baseline": Key(_NUM, 0.05, min=-1, max=1),
        "max_demographic_parity_difference": Key(_NUM, 0.2, min=0, max=1),
        "max_equalized_odds_difference": Key(_NUM, 0.25, min=0, max=1),
        "min_group_size": Key(int, 30, min=1),
        "fairness_evidence": Key(
            str, "estimate", choices=("estimate", "interval"),
            doc="Judge disparities by their point estimate, or fail only when the whole interval is above the limit.",
        ),
        "min_r2": Key(_NUM, 0.0, max=1, doc="R² is at most 1 (a perfect fit) and unbounded below."),
        # Regression fairness: gaps between groups, in standard deviations of the target (on the
        # evaluated rows), so the defaults mean the same for a target in dollars or in days.
        "max_mean_prediction_difference": Key(
            _NUM, 0.25, min=0,
            doc="Regression: largest gap in mean prediction between groups, in target standard deviations.",
        ),
        "max_mae_difference": Key(
            _NUM, 0.25, min=0, doc="Regression: largest gap in MAE between groups, in target standard deviations.",
        ),
        "max_top_driver_share": Key(_NUM, 0.8, doc="Largest share of mean |SHAP| one column may hold.", min=0, max=1),
    },
    "develop": {},
    "package": {
        "require_evaluate_gates": Key(bool, True, doc="The model's training run passed its own gates."),
        "require_card_reports": Key(bool, True, doc="The model card has the metrics, fairness and explanation reviews."),
        "require_card_text": Key(bool, False, doc="[package] intended_use and limitations are written (no 'TODO:' placeholder)."),
        "require_approval": Key(bool, False, doc="The training notebook is approved and unchanged since training."),
        "require_same_data": Key(bool, False, doc="The dataset still matches the fingerprint recorded at training."),
        "max_bundle_mb": Key(_NUM, 500, min=0, exclusive_min=True),
    },
    "deploy": {},
    "monitor": {
        "max_drift_share": Key(_NUM, 0.5, min=0, max=1),
    },
}


def _alert_rules(value: Any, path: Path) -> Any:
    """``[[alerts]]``: monitoring rules (validated in workbench/monitor/rules.py)."""
    if value is None:
        return ()
    from workbench.monitor.rules import validate_rules

    return validate_rules(value, path)


def _check_alerts_task(rules: Any, task: str, path: Path) -> None:
    """Every ``[[alerts]]`` rule's metric applies to the project's task (else a ConfigError)."""
    if rules:
        from workbench.monitor.rules import check_rules_apply

        check_rules_apply(rules, TASKS[task], path)


def _pipelines(value: Any, path: Path) -> Any:
    """``[pipelines.NAME]``: notebook pipelines (see workbench.pipelines.spec)."""
    from workbench.pipelines.spec import check_pipelines_section

    return check_pipelines_section(value, path)


# Sections with their own structure (lists of tables ...): name -> validator(value, path) -> value.
CUSTOM_SECTIONS: dict[str, Callable[[Any, Path], Any]] = {"pipelines": _pipelines, "alerts": _alert_rules}


@dataclass(frozen=True)
class DataConfig:
    """The ``[data]`` section, with paths resolved against the project folder."""

    path: Path
    target: str
    task: str
    sensitive: tuple[str, ...]
    time_column: str | None
    id_columns: tuple[str, ...]
    positive_label: Any
    production: Path | None
    test_size: float
    seed: int


@dataclass(frozen=True)
class ProjectConfig:
    """A validated ``workbench.toml``."""

    path: Path
    name: str
    description: str
    data: DataConfig
    model_name: str
    tracking_uri: str
    experiment: str
    gates: Mapping[str, Mapping[str, Any]]
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def gate(self, phase: str, key: str) -> Any:
        """The threshold ``key`` of ``phase``'s gates."""
        return self.gates[phase][key]


def load_config(path: Path | str) -> ProjectConfig:
    """Read and validate ``workbench.toml`` at ``path``.

    Raises
    ------
    ConfigError
        Naming the file, the key, the bad value and what was expected.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"No {CONFIG_NAME} at {path}.",
            path=path,
            hint="Create a project with `workbench init DIR`, or run from inside one.",
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}.", path=path) from err
    return _build(raw, path)


def _build(raw: dict[str, Any], path: Path) -> ProjectConfig:
    known = set(SECTIONS) | {"gates"} | set(CUSTOM_SECTIONS)
    for name in raw:
        if name not in known:
            raise ConfigError(
                f"{path}: unknown section [{name}].",
                path=path,
                key=name,
                expected=f"one of {', '.join(sorted(known))}",
                hint=f"Known sections: {', '.join(sorted(known))}.",
            )
    sections = {name: _section(raw.get(name, {}), keys, name, path) for name, keys in SECTIONS.items()}
    gates = _gates(raw.get("gates", {}), path)
    custom = {name: check(raw.get(name), path) for name, check in CUSTOM_SECTIONS.items()}
    root = path.parent
    data = sections["data"]
    _check_alerts_task(custom["alerts"], TASK_ALIASES.get(data["task"], data["task"]), path)
    project = sections["project"]
    return ProjectConfig(
        path=path,
        name=project["name"],
        description=project["description"],
        data=DataConfig(
            path=root / data["path"],
            target=data["target"],
            task=TASK_ALIASES.get(data["task"], data["task"]),
            sensitive=tuple(data["sensitive"]),
            time_column=data["time_column"],
            id_columns=tuple(data["id_columns"]),
            positive_label=data["positive_label"],
            production=root / data["production"] if data["production"] else None,
            test_size=float(data["test_size"]),
            seed=data["seed"],
        ),
        model_name=sections["model"]["name"] or project["name"],
        tracking_uri=sections["tracking"]["uri"],
        experiment=sections["tracking"]["experiment"] or project["name"],
        gates=MappingProxyType({k: MappingProxyType(v) for k, v in gates.items()}),
        sections=MappingProxyType({**sections, **custom}),
    )


def _section(values: Any, keys: dict[str, Key], name: str, path: Path) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ConfigError(
            f"{path}: [{name}] must be a table, not {type(values).__name__}.",
            path=path,
            key=name,
            value=values,
            expected="a table",
        )
    for key in values:
        if key not in keys:
            raise ConfigError(
                f"{path}: unknown key '{key}' in [{name}].",
                path=path,
                key=f"{name}.{key}",
                value=values[key],
                expected=f"one of {', '.join(sorted(keys)) or '(no keys)'}",
                hint=f"Known keys in [{name}]: {', '.join(sorted(keys)) or '(none)'}.",
            )
    return {key: _value(values, key, spec, f"{name}.{key}", path) for key, spec in keys.items()}


def _value(values: dict[str, Any], key: str, spec: Key, dotted: str, path: Path) -> Any:
    if key not in values:
        if spec.required:
            raise ConfigError(
                f"{path}: the required key '{dotted}' is missing.",
                path=path,
                key=dotted,
                expected=_type_name(spec.type),
                hint=f"Add `{key} = ...` under [{dotted.rsplit('.', 1)[0]}]. {spec.doc}".strip(),
            )
        return spec.default
    value = values[key]
    if not _is_type(value, spec.type):
        raise ConfigError(
            f"{path}: '{dotted}' = {value!r} has the wrong type: expected "
            f"{_type_name(spec.type)}, got {type(value).__name__}.",
            path=path,
            key=dotted,
            value=value,
            expected=_type_name(spec.type),
        )
    if spec.choices is not None and value not in spec.choices:
        choices = ", ".join(repr(c) for c in spec.choices)
        raise ConfigError(
            f"{path}: '{dotted}' = {value!r} is not allowed: expected one of {choices}.",
            path=path,
            key=dotted,
            value=value,
            expected=f"one of {choices}",
        )
    if spec.item_type is not None:
        for item in value:
            if not _is_type(item, spec.item_type):
                raise ConfigError(
                    f"{path}: '{dotted}' must be a list of {_type_name(spec.item_type)}, "
                    f"but it holds {item!r}.",
                    path=path,
                    key=dotted,
                    value=value,
                    expected=f"a list of {_type_name(spec.item_type)}",
                )
    check_content(value, spec, dotted, path)
    problem = spec.check(value) if spec.check is not None else None
    if problem:
        raise ConfigError(
            f"{path}: '{dotted}' = {value!r} is not allowed: {problem}.",
            path=path,
            key=dotted,
            value=value,
            expected=spec.doc or None,
            hint=f"Fix `{key} = ...` under [{dotted.rsplit('.', 1)[0]}]. {spec.doc}".strip(),
        )
    return value


def _gates(values: Any, path: Path) -> dict[str, dict[str, Any]]:
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [gates] must be a table.", path=path, key="gates", value=values)
    for phase in values:
        if phase not in GATES:
            raise ConfigError(
                f"{path}: unknown phase '{phase}' in [gates.{phase}].",
                path=path,
                key=f"gates.{phase}",
                expected=f"one of {', '.join(GATES)}",
                hint=f"Gates exist for the phases {', '.join(GATES)}.",
            )
    return {phase: _section(values.get(phase, {}), keys, f"gates.{phase}", path) for phase, keys in GATES.items()}


def _is_type(value: Any, expected: type | tuple[type, ...]) -> bool:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # TOML true is not a number here
    if isinstance(value, int) and float in kinds:
        return True
    return isinstance(value, kinds)


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false", list: "a list"}
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(names.get(k, k.__name__) for k in kinds)

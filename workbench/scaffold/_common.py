"""What every new project gets, demo or not: the folder checks, pipelines, notebooks and ``.gitignore``."""

from __future__ import annotations

import shutil
from pathlib import Path

from workbench.config import CONFIG_NAME
from workbench.exceptions import ConfigError, ParameterError

__all__ = [
    "GITIGNORE",
    "PIPELINES",
    "check_name",
    "copy_notebooks",
    "notebook_templates_dir",
    "prepare_root",
    "slug",
    "toml_escape",
    "toml_value",
]

# The lifecycle's parameters reach every notebook that declares them (papermill), so one
# `workbench run lifecycle -p n_bootstrap=50 -p shap_rows=300` makes a quick full run.
PIPELINES = """\
# Notebook pipelines: `workbench run lifecycle` runs the six phases in order (what `workbench demo`
# does); `retrain` runs weekly (`workbench scheduler`) or when a monitoring alert names it.
# Only approved notebooks run: `workbench approve NOTEBOOK --comment WHY`.
pipelines:
  lifecycle:
    description: The six phases of the lifecycle, in order.
    parameters:
      n_bootstrap: {type: int, default: 200, help: resamples behind every interval (Evaluate)}
      shap_rows: {type: int, default: 2000, help: rows explained by SHAP (Evaluate)}
      examples: {type: int, default: 20, help: hypothesis cases per attack (Develop)}
      rows_per_week: {type: int, default: 150, help: rows of replayed traffic per week (Monitor)}
    steps:
      - {name: explore, notebook: notebooks/01_explore.ipynb, timeout: 900}
      - {name: evaluate, notebook: notebooks/02_evaluate.ipynb, depends_on: [explore], timeout: 900}
      - {name: develop, notebook: notebooks/03_develop.ipynb, depends_on: [evaluate], timeout: 900}
      - {name: package, notebook: notebooks/04_package.ipynb, depends_on: [develop], timeout: 900}
      - {name: deploy, notebook: notebooks/05_deploy.ipynb, depends_on: [package], timeout: 900}
      - {name: monitor, notebook: notebooks/06_monitor.ipynb, depends_on: [deploy], timeout: 900}
  retrain:
    description: Re-check the data, retrain and review the model, package it as the challenger.
    schedule: "0 3 * * 1"       # Mondays at 03:00
    timezone: UTC
    parameters:
      max_iter: {type: int, default: 200, help: boosting iterations}
      learning_rate: {type: float, default: 0.08, help: boosting learning rate}
    steps:
      - {name: explore, notebook: notebooks/01_explore.ipynb, timeout: 900}
      - name: evaluate
        notebook: notebooks/02_evaluate.ipynb
        depends_on: [explore]
        parameters: {max_iter: "${max_iter}", learning_rate: "${learning_rate}"}
        retries: 1
        timeout: 900
      - {name: develop, notebook: notebooks/03_develop.ipynb, depends_on: [evaluate], timeout: 900}
      - {name: package, notebook: notebooks/04_package.ipynb, depends_on: [develop], timeout: 900}
"""

GITIGNORE = ".workbench/\n.ipynb_checkpoints/\n"


def notebook_templates_dir() -> Path:
    """The phase notebooks shipped with the package (or, in a source checkout, ``notebooks/``)."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "_notebooks", package.parent / "notebooks"):
        if candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate
    raise ConfigError("The phase notebooks are missing from this installation.", hint="Reinstall mlops-workbench.")


def copy_notebooks(target: Path) -> None:
    """Copy the phase notebooks (and the stakeholder notebook) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted(notebook_templates_dir().glob("*.ipynb")):
        shutil.copyfile(source, target / source.name)


def prepare_root(directory: Path | str, *, force: bool) -> Path:
    """The project folder, resolved; refuses one that already holds a project unless ``force``."""
    root = Path(directory).resolve()
    if (root / CONFIG_NAME).exists() and not force:
        raise ConfigError(
            f"{root} already holds a project ({CONFIG_NAME} exists).",
            path=root / CONFIG_NAME,
            hint="Choose another folder, or pass --force to overwrite its configuration and data.",
        )
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is a file, not a folder.", path=root, hint="Choose a folder for the project.")
    return root


def check_name(name: str | None, root: Path) -> str:
    """The project name: ``name``, or the folder's name as a slug; no control characters."""
    name = name or slug(root.name)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ParameterError(
            f"The project name {name!r} holds a control character (newline, tab, ...).",
            name="name",
            value=name,
            hint="Choose a name of printable characters.",
        )
    return name


def slug(text: str) -> str:
    """``text`` lower-cased, with ``-`` for every character that is not a letter or digit."""
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
    return cleaned or "workbench-project"


def toml_escape(text: str) -> str:
    """``text`` escaped for the inside of a TOML basic string ("...")."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return "".join(ch if ord(ch) >= 32 and ord(ch) != 127 else f"\\u{ord(ch):04x}" for ch in escaped)


def toml_value(value: object) -> str:
    """``value`` (a string, whole number, number or boolean) as a TOML literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return f'"{toml_escape(str(value))}"'

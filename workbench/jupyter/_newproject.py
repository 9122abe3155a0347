"""The panel's "New project" form: the data files it offers, their columns, and the project it creates.

The project is made by :func:`workbench.scaffold.init_project`, the function behind
``workbench init DIR --data FILE --target COL``; every path is relative to the server root and
confined to it. Whatever init refuses (a target with missing values, an unknown sensitive
column, a folder that already holds a project) comes back as a 4xx answer with its message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from workbench._io import TABLE_SUFFIXES
from workbench.jupyter._paths import SKIPPED_FOLDERS, RequestError, confine, server_path

__all__ = ["TASK_CHOICES", "create_project", "data_columns", "data_files"]

TASK_CHOICES = ("auto", "binary", "multiclass", "regression")
MAX_FILES = 200
MAX_DEPTH = 3
SAMPLE_ROWS = 200
MAX_SENSITIVE = 20


def data_files(root: Path) -> dict[str, Any]:
    """CSV and Parquet files up to three folders below ``root``.

    Hidden folders and existing projects' folders are skipped: a project's data belongs to it.
    """
    from workbench.config import CONFIG_NAME

    found: list[str] = []
    level = [root]
    for _ in range(MAX_DEPTH + 1):
        below: list[Path] = []
        for folder in level:
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(".") or entry.name in SKIPPED_FOLDERS:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if not (Path(entry.path) / CONFIG_NAME).is_file():
                        below.append(Path(entry.path))
                elif Path(entry.name).suffix.lower() in TABLE_SUFFIXES and len(found) < MAX_FILES:
                    found.append(server_path(root, Path(entry.path)))
        level = below
    return {"files": found, "truncated": len(found) >= MAX_FILES}


def data_columns(root: Path, path: object) -> dict[str, Any]:
    """The columns of the data file ``path`` with their types (read from its first rows or its schema)."""
    source = _data_file(root, path)
    try:
        if source.suffix.lower() == ".csv":
            import pandas as pd

            sample = pd.read_csv(source, nrows=SAMPLE_ROWS)
            columns = [{"name": str(name), "dtype": str(dtype)} for name, dtype in sample.dtypes.items()]
        else:
            import pyarrow.parquet as pq

            schema = pq.read_schema(source)
            columns = [{"name": field.name, "dtype": str(field.type)} for field in schema]
    except (OSError, ValueError, UnicodeDecodeError) as err:  # pandas' ParserError is a ValueError
        raise RequestError(f"Cannot read the columns of {path}: {err}",
                           hint="Choose a CSV file with a header row, or a Parquet file.") from err
    if not columns:
        raise RequestError(f"{path} has no columns.", hint="Choose a file with a header row.")
    return {"path": server_path(root, source), "columns": columns}


def create_project(root: Path, body: dict[str, Any]) -> dict[str, Any]:
    """Create a project from ``body`` (``data``, ``target``, ``task``, ``sensitive``, ``directory``,
    optional ``name``) with :func:`workbench.scaffold.init_project`; what it is and where."""
    from workbench.config import CONFIG_NAME
    from workbench.scaffold import init_project

    data = _data_file(root, body.get("data"))
    target = _word(body.get("target"), name="target")
    task = _task(body.get("task", "auto"))
    sensitive = _sensitive(body.get("sensitive", []))
    folder = confine(root, _word(body.get("directory"), name="directory"), name="directory")
    if (folder / CONFIG_NAME).exists():
        raise RequestError(f"'{server_path(root, folder) or '.'}' already holds a Workbench project.", status=409,
                           hint="Choose another project folder.")
    name = body.get("name")
    name = _word(name, name="name") if name not in (None, "") else None
    try:
        project = init_project(folder, data=data, target=target, task=task, sensitive=sensitive, name=name)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise RequestError(f"Cannot create a project from {body.get('data')}: {err}") from err
    config = project.config.data
    return {
        "project_path": server_path(root, project.root), "name": project.name, "target": config.target,
        "task": config.task, "sensitive": list(config.sensitive),
        "next_step": "Open notebooks/01_explore.ipynb, or run every phase: workbench run lifecycle.",
    }


def _data_file(root: Path, path: object) -> Path:
    source = confine(root, _word(path, name="data"), name="data")
    if source.suffix.lower() not in TABLE_SUFFIXES:
        raise RequestError(f"'data' = {path!r} is not a CSV or Parquet file.", hint="Choose a .csv or .parquet file.")
    if not source.is_file():
        raise RequestError(f"No data file at {path!r}.", status=404, hint="Choose a file the file browser shows.")
    return source


def _word(value: object, *, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RequestError(f"'{name}' is required: a non-empty string, got {value!r}.")
    if len(value) > 500:
        raise RequestError(f"'{name}' is {len(value)} characters long; at most 500 are allowed.")
    return value.strip()


def _task(value: object) -> str:
    if value not in TASK_CHOICES:
        raise RequestError(f"'task' = {value!r} is not one of {', '.join(TASK_CHOICES)}.",
                           hint="auto infers the task from the target column.")
    return str(value)


def _sensitive(value: object) -> tuple[str, ...]:
    items = [part for part in value.split(",")] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or len(items) > MAX_SENSITIVE:
        raise RequestError(f"'sensitive' must be a list of at most {MAX_SENSITIVE} column names, got {value!r}.")
    names = [_word(item, name="sensitive") for item in items if not (isinstance(item, str) and not item.strip())]
    return tuple(dict.fromkeys(names))

"""``workbench init DIR --data FILE --target COL``: a project on the user's own data.

The file is read once (:mod:`workbench.scaffold.reading`), checked and understood
(:mod:`~workbench.scaffold.target`, :mod:`~workbench.scaffold.columns`), split into training rows
and held-out production rows (:mod:`~workbench.scaffold.holdout`), and **copied** into the
project as Parquet: ``data/<name>.parquet`` (training) and ``data/production.parquet``
(held out). A copy keeps the project self-contained and its data fingerprint stable when the
original file changes; columns a model cannot use are left out of it, each with a note.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench._io import atomic_open, write_text
from workbench.config import CONFIG_NAME
from workbench.exceptions import DataError, ParameterError
from workbench.project import Project
from workbench.scaffold._common import (
    GITIGNORE,
    PIPELINES,
    check_name,
    copy_notebooks,
    prepare_root,
)
from workbench.scaffold.columns import ColumnRoles, column_roles, missing_column
from workbench.scaffold.config_text import ConfigValues, render_config
from workbench.scaffold.holdout import holdout_mask
from workbench.scaffold.reading import read_source
from workbench.scaffold.summary import InitSummary
from workbench.scaffold.target import (
    TargetChoice,
    check_sensitive,
    choose_target,
    parse_time_column,
    target_description,
)
from workbench.tasks import TASK_ALIASES, TASKS, check_target

__all__ = ["MIN_ROWS", "init_from_data"]

# Fewer rows cannot fill a training set, a test set and a held-out production slice.
MIN_ROWS = 50
PRODUCTION_FILE = "production.parquet"


def init_from_data(
    directory: Path | str,
    *,
    data: Path | str,
    target: str,
    task: str = "auto",
    sensitive: Sequence[str] = (),
    time_column: str | None = None,
    positive_label: str | None = None,
    name: str | None = None,
    holdout: float = 0.2,
    seed: int = 0,
    force: bool = False,
) -> InitSummary:
    """Create a project in ``directory`` from the data in ``data`` (CSV or Parquet).

    Parameters
    ----------
    directory
        The project folder (created when missing).
    data
        The dataset. It is read once and copied into the project as Parquet, without the
        held-out rows and the columns a model cannot use.
    target
        The column to predict.
    task
        ``"auto"`` (inferred from the target, see :func:`workbench.tasks.infer_task`),
        ``"binary"``, ``"multiclass"`` or ``"regression"``.
    sensitive
        Protected attributes for the fairness review (none: the review is not applicable).
    time_column
        A column of dates or times: the latest rows are held out as production traffic.
    positive_label
        A binary target's positive class, as text read like the column's values; default
        ``1`` of 0/1 labels, ``True`` of booleans, else the rarer class.
    name
        The project name (default: the folder's name).
    holdout
        Share of the rows held out of training as production traffic (``data/production.parquet``).
    seed
        Seed of the random holdout and of the project's train/test split.
    force
        Overwrite the configuration and data of a project already in ``directory``.

    Returns
    -------
    InitSummary
        What was read, inferred and written; open the project with ``Project.load(summary.root)``.

    Examples
    --------
    >>> summary = init_from_data("churn", data="customers.csv", target="churned")  # doctest: +SKIP
    >>> print(summary.to_text())  # doctest: +SKIP
    """
    started = time.perf_counter()
    _check_options(task=task, holdout=holdout)
    root = prepare_root(directory, force=force)
    project_name = check_name(name, root)
    found = _inspect(Path(data).expanduser().resolve(), target=target, task=TASK_ALIASES.get(task, task),
                     sensitive=tuple(dict.fromkeys(sensitive)), time_column=time_column,
                     positive_label=positive_label, holdout=holdout, seed=seed)
    values = _write_data(root, found, name=project_name, seed=seed)
    _write_project(root, render_config(values))
    Project.load(root)  # the configuration validates and names only columns of the data
    choice, roles = found.choice, found.roles
    return InitSummary(
        root=str(root), name=project_name, source=values.source, rows=values.rows, columns=found.table.num_columns,
        training_rows=values.training_rows, production_rows=values.production_rows,
        data_path=values.data_path, production_path=values.production_path, target=target,
        task=choice.task.name, task_inferred=choice.inferred, target_description=target_description(choice),
        positive_label=choice.positive_label,
        sensitive={column: {str(k): v for k, v in counts.items()} for column, counts in found.groups.items()},
        time_column=time_column, id_columns=roles.id_columns, numeric=roles.numeric,
        categorical=roles.categorical, notes=roles.notes, seconds=time.perf_counter() - started,
    )


@dataclasses.dataclass(frozen=True)
class _Inspection:
    """The data as read, and what init found in it."""

    source: Path
    table: pa.Table
    choice: TargetChoice
    sensitive: tuple[str, ...]
    groups: dict[str, dict[Any, int]]
    time_column: str | None
    times: pd.Series | None
    roles: ColumnRoles
    production: np.ndarray  # mask of the held-out rows


def _inspect(source: Path, *, target: str, task: str, sensitive: tuple[str, ...], time_column: str | None,
             positive_label: str | None, holdout: float, seed: int) -> _Inspection:
    """Read ``source`` once and check and understand it; every refusal names the column and the fix."""
    table = read_source(source)
    _check_named(table.column_names, target=target, sensitive=sensitive, time_column=time_column, source=source.name)
    if table.num_rows < MIN_ROWS:
        raise DataError(
            f"{source.name} has {table.num_rows} rows; a project needs at least {MIN_ROWS} (training rows, "
            "test rows and held-out production rows).",
            path=source, hint="Add rows, or pass a larger file to --data.",
        )
    frame = table.to_pandas()
    choice = choose_target(frame[target], task=task, positive_label=positive_label)
    groups = check_sensitive(frame, sensitive, target=target)
    times = parse_time_column(frame[time_column]) if time_column else None
    roles = column_roles(frame, named={target, *sensitive, *([time_column] if time_column else [])})
    _check_features(roles, source.name)
    mask = holdout_mask(n_rows=len(frame), share=holdout, seed=seed, times=times,
                        target=choice.target if choice.task.classifier else None)
    _check_training_target(choice, mask, time_column)
    return _Inspection(source, table, choice, sensitive, groups, time_column, times, roles, mask)


def _write_data(root: Path, found: _Inspection, *, name: str, seed: int) -> ConfigValues:
    """Write the training and production Parquet files; what the configuration says about them."""
    data_dir = root / "data"
    data_path = data_dir / _data_file_name(found.source)
    _check_not_source(found.source, (data_path, data_dir / PRODUCTION_FILE))
    kept = _project_table(found.table, found.roles, choice=found.choice, times=found.times,
                          time_column=found.time_column)
    _write_parquet(kept.filter(pa.array(~found.production)), data_path)
    _write_parquet(kept.filter(pa.array(found.production)), data_dir / PRODUCTION_FILE)
    choice = found.choice
    target = str(choice.target.name)
    return ConfigValues(
        name=name, description=f"Predict '{target}' ({choice.task.title}) from {found.source.name}.",
        source=str(found.source), data_path=f"data/{data_path.name}", production_path=f"data/{PRODUCTION_FILE}",
        rows=found.table.num_rows, training_rows=int((~found.production).sum()),
        production_rows=int(found.production.sum()), target=target, task=choice.task.name,
        task_inferred=choice.inferred, positive_label=choice.positive_label, sensitive=found.sensitive,
        time_column=found.time_column, id_columns=found.roles.id_columns, test_size=0.25, seed=seed,
    )


def _check_options(*, task: str, holdout: float) -> None:
    known = ("auto", *TASKS, *TASK_ALIASES)
    if task not in known:
        raise ParameterError(
            f"Unknown task {task!r}.", name="task", value=task,
            hint=f"Use --task auto (inferred from the target) or one of {', '.join(TASKS)}.",
        )
    if not 0.05 <= holdout <= 0.5:
        raise ParameterError(
            f"--holdout {holdout} is out of range: hold out between 0.05 and 0.5 of the rows.",
            name="holdout", value=holdout, hint="The default, 0.2, keeps 80 % of the rows for training.",
        )


def _check_named(columns: list[str], *, target: str, sensitive: tuple[str, ...], time_column: str | None,
                 source: str) -> None:
    """Every named column exists (else the closest names are suggested) and has one role only."""
    wanted = [("target", target, "--target"), *(("sensitive", s, "--sensitive") for s in sensitive)]
    if time_column:
        wanted.append(("time", time_column, "--time-column"))
    for what, column, flag in wanted:
        if column not in columns:
            raise missing_column(what, column, columns, flag=flag, source=source)
    if time_column and time_column in (target, *sensitive):
        raise DataError(
            f"The time column '{time_column}' is also named as the {'target' if time_column == target else 'sensitive column'}.",
            column=time_column, hint="Name each column in one role only.",
        )


def _check_features(roles: ColumnRoles, source: str) -> None:
    if roles.features:
        return
    dropped = "; ".join(note.message for note in roles.notes) or "the data has no other columns"
    raise DataError(
        f"{source} has no column left for the model to learn from: {dropped}",
        hint="A project needs at least one numeric or categorical feature column besides the target.",
    )


def _check_training_target(choice: TargetChoice, mask: np.ndarray, time_column: str | None) -> None:
    """The training rows alone still make a target the task can learn (a time holdout may take a class)."""
    try:
        check_target(choice.target[~mask], choice.task, name=f"The target column '{choice.target.name}' in the training rows")
    except DataError as err:
        how = "the latest rows by time" if time_column else "a random share of the rows"
        raise DataError(
            f"{err.message.rstrip('.')}, after holding out {int(mask.sum()):,} production rows ({how}).",
            column=err.column,
            hint=f"{err.hint} Or pass a smaller --holdout" + (", or leave --time-column out." if time_column else "."),
        ) from err


def _data_file_name(source: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", source.stem).strip("-") or "data"
    return f"{'training' if stem == Path(PRODUCTION_FILE).stem else stem}.parquet"


def _check_not_source(source: Path, outputs: tuple[Path, ...]) -> None:
    for output in outputs:
        if output.resolve() == source:
            raise DataError(
                f"{source} is where init writes the project's copy of the data: it would be overwritten.",
                path=source, hint="Move the file out of the project's data/ folder (or rename it) and run init again.",
            )


def _project_table(table: pa.Table, roles: ColumnRoles, *, choice: TargetChoice, times: pd.Series | None,
                   time_column: str | None) -> pa.Table:
    """The columns the project keeps, with the target's class labels and the time column's timestamps."""
    kept = table.drop_columns([note.column for note in roles.dropped])
    replaced = {str(choice.target.name): choice.target}
    if times is not None and time_column is not None:
        replaced[time_column] = times
    for column, series in replaced.items():
        array = pa.Array.from_pandas(series)
        if array.type != kept.schema.field(column).type:
            kept = kept.set_column(kept.schema.get_field_index(column), column, array)
    return kept


def _write_parquet(table: pa.Table, path: Path) -> None:
    with atomic_open(path, "wb") as handle:
        pq.write_table(table, handle)


def _write_project(root: Path, config: str) -> None:
    write_text(root / CONFIG_NAME, config)
    write_text(root / ".gitignore", GITIGNORE)
    write_text(root / "pipeline.yaml", PIPELINES)
    copy_notebooks(root / "notebooks")

"""The target and the named columns: which task, which positive class, which groups.

The task comes from ``--task`` or, with ``auto``, from :func:`workbench.tasks.infer_task`; either
way :func:`workbench.tasks.check_target` refuses a target the task cannot learn from. The
positive label of a binary target is ``--positive-label`` (read like the column's values) or,
by default, ``1`` of 0/1 labels and ``True`` of booleans, else the rarer class (the event a
review usually cares about: fraud, churn, default).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import DataError, ParameterError
from workbench.tasks import TaskType, check_target, infer_task, task_named

__all__ = [
    "MAX_GROUPS",
    "TargetChoice",
    "check_sensitive",
    "choose_target",
    "parse_time_column",
    "target_description",
]

# A sensitive column with more groups than this is a measurement (age, income), not groups.
MAX_GROUPS = 20


@dataclasses.dataclass(frozen=True)
class TargetChoice:
    """The task for the target, whether it was inferred, and (binary) the positive label."""

    task: TaskType
    inferred: bool
    positive_label: Any
    target: pd.Series


def choose_target(target: pd.Series, *, task: str, positive_label: str | None) -> TargetChoice:
    """The task and positive label for ``target`` (``task`` is ``auto`` or a :data:`TASKS` name)."""
    name = f"The target column '{target.name}'"
    if task == "auto":
        kind, inferred = infer_task(target, name=name), True
    else:
        kind, inferred = task_named(task), False
        check_target(target, kind, name=name)
    if kind.classifier:
        target = _whole_numbers(target)
    if kind.name != "binary":
        if positive_label is not None:
            raise ParameterError(
                f"--positive-label {positive_label} applies to a binary target, but '{target.name}' is "
                f"a {kind.title} target.",
                name="positive_label",
                value=positive_label,
                hint="Leave --positive-label out (or pass --task binary for a two-class target).",
            )
        return TargetChoice(kind, inferred, None, target)
    label = _parse_label(target, positive_label) if positive_label is not None else _default_positive(target)
    return TargetChoice(kind, inferred, label, target)


def _whole_numbers(target: pd.Series) -> pd.Series:
    """Class labels read as floats (1.0, 2.0) as integers, so the config can name them."""
    if not pd.api.types.is_float_dtype(target):
        return target
    values = target.to_numpy(dtype=np.float64)
    if np.all(np.mod(values, 1) == 0):
        return target.astype(np.int64)
    return target


def _classes(target: pd.Series) -> list[Any]:
    return [_plain(v) for v in target.value_counts().index]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _default_positive(target: pd.Series) -> Any:
    if pd.api.types.is_bool_dtype(target):
        return True
    if pd.api.types.is_numeric_dtype(target) and set(_classes(target)) == {0, 1}:
        return 1
    counts = target.value_counts()
    rarest = counts[counts == counts.min()].index
    return _plain(sorted(rarest, key=str)[-1])


def _parse_label(target: pd.Series, text: str) -> Any:
    """``text`` read like the target's values (a number, true/false or text), and one of its classes."""
    readers: dict[str, Callable[[str], Any]] = {"b": _read_bool, "i": int, "u": int, "f": float}
    reader = readers.get(target.dtype.kind, str)
    classes = _classes(target)
    listed = ", ".join(repr(c) for c in classes)
    try:
        label = reader(text)
    except ValueError as err:
        raise ParameterError(
            f"--positive-label {text!r} is not a value of the target column '{target.name}' ({listed}).",
            name="positive_label", value=text, hint=f"Pass one of: {listed}.",
        ) from err
    if isinstance(label, float) and label.is_integer():
        label = int(label)
    if label not in classes:
        raise ParameterError(
            f"--positive-label {text!r} is not a class of the target column '{target.name}' ({listed}).",
            name="positive_label", value=text, hint=f"Pass one of: {listed}.",
        )
    return label


def _read_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError(text)


def check_sensitive(frame: pd.DataFrame, names: tuple[str, ...], *, target: str) -> dict[str, dict[Any, int]]:
    """Each sensitive column's groups and their row counts; refuses the target, gaps and measurements."""
    groups: dict[str, dict[Any, int]] = {}
    for name in names:
        series = frame[name]
        if name == target:
            raise DataError(
                f"The sensitive column '{name}' is the target.", column=name,
                hint="Name protected attributes (sex, age band ...) with --sensitive, not the column to predict.",
            )
        missing = int(series.isna().sum())
        if missing:
            raise DataError(
                f"The sensitive column '{name}' has {missing:,} missing values: those rows belong to no "
                "group, so the fairness review cannot judge them.",
                column=name,
                hint=f"Fill them with a group of their own (e.g. 'unknown') or drop those rows, then run init "
                f"again; or leave '{name}' out of --sensitive.",
            )
        counts = series.value_counts()
        if len(counts) > MAX_GROUPS:
            raise DataError(
                f"The sensitive column '{name}' has {len(counts):,} distinct values: too many groups to compare "
                f"(at most {MAX_GROUPS}).",
                column=name,
                hint="Bin it into a few bands (e.g. age 18-25, 26-40 ...) as a new column and pass that to "
                "--sensitive.",
            )
        if len(counts) < 2:
            raise DataError(
                f"The sensitive column '{name}' has a single group ({_plain(counts.index[0])!r}): there is "
                "nothing to compare.",
                column=name, hint=f"Leave '{name}' out of --sensitive.",
            )
        groups[name] = {_plain(k): int(v) for k, v in counts.items()}
    return groups


def parse_time_column(series: pd.Series) -> pd.Series:
    """The time column as timestamps; refuses numbers, unparseable text and missing times."""
    name = series.name
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise DataError(
            f"The time column '{name}' holds numbers (e.g. {_plain(series.iloc[0])!r}), not dates.",
            column=str(name),
            hint="Convert it to dates (YYYY-MM-DD or ISO 8601 times) or leave --time-column out.",
        )
    times = series
    if not pd.api.types.is_datetime64_any_dtype(series):
        try:
            times = pd.to_datetime(series, format="mixed")
        except (ValueError, TypeError, OverflowError) as err:
            example = _unparsed_example(series)
            raise DataError(
                f"The time column '{name}' does not hold dates: {example!r} is not a date or time.",
                column=str(name),
                hint="Write its values as dates (YYYY-MM-DD or ISO 8601 times) or leave --time-column out.",
            ) from err
    missing = int(times.isna().sum())
    if missing:
        raise DataError(
            f"The time column '{name}' has {missing:,} missing times.",
            column=str(name),
            hint="Fill or drop those rows, or leave --time-column out.",
        )
    return times


def _unparsed_example(series: pd.Series) -> Any:
    for value in series.dropna().head(10_000):
        parsed = pd.to_datetime(pd.Series([value]), errors="coerce", format="mixed")
        if parsed.isna().all():
            return value
    return series.dropna().iloc[0]


def target_description(choice: TargetChoice) -> str:
    """The classes with their counts, or the range of a regression target."""
    target = choice.target
    if not choice.task.classifier:
        values = target.to_numpy(dtype=np.float64)
        return (f"values from {_number(values.min())} to {_number(values.max())} "
                f"(mean {_number(values.mean())}, {target.nunique():,} distinct)")
    counts = target.value_counts()
    shown = ", ".join(f"{_plain(label)!r} ({count:,} rows)" for label, count in counts.head(10).items())
    more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
    return f"{len(counts)} classes: {shown}{more}"


def _number(value: float) -> str:
    return f"{value:,.4g}" if math.isfinite(value) else str(value)


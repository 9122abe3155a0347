"""Task types: binary classification, multiclass classification and regression.

Every phase that behaves differently by task looks the task up here by name (one table, no
if-chains on strings): which metrics it reports, which one gates and summaries lead with, which
metrics Monitor scores per window once labels arrive, and how a target column is recognised.
``[data] task`` in ``workbench.toml`` names one of :data:`TASKS`; the older spelling
``"classification"`` still reads as ``"binary"``.

Examples
--------
>>> task_named("multiclass").primary_metric
'roc_auc'
>>> infer_task(pd.Series([0.5, 1.25, 3.0, 4.75] * 10)).name
'regression'
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from workbench.exceptions import DataError, ParameterError

if TYPE_CHECKING:  # numpy and pandas load only when a target is read: opening a project needs neither
    import numpy as np
    import pandas as pd

__all__ = [
    "MAX_CLASSES",
    "TASKS",
    "TASK_ALIASES",
    "TaskType",
    "check_target",
    "infer_task",
    "task_named",
    "task_of_values",
]

# More classes than this is not a classification target a review can show class by class.
MAX_CLASSES = 50
# A whole-number target with at most this many values (and few per row) reads as classes.
_MAX_INTEGER_CLASSES = 20
# A class with fewer rows than this cannot be split, stratified, into train and test.
MIN_CLASS_ROWS = 5


@dataclasses.dataclass(frozen=True)
class TaskType:
    """What one task means to every phase.

    ``metrics`` are the headline metrics the Evaluate review reports (each with an interval);
    ``primary_metric`` leads gates and summaries and ``min_gate`` is the ``[gates.evaluate]`` key
    that bounds it; ``monitor_metrics`` are scored per window when labels arrive, the first one
    leading the performance alert.
    """

    name: str
    title: str
    classifier: bool
    metrics: tuple[str, ...]
    primary_metric: str
    min_gate: str
    monitor_metrics: tuple[str, ...]
    lower_is_better: frozenset[str] = frozenset()

    @property
    def probabilistic(self) -> bool:
        """Whether the model's answers carry class probabilities."""
        return self.classifier


TASKS: dict[str, TaskType] = {
    "binary": TaskType(
        name="binary",
        title="binary classification",
        classifier=True,
        metrics=("roc_auc", "average_precision", "accuracy", "precision", "recall", "f1", "log_loss", "brier"),
        primary_metric="roc_auc",
        min_gate="min_roc_auc",
        monitor_metrics=("roc_auc", "accuracy"),
        lower_is_better=frozenset({"log_loss", "brier"}),
    ),
    "multiclass": TaskType(
        name="multiclass",
        title="multiclass classification",
        classifier=True,
        # roc_auc: one-vs-rest, macro-averaged over the classes.
        metrics=("roc_auc", "accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "log_loss"),
        primary_metric="roc_auc",
        min_gate="min_roc_auc",
        monitor_metrics=("accuracy", "f1_macro"),
        lower_is_better=frozenset({"log_loss"}),
    ),
    "regression": TaskType(
        name="regression",
        title="regression",
        classifier=False,
        metrics=("r2", "mae", "rmse"),
        primary_metric="r2",
        min_gate="min_r2",
        monitor_metrics=("mae", "rmse"),
        lower_is_better=frozenset({"mae", "rmse"}),
    ),
}

# Older project files said "classification" before multiclass existed: it meant binary.
TASK_ALIASES: dict[str, str] = {"classification": "binary"}


def task_named(name: str) -> TaskType:
    """The task type called ``name`` (an alias such as ``"classification"`` included)."""
    task = TASKS.get(TASK_ALIASES.get(name, name))
    if task is None:
        raise ParameterError(
            f"Unknown task {name!r}.",
            name="task",
            value=name,
            hint=f"Tasks: {', '.join(TASKS)} (or 'auto' at `workbench init`).",
        )
    return task


def infer_task(y: pd.Series | np.ndarray | Any, *, name: str = "the target") -> TaskType:
    """The task a target column implies: its values' kind and how many distinct ones it has.

    Text, categories and booleans are classes; whole numbers with few distinct values (at most
    20, and at most one per 20 rows) are classes too; other numbers are a regression target.
    The target is checked with :func:`check_target` for the task found.
    """
    import numpy as np
    import pandas as pd

    series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    task = task_of_values(series, name=name)
    check_target(series, task, name=name)
    return task


def task_of_values(y: pd.Series | np.ndarray | Any, *, name: str = "the target") -> TaskType:
    """The task :func:`infer_task` reads from ``y``'s values, without checking ``y`` can be trained on.

    The reviews use it on a test set or on predictions, where a class may be rare or absent.
    """
    import numpy as np
    import pandas as pd

    series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    values = series.dropna()
    if values.empty:
        raise DataError(f"{name} has no values.", hint="Name a target column that holds the labels.")
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=np.float64)
        finite = numbers[np.isfinite(numbers)]
        whole = bool(finite.size) and bool(np.all(np.mod(finite, 1) == 0))
        distinct = np.unique(finite).size
        few = distinct <= _MAX_INTEGER_CLASSES and distinct * 20 <= len(values)
        kind = "binary" if distinct <= 2 else ("multiclass" if whole and few else "regression")
    else:
        distinct = values.nunique()
        kind = "binary" if distinct <= 2 else "multiclass"
    return TASKS[kind]


def check_target(y: pd.Series | np.ndarray | Any, task: TaskType | str, *, name: str = "the target") -> None:
    """Refuse a target the task cannot learn from, naming the column and what to do.

    Missing labels, one class only, a class too small to split, more classes than
    :data:`MAX_CLASSES`, or (regression) values that are not finite numbers.
    """
    import numpy as np
    import pandas as pd

    task = task if isinstance(task, TaskType) else task_named(task)
    series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    missing = int(series.isna().sum())
    if missing:
        raise DataError(
            f"{name} has {missing:,} missing values.",
            column=str(series.name) if series.name is not None else None,
            hint="Drop the unlabelled rows (or fill them) before training; a model cannot learn from them.",
        )
    if task.classifier:
        _check_classes(series, task, name=name)
    else:
        _check_numeric(series, name=name)


def _check_classes(series: pd.Series, task: TaskType, *, name: str) -> None:
    counts = series.value_counts()
    column = str(series.name) if series.name is not None else None
    if len(counts) < 2:
        raise DataError(
            f"{name} has a single class ({counts.index[0]!r}): there is nothing to tell apart.",
            column=column,
            hint="Choose a target with at least two classes, or add rows of the other classes.",
        )
    if task.name == "binary" and len(counts) > 2:
        raise DataError(
            f"{name} has {len(counts)} classes, but the task is binary.",
            column=column,
            hint="Use task = \"multiclass\", or map the target to two classes.",
        )
    if len(counts) > MAX_CLASSES:
        raise DataError(
            f"{name} has {len(counts):,} distinct values: too many classes to review class by class "
            f"(at most {MAX_CLASSES}).",
            column=column,
            hint="If the target is a quantity, use task = \"regression\"; otherwise group rare classes.",
        )
    small = counts[counts < MIN_CLASS_ROWS]
    if not small.empty:
        listed = ", ".join(f"{label!r} ({count} rows)" for label, count in small.items())
        raise DataError(
            f"{name} has classes too small to split into training and test rows: {listed}.",
            column=column,
            hint=f"Each class needs at least {MIN_CLASS_ROWS} rows: add rows, or merge the small "
            "classes into a larger one.",
        )


def _check_numeric(series: pd.Series, *, name: str) -> None:
    import numpy as np
    import pandas as pd

    column = str(series.name) if series.name is not None else None
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise DataError(
            f"{name} is not numeric (e.g. {series.iloc[0]!r}), but the task is regression.",
            column=column,
            hint="Use task = \"binary\" or \"multiclass\" for labels, or convert the target to numbers.",
        )
    numbers = series.to_numpy(dtype=np.float64)
    bad = int((~np.isfinite(numbers)).sum())
    if bad:
        raise DataError(
            f"{name} has {bad:,} infinite values.",
            column=column,
            hint="Drop or correct those rows: a regression target must be a finite number.",
        )

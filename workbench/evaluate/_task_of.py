"""Which task a review is about: the name given, else the model's kind, else the target's values.

The fairness and SHAP reviews take ``task=None`` by default. A fitted scikit-learn regressor
is a regression; a classifier is binary with two classes and multiclass with more; a model
of neither kind (or no model) leaves the decision to the target, read by
:func:`workbench.tasks.task_of_values` (the rule of ``infer_task``, without the checks a
training target must pass: a test set may lack a class).
"""

from __future__ import annotations

from typing import Any

from workbench.exceptions import DataError, ModelError
from workbench.tasks import TASKS, TaskType, task_named, task_of_values

__all__ = ["check_model_task", "model_task", "resolve_task"]


def model_task(model: Any) -> TaskType | None:
    """The task a fitted model was built for, or None when the model does not say."""
    if model is None:
        return None
    from sklearn.base import is_regressor

    if is_regressor(model):
        return TASKS["regression"]
    classes = getattr(model, "classes_", None)
    if classes is not None:
        return TASKS["binary"] if len(classes) <= 2 else TASKS["multiclass"]
    return None


def check_model_task(model: Any, task: TaskType) -> None:
    """Refuse a task the model cannot answer (a regressor for a classification review, ...)."""
    found = model_task(model)
    if found is None or found.name == task.name:
        return
    classes = getattr(model, "classes_", None)
    kind = "a regressor" if classes is None else f"a {found.title} model with {len(classes)} classes"
    raise ModelError(
        f"The review was asked for task {task.name!r}, but the model is {kind}.",
        hint=f'Pass task="{found.name}" (or leave task unset to take it from the model), or review a '
        f"{task.title} model.",
    )


def resolve_task(task: str | None, *, model: Any = None, y: Any = None, review: str) -> TaskType:
    """``task`` by name, else the model's task, else the task ``y``'s values imply."""
    if task is not None:
        chosen = task_named(task)
        if model is not None:
            check_model_task(model, chosen)
        return chosen
    found = model_task(model)
    if found is not None:
        return found
    if y is None:
        raise DataError(
            f"The {review} cannot tell the task from the model ({type(model).__name__}).",
            hint=f'Pass task= as one of {", ".join(TASKS)}.',
        )
    return task_of_values(y, name="y_true")

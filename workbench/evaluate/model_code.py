"""Your own model: ``model.py`` in the project folder, with ``build_model(params) -> estimator``.

When a project holds ``model.py``, the Evaluate phase trains what its ``build_model`` returns
(an unfitted scikit-learn-compatible estimator or Pipeline) instead of the default pipeline.
``params`` are the notebook's training parameters, as a dict. Keep the model's code in that
one file: it is imported as the module ``model``, and :meth:`~workbench.tracking.TrackedRun.log_model`
logs it with the model (MLflow's ``code_paths``), so classes defined there load again in the
later phases and in other processes.

Examples
--------
A ``model.py``::

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def build_model(params):
        return make_pipeline(StandardScaler(), LogisticRegression(C=params.get("C", 1.0)))
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from workbench.exceptions import ModelError
from workbench.tasks import TaskType

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = [
    "MODEL_FILE", "MODULE_NAME", "build_own_model", "describe_error", "load_logged_model", "load_model_code",
    "model_code_path",
]

MODEL_FILE = "model.py"
# Classes in model.py are saved under this module name; the logged copy of model.py is found
# under the same name when MLflow puts the model's code folder on sys.path at load time.
MODULE_NAME = "model"


def model_code_path(project: Project) -> Path | None:
    """The project's ``model.py``, or None when it has none."""
    path = project.root / MODEL_FILE
    return path if path.is_file() else None


def load_model_code(path: Path) -> ModuleType:
    """Run ``path`` as the module ``model`` (replacing an earlier one), or a ModelError naming the error."""
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise ModelError(f"{path} cannot be imported as Python code.", hint="Name it model.py, in the project folder.")
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(MODULE_NAME)
    # Registered before it runs, as a normal import would be: the classes it defines must be
    # findable as model.<Class> when the fitted model is saved.
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # any error in the user's file: name it, with its cause chained
        if previous is None:
            sys.modules.pop(MODULE_NAME, None)
        else:
            sys.modules[MODULE_NAME] = previous
        raise ModelError(
            f"{path} failed to run: {describe_error(err)}",
            hint="Fix model.py (`python model.py` in the project folder shows the traceback).",
        ) from err
    return module


def load_logged_model(uri: str) -> Any:
    """``mlflow.sklearn.load_model(uri)``, its classes from the ``model.py`` logged with it.

    MLflow puts the model's logged code first on ``sys.path`` but reuses a ``model`` module already
    imported: another project's ``model.py``, or an earlier version of this one (a notebook or
    a long-lived process that trained or loaded a model before). That module is forgotten first,
    so the logged copy is imported; objects made from the old module keep their classes.
    """
    import mlflow.sklearn

    module = sys.modules.get(MODULE_NAME)
    if module is not None and Path(getattr(module, "__file__", None) or "").name == MODEL_FILE:
        del sys.modules[MODULE_NAME]
    return mlflow.sklearn.load_model(uri)


def build_own_model(path: Path, params: Mapping[str, Any], *, task: TaskType) -> Any:
    """The unfitted estimator ``build_model(params)`` in ``path`` returns, checked for the ``task``.

    A ModelError names the problem: no ``build_model``, an exception in it, or an answer that
    is not an estimator for the task (no ``fit``/``predict``, a regressor for classes ...).
    """
    build = getattr(load_model_code(path), "build_model", None)
    if not callable(build):
        raise ModelError(
            f"{path} has no build_model function.",
            hint="Define `def build_model(params: dict):` returning an unfitted scikit-learn estimator or Pipeline.",
        )
    try:
        model = build(dict(params))
    except Exception as err:  # the user's code: report it with the parameters it was given
        raise ModelError(
            f"build_model({dict(params)!r}) in {path} raised {describe_error(err)}",
            hint="Fix build_model; it receives the notebook's training parameters as a dict.",
        ) from err
    missing = [name for name in ("fit", "predict") if not callable(getattr(model, name, None))]
    if missing:
        raise ModelError(
            f"build_model in {path} returned {type(model).__name__} ({_short(model)}), which has no "
            f"{' or '.join(missing)} method.",
            hint="Return an unfitted scikit-learn-compatible estimator (with fit and predict), such as a Pipeline.",
        )
    _check_kind(model, path, task)
    return model


def _check_kind(model: Any, path: Path, task: TaskType) -> None:
    """Refuse a regressor for a classification task and a classifier for a regression task."""
    from sklearn.base import is_classifier, is_regressor

    wrong = is_regressor(model) if task.classifier else is_classifier(model)
    if wrong:
        kind = "regressor" if task.classifier else "classifier"
        raise ModelError(
            f"build_model in {path} returned a {kind} ({type(model).__name__}), but the project's task is {task.title}.",
            hint=f"Return a {'classifier' if task.classifier else 'regressor'}, or change [data] task in workbench.toml.",
        )


def describe_error(err: BaseException) -> str:
    """``Type: message.`` for an error raised by the user's code, ending as a sentence."""
    text = f"{type(err).__name__}: {err}".rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

"""The robust inference pipeline: a trained model wrapped with the Explore schema of its input.

:func:`wrap_model` returns a :class:`RobustModel`. Its :meth:`~RobustModel.prepare` turns a
DataFrame or JSON records into exactly the frame the model was trained on — columns in the
schema's order, values coerced to each column's kind — and says, row by row, what it repaired.
What cannot be repaired is refused with an :class:`~workbench.exceptions.InputError` whose
``problems`` name every bad row and field. Every check runs on whole columns.

The wrapper knows its model's task (binary, multiclass or regression: :mod:`workbench.develop.answers`)
and its classes; a :class:`Prediction` renders the task's answer with :meth:`Prediction.answer`.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import pandas as pd

from workbench.develop._columns import (
    COERCERS,
    NON_FINITE_POLICIES,
    RANGE_POLICIES,
    UNSEEN_POLICIES,
    Policy,
)
from workbench.develop._frames import duplicated_columns, row_count, to_source
from workbench.develop._notes import Notes
from workbench.develop.answers import Scored, answer_format, class_key, model_classes, model_task
from workbench.exceptions import InputError, ModelError, ParameterError

__all__ = ["Prediction", "RobustModel", "Screened", "wrap_model"]

# Final estimators whose predict() is the class of highest predict_proba(): one model call, not two.
_ARGMAX_CLASSIFIERS = frozenset({
    "HistGradientBoostingClassifier", "GradientBoostingClassifier", "RandomForestClassifier",
    "ExtraTreesClassifier", "DecisionTreeClassifier", "LogisticRegression", "GaussianNB",
})


@dataclasses.dataclass(frozen=True)
class Prediction:
    """Predictions for a batch, with the per-row warnings of its preparation.

    ``probabilities`` is ``(n_rows, n_classes)`` in the order of ``classes`` (None for a
    regressor, or a classifier without ``predict_proba``); ``classes`` are the model's class
    labels as plain Python values (None for a regressor); ``task`` is ``"binary"``,
    ``"multiclass"`` or ``"regression"``; ``warnings[i]`` lists what was repaired or suspicious
    in row ``i``.
    """

    predictions: np.ndarray
    probabilities: np.ndarray | None
    classes: list[Any] | None
    warnings: list[list[str]]
    task: str = "binary"

    def __len__(self) -> int:
        return len(self.predictions)

    @property
    def scored(self) -> Scored:
        return Scored(self.predictions, self.probabilities, self.classes)

    @property
    def positive_probability(self) -> np.ndarray | None:
        """The probability of the last class (the positive one for a binary model)."""
        return None if self.probabilities is None else self.probabilities[:, -1]

    def answer(self) -> dict[str, Any]:
        """The task's JSON answer: ``task``, ``classes`` (classifiers), ``predictions``, probabilities, ``warnings``.

        Binary: ``probabilities`` is the positive class's probability per row. Multiclass:
        ``probabilities`` is one ``{class: probability}`` object per row and
        ``predicted_probability`` the predicted class's. Regression: ``predictions`` only.
        """
        head: dict[str, Any] = {"task": self.task}
        if self.classes is not None:
            head["classes"] = list(self.classes)
        return {**head, **answer_format(self.task).fields(self.scored), "warnings": self.warnings}

    def to_frame(self) -> pd.DataFrame:
        """``prediction``, one ``probability_<class>`` column per class, and ``warnings``."""
        frame = pd.DataFrame({"prediction": self.predictions})
        if self.probabilities is not None and self.classes is not None:
            for i, label in enumerate(self.classes):
                frame[f"probability_{class_key(label)}"] = self.probabilities[:, i]
        frame["warnings"] = self.warnings
        return frame


@dataclasses.dataclass(frozen=True)
class Screened:
    """A prepared batch that may hold refused rows: ``bad`` marks them, ``problems`` says why.

    ``warnings`` (one list per row) is built from ``notes`` when first read: batch scoring never
    reads it, and 50,000 lists a chunk cost more than the checks themselves (the garbage
    collector walks them).
    """

    frame: pd.DataFrame
    notes: Notes
    problems: list[dict[str, Any]]
    bad: np.ndarray
    problem_count: int

    @functools.cached_property
    def warnings(self) -> list[list[str]]:
        return self.notes.warnings()


def _final_estimator(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


class RobustModel:
    """A model that checks, repairs or refuses its input against a schema before predicting.

    Build it with :func:`wrap_model`; the parameters are described there.
    """

    def __init__(self, model: Any, schema: Any, *, unseen: str = "missing", out_of_range: str = "clip",
                 non_finite: str = "missing", max_rows: int = 10_000, max_text_length: int = 10_000,
                 task: str | None = None) -> None:
        self.model = model
        self.schema = schema
        self.policy = Policy(unseen=unseen, out_of_range=out_of_range, non_finite=non_finite,
                             max_text_length=max_text_length)
        self.max_rows = max_rows
        self.names = list(schema.names)
        self._required = frozenset(self.names)
        self.task = task or model_task(model)
        self.format = answer_format(self.task)
        self.classes = model_classes(model)
        self.probabilistic = self.classes is not None and hasattr(model, "predict_proba")
        self._argmax = type(_final_estimator(model)).__name__ in _ARGMAX_CLASSIFIERS

    def __repr__(self) -> str:
        return (f"RobustModel({type(_final_estimator(self.model)).__name__}, {self.task}, {len(self.names)} columns, "
                f"unseen={self.policy.unseen!r}, out_of_range={self.policy.out_of_range!r}, max_rows={self.max_rows})")

    # -- preparation ------------------------------------------------------------------------
    def missing_columns(self, columns: Any) -> list[str]:
        """The schema's columns absent from ``columns`` (in schema order)."""
        present = self._required.intersection(columns)
        return [] if len(present) == len(self.names) else [n for n in self.names if n not in present]

    def screen(self, data: Any) -> Screened:
        """Prepare ``data``, keeping refused rows (marked in ``bad``) instead of raising.

        Problems with the whole input (wrong type, no rows, too many rows, missing or duplicated
        columns) still raise :class:`InputError`.
        """
        self._check_size(row_count(data))
        source, notes = to_source(data, Notes)
        if not source.n_rows:
            raise InputError("The input has no rows.", problems=[{"row": None, "field": None, "error": "no rows"}],
                             hint="Send at least one record.")
        self._check_columns(source.names)
        extra = [c for c in source.names if c not in self._required]
        if extra:
            shown = ", ".join(extra[:10]) + (f" and {len(extra) - 10} more" if len(extra) > 10 else "")
            notes.warn(np.ones(source.n_rows, dtype=bool), f"ignored extra column(s): {shown}")
        prepared = pd.DataFrame({col.name: self._coerce(source, col, notes) for col in self.schema.columns},
                                copy=False)
        return Screened(frame=prepared, notes=notes, problems=notes.problems(),
                        bad=notes.bad_rows(), problem_count=notes.problem_count())

    def _coerce(self, source: Any, column: Any, notes: Notes) -> np.ndarray:
        """One schema column, coerced; records of a batch that lack its key are refused."""
        raw = source.column(column.name)
        absent = source.absent(column.name)
        if absent is not None and absent.any():
            notes.problem(absent & ~notes.bad_rows(), column.name,
                          f"missing column {column.name} (other records of the batch have it)")
        return COERCERS.get(column.kind, _passthrough)(raw, column, self.policy, notes)

    def prepare(self, data: Any) -> tuple[pd.DataFrame, list[list[str]]]:
        """The model-ready frame and each row's warnings; refuses bad input with :class:`InputError`.

        Examples
        --------
        >>> frame, warnings = robust.prepare([{"size": "52000", "colour": "red"}])  # doctest: +SKIP
        >>> warnings[0]  # doctest: +SKIP
        ["size: text '52000' read as a number"]
        """
        screened = self.screen(data)
        if screened.problem_count:
            raise _refused(screened)
        if isinstance(data, pd.DataFrame):
            screened.frame.index = data.index
        return screened.frame, screened.warnings

    def predict(self, data: Any) -> Prediction:
        """Prepare ``data`` and predict; :class:`Prediction` carries the per-row warnings."""
        frame, warnings = self.prepare(data)
        predictions, probabilities = self.predict_frame(frame)
        return Prediction(predictions=predictions, probabilities=probabilities, classes=self.classes,
                          warnings=warnings, task=self.task)

    def predict_frame(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions (and class probabilities) for an already prepared frame."""
        try:
            if not self.probabilistic:
                return np.asarray(self.model.predict(frame)), None
            probabilities = np.asarray(self.model.predict_proba(frame), dtype=float)
            if self._argmax:
                return np.asarray(self.classes)[probabilities.argmax(axis=1)], probabilities
            return np.asarray(self.model.predict(frame)), probabilities
        except Exception as err:  # the model's own error on input that passed the schema
            raise ModelError(
                f"The model failed on input that passed its schema: {type(err).__name__}: {err}",
                hint="Tighten the wrapper's policies (e.g. unseen='reject') or make the model handle such values.",
            ) from err

    # -- checks on the whole input ------------------------------------------------------------
    def _check_size(self, n_rows: int) -> None:
        if n_rows > self.max_rows:
            raise InputError(
                f"{n_rows:,} rows in one batch; at most {self.max_rows:,} are accepted.",
                problems=[{"row": None, "field": None, "error": f"{n_rows} rows; at most {self.max_rows}"}],
                reason="too_many_rows", hint="Split the input into smaller batches.",
            )

    def _check_columns(self, names: list[str]) -> None:
        missing = self.missing_columns(names)
        if missing:
            raise InputError(
                f"The input lacks {len(missing)} column(s) the model needs: {', '.join(missing)}.",
                problems=[{"row": None, "field": name, "error": "missing column"} for name in missing],
                hint="Send every column of the model's schema (extra columns are ignored).",
            )
        dupes = [d for d in duplicated_columns(names) if d in self._required]
        if dupes:
            raise InputError(
                f"The input has duplicated column(s): {', '.join(dupes)}.",
                problems=[{"row": None, "field": name, "error": "duplicated column"} for name in dupes],
                hint="Send each column once.",
            )


def _passthrough(values: np.ndarray, column: Any, policy: Policy, notes: Notes) -> np.ndarray:
    return values


def _refused(screened: Screened) -> InputError:
    fields = sorted({str(p["field"]) for p in screened.problems if p["field"] is not None})
    rows = sorted({p["row"] for p in screened.problems if p["row"] is not None})
    where = f" in field(s) {', '.join(fields[:20])}" if fields else ""
    return InputError(
        f"{screened.problem_count} problem(s) in {len(rows)} row(s){where}; first: "
        f"row {screened.problems[0]['row']}: {screened.problems[0]['error']}.",
        problems=screened.problems, hint="Fix the listed values; each problem names its row and field.",
    )


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ParameterError(f"{name}={value!r} is not a policy.", name=name, value=value,
                             hint=f"Use one of: {', '.join(choices)}.")


def _check_task(model: Any, task: str | None) -> str:
    """The model's task; a ``task`` the model cannot answer is a ModelError naming both."""
    from workbench.tasks import task_named

    found = model_task(model)
    if task is None:
        return found
    expected = task_named(task).name
    if expected != found:
        classes = model_classes(model)
        what = f"a classifier of {len(classes)} classes" if classes is not None else "a regressor (no classes_)"
        raise ModelError(
            f"The task is {expected}, but the model is {what}: its answers are {found}.",
            hint=f"Train a model for the {expected} task, or set [data] task = \"{found}\" if that is the task.",
        )
    return expected


def wrap_model(model: Any, schema: Any, *, unseen: str = "missing", out_of_range: str = "clip",
               non_finite: str = "missing", max_rows: int = 10_000, max_text_length: int = 10_000,
               task: str | None = None) -> RobustModel:
    """Wrap a fitted scikit-learn model with the schema of its input.

    Parameters
    ----------
    model
        A fitted estimator or Pipeline that takes a DataFrame with the schema's columns.
    schema : Schema
        The Explore schema of the training input (``model_schema(model_uri)``).
    unseen : {"missing", "keep", "reject"}
        A category not seen in training becomes a missing value (default), is passed on as
        it is, or refuses the row. Each is a warning on the row, or a problem when refused.
    out_of_range : {"clip", "warn", "reject"}
        A number outside the schema's range (the training range widened by its tolerance) is
        clipped to it (default), passed on, or refuses the row.
    non_finite : {"missing", "reject"}
        Infinities become missing values (default) or refuse the row.
    max_rows : int
        The largest batch accepted; a larger one raises ``InputError(reason="too_many_rows")``.
    max_text_length : int
        Free-text values are cut to this many characters.
    task : {"binary", "multiclass", "regression"}, optional
        The task the model must answer (checked); None: read from the model (classes_ and
        their number). It decides the answer's shape (:mod:`workbench.develop.answers`).

    Examples
    --------
    >>> robust = wrap_model(model, model_schema(model_uri))  # doctest: +SKIP
    >>> robust.predict(records).warnings  # doctest: +SKIP
    """
    _check_choice("unseen", unseen, UNSEEN_POLICIES)
    _check_choice("out_of_range", out_of_range, RANGE_POLICIES)
    _check_choice("non_finite", non_finite, NON_FINITE_POLICIES)
    if not hasattr(model, "predict"):
        raise ModelError(f"A {type(model).__name__} cannot predict.", hint="Pass a fitted scikit-learn model.")
    if schema is None or not getattr(schema, "columns", None):
        raise ModelError("The model has no input schema to check requests against.",
                         hint="Log the model with run.log_model(..., schema=infer_schema(X_train)).")
    if int(max_rows) < 1:
        raise ParameterError(f"max_rows must be at least 1, not {max_rows}.", name="max_rows", value=max_rows)
    return RobustModel(model, schema, unseen=unseen, out_of_range=out_of_range, non_finite=non_finite,
                       max_rows=int(max_rows), max_text_length=int(max_text_length), task=_check_task(model, task))

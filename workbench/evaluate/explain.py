"""The SHAP review: what drives the model's output, per original input column and per feature.

:func:`explain` picks shap's explainer for the model: ``TreeExplainer`` for tree ensembles
(scikit-learn's HistGradientBoosting, RandomForest, GradientBoosting, ExtraTrees, decision
trees; XGBoost, LightGBM, CatBoost; scikit-learn's run through ``_tree_shap``, the same exact
values several times faster, and LightGBM's and XGBoost's through their own TreeSHAP), ``LinearExplainer`` for scikit-learn linear models, and
otherwise the sampled model-agnostic ``KernelExplainer`` (the report states how many rows it
explained, its background size and the coalitions sampled per row). A ``Pipeline`` is explained through its preprocessing: the final estimator
on the transformed features, whose attributions are summed back into the original columns
(one-hot columns add up to their categorical column; see ``_features``).

The report keeps global importance (mean |SHAP|) per column and per feature, and one seeded
sample of ``display_rows`` rows (SHAP per column, the raw values, the model output) from which
the beeswarm, dependence and per-row waterfall views are drawn without recomputation.

What is explained follows the task: a binary classifier's score of its explained class (the
positive, last one by default); a regressor's prediction, in the target's units; for a
multiclass classifier each class's score, so the report keeps per class its importance and
sample (``class_views``), and the overall importance of a column is its mean |SHAP| summed
over the classes. The top-level sample (``values``, ``outputs``, ``base_value``) is one class's:
the class the model predicts most often on the explained rows, unless ``class_index`` names one;
:meth:`ExplanationReport.for_class` gives the same report seen from another class.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Self

import numpy as np
import pandas as pd

from workbench.evaluate._budget import importance_intervals
from workbench.evaluate._checks import check_same_length, model_name
from workbench.evaluate._class_view import ClassView, Rows, intervals_from_dict, view_from_dict
from workbench.evaluate._explain_inputs import (
    check_budget,
    check_class_index,
    checked_background,
    display_values,
    kinds,
    mapping_warnings,
)
from workbench.evaluate._explainers import Attributions, attributions
from workbench.evaluate._features import feature_map, input_columns, split_pipeline
from workbench.evaluate._task_of import model_task, resolve_task
from workbench.exceptions import DataError
from workbench.reports.base import Report
from workbench.tasks import TASKS, TaskType

__all__ = ["ClassView", "ExplanationReport", "explain", "explain_row"]

@dataclasses.dataclass(frozen=True, kw_only=True)
class ExplanationReport(Report):
    """SHAP attributions: global importance, and a row sample for beeswarm, dependence, waterfall.

    ``values[r][c]`` is the attribution of ``columns[c]`` for sample row ``rows[r]``;
    ``base_value + sum(values[r]) == outputs[r]`` (the model output in ``output`` units).
    ``task`` is the task explained; a multiclass report names its ``classes``, keeps one
    :class:`ClassView` per class, and its top-level sample is ``explained_class``'s.
    """

    kind = "explanation"
    title = "Model explanation (SHAP)"
    model: str
    explainer: str
    output: str
    n_rows: int
    n_explained: int
    background_size: int | None
    sample_note: str
    base_value: float
    column_importance: dict[str, float]
    feature_importance: dict[str, float]
    feature_columns: dict[str, str]
    columns: tuple[str, ...]
    column_kinds: dict[str, str]
    rows: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]
    data: dict[str, tuple[Any, ...]]
    outputs: tuple[float, ...]
    seed: int = 0
    warnings: tuple[str, ...] = ()
    task: str = "binary"
    classes: tuple[str, ...] = ()
    explained_class: str = ""
    class_views: tuple[ClassView, ...] = ()
    budget_s: float | None = None
    column_importance_interval: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    feature_importance_interval: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    interval_note: str = ""

    @property
    def estimated(self) -> bool:
        """Whether the importances are estimates from a sample of the rows (see ``*_interval``)."""
        return self.n_explained < self.n_rows

    def importance_by_column(self) -> dict[str, float]:
        """Mean |SHAP| per original input column, largest first (multiclass: summed over the classes)."""
        return dict(self.column_importance)

    def importance_by_class(self) -> dict[str, dict[str, float]]:
        """Per class (multiclass), mean |SHAP| per input column, largest first; empty otherwise."""
        return {view.label: dict(view.column_importance) for view in self.class_views}

    def class_view(self, label: str) -> ClassView:
        """The :class:`ClassView` of class ``label``, or a DataError naming the classes."""
        for view in self.class_views:
            if view.label == str(label):
                return view
        known = ", ".join(self.classes) or "none: this is not a multiclass explanation"
        raise DataError(f"The explanation has no class '{label}' (its classes: {known}).")

    def for_class(self, label: str) -> ExplanationReport:
        """This report seen from class ``label``: its sample, base value, output and importance.

        The beeswarm, dependence and waterfall views of a multiclass report are drawn from it.
        """
        view = self.class_view(label)
        return dataclasses.replace(
            self, explained_class=view.label, output=view.output, base_value=view.base_value,
            column_importance=dict(view.column_importance), values=view.values, outputs=view.outputs,
            column_importance_interval=dict(view.column_importance_interval),
        )

    def without_rows(self) -> ExplanationReport:
        """A copy with no row-level value (sample rows, attributions, outputs): aggregates only."""
        views = tuple(dataclasses.replace(v, values=(), outputs=()) for v in self.class_views)
        return dataclasses.replace(
            self, rows=(), values=(), outputs=(), data={c: () for c in self.columns}, class_views=views,
        )

    def column_values(self, column: str) -> tuple[tuple[Any, ...], tuple[float, ...]]:
        """``(raw values, SHAP values)`` of ``column`` over the sample rows (dependence data)."""
        if column not in self.columns:
            raise DataError(f"The explanation has no column '{column}'.", column=column)
        position = self.columns.index(column)
        return self.data[column], tuple(row[position] for row in self.values)

    def row(self, position: int) -> dict[str, Any]:
        """One sample row's waterfall data: base value, output, and (column, value, SHAP) items."""
        items = [
            {"column": c, "value": self.data[c][position], "shap": self.values[position][i]}
            for i, c in enumerate(self.columns)
        ]
        items.sort(key=lambda item: abs(item["shap"]), reverse=True)
        return {"row": self.rows[position], "base_value": self.base_value, "output": self.outputs[position], "items": items}

    def summary(self) -> str:
        top = ", ".join(list(self.column_importance)[:3])
        over = f" (over {len(self.classes)} classes)" if self.classes else ""
        return f"SHAP ({self.explainer}) on {self.n_explained:,} rows of {self.model}: top drivers{over} {top}"

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        if "task" not in payload and payload.get("output") == "predicted value":  # saved before tasks were named
            payload["task"] = "regression"
        return cls(
            classes=tuple(payload.pop("classes", ())),
            class_views=tuple(view_from_dict(v) for v in payload.pop("class_views", ())),
            columns=tuple(payload.pop("columns")),
            rows=tuple(payload.pop("rows")),
            values=tuple(tuple(math.nan if v is None else v for v in row) for row in payload.pop("values")),
            data={k: tuple(v) for k, v in payload.pop("data").items()},
            outputs=tuple(math.nan if v is None else v for v in payload.pop("outputs")),
            warnings=tuple(payload.pop("warnings")),
            column_importance_interval=intervals_from_dict(payload.pop("column_importance_interval", {})),
            feature_importance_interval=intervals_from_dict(payload.pop("feature_importance_interval", {})),
            **payload,
        )


def explain(
    model: Any,
    X: Any,
    *,
    background: Any = None,
    max_rows: int = 10_000,
    max_samples: int = 200,
    background_size: int = 100,
    display_rows: int = 500,
    class_index: int | None = None,
    task: str | None = None,
    seed: int = 0,
    budget_s: float | None = None,
) -> ExplanationReport:
    """Explain a fitted model's output on the rows of ``X`` with SHAP.

    Parameters
    ----------
    model : fitted estimator or Pipeline
    X : DataFrame or array
        The rows to explain, with the columns the model takes.
    background : DataFrame, optional
        Reference rows for the linear and model-agnostic explainers (default: a sample of ``X``).
    max_rows : int
        Rows explained by the tree and linear explainers (a seeded sample beyond that).
    max_samples : int
        Rows explained by the model-agnostic explainer, whose cost grows with each row.
    background_size : int
        Background rows kept by the linear and model-agnostic explainers.
    display_rows : int
        Rows kept in the report for the beeswarm, dependence and waterfall views.
    class_index : int, optional
        Binary: the explained class (default: the last class, the positive one). Multiclass:
        the class whose sample the report shows first (default: the class the model predicts
        most often on the explained rows); every class is explained either way.
    task : str, optional
        ``"binary"``, ``"multiclass"`` or ``"regression"``; by default the model's (a regressor,
        or a classifier with two or more classes). It must agree with the model.
    seed : int
        Seeds every sample.
    budget_s : float, optional
        Seconds the review may take. Rows are then explained exactly, in a seeded random order,
        until the time is spent; the importances become estimates from those rows, each with a
        bootstrap interval (``column_importance_interval``, ``feature_importance_interval``,
        stated in ``interval_note``), and ``sample_note`` says how many rows were explained and
        why. Any single row stays exactly explainable with :func:`explain_row`.

    Returns
    -------
    ExplanationReport
        ``importance_by_column()`` (mean |SHAP| per original column, sorted; multiclass: summed
        over the classes, with ``importance_by_class()`` per class), ``feature_importance`` per
        transformed feature, and the sample rows' attributions (``for_class(label)`` for
        another class of a multiclass model).

    Examples
    --------
    >>> report = wb.explain(model, split.X_test)  # doctest: +SKIP
    >>> list(report.importance_by_column())[:3]  # doctest: +SKIP
    """
    if not isinstance(X, (pd.DataFrame, np.ndarray)) or np.ndim(X) != 2:
        raise DataError(f"X must be a DataFrame or a 2-D array of rows, not {type(X).__name__}.")
    started = time.perf_counter()
    n_rows = check_same_length(X=X)
    check_budget(budget_s)
    background = checked_background(background, X)
    kind = _task(task, model)
    preprocess, estimator = split_pipeline(model)
    multiclass = kind.name == "multiclass"
    check_class_index(class_index, estimator)
    found = attributions(
        estimator, X, preprocess, seed=seed, background=background, max_rows=max_rows,
        max_samples=max_samples, background_size=background_size, class_index=class_index, every_class=multiclass,
        budget_s=budget_s, started=started,
    )
    mapping = feature_map(preprocess, input_columns(X), found.values.shape[1])
    per_column = np.moveaxis(np.moveaxis(found.values, 2, 1) @ mapping.matrix(), 1, 2)  # rows × columns × outputs
    shown = np.random.default_rng(seed + 1).permutation(found.values.shape[0])[:display_rows]
    shown.sort()
    chosen = _chosen_output(found, class_index) if multiclass else 0
    return ExplanationReport(
        model=model_name(model),
        explainer=found.explainer,
        output=found.describes[chosen],
        n_rows=n_rows,
        n_explained=int(found.values.shape[0]),
        background_size=found.background_size,
        sample_note=found.note,
        base_value=float(found.base_values[chosen]),
        column_importance=_ranked(mapping.columns, per_column),
        feature_importance=_ranked(mapping.features, found.values),
        feature_columns={f: mapping.columns[o] for f, o in zip(mapping.features, mapping.owner, strict=True)},
        columns=mapping.columns,
        column_kinds=kinds(X, mapping.columns),
        rows=tuple(str(found.row_labels[i]) for i in shown),
        values=_table(per_column[shown, :, chosen]),
        data=display_values(X, found, mapping.columns, shown),
        outputs=_outputs(found.base_values[chosen], per_column[shown, :, chosen]),
        seed=seed,
        warnings=mapping_warnings(mapping.unmapped),
        task=kind.name,
        classes=found.labels if multiclass else (),
        explained_class=found.labels[chosen] if multiclass else "",
        class_views=_class_views(found, per_column, mapping.columns, shown, n_rows, seed) if multiclass else (),
        budget_s=budget_s,
        **_errors(mapping, found.values, per_column, n_rows, seed),
    )


def _errors(mapping: Any, values: np.ndarray, per_column: np.ndarray, n_rows: int, seed: int) -> dict[str, Any]:
    """Intervals on the importances when they are estimated from a sample of the rows; none otherwise."""
    if values.shape[0] >= n_rows:
        return {}
    columns, note = importance_intervals(mapping.columns, per_column, seed=seed)
    features, _ = importance_intervals(mapping.features, values, seed=seed)
    return {
        "column_importance_interval": columns,
        "feature_importance_interval": features,
        "interval_note": f"Importances are estimated from {values.shape[0]:,} of {n_rows:,} rows: {note}"
        + ("; each class's importances have intervals of their own, made the same way." if values.shape[2] > 1 else "."),
    }




def explain_row(model: Any, row: Any, *, class_index: int | None = None, task: str | None = None) -> ExplanationReport:
    """The exact SHAP explanation of one row (e.g. the one a user picks in a budgeted review).

    Parameters
    ----------
    model : fitted estimator or Pipeline
    row : one-row DataFrame, Series, or 1-D array
        The row, with the columns the model takes.
    class_index, task
        As for :func:`explain`.

    Returns
    -------
    ExplanationReport
        A one-row report; ``report.row(0)`` is the row's waterfall (base value, output, and each
        column's value and SHAP value, largest first).

    Examples
    --------
    >>> wb.explain_row(model, split.X_test.iloc[[7]]).row(0)["items"][0]  # doctest: +SKIP
    """
    if isinstance(row, pd.Series):
        row = row.to_frame().T.infer_objects()
    elif isinstance(row, np.ndarray) and row.ndim == 1:
        row = row[None, :]
    if not isinstance(row, (pd.DataFrame, np.ndarray)) or np.ndim(row) != 2 or len(row) != 1:
        shape = f"{len(row)} rows" if isinstance(row, (pd.DataFrame, np.ndarray)) and np.ndim(row) == 2 else type(row).__name__
        raise DataError(
            f"explain_row takes one row, not {shape}.",
            hint="Pass one row, e.g. X.iloc[[i]] (a one-row DataFrame) or X.iloc[i] (a Series).",
        )
    return explain(model, row, max_rows=1, display_rows=1, class_index=class_index, task=task)


def _task(task: str | None, model: Any) -> TaskType:
    """The task explained: ``task`` (checked against the model), else the model's own.

    A model that is neither a scikit-learn regressor nor has ``classes_`` has its ``predict``
    explained, as a regressor's would be.
    """
    if task is None and model_task(model) is None:
        return TASKS["regression"]
    return resolve_task(task, model=model, review="SHAP review")




def _chosen_output(found: Attributions, class_index: int | None) -> int:
    """The class shown first: ``class_index``, else the one predicted most often on the explained rows."""
    if class_index is not None:
        return class_index
    predicted = np.argmax(found.outputs, axis=1)  # scores and probabilities both peak at the predicted class
    return int(np.bincount(predicted, minlength=found.values.shape[2]).argmax())


def _table(values: np.ndarray) -> Rows:
    return tuple(tuple(float(v) for v in row) for row in values)


def _outputs(base_value: float, values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in base_value + values.sum(axis=1))


def _class_views(
    found: Attributions, per_column: np.ndarray, columns: tuple[str, ...], shown: np.ndarray, n_rows: int, seed: int,
) -> tuple[ClassView, ...]:
    """Per class: its importance over every explained row (with intervals if estimated), and its sample rows."""
    estimated = per_column.shape[0] < n_rows
    return tuple(
        ClassView(
            label=label, output=found.describes[k], base_value=float(found.base_values[k]),
            column_importance=_ranked(columns, per_column[:, :, k]),
            values=_table(per_column[shown, :, k]), outputs=_outputs(found.base_values[k], per_column[shown, :, k]),
            column_importance_interval=importance_intervals(columns, per_column[:, :, [k]], seed=seed)[0] if estimated else {},
        )
        for k, label in enumerate(found.labels)
    )




def _ranked(names: tuple[str, ...], values: np.ndarray) -> dict[str, float]:
    """Mean |SHAP| per name over the rows, summed over the outputs (classes), largest first."""
    importance = np.abs(values).mean(axis=0)
    if importance.ndim == 2:
        importance = importance.sum(axis=1)
    order = np.argsort(-importance, kind="stable")
    return {names[i]: float(importance[i]) for i in order}






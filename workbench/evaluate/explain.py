"""The SHAP review: what drives the model's output, per original input column and per feature.

:func:`explain` picks shap's explainer for the model: ``TreeExplainer`` for tree ensembles
(scikit-learn's HistGradientBoosting, RandomForest, GradientBoosting, ExtraTrees, decision
trees; XGBoost, LightGBM, CatBoost), ``LinearExplainer`` for scikit-learn linear models, and
otherwise the sampled model-agnostic ``KernelExplainer`` (the report states how many rows it
explained, its background size and the coalitions sampled per row). A ``Pipeline`` is explained through its preprocessing: the final estimator
on the transformed features, whose attributions are summed back into the original columns
(one-hot columns add up to their categorical column; see ``_features``).

The report keeps global importance (mean |SHAP|) per column and per feature, and one seeded
sample of ``display_rows`` rows (SHAP per column, the raw values, the model output) from which
the beeswarm, dependence and per-row waterfall views are drawn without recomputation.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Self

import numpy as np
import pandas as pd

from workbench.evaluate._checks import check_same_length, model_name
from workbench.evaluate._explainers import Attributions, attributions
from workbench.evaluate._features import feature_map, input_columns, split_pipeline
from workbench.exceptions import DataError
from workbench.reports.base import Report

__all__ = ["ExplanationReport", "explain"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ExplanationReport(Report):
    """SHAP attributions: global importance, and a row sample for beeswarm, dependence, waterfall.

    ``values[r][c]`` is the attribution of ``columns[c]`` for sample row ``rows[r]``;
    ``base_value + sum(values[r]) == outputs[r]`` (the model output in ``output`` units).
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

    def importance_by_column(self) -> dict[str, float]:
        """Mean |SHAP| per original input column, largest first."""
        return dict(self.column_importance)

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
        return f"SHAP ({self.explainer}) on {self.n_explained:,} rows of {self.model}: top drivers {top}"

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        return cls(
            columns=tuple(payload.pop("columns")),
            rows=tuple(payload.pop("rows")),
            values=tuple(tuple(math.nan if v is None else v for v in row) for row in payload.pop("values")),
            data={k: tuple(v) for k, v in payload.pop("data").items()},
            outputs=tuple(math.nan if v is None else v for v in payload.pop("outputs")),
            warnings=tuple(payload.pop("warnings")),
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
    seed: int = 0,
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
        The explained class of a classifier (default: the last class, the positive one).
    seed : int
        Seeds every sample.

    Returns
    -------
    ExplanationReport
        ``importance_by_column()`` (mean |SHAP| per original column, sorted), ``feature_importance``
        per transformed feature, and the sample rows' attributions.

    Examples
    --------
    >>> report = wb.explain(model, split.X_test)  # doctest: +SKIP
    >>> list(report.importance_by_column())[:3]  # doctest: +SKIP
    """
    if not isinstance(X, (pd.DataFrame, np.ndarray)) or np.ndim(X) != 2:
        raise DataError(f"X must be a DataFrame or a 2-D array of rows, not {type(X).__name__}.")
    n_rows = check_same_length(X=X)
    background = _checked_background(background, X)
    preprocess, estimator = split_pipeline(model)
    found = attributions(
        estimator, X, preprocess, seed=seed, background=background, max_rows=max_rows,
        max_samples=max_samples, background_size=background_size, class_index=class_index,
    )
    mapping = feature_map(preprocess, input_columns(X), found.values.shape[1])
    per_column = found.values @ mapping.matrix()
    shown = np.random.default_rng(seed + 1).permutation(found.values.shape[0])[:display_rows]
    shown.sort()
    return ExplanationReport(
        model=model_name(model),
        explainer=found.explainer,
        output=found.output,
        n_rows=n_rows,
        n_explained=int(found.values.shape[0]),
        background_size=found.background_size,
        sample_note=found.note,
        base_value=found.base_value,
        column_importance=_ranked(mapping.columns, per_column),
        feature_importance=_ranked(mapping.features, found.values),
        feature_columns={f: mapping.columns[o] for f, o in zip(mapping.features, mapping.owner, strict=True)},
        columns=mapping.columns,
        column_kinds=_kinds(X, mapping.columns),
        rows=tuple(str(found.row_labels[i]) for i in shown),
        values=tuple(tuple(float(v) for v in row) for row in per_column[shown]),
        data=_display_values(X, found, mapping.columns, shown),
        outputs=tuple(float(v) for v in found.base_value + per_column[shown].sum(axis=1)),
        seed=seed,
        warnings=_mapping_warnings(mapping.unmapped),
    )


def _checked_background(background: Any, X: Any) -> Any:
    """``background`` with ``X``'s columns in ``X``'s order, or a DataError naming what is wrong."""
    if background is None:
        return None
    hint = "Pass background= as rows with the same columns as X (e.g. a sample of the training rows)."
    if isinstance(X, pd.DataFrame):
        if not isinstance(background, pd.DataFrame):
            raise DataError(f"background must be a DataFrame with the columns of X, not {type(background).__name__}.", hint=hint)
        missing = [str(c) for c in X.columns if c not in background.columns]
        if missing:
            raise DataError(
                f"background lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} of X.",
                column=missing[0], hint=hint,
            )
        checked = background[list(X.columns)]
    else:
        checked = np.asarray(background)
        if checked.ndim != 2 or checked.shape[1] != np.shape(X)[1]:
            raise DataError(f"background has shape {checked.shape}; X has {np.shape(X)[1]} columns.", hint=hint)
    if len(checked) == 0:
        raise DataError("background has no rows.", hint=hint)
    return checked


def _ranked(names: tuple[str, ...], values: np.ndarray) -> dict[str, float]:
    importance = np.abs(values).mean(axis=0)
    order = np.argsort(-importance, kind="stable")
    return {names[i]: float(importance[i]) for i in order}


def _kinds(X: Any, columns: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(X, pd.DataFrame):
        return dict.fromkeys(columns, "numeric")
    numeric = {str(c) for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])}
    return {c: "numeric" if c in numeric else "categorical" for c in columns}


def _display_values(X: Any, found: Attributions, columns: tuple[str, ...], shown: np.ndarray) -> dict[str, tuple[Any, ...]]:
    """The raw input values of the sample rows (numbers as floats, categories as strings)."""
    rows = found.row_positions[shown]
    frame = X.iloc[rows] if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X)[rows], columns=input_columns(X))
    frame.columns = [str(c) for c in frame.columns]
    out: dict[str, tuple[Any, ...]] = {}
    for column in columns:
        if column not in frame.columns:  # a feature that no input column owns
            out[column] = tuple([None] * len(rows))
            continue
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            out[column] = tuple(None if not math.isfinite(v) else float(v) for v in values)
        else:
            out[column] = tuple(None if pd.isna(v) else str(v) for v in series.astype(object))
    return out


def _mapping_warnings(unmapped: tuple[str, ...]) -> tuple[str, ...]:
    if not unmapped:
        return ()
    return (f"No input column could be found for the features {', '.join(unmapped)}; they are reported on their own.",)

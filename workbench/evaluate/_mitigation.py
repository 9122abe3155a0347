"""Mitigation comparison: the model against fairlearn's ``ThresholdOptimizer`` on the same rows.

The optimizer keeps the fitted model and picks a threshold per group (over all sensitive
features jointly) under a fairness constraint; comparing accuracy and disparities before and
after shows what a fairer decision rule would cost.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from workbench.evaluate._checks import check_probabilistic, positive_scores
from workbench.exceptions import DataError

__all__ = ["CONSTRAINTS", "MitigationResult", "check_mitigation_inputs", "compare_mitigations"]

NEEDS = "it re-thresholds the model's probability of the positive label per group"

CONSTRAINTS = ("demographic_parity", "equalized_odds")
OTHER = "(other)"


@dataclasses.dataclass(frozen=True, kw_only=True)
class MitigationResult:
    """One decision rule's accuracy, selection rate and disparities (over the joint groups)."""

    strategy: str
    accuracy: float
    selection_rate: float
    demographic_parity_difference: float
    equalized_odds_difference: float


def _result(strategy: str, y: np.ndarray, p: np.ndarray, groups: pd.DataFrame) -> MitigationResult:
    """Scores of 0/1 predictions ``p`` against 0/1 labels ``y``."""
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

    features = groups.iloc[:, 0] if groups.shape[1] == 1 else groups
    return MitigationResult(
        strategy=strategy,
        accuracy=float(np.mean(y == p)),
        selection_rate=float(np.mean(p)),
        demographic_parity_difference=float(demographic_parity_difference(y, p, sensitive_features=features)),
        equalized_odds_difference=float(equalized_odds_difference(y, p, sensitive_features=features)),
    )


def compare_mitigations(
    model: Any,
    X: Any,
    truth: np.ndarray,
    sensitive: pd.DataFrame,
    *,
    positive: Any,
    seed: int,
    fit_data: tuple[Any, Any, Any] | None = None,
) -> tuple[tuple[MitigationResult, ...], str]:
    """The model and a ``ThresholdOptimizer`` per constraint, and a note on how they were fitted.

    The optimizer needs both labels in every group it fits: groups without them (or unseen
    when fitting) are pooled into one ``(other)`` group, and the note names them.
    """
    # assess_fairness ran check_mitigation_inputs before its bootstrap. The optimizer only needs the positive-class probability: compute it once per row set and
    # hand the optimizer that single column, so the model is not called again per constraint.
    scores = _positive_probability(model, X, positive)
    y = (truth == positive).astype(int)
    if fit_data is None:
        fit_scores, fit_labels, fit_groups = scores, y, _joint(sensitive)
        note = "ThresholdOptimizer fitted on the evaluated rows (optimistic); pass mitigation_data to fit it on held-out rows."
    else:
        fit_X, fit_y, fit_sensitive = fit_data
        fit_scores = _positive_probability(model, fit_X, positive)
        fit_labels = (np.asarray(fit_y) == positive).astype(int)
        fit_groups = _joint(pd.DataFrame(fit_sensitive))
        note = f"ThresholdOptimizer fitted on {len(fit_labels):,} separate rows."
    groups, pooled = _pool(fit_groups, fit_labels, _joint(sensitive))
    fit_groups = np.where(np.isin(fit_groups, pooled), OTHER, fit_groups)
    as_is = (np.asarray(model.predict(X)) == positive).astype(int)
    results = [_result("model as is", y, as_is, sensitive)]
    for constraint in CONSTRAINTS:
        mitigated = _optimize(constraint, fit_scores, fit_labels, fit_groups, scores, groups, seed)
        results.append(_result(f"thresholds for {constraint.replace('_', ' ')}", y, mitigated, sensitive))
    note += " Sensitive features used jointly: " + ", ".join(sensitive.columns) + "."
    if pooled:
        note += f" Pooled into {OTHER} (one label only, or unseen): {', '.join(pooled)}."
    return tuple(results), note


def _joint(frame: pd.DataFrame) -> np.ndarray:
    """One group label per row: the sensitive values joined (``F, 26-40``)."""
    text = frame.astype(object).where(frame.notna(), "(missing)").astype(str)
    return text.agg(", ".join, axis=1).to_numpy() if text.shape[1] > 1 else text.iloc[:, 0].to_numpy()


def _pool(fit_groups: np.ndarray, fit_labels: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Evaluated group labels with unusable groups pooled, and the pooled group names.

    A group is unusable with one label only (or when absent from the fitting rows); if the
    pool itself lacks a label, the smallest usable groups join it until it has both.
    """
    table = pd.crosstab(fit_groups, fit_labels).reindex(columns=[0, 1], fill_value=0)
    usable = [str(g) for g in table.index if (table.loc[g] > 0).all()]
    pooled = sorted({str(g) for g in (*fit_groups, *groups)} - set(usable))
    by_size = sorted(usable, key=lambda g: int(table.loc[g].sum()))
    while pooled and by_size and not (table.reindex(pooled).fillna(0).sum() > 0).all():
        pooled.append(by_size.pop(0))
    return np.where(np.isin(groups, pooled), OTHER, groups), pooled


def _optimize(
    constraint: str, fit_scores: np.ndarray, fit_labels: np.ndarray, fit_groups: np.ndarray,
    scores: np.ndarray, groups: np.ndarray, seed: int,
) -> np.ndarray:
    from fairlearn.postprocessing import ThresholdOptimizer

    optimizer = ThresholdOptimizer(
        estimator=_ScoreColumn(), constraints=constraint, prefit=True,
        predict_method="predict_proba", objective="accuracy_score",
    )
    optimizer.fit(fit_scores, fit_labels, sensitive_features=fit_groups)
    return np.asarray(optimizer.predict(scores, sensitive_features=groups, random_state=seed)).astype(int)


def check_mitigation_inputs(model: Any, X: Any) -> None:
    """The comparison re-thresholds a fitted model's probabilities: it needs both, and predict_proba."""
    if model is None or X is None:
        raise DataError(
            "The mitigation comparison needs the model and X (it re-thresholds the model's probabilities).",
            hint="Pass model= and X=, or mitigate=False.",
        )
    check_probabilistic(model, review="mitigation comparison", needs=NEEDS)


def _positive_probability(model: Any, X: Any, positive: Any) -> np.ndarray:
    """The positive label's probability as the one input column the optimizer reads."""
    return positive_scores(model, X, positive, review="mitigation comparison", needs=NEEDS)[:, None]


class _ScoreColumn(ClassifierMixin, BaseEstimator):
    """A fitted 0/1 "classifier" whose single input column is already its positive probability."""

    def __init__(self) -> None:
        self.classes_ = np.array([0, 1])  # nothing to learn: the model behind the scores is fitted

    def fit(self, X: Any, y: Any) -> _ScoreColumn:
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        p = np.asarray(X, dtype=np.float64)[:, 0]
        return np.column_stack([1 - p, p])

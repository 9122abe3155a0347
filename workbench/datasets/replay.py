"""Weeks of production traffic made from any project's held-out rows, with planted, generic drift.

:func:`replay_weeks` samples each week's rows (seeded, each row at most once) from the rows a
project held out of training and applies that week's scenario from :data:`REPLAY_SCENARIOS`. The scenarios know
nothing about the dataset: they act on its most important numeric columns, its categorical
columns and its target, whatever they are called. Monitor (notebook 06) logs the weeks as the
service would and reviews them; the planted changes are what its alerts should catch.

Examples
--------
>>> weeks = replay_weeks(held_out, target="churned", task="binary", rows_per_week=200, seed=0)  # doctest: +SKIP
>>> [(w.scenario, w.changed) for w in weeks]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from workbench.exceptions import DataError, ParameterError
from workbench.tasks import infer_task, task_named

__all__ = ["DEFAULT_WEEKS", "REPLAY_SCENARIOS", "ReplayScenario", "ReplayWeek", "replay_weeks"]

DEFAULT_WEEKS = ("none", "none", "covariate_shift", "covariate_shift", "new_category", "concept_drift")
# Covariate shift moves this many of the most important numeric columns (more than two values) by
# SHIFT_SDS standard deviations: far enough for the drift tests to see it in a few dozen rows.
SHIFT_COLUMNS = 3
SHIFT_SDS = 2.0
NEW_CATEGORY_SHARE = 0.3
RELABELLED_SHARE = 0.5
UNSEEN = "never-seen-before"


@dataclasses.dataclass(frozen=True)
class ReplayWeek:
    """One week of traffic: its rows (features and target), the scenario, and what it changed."""

    week: int
    scenario: str
    frame: pd.DataFrame
    changed: tuple[str, ...]
    note: str

    def describe(self) -> str:
        return f"week {self.week + 1}: {self.scenario:<16} {len(self.frame):>5} rows  {self.note}"


@dataclasses.dataclass(frozen=True)
class _Context:
    target: str
    classifier: bool
    numeric: tuple[str, ...]      # most important first
    categorical: tuple[str, ...]  # most important first
    reference: pd.DataFrame       # all held-out rows: the scale of a shift, the classes
    severity: float


@dataclasses.dataclass(frozen=True)
class ReplayScenario:
    """A named change applied to a week's rows: returns the rows, the changed columns and a note."""

    name: str
    description: str
    apply: Callable[[pd.DataFrame, _Context, np.random.Generator], tuple[pd.DataFrame, tuple[str, ...], str]]


def _none(rows: pd.DataFrame, context: _Context, rng: np.random.Generator) -> tuple[pd.DataFrame, tuple[str, ...], str]:
    return rows, (), "rows as held out"


def _covariate_shift(rows: pd.DataFrame, context: _Context,
                     rng: np.random.Generator) -> tuple[pd.DataFrame, tuple[str, ...], str]:
    columns = context.numeric[:SHIFT_COLUMNS]
    if not columns:
        return rows, (), "no numeric column: rows unchanged"
    rows = rows.copy()
    for column in columns:
        values = context.reference[column].astype(float)
        scale = float(values.std()) if values.notna().sum() > 1 else 0.0
        step = SHIFT_SDS * context.severity * (scale if scale > 0 else max(abs(float(values.mean())), 1.0))
        shifted = rows[column].astype(float) + step
        is_int = pd.api.types.is_integer_dtype(rows[column])
        rows[column] = shifted.round().astype(rows[column].dtype) if is_int and shifted.notna().all() else shifted
    return rows, columns, f"{', '.join(columns)} moved up by {SHIFT_SDS * context.severity:g} standard deviations"


def _new_category(rows: pd.DataFrame, context: _Context,
                  rng: np.random.Generator) -> tuple[pd.DataFrame, tuple[str, ...], str]:
    if not context.categorical:
        return rows, (), "no categorical column: rows unchanged"
    column = context.categorical[0]
    rows = rows.copy()
    value = UNSEEN
    known = set(context.reference[column].dropna().astype(str))
    while value in known:
        value += "-again"
    chosen = rng.random(len(rows)) < min(1.0, NEW_CATEGORY_SHARE * context.severity)
    rows[column] = rows[column].astype(object).where(~chosen, value)
    return rows, (column,), f"{int(chosen.sum())} rows of {column} = {value!r}, a category never seen in training"


def _concept_drift(rows: pd.DataFrame, context: _Context,
                   rng: np.random.Generator) -> tuple[pd.DataFrame, tuple[str, ...], str]:
    rows = rows.copy()
    chosen = np.flatnonzero(rng.random(len(rows)) < min(1.0, RELABELLED_SHARE * context.severity))
    labels = rows[context.target].to_numpy(copy=True)
    if context.classifier:
        classes = np.asarray(pd.unique(context.reference[context.target].dropna()))
        for i in chosen:  # another class for each chosen row (a few hundred rows at most)
            others = classes[classes != labels[i]]
            if len(others):
                labels[i] = others[rng.integers(len(others))]
        how = "given another class"
    else:
        labels[chosen] = labels[rng.permutation(chosen)]
        how = "given another row's value"
    rows[context.target] = pd.Series(labels, index=rows.index).astype(rows[context.target].dtype)
    return rows, (context.target,), f"inputs unchanged; {len(chosen)} labels {how}"


# Scenario name -> what it does to a week's rows.
REPLAY_SCENARIOS: dict[str, ReplayScenario] = {
    s.name: s
    for s in (
        ReplayScenario("none", "The rows as they were held out: a quiet week.", _none),
        ReplayScenario("covariate_shift", f"The {SHIFT_COLUMNS} most important numeric columns (of more than two "
                       f"values) move up by {SHIFT_SDS} standard deviations (times severity); labels unchanged.",
                       _covariate_shift),
        ReplayScenario("new_category", f"The most important categorical column takes a value never seen in "
                       f"training in {NEW_CATEGORY_SHARE:.0%} of the rows (times severity).", _new_category),
        ReplayScenario("concept_drift", f"Inputs unchanged, but {RELABELLED_SHARE:.0%} of the labels (times "
                       "severity) change: another class, or another row's value for regression.", _concept_drift),
    )
}


def replay_weeks(
    frame: pd.DataFrame,
    *,
    target: str,
    scenarios: Sequence[str] = DEFAULT_WEEKS,
    rows_per_week: int = 150,
    features: Sequence[str] | None = None,
    importance: Mapping[str, float] | None = None,
    task: str | None = None,
    severity: float = 1.0,
    seed: int = 0,
) -> tuple[ReplayWeek, ...]:
    """Weeks of traffic sampled from ``frame`` (held-out rows), one scenario of :data:`REPLAY_SCENARIOS` each.

    Parameters
    ----------
    frame
        The rows to sample from, with the target column (the labels that arrive later).
    target
        The target column.
    scenarios
        One scenario name per week, in order.
    rows_per_week
        Rows per week, at most: the weeks are disjoint samples of ``frame``, so with fewer
        than ``rows_per_week`` rows per week available each week gets ``len(frame) // weeks``.
    features
        The model's input columns, which scenarios may change (default: all but the target).
    importance
        Importance per column (e.g. mean |SHAP| from the Evaluate explanation): the most
        important columns are the ones shifted. Default: the columns' order.
    task
        ``binary``, ``multiclass`` or ``regression`` (default: inferred from the target).
    severity
        Scales every scenario's change (0: none).
    seed
        Seed of the sampling and of the changes; the same seed gives the same weeks.
    """
    unknown = [name for name in scenarios if name not in REPLAY_SCENARIOS]
    if unknown:
        raise ParameterError(f"Unknown replay scenario(s): {', '.join(map(repr, unknown))}.", name="scenarios",
                             value=unknown, hint=f"Use any of: {', '.join(REPLAY_SCENARIOS)}.")
    if target not in frame.columns:
        raise DataError(f"The rows to replay have no target column '{target}'.", column=target,
                        hint="Replay rows that carry their labels (the project's held-out production rows).")
    if frame.empty or rows_per_week < 1:
        raise DataError(f"Nothing to replay: {len(frame)} rows, {rows_per_week} rows per week.",
                        hint="Pass held-out rows and rows_per_week >= 1.")
    context = _context(frame, target=target, features=features, importance=importance, task=task, severity=severity)
    picks = _week_rows(len(frame), weeks=len(scenarios), rows_per_week=rows_per_week, seed=seed)
    weeks = []
    for week, (name, picked) in enumerate(zip(scenarios, picks, strict=True)):
        rng = np.random.default_rng([seed, week])
        rows, changed, note = REPLAY_SCENARIOS[name].apply(frame.iloc[picked].reset_index(drop=True), context, rng)
        weeks.append(ReplayWeek(week=week, scenario=name, frame=rows, changed=changed, note=note))
    return tuple(weeks)


def _week_rows(n_rows: int, *, weeks: int, rows_per_week: int, seed: int) -> list[np.ndarray]:
    """Each week's row positions: disjoint, so no held-out row is replayed twice.

    A row sent twice would count twice in the drift tests, which then take the held-out
    sample's own chance differences from the training data for drift. When the rows cannot
    fill every week, the weeks get fewer rows (``n_rows // weeks``) rather than repeats.
    """
    order = np.random.default_rng(seed).permutation(n_rows)
    per_week = min(rows_per_week, n_rows // weeks)
    if per_week == 0:  # fewer rows than weeks: one row a week, repeating
        return [order[[week % n_rows]] for week in range(weeks)]
    return [order[week * per_week:(week + 1) * per_week] for week in range(weeks)]


def _context(frame: pd.DataFrame, *, target: str, features: Sequence[str] | None,
             importance: Mapping[str, float] | None, task: str | None, severity: float) -> _Context:
    columns = [c for c in (features if features is not None else frame.columns) if c != target and c in frame.columns]
    if importance:
        rank = {c: i for i, c in enumerate(sorted(importance, key=lambda c: -float(importance[c])))}
        columns.sort(key=lambda c: rank.get(c, len(rank)))
    numbers = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    # A two-valued number is a coded flag (sex = 1/2, has_x = 0/1): moving it makes values it cannot take.
    numeric = tuple(c for c in numbers if frame[c].nunique() > 2)
    categorical = tuple(c for c in columns if c not in numbers and not pd.api.types.is_bool_dtype(frame[c])
                        and not pd.api.types.is_datetime64_any_dtype(frame[c]))
    kind = task_named(task) if task is not None else infer_task(frame[target].dropna(), name=f"The target '{target}'")
    return _Context(target=target, classifier=kind.classifier, numeric=numeric, categorical=categorical,
                    reference=frame, severity=severity)


"""A seeded credit-risk dataset with protected attributes, a planted disparity and drift scenarios.

Nothing is downloaded: every row comes from a seeded NumPy generator, so the same seed gives
the same frame on every machine.

The data
--------
One row per loan application, 20 features plus ``application_date`` and the target
``default`` (1 = the loan defaulted). Features are correlated the way credit data is: income
rises with age and education, credit score rises with income and falls with late payments,
the loan amount scales with income, the interest rate falls with the credit score.

Missing values: ``income`` (~4 %, at random), ``years_employed`` (~3 %, at random),
``savings_balance`` (~8 %, at random) and ``months_since_delinquency`` (structurally missing
for applicants who never had a late payment).

The planted disparity
---------------------
Two protected attributes: ``sex`` (F/M) and ``age_band`` (18-25, 26-40, 41-60, 61+).
Women's incomes are drawn 12 % lower (a pay gap that the model can learn through income), and
the historical labels carry a bias: the default log-odds of applicants with ``sex == "F"`` are
raised by ``disparity`` (0.5 by default) regardless of their finances, and those of the 18-25
band by ``disparity / 2``. At the default setting the observed default rate of women is about 9
points above men's (33 % vs 23 % at seed 1, 20,000 rows); with ``disparity=0`` only the ~3 points
that income explains remain.

Drift scenarios
---------------
See :data:`DRIFT_SCENARIOS`; pass the name as ``scenario=``, with ``severity`` scaling it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.exceptions import ParameterError

__all__ = ["DRIFT_SCENARIOS", "DriftScenario", "make_credit_risk"]

TARGET = "default"
SENSITIVE = ("sex", "age_band")
TIME_COLUMN = "application_date"

EMPLOYMENT = np.array(["salaried", "self_employed", "contract", "unemployed"])
HOUSING = np.array(["own", "mortgage", "rent"])
PURPOSE = np.array(["car", "home_improvement", "education", "debt_consolidation", "business", "other"])
REGION = np.array(["north", "south", "east", "west", "central"])
EDUCATION = np.array(["secondary", "bachelor", "master", "doctorate"])
AGE_BANDS = np.array(["18-25", "26-40", "41-60", "61+"])


@dataclass(frozen=True)
class DriftScenario:
    """A documented change between training data and production traffic."""

    name: str
    description: str
    columns: tuple[str, ...]


DRIFT_SCENARIOS: dict[str, DriftScenario] = {
    s.name: s
    for s in (
        DriftScenario("none", "No change: the same process as the training data.", ()),
        DriftScenario(
            "covariate_shift",
            "Applicants get poorer: income falls 30 %, loan amounts rise 35 % and credit "
            "scores drop 45 points (times severity); the columns computed from them "
            "(interest_rate, debt_to_income, utilization_rate) move with them. The label "
            "process is unchanged.",
            ("income", "loan_amount", "credit_score", "interest_rate", "debt_to_income", "utilization_rate"),
        ),
        DriftScenario(
            "concept_drift",
            "The feature distributions stay the same but what predicts default changes: the "
            "debt-to-income effect triples and the credit score effect vanishes.",
            (TARGET,),
        ),
        DriftScenario(
            "new_category",
            "A loan purpose never seen in training ('crypto') appears in 20 % of applications "
            "and 'gig' appears as an employment type in 15 % (times severity).",
            ("loan_purpose", "employment_type"),
        ),
        DriftScenario(
            "label_shift",
            "The default rate doubles while each class looks the same as before "
            "(P(y) changes, P(x | y) does not).",
            (TARGET,),
        ),
    )
}


def make_credit_risk(
    n_rows: int = 5000,
    *,
    seed: int = 0,
    scenario: str = "none",
    severity: float = 1.0,
    disparity: float = 0.5,
    start: str = "2025-01-01",
    days: int = 365,
) -> pd.DataFrame:
    """Generate the credit-risk dataset.

    Parameters
    ----------
    n_rows
        Number of applications.
    seed
        Seed of the generator; the same seed gives the same frame.
    scenario
        One of :data:`DRIFT_SCENARIOS`.
    severity
        Scales the scenario's shift (0 is no shift).
    disparity
        Extra default log-odds in the historical labels for ``sex == "F"``.
    start, days
        ``application_date`` is spread uniformly over ``days`` days from ``start``.

    Examples
    --------
    >>> frame = make_credit_risk(1000, seed=1)
    >>> frame.shape
    (1000, 22)
    """
    _check(n_rows, scenario, severity)
    rng = np.random.default_rng(seed)
    if scenario == "label_shift":
        return _label_shifted(n_rows, rng, severity, disparity, start, days)
    frame, logit = _draw(n_rows, rng, scenario, severity, disparity)
    frame[TARGET] = (rng.random(n_rows) < _sigmoid(logit)).astype(np.int64)
    frame.insert(0, TIME_COLUMN, _dates(rng, n_rows, start, days))
    return frame


def _check(n_rows: int, scenario: str, severity: float) -> None:
    if not isinstance(n_rows, (int, np.integer)) or n_rows < 1:
        raise ParameterError(f"n_rows must be a positive integer, got {n_rows!r}.", name="n_rows", value=n_rows)
    if scenario not in DRIFT_SCENARIOS:
        raise ParameterError(
            f"Unknown drift scenario {scenario!r}.",
            name="scenario",
            value=scenario,
            hint=f"Choose one of: {', '.join(DRIFT_SCENARIOS)}.",
        )
    if not np.isfinite(severity) or severity < 0:
        raise ParameterError(f"severity must be >= 0, got {severity!r}.", name="severity", value=severity)


def _label_shifted(
    n_rows: int, rng: np.random.Generator, severity: float, disparity: float, start: str, days: int
) -> pd.DataFrame:
    """Resample by class so that P(y) changes while P(x | y) stays as in training."""
    pool_size = max(4 * n_rows, 2000)
    frame, logit = _draw(pool_size, rng, "none", 0.0, disparity)
    labels = rng.random(pool_size) < _sigmoid(logit)
    base_rate = labels.mean()
    rate = min(0.95, base_rate * (1.0 + severity))
    n_pos = round(rate * n_rows)
    pos = rng.choice(np.flatnonzero(labels), size=n_pos, replace=n_pos > labels.sum())
    neg = rng.choice(np.flatnonzero(~labels), size=n_rows - n_pos, replace=False)
    chosen = rng.permutation(np.concatenate([pos, neg]))
    out = frame.iloc[chosen].reset_index(drop=True)
    out[TARGET] = labels[chosen].astype(np.int64)
    out.insert(0, TIME_COLUMN, _dates(rng, n_rows, start, days))
    return out


def _draw(
    n: int, rng: np.random.Generator, scenario: str, severity: float, disparity: float
) -> tuple[pd.DataFrame, np.ndarray]:
    shift = severity if scenario == "covariate_shift" else 0.0
    sex = np.where(rng.random(n) < 0.48, "F", "M")
    female = sex == "F"
    age = np.clip(rng.gamma(9.0, 4.6, n) + 12, 18, 85).round()
    age_band = AGE_BANDS[np.digitize(age, [26, 41, 61])]
    education_idx = np.clip(rng.poisson(0.9 + 0.01 * (age - 18), n), 0, 3)
    education = EDUCATION[education_idx]
    years_employed = np.clip(rng.normal((age - 20) * 0.45, 3.0), 0, None).round(1)
    log_income = 9.9 + 0.012 * (age - 18) + 0.22 * education_idx + rng.normal(0, 0.42, n)
    log_income += np.where(female, np.log(0.88), 0.0) + np.log(max(1 - 0.30 * shift, 0.1))
    income = np.exp(log_income).round(-1)
    late = rng.poisson(np.exp(0.4 - 0.00002 * income.clip(max=2e5) + rng.normal(0, 0.5, n)))
    credit = 640 + 55 * (log_income - 10.4) - 28 * late + 0.9 * (age - 40) + rng.normal(0, 45, n)
    credit = np.clip(credit - 45 * shift, 300, 850).round()
    # Loans scale with income; under covariate shift they rise 35 % on top of the income drop.
    income_drop = max(1 - 0.30 * shift, 0.1)
    loan = np.exp(np.log(income * 0.35) + rng.normal(0, 0.45, n)) * (1 + 0.35 * shift) / income_drop
    loan = loan.round(-1)
    term = rng.choice([12, 24, 36, 48, 60], n, p=[0.1, 0.2, 0.35, 0.2, 0.15])
    rate = np.clip(26 - 0.025 * (credit - 300) + rng.normal(0, 1.5, n), 2.5, 29.9).round(2)
    dti = np.clip(loan / np.maximum(income, 1) * 12 / term + rng.gamma(2.0, 0.08, n), 0, 3).round(3)
    utilization = np.clip(rng.beta(2, 3, n) + 0.04 * late - 0.0004 * (credit - 650), 0, 1).round(3)
    lines = rng.poisson(3 + 0.08 * (age - 18)).astype(np.int64)
    delinquency = np.where(late > 0, rng.integers(1, 84, n), np.nan)
    employment = EMPLOYMENT[_choice(rng, n, [0.62, 0.17, 0.15, 0.06])]
    housing = HOUSING[np.where(age > 35, _choice(rng, n, [0.3, 0.45, 0.25]), _choice(rng, n, [0.1, 0.2, 0.7]))]
    purpose = PURPOSE[_choice(rng, n, [0.25, 0.15, 0.1, 0.3, 0.1, 0.1])]
    region = REGION[_choice(rng, n, [0.22, 0.24, 0.18, 0.2, 0.16])]
    frame = pd.DataFrame(
        {
            "age": age.astype(np.int64),
            "age_band": age_band,
            "sex": sex,
            "education": education,
            "employment_type": employment,
            "years_employed": years_employed,
            "income": income,
            "housing": housing,
            "region": region,
            "num_dependents": rng.poisson(0.9, n).astype(np.int64),
            "credit_score": credit.astype(np.int64),
            "num_credit_lines": lines,
            "num_late_payments": late.astype(np.int64),
            "months_since_delinquency": delinquency,
            "utilization_rate": utilization,
            "savings_balance": np.round(rng.lognormal(7.5, 1.3, n) * (income / 40000) ** 0.6, 2),
            "loan_purpose": purpose,
            "loan_amount": loan,
            "loan_term_months": term.astype(np.int64),
            "interest_rate": rate,
            "debt_to_income": dti,
        }
    )
    logit = _logit(frame, scenario, disparity, rng)
    _apply_new_categories(frame, rng, severity if scenario == "new_category" else 0.0)
    _add_missing(frame, rng)
    return frame, logit


def _logit(frame: pd.DataFrame, scenario: str, disparity: float, rng: np.random.Generator) -> np.ndarray:
    concept = scenario == "concept_drift"
    score_effect = 0.0 if concept else -0.02
    dti_effect = 5.4 if concept else 1.8
    logit = (
        -2.5
        + score_effect * (frame["credit_score"].to_numpy() - 650)
        + dti_effect * (frame["debt_to_income"].to_numpy() - 0.4)
        + 0.5 * frame["num_late_payments"].to_numpy()
        + 2.0 * (frame["utilization_rate"].to_numpy() - 0.4)
        + 1.2 * (frame["employment_type"].to_numpy() == "unemployed")
        + 0.3 * (frame["employment_type"].to_numpy() == "contract")
        + 0.25 * (frame["loan_purpose"].to_numpy() == "business")
        + 0.02 * (frame["interest_rate"].to_numpy() - 12)
        + disparity * (frame["sex"].to_numpy() == "F")
        + disparity / 2 * (frame["age_band"].to_numpy() == "18-25")
        + rng.normal(0, 0.3, len(frame))
    )
    return logit


def _apply_new_categories(frame: pd.DataFrame, rng: np.random.Generator, severity: float) -> None:
    if severity <= 0:
        return
    n = len(frame)
    purpose = frame["loan_purpose"].to_numpy().copy()
    purpose[rng.random(n) < min(1.0, 0.20 * severity)] = "crypto"
    employment = frame["employment_type"].to_numpy().copy()
    employment[rng.random(n) < min(1.0, 0.15 * severity)] = "gig"
    frame["loan_purpose"] = purpose
    frame["employment_type"] = employment


def _add_missing(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    n = len(frame)
    for column, share in (("income", 0.04), ("years_employed", 0.03), ("savings_balance", 0.08)):
        values = frame[column].to_numpy(dtype=float).copy()
        values[rng.random(n) < share] = np.nan
        frame[column] = values


def _choice(rng: np.random.Generator, n: int, p: list[float]) -> np.ndarray:
    return np.searchsorted(np.cumsum(p), rng.random(n) * sum(p))


def _dates(rng: np.random.Generator, n: int, start: str, days: int) -> pd.Series:
    offsets = np.sort(rng.integers(0, max(days, 1) * 86400, n))
    return pd.Timestamp(start) + pd.to_timedelta(offsets, unit="s")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))

"""Pairwise associations on a mixed-type frame, all scaled to [0, 1] or [-1, 1].

numeric × numeric: Pearson r; categorical × categorical: Cramér's V without bias correction
(as ``scipy.stats.contingency.association(method="cramer")``);
numeric × categorical: the correlation ratio η.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NUMERIC_KINDS = ("numeric", "integer", "boolean")


def cramers_v(left: pd.Series, right: pd.Series) -> float | None:
    """Cramér's V of two categorical series (rows missing in either are dropped)."""
    both = pd.DataFrame({"a": left.to_numpy(), "b": right.to_numpy()}).dropna()
    if both.empty:
        return None
    a_codes, a_levels = pd.factorize(both["a"])
    b_codes, b_levels = pd.factorize(both["b"])
    if len(a_levels) < 2 or len(b_levels) < 2:
        return None
    table = np.zeros((len(a_levels), len(b_levels)))
    np.add.at(table, (a_codes, b_codes), 1)
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))


def correlation_ratio(categories: pd.Series, values: pd.Series) -> float | None:
    """η: the share of the numeric variance explained by the categories (square-rooted)."""
    both = pd.DataFrame({"c": categories.to_numpy(), "v": pd.to_numeric(values).to_numpy(dtype=float)}).dropna()
    if len(both) < 2:
        return None
    total = float(((both["v"] - both["v"].mean()) ** 2).sum())
    if total == 0:
        return None
    groups = both.groupby("c", observed=True)["v"].agg(["mean", "size"])
    between = float((groups["size"] * (groups["mean"] - both["v"].mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def pearson(left: pd.Series, right: pd.Series) -> float | None:
    """Pearson r on rows present in both."""
    value = pd.to_numeric(left).astype(float).corr(pd.to_numeric(right).astype(float))
    return None if pd.isna(value) else float(value)


def association(left: pd.Series, left_kind: str, right: pd.Series, right_kind: str) -> float | None:
    """The association measure that fits the two kinds."""
    left_numeric, right_numeric = left_kind in NUMERIC_KINDS, right_kind in NUMERIC_KINDS
    if left_numeric and right_numeric:
        return pearson(left, right)
    if not left_numeric and not right_numeric:
        return cramers_v(left, right)
    return correlation_ratio(right, left) if left_numeric else correlation_ratio(left, right)


def association_matrix(frame: pd.DataFrame, kinds: dict[str, str]) -> list[list[float | None]]:
    """The symmetric association matrix of ``frame``'s columns (numeric block vectorised)."""
    names = list(frame.columns)
    numeric = [c for c in names if kinds[c] in NUMERIC_KINDS]
    block = frame[numeric].astype(float).corr() if numeric else pd.DataFrame()
    matrix: list[list[float | None]] = [[None] * len(names) for _ in names]
    for i, a in enumerate(names):
        matrix[i][i] = 1.0
        for j in range(i + 1, len(names)):
            b = names[j]
            if a in block.index and b in block.index:
                raw = block.at[a, b]
                value = None if pd.isna(raw) else float(raw)
            else:
                value = association(frame[a], kinds[a], frame[b], kinds[b])
            matrix[i][j] = matrix[j][i] = None if value is None else round(value, 4)
    return matrix


def target_associations(frame: pd.DataFrame, kinds: dict[str, str], target: str) -> dict[str, float | None]:
    """Each feature's association with the target (absolute value for Pearson)."""
    target_kind = "categorical" if frame[target].nunique() <= 20 else kinds[target]
    result: dict[str, float | None] = {}
    for name in frame.columns:
        if name == target:
            continue
        value = association(frame[name], kinds[name], frame[target], target_kind)
        result[name] = None if value is None else abs(value)
    return result

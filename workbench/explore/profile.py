"""Profile a dataset: per-column statistics, distributions, correlations and quality warnings.

Everything is computed with vectorised pandas/numpy passes; the report holds aggregates only
(counts, bin edges, top categories), never the raw rows, so it stays small for big data.
Correlations are computed on a seeded row sample when the data is larger than ``sample``; the
report states the sample size and the resulting standard error.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from workbench.exceptions import DataError
from workbench.explore._columns import reject_nested, text_columns
from workbench.explore.associations import associations
from workbench.explore.schema import _kind
from workbench.reports.base import Report

__all__ = ["ColumnProfile", "ProfileReport", "profile"]

BINS = 20
TOP = 10
MISSING_LIMIT = 0.5
LEAKAGE_LIMIT = 0.95
HIGH_CARDINALITY = 100
DEFAULT_SAMPLE = 100_000


@dataclasses.dataclass(frozen=True, kw_only=True)
class ColumnProfile:
    """Aggregates of one column: type, missing share, cardinality, statistics, distribution."""

    name: str
    kind: str
    dtype: str
    missing_share: float
    n_unique: int
    stats: dict[str, float] = dataclasses.field(default_factory=dict)
    bin_edges: tuple[float, ...] = ()
    bin_counts: tuple[int, ...] = ()
    top: tuple[tuple[str, int], ...] = ()
    target_association: float | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProfileWarning:
    """A data-quality finding; ``code`` is machine-readable, ``column`` may be empty."""

    code: str
    column: str
    message: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProfileReport(Report):
    """The profile of a dataset (aggregates only)."""

    kind = "profile"
    title = "Data profile"
    n_rows: int
    n_columns: int
    n_duplicate_rows: int
    memory_bytes: int
    target: str | None = None
    sensitive: tuple[str, ...] = ()
    columns: tuple[ColumnProfile, ...] = ()
    correlation_columns: tuple[str, ...] = ()
    correlations: tuple[tuple[float | None, ...], ...] = ()
    correlation_sample: int = 0
    correlation_error: float = 0.0
    group_sizes: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    warnings: tuple[ProfileWarning, ...] = ()

    def column(self, name: str) -> ColumnProfile:
        for column in self.columns:
            if column.name == name:
                return column
        raise DataError(f"The profile has no column '{name}'.", column=name)

    @property
    def missing_share(self) -> dict[str, float]:
        return {c.name: c.missing_share for c in self.columns}

    def warning_codes(self, column: str | None = None) -> set[str]:
        return {w.code for w in self.warnings if column is None or w.column == column}

    def summary(self) -> str:
        return f"Profile of {self.n_rows:,} rows × {self.n_columns} columns, {len(self.warnings)} warning(s)"

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        columns = tuple(
            ColumnProfile(
                **{
                    **c,
                    "bin_edges": tuple(c["bin_edges"]),
                    "bin_counts": tuple(c["bin_counts"]),
                    "top": tuple((str(v), int(n)) for v, n in c["top"]),
                }
            )
            for c in payload.pop("columns")
        )
        found = tuple(ProfileWarning(**w) for w in payload.pop("warnings"))
        matrix = tuple(tuple(row) for row in payload.pop("correlations"))
        return cls(
            columns=columns,
            warnings=found,
            correlations=matrix,
            sensitive=tuple(payload.pop("sensitive")),
            correlation_columns=tuple(payload.pop("correlation_columns")),
            **payload,
        )


def _overflow_exponent(finite: np.ndarray) -> int:
    """0, or the power of two to scale by when the range or sum of ``finite`` overflows a float."""
    with np.errstate(over="ignore"):
        spread = finite.max() - finite.min()
        total = np.abs(finite).sum()
    if np.isfinite(spread) and np.isfinite(total):
        return 0
    return int(np.frexp(np.abs(finite).max())[1])


def _numeric_profile(values: np.ndarray, ordered: np.ndarray) -> dict[str, Any]:
    """Statistics and histogram of the finite ``values``; ``ordered`` is the non-missing values sorted."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return {}
    exponent = _overflow_exponent(finite)  # scaling by a power of two is exact
    scaled = np.ldexp(finite, -exponent) if exponent else finite
    ordered = ordered[np.isfinite(ordered)]  # ±inf sit at the ends
    ordered = np.ldexp(ordered, -exponent) if exponent else ordered
    q = np.quantile(ordered, [0.05, 0.25, 0.5, 0.75, 0.95])  # the same order statistics, cheaper on sorted values
    raw = {
        "mean": scaled.mean(),
        "std": scaled.std(ddof=1) if scaled.size > 1 else 0.0,
        "min": ordered[0],
        "p05": q[0],
        "p25": q[1],
        "median": q[2],
        "p75": q[3],
        "p95": q[4],
        "max": ordered[-1],
    }
    stats = {key: float(np.ldexp(value, exponent)) for key, value in raw.items()}
    stats["zeros_share"] = float((finite == 0).mean())
    counts, edges = np.histogram(scaled, bins=BINS)
    edges = np.ldexp(edges, exponent)
    return {"stats": stats, "bin_edges": tuple(float(e) for e in edges), "bin_counts": tuple(int(n) for n in counts)}


def _column_profile(series: pd.Series, n_rows: int) -> ColumnProfile:
    kind = _kind(series, max_categories=50)
    missing = int(series.isna().sum())
    extra: dict[str, Any] = {}
    if kind in ("numeric", "integer", "boolean"):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        ordered = np.sort(values[~np.isnan(values)])  # one sort: the distinct count and the quantiles
        extra = _numeric_profile(values, ordered)
        n_unique = int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1 if ordered.size else 0
    else:
        labels = series.dt.strftime("%Y-%m") if kind == "datetime" else series.astype(str).where(series.notna())
        counts = labels.value_counts(dropna=True)
        n_unique = int(series.nunique(dropna=True))
        extra["top"] = tuple((str(v), int(n)) for v, n in counts.head(TOP).items())
    return ColumnProfile(
        name=str(series.name),
        kind=kind,
        dtype=str(series.dtype),
        missing_share=missing / n_rows if n_rows else 0.0,
        n_unique=n_unique,
        **extra,
    )


def _quality_warnings(frame: pd.DataFrame, columns: Sequence[ColumnProfile], *, target: str | None) -> list[ProfileWarning]:
    found: list[ProfileWarning] = []
    n_rows = len(frame)

    def add(code: str, column: str, message: str) -> None:
        found.append(ProfileWarning(code=code, column=column, message=message))

    for col in columns:
        if col.missing_share == 1.0:
            add("all_missing", col.name, f"'{col.name}' is entirely missing.")
        elif col.missing_share > MISSING_LIMIT:
            add("high_missing", col.name, f"'{col.name}' is {col.missing_share:.0%} missing.")
        if col.n_unique <= 1 and col.missing_share < 1.0:
            add("constant", col.name, f"'{col.name}' holds a single value.")
        present = round(n_rows * (1 - col.missing_share))
        if col.kind in ("integer", "text") and present > 50 and col.n_unique == present and col.name != target:
            add("id_like", col.name, f"'{col.name}' has a distinct value on every row (an ID?).")
        elif col.kind == "text" and col.n_unique > HIGH_CARDINALITY:
            add("high_cardinality", col.name, f"'{col.name}' has {col.n_unique:,} distinct values.")
        if col.target_association is not None and col.target_association >= LEAKAGE_LIMIT:
            add(
                "leakage_suspect",
                col.name,
                f"'{col.name}' nearly equals the target (association {col.target_association:.3f}).",
            )
        if frame[col.name].dtype == object and pd.api.types.infer_dtype(frame[col.name], skipna=True).startswith("mixed"):
            add("mixed_types", col.name, f"'{col.name}' mixes value types (e.g. numbers and text).")
    return found


def _duplicate_rows(frame: pd.DataFrame) -> int:
    """Count duplicated rows through one 64-bit hash per row (cheap at a million rows)."""
    if frame.empty or not frame.shape[1]:
        return 0
    hashes = pd.util.hash_pandas_object(frame, index=False)
    return int(hashes.duplicated().sum())


def _check_inputs(frame: pd.DataFrame, target: str | None, sensitive: Sequence[str]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"profile() needs a pandas DataFrame, got {type(frame).__name__}.")
    frame = text_columns(frame)
    if frame.empty:
        raise DataError("The data is empty: there are no rows or no columns to profile.")
    for role, names in (("target", [target] if target else []), ("sensitive", list(sensitive))):
        for name in names:
            if name not in frame.columns:
                raise DataError(f"The {role} column '{name}' is not in the data.", column=name)
    reject_nested(frame)
    return frame


def profile(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    sensitive: Sequence[str] = (),
    sample: int | None = None,
    seed: int = 0,
) -> ProfileReport:
    """Profile ``frame``: per-column aggregates, associations and data-quality warnings.

    Parameters
    ----------
    frame
        The data.
    target
        The target column: each feature's association with it is reported, and a feature that
        nearly equals it is flagged as a leakage suspect.
    sensitive
        Sensitive columns whose group sizes are reported.
    sample
        Rows used for correlations and target associations (default 100,000; all rows when the
        data is smaller). Per-column statistics always use every row.
    seed
        Seed of the correlation sample.

    Examples
    --------
    >>> import pandas as pd
    >>> report = profile(pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 1]}), target="y")
    >>> report.column("x").stats["median"]
    2.0
    """
    target = None if target is None else str(target)
    sensitive = [str(name) for name in sensitive]
    frame = _check_inputs(frame, target, sensitive)
    n_rows = len(frame)
    limit = DEFAULT_SAMPLE if sample is None else int(sample)
    sampled = frame.sample(n=limit, random_state=seed) if n_rows > limit else frame
    columns = [_column_profile(frame[name], n_rows) for name in frame.columns]
    kinds = {c.name: c.kind for c in columns}
    usable = [c.name for c in columns if c.kind not in ("text", "datetime") and c.missing_share < 1.0 and c.n_unique > 1]
    with np.errstate(all="ignore"):
        matrix, linked = associations(sampled, kinds, usable, target=target)
    if target is not None:
        columns = [dataclasses.replace(c, target_association=_rounded(linked.get(c.name))) for c in columns]
    group_sizes = {
        name: {str(k): int(v) for k, v in frame[name].astype(str).where(frame[name].notna(), "<missing>").value_counts().items()}
        for name in sensitive
    }
    found = _quality_warnings(frame, columns, target=target)
    n_duplicates = _duplicate_rows(frame)
    if n_duplicates:
        found.append(ProfileWarning(code="duplicate_rows", column="", message=f"{n_duplicates:,} duplicated row(s)."))
    for name, sizes in group_sizes.items():
        small = [g for g, n in sizes.items() if n < 30]
        if small:
            message = f"Sensitive '{name}' has small groups (<30 rows): {', '.join(small)}."
            found.append(ProfileWarning(code="small_group", column=name, message=message))
    return ProfileReport(
        n_rows=n_rows,
        n_columns=frame.shape[1],
        n_duplicate_rows=n_duplicates,
        memory_bytes=int(frame.memory_usage(deep=False, index=True).sum()),
        target=target,
        sensitive=tuple(sensitive),
        columns=tuple(columns),
        correlation_columns=tuple(usable),
        correlations=tuple(tuple(row) for row in matrix),
        correlation_sample=len(sampled),
        correlation_error=round(1 / math.sqrt(max(len(sampled) - 3, 1)), 6),
        group_sizes=group_sizes,
        warnings=tuple(found),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 4)

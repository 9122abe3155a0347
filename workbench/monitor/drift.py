"""The drift report: per column a test chosen by type and size, PSI, drift share, impact ranking.

:func:`drift` summarises both datasets (:mod:`workbench.monitor.summaries`) through a
:class:`~workbench.monitor.sources.Source` — in memory, in chunks or on Dask — and tests each
column from the merged summaries (:mod:`workbench.monitor._column`).

Which test a column gets (Evidently's ``get_stattest`` default): a numeric column with more
than 5 distinct values (reference and current together) gets KS when the reference has at most
``small_sample`` (1,000) rows, else the Wasserstein distance normalised by the reference
standard deviation; every other column gets the categorical tests: chi-square (or the
two-proportion Z-test for two values) on small references, else the Jensen-Shannon distance.
Numeric means a numeric dtype other than bool, whatever its values. That is Evidently's rule for
a column declared numerical (``DataDefinition(numerical_columns=...)``). Where ours differs:
Evidently *infers* an integer-dtype column with at most 10 distinct values (in the current
data; ``infer_column_type`` of evidently 0.7, used when no definition is given) to be categorical, so its 6-10-valued integer columns get chi-square / Jensen-Shannon,
ours KS / Wasserstein. We keep them numeric on purpose: such columns are mostly counts (late
payments, dependents) and a small current sample often holds a tail value the reference lacks,
which Evidently's chi-square scores as p = 0. On two samples of one distribution (600 vs 300
rows, 20 seeds) that rule flagged the 7-valued ``num_late_payments`` 13 times and the 6-valued
``num_dependents`` 5 times, KS once and never. An integer code whose order means nothing is
best stored as strings or a pandas ``category``: then it is tested as categories. Evidently also
infers a string column with more distinct values than half its rows to be text; ours tests every
string column as categorical.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, ClassVar, Self

import numpy as np

from workbench.exceptions import DataError, ParameterError
from workbench.monitor import _passes
from workbench.monitor._column import ColumnDrift, Options, evaluate_column
from workbench.monitor.sources import DEFAULT_CHUNK_ROWS, connect_dask, open_source
from workbench.monitor.stats import STATTESTS
from workbench.monitor.summaries import DEFAULT_BINS
from workbench.monitor.windows import check_window
from workbench.reports.base import Report

__all__ = ["ColumnDrift", "DriftReport", "WindowDrift", "drift"]


@dataclasses.dataclass(frozen=True)
class WindowDrift:
    """Drift of one time window of the current data against the whole reference."""

    start: str
    end: str
    n_rows: int
    drift_share: float
    n_drifted: int
    dataset_drift: bool
    scores: dict[str, float]
    drifted: tuple[str, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class DriftReport(Report):
    """Drift between a reference and a current dataset, column by column (sorted by impact)."""

    kind: ClassVar[str] = "drift"
    schema_version: ClassVar[int] = 1
    title: ClassVar[str] = "Data drift"

    columns: tuple[ColumnDrift, ...]
    n_reference: int
    n_current: int
    drift_share: float
    n_drifted: int
    dataset_drift: bool
    drift_share_threshold: float
    prediction: ColumnDrift | None = None
    windows: tuple[WindowDrift, ...] = ()
    engine: str = "memory"
    importance_source: str | None = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        payload = dict(payload)
        payload["columns"] = tuple(_column_from(c) for c in payload["columns"])
        if payload.get("prediction") is not None:
            payload["prediction"] = _column_from(payload["prediction"])
        payload["windows"] = tuple(
            WindowDrift(**{**w, "drifted": tuple(w["drifted"])}) for w in payload.get("windows", ())
        )
        return cls(**payload)

    def column(self, name: str) -> ColumnDrift:
        """The drift of column ``name``."""
        for column in self.columns:
            if column.column == name:
                return column
        raise DataError(f"The drift report has no column '{name}'.", column=name,
                        hint=f"Columns: {', '.join(c.column for c in self.columns)}.")

    def drifted_columns(self) -> list[str]:
        """Names of the drifted columns, by impact."""
        return [c.column for c in self.columns if c.drifted]

    def top_features(self, k: int = 5) -> list[str]:
        """The ``k`` most important columns (by feature importance; empty when none is known)."""
        known = [c for c in self.columns if c.importance]
        return [c.column for c in sorted(known, key=lambda c: -(c.importance or 0.0))[:k]]

    def summary(self) -> str:
        verdict = "dataset drift" if self.dataset_drift else "no dataset drift"
        top = ", ".join(self.drifted_columns()[:5]) or "none"
        return (f"Data drift: {self.n_drifted} of {len(self.columns)} columns drifted "
                f"(share {self.drift_share:.2f}, {verdict}); by impact: {top}")


def _column_from(data: dict[str, Any]) -> ColumnDrift:
    data = dict(data)
    data["new_categories"] = tuple(data.get("new_categories", ()))
    for key in ("drift_score", "statistic", "psi"):
        data[key] = float("nan") if data.get(key) is None else data[key]
    return ColumnDrift(**data)


def drift(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    prediction: str | None = None,
    importance: Any = None,
    stattest: str | Mapping[str, str] | None = None,
    threshold: float | Mapping[str, float] | None = None,
    drift_share: float = 0.5,
    small_sample: int = 1000,
    psi_threshold: float = 0.1,
    calibrate: bool = False,
    n_bootstrap: int = 200,
    seed: int = 0,
    time_column: str | None = None,
    window: str | None = None,
    bins: int = DEFAULT_BINS,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    dask: str | Any = None,
) -> DriftReport:
    """Compare ``current`` with ``reference`` column by column.

    Parameters
    ----------
    reference, current
        DataFrames, or CSV/Parquet paths (read in chunks of ``chunk_rows``, or by Dask).
    columns, exclude
        The columns to test (default: every column both hold, datetimes left out).
    prediction
        A column of model outputs in both datasets: tested as prediction drift, not counted in
        the drift share.
    importance
        Feature importance per column (a mapping, or an Evaluate ``ExplanationReport``); columns
        are ranked by PSI × importance share.
    stattest, threshold
        A test name (``ks``, ``chisquare``, ``z``, ``wasserstein``, ``jensenshannon``, ``psi``) and
        threshold for every column, or a mapping per column. Default: Evidently's choice (KS /
        chi-square / Z-test when the reference has at most ``small_sample`` rows, else normalised
        Wasserstein / Jensen-Shannon distance), thresholds 0.05 (p-value) / 0.1 (distance).
    drift_share
        The dataset drifts when at least this share of columns drift.
    calibrate
        Raise each distance threshold to a percentile of its null distribution, estimated from
        ``n_bootstrap`` pairs of samples of the reference's and the current size drawn from the
        reference: the percentile ``0.95 ** (1 / columns)``, so that two samples of one
        distribution show no drifted column at all in ~95 % of reviews (fewer false alarms on
        small windows). The percentile is read from a point mass at 0 (resampled pairs with
        identical shares) plus a log-normal fitted to the positive resamples, and is never
        raised past the distance of two samples wholly apart, so every column can still drift.
        p-value tests keep their threshold.
    time_column, window
        Also test each ``window`` (a fixed pandas frequency such as ``"1D"`` or ``"7D"``) of the
        current data by ``time_column``.
    bins
        Histogram bins of continuous columns (precision of the binned statistics).
    dask
        A Dask scheduler address (``tcp://HOST:PORT``) or ``distributed.Client``: partitions are
        summarised on the cluster.

    Examples
    --------
    >>> report = wb.drift(train, production, importance=explanation)  # doctest: +SKIP
    >>> report.drifted_columns()[:3]  # doctest: +SKIP
    """
    options = _options(stattest, threshold, small_sample, psi_threshold, calibrate, n_bootstrap, seed)
    _check_numbers(drift_share, bins, chunk_rows, window, time_column)
    client = connect_dask(dask) if isinstance(dask, str) else dask
    try:
        ref = open_source(reference, name="reference", chunk_rows=chunk_rows, client=client)
        cur = open_source(current, name="current", chunk_rows=chunk_rows, client=client)
        kinds = _passes.choose_columns(ref.head(), cur.head(), columns, exclude, time_column)
        if prediction is not None and prediction not in kinds:
            raise DataError(f"The prediction column '{prediction}' is not in both datasets.", column=prediction,
                            hint="Name a column of model outputs that the reference and current data both hold.")
        summaries = _passes.summarize(ref, cur, kinds, bins=bins)
        windows = _passes.windows(cur, kinds, summaries, time_column, window) if window else {}
    finally:
        if isinstance(dask, str) and client is not None:
            client.close()
    weights, source = _importance(importance)
    options = dataclasses.replace(options, n_columns=sum(name != prediction for name in kinds))
    evaluate = partial(_evaluate, summaries=summaries, options=options)
    tested = [evaluate(name, kind) for name, kind in kinds.items() if name != prediction]
    tested = _rank(tested, weights)
    n_drifted = sum(c.drifted for c in tested)
    share = n_drifted / len(tested) if tested else 0.0
    return DriftReport(
        columns=tuple(tested),
        n_reference=summaries.n_reference,
        n_current=summaries.n_current,
        drift_share=share,
        n_drifted=n_drifted,
        dataset_drift=bool(tested) and share >= drift_share,
        drift_share_threshold=drift_share,
        prediction=evaluate(prediction, kinds[prediction]) if prediction in kinds else None,
        windows=tuple(_window_drift(windows, kinds, summaries, options, prediction, drift_share)),
        engine=ref.engine,
        importance_source=source,
        options={"stattest": stattest, "threshold": threshold, "small_sample": small_sample,
                 "psi_threshold": psi_threshold, "calibrate": calibrate, "bins": bins, "window": window},
    )


def _evaluate(name: str, kind: str, *, summaries: _passes.Summaries, options: Options,
              current: Mapping[Any, Any] | None = None) -> ColumnDrift:
    cur: Mapping[Any, Any] = current if current is not None else summaries.current
    return evaluate_column(
        name, kind,
        {"first": summaries.reference[name], "hist": summaries.reference_hist.get(name)},
        {"first": cur[name], "hist": cur.get(("hist", name))} if current is not None
        else {"first": cur[name], "hist": summaries.current_hist.get(name)},
        options, summaries.grids.get(name),
    )


def _window_drift(windows: Mapping[tuple[str, str], dict[Any, Any]], kinds: Mapping[str, str], summaries: _passes.Summaries,
                  options: Options, prediction: str | None, threshold: float) -> list[WindowDrift]:
    out = []
    for (start, end), current in sorted(windows.items()):
        tested = [_evaluate(n, k, summaries=summaries, options=options, current=current)
                  for n, k in kinds.items() if n != prediction and n in current]
        drifted = tuple(c.column for c in tested if c.drifted)
        share = len(drifted) / len(tested) if tested else 0.0
        out.append(WindowDrift(
            start=start, end=end, n_rows=int(current.get("rows", 0)), drift_share=share,
            n_drifted=len(drifted), dataset_drift=bool(tested) and share >= threshold,
            scores={c.column: c.drift_score for c in tested}, drifted=drifted,
        ))
    return out


def _rank(columns: list[ColumnDrift], weights: Mapping[str, float]) -> list[ColumnDrift]:
    total = sum(v for v in weights.values() if np.isfinite(v) and v > 0)
    ranked = []
    for column in columns:
        share = weights.get(column.column, 0.0) / total if total else None
        psi = column.psi if np.isfinite(column.psi) else 0.0
        impact = psi * share if share is not None else psi
        ranked.append(dataclasses.replace(column, importance=share, impact=float(impact)))
    return sorted(ranked, key=lambda c: (-c.impact, not c.drifted, c.column))


def _importance(importance: Any) -> tuple[dict[str, float], str | None]:
    if importance is None:
        return {}, None
    if hasattr(importance, "importance_by_column"):
        return {str(k): float(v) for k, v in importance.importance_by_column().items()}, "explanation"
    if isinstance(importance, Mapping):
        return {str(k): float(v) for k, v in importance.items()}, "given"
    raise ParameterError(
        f"importance must be a mapping of column to importance or an ExplanationReport, not {type(importance).__name__}.",
        name="importance", hint="Pass explanation (from wb.explain) or {column: weight}.",
    )


def _options(stattest: Any, threshold: Any, small_sample: int, psi_threshold: float, calibrate: bool,
             n_bootstrap: int, seed: int) -> Options:
    per_test = dict(stattest) if isinstance(stattest, Mapping) else {}
    for name in [*per_test.values(), *([stattest] if isinstance(stattest, str) else [])]:
        if name not in STATTESTS:
            raise ParameterError(f"Unknown drift test {name!r}.", name="stattest", value=name,
                                 hint=f"Choose one of: {', '.join(STATTESTS)}.")
    per_threshold = dict(threshold) if isinstance(threshold, Mapping) else {}
    for value in [*per_threshold.values(), *([] if isinstance(threshold, Mapping) or threshold is None else [threshold])]:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(value) or value < 0:
            raise ParameterError(f"A drift threshold must be a number >= 0, got {value!r}.", name="threshold", value=value)
    if n_bootstrap < 20:
        raise ParameterError(f"n_bootstrap must be at least 20, got {n_bootstrap}.", name="n_bootstrap", value=n_bootstrap)
    return Options(
        stattest=per_test, threshold=per_threshold,
        default_stattest=stattest if isinstance(stattest, str) else None,
        default_threshold=None if isinstance(threshold, Mapping) or threshold is None else float(threshold),
        small_sample=small_sample, psi_threshold=psi_threshold, calibrate=calibrate,
        n_bootstrap=n_bootstrap, seed=seed,
    )


def _check_numbers(drift_share: float, bins: int, chunk_rows: int, window: str | None, time_column: str | None) -> None:
    if not 0 < drift_share <= 1:
        raise ParameterError(f"drift_share must be in (0, 1], got {drift_share!r}.", name="drift_share", value=drift_share)
    if not 16 <= bins <= 1 << 20:
        raise ParameterError(f"bins must be between 16 and 1,048,576, got {bins!r}.", name="bins", value=bins)
    if chunk_rows < 1:
        raise ParameterError(f"chunk_rows must be positive, got {chunk_rows!r}.", name="chunk_rows", value=chunk_rows)
    if window:
        check_window(window)
    if window and not time_column:
        raise ParameterError("window needs time_column: the column that dates each current row.",
                             name="window", value=window, hint="Pass time_column='timestamp' (for example).")

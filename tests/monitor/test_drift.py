"""wb.drift: planted scenarios are flagged, equal samples are not, every engine agrees."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from workbench.cli import main
from workbench.datasets import DRIFT_SCENARIOS, TARGET, TIME_COLUMN, make_credit_risk
from workbench.exceptions import DataError, ParameterError
from workbench.monitor import DriftReport, drift
from workbench.reports import load_report

TOLERANCE = 1e-3  # drift scores of the chunked and Dask paths against the in-memory path


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return make_credit_risk(6000, seed=11)


@pytest.mark.parametrize("seed", range(5))
def test_no_column_drifts_between_samples_of_one_distribution(reference, seed):
    current = make_credit_risk(2500, seed=100 + seed)
    report = drift(reference, current, exclude=[TARGET])
    assert report.n_drifted == 0, report.drifted_columns()
    assert not report.dataset_drift


def test_small_samples_use_p_value_tests_with_the_expected_false_alarm_rate():
    """Uncalibrated p-value tests flag a column of a same-distribution sample with probability ~p.

    Over ~20 columns at p = 0.05 that is about one column per report; Evidently's chi-square
    takes the reference shares as exact, so with a reference only twice the current size it
    alarms somewhat more often. No report reaches dataset drift.
    """
    counts = []
    for seed in range(6):
        report = drift(make_credit_risk(600, seed=seed), make_credit_risk(300, seed=50 + seed), exclude=[TARGET])
        assert {c.stattest for c in report.columns} <= {"ks", "chisquare", "z"}
        assert not report.dataset_drift
        counts.append(report.n_drifted)
    expected = 0.05 * len(report.columns)
    assert 0 < np.mean(counts) <= 2 * expected, counts


@pytest.mark.parametrize("seed", range(6))
def test_calibrated_thresholds_flag_nothing_between_small_samples_of_one_distribution(seed):
    """Calibrated distances (both samples' noise, Šidák over the columns): no drifted column at all."""
    ref, cur = make_credit_risk(600, seed=seed), make_credit_risk(300, seed=50 + seed)
    plain = drift(ref, cur, exclude=[TARGET], small_sample=0)
    calibrated = drift(ref, cur, exclude=[TARGET], small_sample=0, calibrate=True)
    assert {c.stattest for c in calibrated.columns} == {"wasserstein", "jensenshannon"}
    assert calibrated.n_drifted == 0, calibrated.drifted_columns()
    assert all(c.calibrated and c.threshold >= 0.1 for c in calibrated.columns)
    assert calibrated.n_drifted <= plain.n_drifted


@pytest.mark.parametrize("scenario", ["covariate_shift", "new_category", "label_shift"])
def test_each_planted_scenario_is_flagged_on_its_columns(reference, scenario):
    current = make_credit_risk(3000, seed=7, scenario=scenario)
    report = drift(reference, current)
    expected = set(DRIFT_SCENARIOS[scenario].columns)
    assert expected <= set(report.drifted_columns()), (scenario, report.drifted_columns())
    if scenario == "new_category":
        assert "crypto" in report.column("loan_purpose").new_categories
        assert set(report.drifted_columns()) == expected


def test_concept_drift_is_not_input_drift(reference):
    """concept_drift keeps the inputs and nearly the target shares: drift() stays quiet on it.

    It shows in performance once labels arrive (tests/monitor/test_review.py)."""
    report = drift(reference, make_credit_risk(3000, seed=7, scenario="concept_drift"))
    assert report.n_drifted == 0, report.drifted_columns()


@pytest.mark.parametrize("stattest", [None, "ks", "psi"])
def test_infinities_are_missing_values_not_a_crash(tmp_path, stattest):
    ref, cur = make_credit_risk(3000, seed=1), make_credit_risk(800, seed=2)
    ref.loc[[0, 5, 9], "income"] = [np.inf, -np.inf, np.nan]
    cur.loc[[1, 2, 3, 4], "income"] = [np.inf, np.nan, -np.inf, np.inf]
    cur.loc[[6], "debt_to_income"] = [-np.inf]
    report = drift(ref, cur, exclude=[TARGET], stattest=stattest)
    income = report.column("income")
    finite_ref, finite_cur = int(np.isfinite(ref["income"]).sum()), int(np.isfinite(cur["income"]).sum())
    assert (income.n_reference, income.n_current) == (finite_ref, finite_cur)
    assert (income.infinite_reference, income.infinite_current) == (2, 3)
    assert income.missing_reference == pytest.approx(1 - finite_ref / 3000)
    assert income.missing_current == pytest.approx(1 - finite_cur / 800)
    debt = report.column("debt_to_income")
    assert debt.infinite_current == 1 and debt.n_current == int(np.isfinite(cur["debt_to_income"]).sum())
    assert all(math.isfinite(c.drift_score) and math.isfinite(c.psi) for c in report.columns)
    as_nan = drift(ref.replace([np.inf, -np.inf], np.nan), cur.replace([np.inf, -np.inf], np.nan),
                   exclude=[TARGET], stattest=stattest)
    for column in report.columns:
        same = as_nan.column(column.column)
        assert (column.drift_score, column.psi, column.drifted) == (same.drift_score, same.psi, same.drifted)
    if stattest == "ks":
        finite = ref["income"][np.isfinite(ref["income"])], cur["income"][np.isfinite(cur["income"])]
        assert income.statistic == pytest.approx(scipy_stats.ks_2samp(*finite).statistic, abs=1e-3)
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_parquet(tmp_path / "cur.parquet")
    chunked = drift(tmp_path / "ref.parquet", tmp_path / "cur.parquet", exclude=[TARGET], stattest=stattest,
                    chunk_rows=500)
    assert chunked.column("income").infinite_current == 3
    _compare(report, chunked)


def test_impact_ranks_important_drift_first(reference):
    current = make_credit_risk(3000, seed=7, scenario="covariate_shift")
    weights = {"utilization_rate": 10.0, "income": 0.1, "credit_score": 0.1}
    report = drift(reference, current, exclude=[TARGET], importance=weights)
    assert report.columns[0].column == "utilization_rate"
    assert report.columns[0].importance == pytest.approx(10 / 10.2)
    assert report.top_features(1) == ["utilization_rate"]
    assert [c.impact for c in report.columns] == sorted((c.impact for c in report.columns), reverse=True)


def test_prediction_drift_is_reported_apart(reference):
    current = make_credit_risk(3000, seed=7, scenario="label_shift")
    ref = reference.assign(score=np.random.default_rng(0).beta(2, 5, len(reference)))
    cur = current.assign(score=np.random.default_rng(1).beta(3, 4, len(current)))
    report = drift(ref, cur, prediction="score", exclude=[TARGET])
    assert report.prediction is not None and report.prediction.drifted
    assert "score" not in [c.column for c in report.columns]


def test_calibrated_thresholds_quiet_small_windows():
    ref = make_credit_risk(5000, seed=3)
    plain = drift(ref, make_credit_risk(60, seed=4), stattest="wasserstein", exclude=[TARGET])
    calibrated = drift(ref, make_credit_risk(60, seed=4), stattest="wasserstein", calibrate=True, exclude=[TARGET])
    assert calibrated.n_drifted < plain.n_drifted
    assert all(c.threshold >= 0.1 for c in calibrated.columns if c.kind == "numeric")
    shifted = drift(ref, make_credit_risk(60, seed=4, scenario="covariate_shift", severity=2),
                    calibrate=True, stattest="wasserstein", exclude=[TARGET])
    assert {"credit_score", "interest_rate"} <= set(shifted.drifted_columns())


def test_windows_over_time(reference):
    early = make_credit_risk(1500, seed=8, start="2026-01-01", days=30)
    late = make_credit_risk(1500, seed=9, scenario="covariate_shift", start="2026-01-31", days=30)
    current = pd.concat([early, late], ignore_index=True)
    report = drift(reference, current, exclude=[TARGET], time_column=TIME_COLUMN, window="30D")
    shares = [w.drift_share for w in report.windows]
    assert len(shares) >= 2 and shares[0] == 0 and shares[-1] > 0.2
    assert sum(w.n_rows for w in report.windows) == len(current)


def test_report_round_trips_as_json(reference):
    report = drift(reference, make_credit_risk(2000, seed=5, scenario="new_category"))
    again = load_report(json.loads(report.to_json()))
    assert isinstance(again, DriftReport)
    assert again.to_dict() == report.to_dict()
    assert "columns drifted" in again.summary()


def _compare(first: DriftReport, second: DriftReport) -> None:
    assert (first.n_reference, first.n_current) == (second.n_reference, second.n_current)
    for a in first.columns:
        b = second.column(a.column)
        assert (a.stattest, a.drifted) == (b.stattest, b.drifted), a.column
        assert math.isclose(a.drift_score, b.drift_score, abs_tol=TOLERANCE), a.column
        assert math.isclose(a.psi, b.psi, abs_tol=TOLERANCE), a.column


def test_parquet_in_chunks_matches_memory(tmp_path, reference):
    current = make_credit_risk(3000, seed=7, scenario="covariate_shift")
    reference.to_parquet(tmp_path / "ref.parquet")
    current.to_csv(tmp_path / "cur.csv", index=False)
    chunked = drift(tmp_path / "ref.parquet", tmp_path / "cur.csv", chunk_rows=700)
    assert chunked.engine == "chunks"
    _compare(drift(reference, current.assign(**{TIME_COLUMN: current[TIME_COLUMN].astype(str)})), chunked)


def _write_parts(frame: pd.DataFrame, folder, sizes: list[int]) -> None:
    """``frame`` as a folder of Parquet files of ``sizes`` rows (several row groups each)."""
    folder.mkdir()
    start = 0
    for number, size in enumerate(sizes):
        frame.iloc[start:start + size].to_parquet(folder / f"part-{number:03d}.parquet", row_group_size=400)
        start += size
    assert start == len(frame)


def test_parquet_folder_in_chunks_matches_memory(tmp_path, reference, summary_pass):
    """A dataset written in parts: every file read, in name order, only the tested columns."""
    current = make_credit_risk(3000, seed=7, scenario="covariate_shift")
    _write_parts(reference, tmp_path / "ref", [2500, 2500, 1000])
    _write_parts(current, tmp_path / "cur", [1000, 2000])
    (tmp_path / "cur" / "README.txt").write_text("not a part")  # other files are left alone
    chunked = drift(tmp_path / "ref", tmp_path / "cur", chunk_rows=700)
    assert chunked.engine == "chunks" and (chunked.n_reference, chunked.n_current) == (6000, 3000)
    _compare(drift(reference, current), chunked)
    some = drift(tmp_path / "ref", tmp_path / "cur", columns=["income", "region"], chunk_rows=700)
    assert [c.column for c in sorted(some.columns, key=lambda c: c.column)] == ["income", "region"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"The current folder .*empty holds no \.parquet file"):
        drift(tmp_path / "ref", tmp_path / "empty")


def test_parquet_pieces_are_whole_row_groups_of_bounded_size(tmp_path, reference):
    from workbench.monitor.sources import parquet_pieces

    _write_parts(reference, tmp_path / "ref", [2500, 3500])
    files = sorted((tmp_path / "ref").glob("*.parquet"))
    pieces = parquet_pieces(files, rows=1000)  # row groups of 400 rows (the last of a file 100 and 300)
    assert [groups for _, groups in pieces] == [(0, 1), (2, 3), (4, 5, 6), (0, 1), (2, 3), (4, 5), (6, 7), (8,)]
    assert [path for path, _ in pieces] == [str(files[0])] * 3 + [str(files[1])] * 5


@pytest.mark.slow
def test_dask_cluster_matches_memory(tmp_path, reference):
    distributed = pytest.importorskip("distributed")
    current = make_credit_risk(3000, seed=7, scenario="new_category")
    reference.to_parquet(tmp_path / "ref.parquet")
    current.to_parquet(tmp_path / "cur.parquet")
    in_memory = drift(reference, current)
    with distributed.LocalCluster(host="127.0.0.1", dashboard_address=None, processes=True, n_workers=2,
                                  threads_per_worker=1) as cluster:
        on_files = drift(tmp_path / "ref.parquet", tmp_path / "cur.parquet", dask=cluster.scheduler_address)
        with distributed.Client(cluster) as client:
            on_frames = drift(reference, current, dask=client, chunk_rows=1000)
        code = main(["drift", str(tmp_path / "ref.parquet"), str(tmp_path / "cur.parquet"),
                     "--dask", cluster.scheduler_address, "--out", str(tmp_path / "drift.json")])
    assert on_files.engine == on_frames.engine == "dask"
    _compare(in_memory, on_files)
    _compare(in_memory, on_frames)
    assert code == 0 and load_report(tmp_path / "drift.json").engine == "dask"


def test_inputs_are_checked(reference):
    with pytest.raises(DataError, match="no column 'nope'"):
        drift(reference, reference, columns=["nope"])
    with pytest.raises(ParameterError, match="Unknown drift test 'kss'"):
        drift(reference, reference, stattest="kss")
    with pytest.raises(DataError, match="current data is empty"):
        drift(reference, reference.iloc[:0])
    with pytest.raises(ParameterError, match="window needs time_column"):
        drift(reference, reference, window="7D")
    with pytest.raises(DataError, match="numeric in the reference but categorical"):
        drift(reference, reference.assign(age=reference["age"].astype(str)))
    with pytest.raises(DataError, match="prediction column 'score' is not in both"):
        drift(reference, reference, prediction="score")
    with pytest.raises(DataError, match=r"use a \.csv or \.parquet"):
        drift(reference, "current.xlsx")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_dask_scheduler_address_matches_memory(tmp_path, reference):
    """The same review on a cluster started as a user would (``dask scheduler`` + ``dask worker``),
    reached by its address: Parquet folders, a file and frames give the in-memory verdicts."""
    import shutil
    import subprocess
    import sys

    distributed = pytest.importorskip("distributed")
    current = make_credit_risk(3000, seed=7, scenario="covariate_shift")
    _write_parts(reference, tmp_path / "ref", [2500, 2500, 1000])
    _write_parts(current, tmp_path / "cur", [1000, 2000])
    current.to_parquet(tmp_path / "cur.parquet")
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or "dask"
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                  "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        worker = subprocess.Popen([dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--memory-limit",
                                   "1GB", "--no-dashboard", "--host", "127.0.0.1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with distributed.Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        in_memory = drift(reference, current)
        on_folders = drift(tmp_path / "ref", tmp_path / "cur", dask=address, chunk_rows=900)
        on_file = drift(tmp_path / "ref", tmp_path / "cur.parquet", dask=address)
        with distributed.Client(address, timeout="60s") as client:
            on_frames = drift(reference, current, dask=client, chunk_rows=1000)
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(30)
    for report in (on_folders, on_file, on_frames):
        assert report.engine == "dask"
        _compare(in_memory, report)
    assert on_folders.drifted_columns() == in_memory.drifted_columns() != []


def test_parquet_statistics_spare_the_second_pass_with_the_same_histograms(tmp_path, reference, monkeypatch,
                                                                          summary_pass):
    """Pass one counts each numeric column on the grid its Parquet min/max imply; only columns
    whose grid turns out otherwise (heavy tails, whole numbers in a float column, ±inf) are read
    again, and every histogram equals the two-pass one bin for bin."""
    from workbench.monitor import _passes
    from workbench.monitor.sources import Source, open_source

    current = make_credit_risk(3000, seed=7, scenario="covariate_shift")
    current.loc[5, "interest_rate"] = np.inf  # Parquet's max is inf: no guess for this column
    reference.to_parquet(tmp_path / "ref.parquet", row_group_size=700)
    _write_parts(current, tmp_path / "cur", [1000, 2000])

    def on_files():
        return (open_source(tmp_path / "ref.parquet", name="reference", chunk_rows=500),
                open_source(tmp_path / "cur", name="current", chunk_rows=500))

    kinds = _passes.choose_columns(on_files()[0].head(), on_files()[1].head(), None, (), None)
    numeric = [name for name, kind in kinds.items() if kind == "numeric"]
    reads: list[list[str] | None] = []
    summarize = Source.summarize
    monkeypatch.setattr(Source, "summarize", lambda self, f, columns=None: reads.append(columns) or summarize(self, f, columns))
    one_pass = _passes.summarize(*on_files(), kinds)
    monkeypatch.setattr(_passes, "guess_grids", lambda *args, **kwargs: {})
    two_pass = _passes.summarize(*on_files(), kinds)
    in_memory = _passes.summarize(open_source(reference, name="reference"), open_source(current, name="current"), kinds)

    reread = {name for name in numeric if one_pass.grids[name].kind == "asinh"} | {"interest_rate"}
    reread |= {name for name in numeric if one_pass.grids[name].kind == "integer" and reference[name].dtype.kind == "f"}
    assert {"loan_amount", "interest_rate", "months_since_delinquency"} <= reread < set(numeric)
    assert [set(columns) for columns in reads[:4]] == [set(kinds), set(kinds), reread, reread]
    assert one_pass.grids == two_pass.grids and one_pass.reference.keys() == two_pass.reference.keys()
    for name in numeric:
        exact_grid = one_pass.grids[name].kind != "asinh"  # the asinh grid's centre is a mean: rounding differs by chunk
        for side in ("reference_hist", "current_hist"):
            ours, again, memory = (getattr(result, side)[name] for result in (one_pass, two_pass, in_memory))
            assert np.array_equal(ours.counts, again.counts) and ours.missing == again.missing, name
            assert not exact_grid or np.array_equal(ours.counts, memory.counts), name

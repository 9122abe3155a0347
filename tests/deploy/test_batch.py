"""Batch scoring in chunks: same predictions as the model, rejects with reasons, logged rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.deploy import read_prediction_log, score_batch
from workbench.project import Project


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_score_batch_chunks_and_rejects(trained, tmp_path, suffix):
    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    frame = trained.split.X_test.head(250).reset_index(drop=True)
    numeric = next(c for c in frame.columns if pd.api.types.is_float_dtype(frame[c]))
    bad = frame.astype({numeric: object})
    bad.loc[[3, 120], numeric] = "oops"
    src = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        bad.to_csv(src, index=False)
    else:
        frame.to_parquet(src)  # Parquet is typed: nothing to reject
    summary = score_batch(project, trained.model_uri, src, tmp_path / f"out{suffix}", chunk_size=100)
    assert summary.chunks == 3 and summary.rows == 250
    expected_rejects = 2 if suffix == ".csv" else 0
    assert summary.rejected == expected_rejects and summary.scored == 250 - expected_rejects
    out = pd.read_csv(summary.output) if suffix == ".csv" else pd.read_parquet(summary.output)
    keep = frame.drop(index=[3, 120]) if expected_rejects else frame
    np.testing.assert_allclose(out["probability"], trained.model.predict_proba(keep)[:, 1], atol=1e-9)
    if expected_rejects:
        rejects = pd.read_csv(summary.rejects)
        assert len(rejects) == 2 and rejects["reason"].str.contains(f"{numeric}: expected a number, got text 'oops'").all()
    assert len(read_prediction_log(project, variant="batch")) == summary.scored


def test_cli_score(trained, tmp_path, capsys):
    from workbench.cli import main

    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root)
    src = tmp_path / "in.parquet"
    trained.split.X_test.head(30).to_parquet(src)
    assert main(["score", trained.model_uri, str(src), str(tmp_path / "out.csv"), "--chunk-size", "10",
                 "--json", "-P", str(root)]) == 0
    assert '"chunks": 3' in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "out.csv")) == 30
    project = Project.load(root)
    assert len(read_prediction_log(project, variant="batch")) == 30
    assert main(["score", trained.model_uri, str(src), str(tmp_path / "again.csv"), "--no-log", "-P", str(root)]) == 0
    assert capsys.readouterr().out == f"Scored 30 of 30 rows in 1 chunk(s) into {tmp_path / 'again.csv'}.\n"
    assert len(read_prediction_log(project, variant="batch")) == 30  # nothing more logged
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again.csv"), pd.read_csv(tmp_path / "out.csv"))


def test_outputs_are_replaced_whole_with_header_and_logged_by_registry_version(trained, tmp_path):
    from workbench.exceptions import InputError
    from workbench.tracking import Tracker

    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    client, name = Tracker(project).client, project.config.model_name
    client.create_registered_model(name)
    version = client.create_model_version(name, trained.model_uri, run_id=trained.run_id).version
    client.set_registered_model_alias(name, "champion", version)
    frame = trained.split.X_test.head(30).reset_index(drop=True)
    numeric = next(c for c in frame.columns if pd.api.types.is_float_dtype(frame[c]))
    good, bad, out = tmp_path / "good.pq", tmp_path / "bad.csv", tmp_path / "out.csv"
    frame.to_parquet(good)
    frame.astype({numeric: object}).assign(**{numeric: "oops"}).to_csv(bad, index=False)

    assert score_batch(project, f"models:/{name}@champion", good, out).scored == 30
    assert set(read_prediction_log(project, variant="batch")["model_version"]) == {str(version)}
    all_rejected = score_batch(project, trained.model_uri, bad, out, log=False)
    assert all_rejected.rejected == 30 and Path(all_rejected.rejects).is_file()
    header_only = pd.read_csv(out)
    assert len(header_only) == 0 and list(header_only.columns) == [*frame.columns, "prediction", "probability"]
    clean = score_batch(project, trained.model_uri, good, out, log=False)
    assert clean.rejects is None and not out.with_suffix(".rejects.csv").exists()
    before = out.read_bytes()
    broken = tmp_path / "broken.csv"
    lines = frame.to_csv(index=False).splitlines()  # good rows: the first chunks are scored and written
    broken.write_text("\n".join([*lines[:25], "1,2,3" + ",4" * 40, *lines[25:]]) + "\n")
    with pytest.raises(InputError, match=r"broken.csv could not be read after 20 rows: Error tokenizing data"):
        score_batch(project, trained.model_uri, broken, out, chunk_size=10, log=False)
    assert out.read_bytes() == before  # a run that fails half-way leaves the earlier output whole
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(InputError, match=f"the input file {tmp_path / 'missing.csv'} does not exist"):
        score_batch(project, trained.model_uri, tmp_path / "missing.csv", out, log=False)


def _copy(trained, tmp_path) -> Project:
    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root)
    return Project.load(root)


def test_parquet_output_types_come_from_the_model_schema_not_the_first_chunk(trained, tmp_path):
    """A column empty in the whole first chunk is still written once later chunks fill it."""
    from workbench.exceptions import InputError

    project = _copy(trained, tmp_path)
    frame = trained.split.X_test.head(60).reset_index(drop=True)
    categorical = next(c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c]) and frame[c].notna().all())
    numeric = next(c for c in frame.columns if pd.api.types.is_float_dtype(frame[c]) and frame[c].notna().all())
    holey = frame.astype({categorical: object, numeric: float})
    holey.loc[:19, [categorical, numeric]] = None  # the whole first chunk of 20 rows
    src = tmp_path / "holey.csv"
    holey.to_csv(src, index=False)
    summary = score_batch(project, trained.model_uri, src, tmp_path / "out.parquet", chunk_size=20, log=False)
    assert (summary.rows, summary.scored, summary.chunks) == (60, 60, 3)
    out = pd.read_parquet(summary.output)
    assert out[categorical].isna().sum() == 20 and out[numeric].isna().sum() == 20
    assert out.loc[20:, categorical].astype(str).tolist() == frame.loc[20:, categorical].astype(str).tolist()
    np.testing.assert_allclose(out.loc[20:, numeric], frame.loc[20:, numeric])
    # a column the model does not know is typed by its first chunk; a later value that does not fit is named
    extra = frame.assign(note=[str(i) for i in range(40)] + ["text"] * 20)
    extra.to_csv(src, index=False)
    with pytest.raises(InputError, match=r"the Parquet output cannot hold a value of column 'note' in a later chunk"):
        score_batch(project, trained.model_uri, src, tmp_path / "out.parquet", chunk_size=20, log=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out.parquet"), out)  # the earlier output is whole


def test_progress_bar_on_stderr_and_cli_no_progress(trained, tmp_path, capsys):
    from workbench.cli import main

    project = _copy(trained, tmp_path)
    src = tmp_path / "in.parquet"
    trained.split.X_test.head(30).to_parquet(src)
    score_batch(project, trained.model_uri, src, tmp_path / "out.csv", chunk_size=10, log=False, progress=True)
    captured = capsys.readouterr()
    assert "scoring in.parquet" in captured.err and "30/30" in captured.err and captured.out == ""
    score_batch(project, trained.model_uri, src, tmp_path / "out.csv", chunk_size=10, log=False)
    assert capsys.readouterr().err == ""
    assert main(["score", trained.model_uri, str(src), str(tmp_path / "out.csv"), "--chunk-size", "10",
                 "--no-progress", "-P", str(project.root)]) == 0
    assert capsys.readouterr().err == ""


def test_memory_stays_flat_as_the_input_grows(trained, tmp_path):
    """Peak traced memory for 40k rows stays within 1.3x of that for 4k rows (same chunk size)."""
    import tracemalloc

    from threadpoolctl import threadpool_limits

    project = _copy(trained, tmp_path)
    base = trained.split.X_test.reset_index(drop=True)
    peaks = {}
    for rows in (4_000, 40_000):
        src = tmp_path / f"in{rows}.csv"
        pd.concat([base] * (rows // len(base) + 1), ignore_index=True).head(rows).to_csv(src, index=False)
        tracemalloc.start()
        try:
            with threadpool_limits(1):  # OpenMP threads spin on a busy machine; memory is what is measured
                summary = score_batch(project, trained.model_uri, src, tmp_path / "out.parquet",
                                      chunk_size=1_000, log=False)
            peaks[rows] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert summary.scored == rows
    assert peaks[40_000] < 1.3 * peaks[4_000], peaks


def test_every_refused_row_of_a_chunk_is_rejected_with_its_reason(trained, tmp_path):
    """More refused rows in one chunk than the 1,000 problems a client answer lists: none is scored."""
    project = _copy(trained, tmp_path)
    base = trained.split.X_test.reset_index(drop=True)
    frame = pd.concat([base] * (3000 // len(base) + 1), ignore_index=True).head(3000)
    numeric = next(c for c in frame.columns if pd.api.types.is_float_dtype(frame[c]))
    bad = frame.astype({numeric: object})
    refused = np.arange(0, 3000, 2)  # 1,500 rows
    bad.loc[refused, numeric] = "oops"
    bad.to_csv(tmp_path / "in.csv", index=False)
    summary = score_batch(project, trained.model_uri, tmp_path / "in.csv", tmp_path / "out.parquet",
                          chunk_size=3000, log=False)
    assert (summary.rows, summary.rejected, summary.scored, summary.chunks) == (3000, 1500, 1500, 1)
    rejects = pd.read_csv(summary.rejects)
    assert len(rejects) == 1500
    assert (rejects["reason"] == f"{numeric}: expected a number, got text 'oops'").all()
    out = pd.read_parquet(summary.output)
    kept = frame.drop(index=refused)
    np.testing.assert_allclose(out["probability"], trained.model.predict_proba(kept)[:, 1], atol=1e-9)
    np.testing.assert_array_equal(out["prediction"], trained.model.predict(kept))

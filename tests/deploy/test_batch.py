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
                 "-P", str(root)]) == 0
    assert '"chunks": 3' in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "out.csv")) == 30


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

"""``workbench init`` on the command line: what it prints, and its refusals as one paragraph."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.cli import main
from workbench.project import Project


def test_init_data_prints_what_it_inferred_and_the_next_command(tmp_path: Path, write_data, mixed_frame, capsys) -> None:
    frame = mixed_frame()
    frame["customer_id"] = np.arange(len(frame))
    source = write_data(frame)
    assert main(["init", str(tmp_path / "churn"), "--data", str(source), "--target", "churned",
                 "--sensitive", "group", "--name", "Churn model"]) == 0
    out = capsys.readouterr().out
    counts = frame["churned"].value_counts()
    rarer = counts.idxmin()
    lines = out.splitlines()
    assert lines[0] == f"Read {source}: 400 rows, 7 columns."
    assert lines[1] == ("Target:      'churned', binary (inferred from its values; pass --task to choose): 2 classes: "
                        + ", ".join(f"{label!r} ({count} rows)" for label, count in counts.items()) + ".")
    assert lines[2] == f"Positive:    {rarer!r} (pass --positive-label to choose another class)."
    assert "Features:    2 numeric, 2 categorical." in lines
    groups = ", ".join(f"{label} ({count})" for label, count in frame["group"].value_counts().items())
    assert f"Sensitive:   'group' with 2 groups: {groups}; left out of the model's inputs." in lines
    assert any(line.startswith("Note:        'customer_id' has a distinct value on every row") for line in lines)
    assert "Held out:    80 rows as production traffic in data/production.parquet (a seeded random share); " \
           "320 training rows in data/data.parquet." in lines
    assert any(line.startswith(f"Created project 'Churn model' in {tmp_path / 'churn'} (") for line in lines)
    assert f"Next:        cd {tmp_path / 'churn'} && for nb in notebooks/0*.ipynb; do workbench approve" in out
    assert Project.load(tmp_path / "churn").name == "Churn model"


def test_task_can_be_forced(tmp_path: Path, write_data, mixed_frame, capsys) -> None:
    frame = mixed_frame()
    frame["score_band"] = frame["score"] // 100  # whole numbers 3..8: read as classes unless told otherwise
    source = write_data(frame)
    assert main(["init", str(tmp_path / "a"), "--data", str(source), "--target", "score_band"]) == 0
    assert "'score_band', multiclass (inferred from its values" in capsys.readouterr().out
    assert main(["init", str(tmp_path / "b"), "--data", str(source), "--target", "score_band", "--task", "regression"]) == 0
    assert "'score_band', regression (as given)" in capsys.readouterr().out
    assert Project.load(tmp_path / "b").config.data.task == "regression"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--data", "x.csv"], "error: --data needs --target COL: the column to predict. For example: workbench init"),
        (["--target", "churned"], "error: --target describe(s) your data, but no --data FILE was given."),
        (["--sensitive", "sex", "--task", "binary"], "error: --sensitive, --task describe(s) your data, but no --data"),
        (["--data", "x.csv", "--target", "y", "--rows", "10"], "error: --rows sizes the demo's generated data"),
    ],
)
def test_option_mistakes(tmp_path: Path, capsys, arguments: list[str], message: str) -> None:
    assert main(["init", str(tmp_path / "p"), *arguments]) == 2
    assert capsys.readouterr().err.startswith(message)
    assert not (tmp_path / "p").exists()


def test_bad_data_is_one_paragraph_without_traceback(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    frame.loc[[0, 1], "churned"] = None
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "init", str(tmp_path / "p"), "--data", str(write_data(frame)),
         "--target", "churned"], capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2
    assert done.stderr == ("error: The target column 'churned' has 2 missing values. Drop the unlabelled rows "
                           "(or fill them) before training; a model cannot learn from them.\n")
    assert "Traceback" not in done.stderr and done.stdout == ""

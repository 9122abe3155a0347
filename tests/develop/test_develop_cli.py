"""`workbench check MODEL`: by phase name, with its HTML, JSON and pytest outputs."""

from __future__ import annotations

import json

from workbench.cli import main


def test_check_by_phase_writes_reports_and_tests(trained, tmp_path, capsys):
    args = ["check", "evaluate", "--examples", "5", "-P", str(trained.project.root),
            "--out", str(tmp_path / "r.html"), "--out", str(tmp_path / "r.json"), "--tests", str(tmp_path / "test_r.py")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "no findings" in out and "missing_columns" in out
    assert json.loads((tmp_path / "r.json").read_text())["model"] == f"runs:/{trained.run_id}/model"
    assert "def test_guard_missing_columns_0(robust)" in (tmp_path / "test_r.py").read_text()


def test_check_names_an_unknown_model(trained, capsys):
    assert main(["check", "somewhere", "-P", str(trained.project.root)]) == 2
    assert "Cannot tell which model 'somewhere' means" in capsys.readouterr().err


def test_check_takes_every_policy_and_the_batch_cap(trained, tmp_path, capsys):
    args = ["check", "evaluate", "--examples", "3", "-P", str(trained.project.root), "--non-finite", "reject",
            "--max-rows", "40", "--unseen", "reject", "--out", str(tmp_path / "r.json")]
    assert main(args) == 0
    policy = json.loads((tmp_path / "r.json").read_text())["policy"]
    assert (policy["non_finite"], policy["max_rows"], policy["unseen"]) == ("reject", 40, "reject")
    assert "40-row cap" in (tmp_path / "r.json").read_text()
    assert main(["check", "evaluate", "-P", str(trained.project.root), "--max-rows", "0"]) == 2
    assert "max_rows must be a whole number of at least 1, not 0" in capsys.readouterr().err

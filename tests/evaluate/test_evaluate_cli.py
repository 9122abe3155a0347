"""`workbench evaluate` as a user runs it: reports written, gates printed, exit 1 on a failed gate."""

from __future__ import annotations

import json
import shutil

import pytest

from workbench.cli import main
from workbench.reports import load_report


def test_evaluate_writes_reports_and_gates(trained, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", "-P", str(trained.project.root), "--out", str(tmp_path), "--bootstrap", "20", "--shap-rows", "200"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"model runs:/{trained.run_id}/model" in printed and "evaluate gates passed" in printed
    for name in ("metrics", "fairness", "explanation", "gates"):
        assert (tmp_path / f"{name}.html").is_file()
        assert load_report(tmp_path / f"{name}.json").kind == name
    assert load_report(tmp_path / "metrics.json").n_bootstrap == 20


def test_failed_gate_exits_1_and_bad_model_is_named(trained, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root)
    config = root / "workbench.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("min_roc_auc = 0.70", "min_roc_auc = 0.99"), encoding="utf-8")
    assert main(["evaluate", "-P", str(root), "--bootstrap", "0", "--shap-rows", "100", "--json"]) == 1
    gates = json.loads(capsys.readouterr().out)
    assert gates["results"][0]["name"] == "min_roc_auc" and not gates["results"][0]["passed"]
    assert main(["evaluate", "-P", str(root), "--model", "runs:/0123456789abcdef/model"]) == 2
    assert "error: Cannot load the model at runs:/0123456789abcdef/model" in capsys.readouterr().err


def test_the_projects_positive_label_is_the_one_reviewed(trained, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root)
    config = root / "workbench.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("positive_label = 1", "positive_label = 0"), encoding="utf-8")
    main(["evaluate", "-P", str(root), "--out", str(tmp_path / "out"), "--bootstrap", "0", "--shap-rows", "100"])
    capsys.readouterr()
    metrics, fairness = load_report(tmp_path / "out" / "metrics.json"), load_report(tmp_path / "out" / "fairness.json")
    assert metrics.positive_label == "0" and fairness.positive_label == "0"
    assert metrics.confusion_labels == ("1", "0")

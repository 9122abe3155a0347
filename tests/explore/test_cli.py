"""The Explore commands as a user runs them: profile, schema infer, validate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.datasets import make_credit_risk
from workbench.reports.base import load_report


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("explore-cli")
    paths = {"ref": folder / "ref.csv", "cur": folder / "cur.parquet"}
    make_credit_risk(3000, seed=0).to_csv(paths["ref"], index=False)
    make_credit_risk(3000, seed=1, scenario="new_category", severity=1.0).to_parquet(paths["cur"])
    return paths


def test_profile_writes_html_and_json(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    html, out = files["ref"].with_name("p.html"), files["ref"].with_name("p.json")
    assert main(["profile", str(files["ref"]), "--target", "default", "--out", str(html), "--out", str(out)]) == 0
    report = load_report(out)
    assert report.n_rows == 3000
    assert "<html" in html.read_text(encoding="utf-8").lower()
    printed = capsys.readouterr().out
    assert "warning [id_like] application_date" in printed and f"wrote {html}" in printed


def test_profile_json_prints_the_report_alone(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    html = files["ref"].with_name("alone.html")
    assert main(["profile", str(files["ref"]), "--target", "default", "--json", "--html", str(html)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["n_rows"] == 3000  # stdout is the JSON and nothing else
    assert f"wrote {html}" in captured.err and html.is_file()


def test_schema_infer_then_validate(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    schema = files["ref"].with_name("schema.json")
    assert main(["schema", "infer", str(files["ref"]), "--out", str(schema)]) == 0
    assert json.loads(schema.read_text(encoding="utf-8"))["kind"] == "schema"
    assert main(["validate", str(files["ref"]), "--schema", str(schema)]) == 0
    capsys.readouterr()
    assert main(["validate", str(files["cur"]), "--schema", str(schema)]) == 1
    printed = capsys.readouterr().out
    assert "loan_purpose: isin(categories) failed" in printed
    assert "crypto" in printed


def test_bad_input_is_one_readable_error(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", str(files["ref"]), "--target", "nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err
    assert main(["validate", str(files["ref"].with_name("missing.csv")), "--schema", "x.json"]) == 2
    assert "No such data file" in capsys.readouterr().err

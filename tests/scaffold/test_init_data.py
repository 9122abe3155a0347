"""``init_from_data``: what it infers and writes, checked against the data and the config it validates."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_wine

from workbench.config import CARD_PLACEHOLDER
from workbench.evaluate.gates import fairness_thresholds
from workbench.exceptions import ConfigError
from workbench.package.gates import package_gates
from workbench.project import Project
from workbench.scaffold import InitSummary, init_from_data
from workbench.scaffold.config_text import TASK_DEFAULTS
from workbench.tasks import TASKS


def test_binary_text_target_is_copied_split_and_configured(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    source = write_data(frame)
    summary = init_from_data(tmp_path / "churn", data=source, target="churned", sensitive=["group"])
    project = Project.load(summary.root)
    data = project.config.data
    assert (data.task, summary.task_inferred) == ("binary", True)
    rarer = frame["churned"].value_counts().idxmin()
    assert data.positive_label == rarer == summary.positive_label
    assert data.sensitive == ("group",) and data.id_columns == ()
    training, production = project.load_data(), project.load_production()
    assert len(training) + len(production) == len(frame) == summary.rows
    assert len(production) == summary.production_rows == 80
    assert list(training.columns) == list(frame.columns)
    # Every row lands in exactly one file, unchanged.
    both = pd.concat([training, production]).sort_values(["income", "score"]).reset_index(drop=True)
    expected = frame.sort_values(["income", "score"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(both, expected, check_dtype=False)
    # Stratified: the held-out share of each class is the overall share.
    shares = production["churned"].value_counts() / frame["churned"].value_counts()
    assert np.allclose(shares, 0.2, atol=0.01)
    assert summary.numeric == ("income", "score") and summary.categorical == ("region", "member")
    assert summary.sensitive == {"group": frame["group"].value_counts().to_dict()}
    raw = tomllib.loads((project.root / "workbench.toml").read_text())
    gated = {f"max_{name}" for name in fairness_thresholds(project) if name != "fairness_evidence"}
    assert gated == {"max_demographic_parity_difference", "max_equalized_odds_difference"}
    assert gated <= set(raw["gates"]["evaluate"])


def test_config_reads_back_and_its_card_text_gate_flags_the_placeholders(tmp_path: Path, write_data, mixed_frame) -> None:
    summary = init_from_data(tmp_path / "p", data=write_data(mixed_frame()), target="churned")
    project = Project.load(summary.root)
    raw = tomllib.loads((project.root / "workbench.toml").read_text())
    assert raw["package"]["intended_use"].startswith(CARD_PLACEHOLDER)
    assert project.config.gate("package", "require_card_text") is True
    assert "credit" not in (project.root / "workbench.toml").read_text().lower()
    card = _card_text_gate(project)
    assert not card.passed
    assert card.reason.startswith("write [package] intended_use and limitations in workbench.toml")
    text = (project.root / "workbench.toml").read_text()
    text = text.replace(raw["package"]["intended_use"], "Rank customers for a retention call.")
    (project.root / "workbench.toml").write_text(text)
    card = _card_text_gate(Project.load(project.root))
    assert not card.passed and card.reason.startswith("write [package] limitations in")
    text = text.replace(raw["package"]["limitations"][0], "Six months of one region's customers.")
    (project.root / "workbench.toml").write_text(text)
    card = _card_text_gate(Project.load(project.root))
    assert card.passed and card.reason == "the model card's intended use and limitations are written"


def _card_text_gate(project: Project):
    gates = package_gates(project, lineage={}, card_sources={}, bundle_mb=1.0)
    return next(r for r in gates.results if r.name == "card_text")


def test_no_sensitive_column_writes_no_fairness_gates(tmp_path: Path, write_data, mixed_frame) -> None:
    summary = init_from_data(tmp_path / "p", data=write_data(mixed_frame()), target="churned")
    raw = tomllib.loads((Path(summary.root) / "workbench.toml").read_text())
    assert raw["data"]["sensitive"] == []
    assert not {k for k in raw["gates"]["evaluate"] if "parity" in k or "odds" in k or "group" in k}
    assert "fairness review is not applicable" in summary.to_text()


def test_multiclass_and_regression_get_their_gate_and_alert(tmp_path: Path, write_data, mixed_frame) -> None:
    wine = load_wine(as_frame=True).frame
    diabetes = load_diabetes(as_frame=True, scaled=False).frame
    made = {
        "multiclass": init_from_data(tmp_path / "wine", data=write_data(wine, "wine.csv"), target="target"),
        "regression": init_from_data(tmp_path / "diabetes", data=write_data(diabetes, "diabetes.parquet"),
                                     target="target", sensitive=["sex"]),
    }
    for task, summary in made.items():
        project = Project.load(summary.root)
        assert project.config.data.task == task and summary.positive_label is None
        raw = tomllib.loads((project.root / "workbench.toml").read_text())
        assert raw["gates"]["evaluate"][TASKS[task].min_gate] == TASK_DEFAULTS[task].gate_value
        performance = next(rule for rule in raw["alerts"] if rule["name"] == "performance")
        assert performance["metric"] == TASK_DEFAULTS[task].alert_metric
    # The fairness limits written are the ones the task's fairness review is gated on.
    regression = Project.load(made["regression"].root)
    gated = {f"max_{name}" for name in fairness_thresholds(regression) if name != "fairness_evidence"}
    raw = tomllib.loads((regression.root / "workbench.toml").read_text())
    assert gated == {"max_mean_prediction_difference", "max_mae_difference"} and gated <= set(raw["gates"]["evaluate"])
    assert "3 classes: 1 (71 rows), 0 (59 rows), 2 (48 rows)" in made["multiclass"].target_description
    assert made["regression"].target_description.startswith("values from 25 to 346")


def test_every_task_has_starting_thresholds() -> None:
    assert set(TASK_DEFAULTS) == set(TASKS)


def test_time_column_holds_out_the_latest_rows(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    frame["signed_up"] = (pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(frame)) * 7, unit="h")).strftime("%d/%m/%Y %H:%M")
    frame = frame.sample(frac=1.0, random_state=1)
    summary = init_from_data(tmp_path / "p", data=write_data(frame), target="churned", time_column="signed_up")
    project = Project.load(summary.root)
    training, production = project.load_data(), project.load_production()
    assert pd.api.types.is_datetime64_any_dtype(training["signed_up"])
    assert production["signed_up"].min() > training["signed_up"].max()
    assert project.config.data.time_column == "signed_up"
    assert "the latest by time" in summary.to_text()


def test_id_text_and_date_columns_get_roles_and_notes(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    rng = np.random.default_rng(3)
    words = np.array(["late", "delivery", "great", "service", "refund", "please", "call", "me", "again", "thanks"])
    frame["customer_id"] = np.arange(1000, 1000 + len(frame))
    frame["order_ref"] = [f"R-{i:06d}" for i in rng.permutation(len(frame))]
    frame["review"] = [" ".join(rng.choice(words, 8)) + f" #{i}" for i in range(len(frame))]
    frame["last_order"] = pd.date_range("2024-01-01", periods=len(frame), freq="D").strftime("%Y-%m-%d")
    frame["empty"] = np.nan
    summary = init_from_data(tmp_path / "p", data=write_data(frame), target="churned")
    project = Project.load(summary.root)
    assert project.config.data.id_columns == ("customer_id", "order_ref")
    notes = {note.column: note for note in summary.notes}
    assert notes["customer_id"].message.startswith(
        "'customer_id' has a distinct value on every row: an ID, not a feature. It is listed in [data] id_columns")
    assert notes["review"].role == "text" and notes["review"].message.startswith("'review' holds free text (100% distinct")
    assert notes["last_order"].message.startswith(
        "'last_order' holds dates: dropped from the features (a model cannot use raw dates). "
        "Pass --time-column last_order to make it the project's time column")
    assert notes["empty"].message == "'empty' has no values at all: dropped."
    kept = set(project.load_data().columns)
    assert {"customer_id", "order_ref"} <= kept and not {"review", "last_order", "empty"} & kept
    text = summary.to_text()
    for note in summary.notes:
        assert f"Note:        {note.message}" in text


def test_parquet_categories_and_booleans(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    frame["region"] = frame["region"].astype("category")
    frame["churned"] = frame["churned"] == "yes"
    summary = init_from_data(tmp_path / "p", data=write_data(frame, "data.parquet"), target="churned")
    project = Project.load(summary.root)
    assert project.config.data.positive_label is True
    assert project.load_data()["region"].dtype.kind in "OT" or pd.api.types.is_string_dtype(project.load_data()["region"])


def test_positive_label_is_read_like_the_column(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    frame["churned"] = (frame["churned"] == "yes").astype(int)
    summary = init_from_data(tmp_path / "p", data=write_data(frame), target="churned", positive_label="0")
    assert summary.positive_label == 0 and Project.load(summary.root).config.data.positive_label == 0
    assert init_from_data(tmp_path / "q", data=write_data(frame), target="churned").positive_label == 1


def test_existing_project_needs_force(tmp_path: Path, write_data, mixed_frame) -> None:
    source = write_data(mixed_frame())
    init_from_data(tmp_path / "p", data=source, target="churned")
    with pytest.raises(ConfigError, match="already holds a project"):
        init_from_data(tmp_path / "p", data=source, target="churned")
    summary = init_from_data(tmp_path / "p", data=source, target="churned", holdout=0.3, force=True)
    assert summary.production_rows == 120


def test_summary_round_trips(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    frame["customer_id"] = np.arange(len(frame))
    summary = init_from_data(tmp_path / "p", data=write_data(frame), target="churned", sensitive=["group"])
    again = InitSummary.from_dict(summary.to_dict())
    assert again == summary and again.to_text() == summary.to_text()


def test_init_project_makes_either_kind(tmp_path: Path, write_data, mixed_frame) -> None:
    from workbench.exceptions import ParameterError
    from workbench.scaffold import init_project

    project = init_project(tmp_path / "mine", data=write_data(mixed_frame()), target="churned", sensitive=["group"])
    assert (project.config.data.target, project.config.data.sensitive) == ("churned", ("group",))
    demo = init_project(tmp_path / "demo", rows=300)
    assert demo.config.data.target == "default"
    with pytest.raises(ParameterError) as info:
        init_project(tmp_path / "x", target="churned")
    assert str(info.value).startswith("target describe(s) your data, but no data file was given.")
    with pytest.raises(ParameterError) as info:
        init_project(tmp_path / "x", data=write_data(mixed_frame()))
    assert str(info.value).startswith("A project on your data needs a target: the column to predict.")

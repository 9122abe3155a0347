"""Bad input at ``workbench init --data``: each refusal names the column (or file) and what to do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.exceptions import DataError, ParameterError, WorkbenchError
from workbench.scaffold import init_from_data


def _refused(tmp_path: Path, source: Path, error: type[WorkbenchError] = DataError, **options) -> WorkbenchError:
    options.setdefault("target", "churned")
    with pytest.raises(error) as info:
        init_from_data(tmp_path / "project", data=source, **options)
    assert not (tmp_path / "project" / "workbench.toml").exists()
    return info.value


def test_target_with_missing_values(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    frame.loc[[3, 10, 11], "churned"] = None
    err = _refused(tmp_path, write_data(frame))
    assert str(err) == ("The target column 'churned' has 3 missing values. Drop the unlabelled rows (or fill them) "
                        "before training; a model cannot learn from them.")
    assert err.column == "churned"


def test_target_with_one_class(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame().assign(churned="no")
    err = _refused(tmp_path, write_data(frame), task="binary")
    assert str(err).startswith("The target column 'churned' has a single class ('no'): there is nothing to tell apart.")


def test_multiclass_target_with_a_class_of_three_rows(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    frame["churned"] = np.where(frame.index % 2 == 0, "stay", "leave")
    frame.loc[[0, 1, 2], "churned"] = "paused"
    err = _refused(tmp_path, write_data(frame))
    assert str(err).startswith(
        "The target column 'churned' has classes too small to split into training and test rows: 'paused' (3 rows).")
    assert "Each class needs at least 5 rows" in str(err)


def test_regression_target_with_infinities(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    frame["spend"] = frame["income"] / 100
    frame.loc[[5, 6], "spend"] = [np.inf, -np.inf]
    err = _refused(tmp_path, write_data(frame), target="spend", task="regression")
    assert str(err) == ("The target column 'spend' has 2 infinite values. Drop or correct those rows: a regression "
                        "target must be a finite number.")


def test_sensitive_column_with_missing_values(tmp_path: Path, write_data, mixed_frame) -> None:
    frame = mixed_frame()
    frame.loc[[1, 2, 3, 4], "group"] = None
    err = _refused(tmp_path, write_data(frame), sensitive=["group"])
    assert str(err).startswith("The sensitive column 'group' has 4 missing values: those rows belong to no group")
    assert "Fill them with a group of their own (e.g. 'unknown') or drop those rows" in str(err)


def test_sensitive_column_that_is_a_measurement(tmp_path: Path, write_data, mixed_frame) -> None:
    err = _refused(tmp_path, write_data(mixed_frame()), sensitive=["income"])
    assert str(err).startswith("The sensitive column 'income' has 400 distinct values: too many groups to compare")
    assert "Bin it into a few bands" in str(err)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"target": "Churned"}, "The target column 'Churned' is not in data.csv. Did you mean 'churned'?"),
        ({"target": "churn"}, "The target column 'churn' is not in data.csv. Did you mean 'churned'?"),
        ({"sensitive": ["groups"]}, "The sensitive column 'groups' is not in data.csv. Did you mean 'group'?"),
        ({"time_column": "when"}, "The time column 'when' is not in data.csv. Pass --time-column with one of its columns"),
    ],
)
def test_a_named_column_that_does_not_exist(tmp_path: Path, write_data, mixed_frame, options, message) -> None:
    err = _refused(tmp_path, write_data(mixed_frame()), **options)
    assert str(err).startswith(message)


def test_time_column_that_is_not_dates(tmp_path: Path, write_data, mixed_frame) -> None:
    err = _refused(tmp_path, write_data(mixed_frame()), time_column="region")
    first = mixed_frame()["region"].iloc[0]
    assert str(err) == (f"The time column 'region' does not hold dates: {first!r} is not a date or time. Write its "
                        "values as dates (YYYY-MM-DD or ISO 8601 times) or leave --time-column out.")
    err = _refused(tmp_path, write_data(mixed_frame()), time_column="score")
    assert str(err).startswith("The time column 'score' holds numbers (e.g. ")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data.csv", b"a,b,churned\n1,2,yes\n3,4,no,5\n", "as CSV: CSV parse error: Expected 3 columns, got 4"),
        ("data.csv", "a,churned\n1,caf\xe9\n".encode("latin-1"), "Column 'churned' of"),
        ("data.csv", b"", "is empty (0 bytes)"),
        ("data.csv", b"a,churned\n", "has column names but no rows"),
        ("data.parquet", b"PAR1 this is not parquet", "as Parquet:"),
        ("data.xlsx", b"PK\x03\x04", "the file type '.xlsx' is not supported"),
    ],
)
def test_unreadable_file(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    err = _refused(tmp_path, source)
    assert message in str(err) and str(source) in str(err)


def test_non_utf8_text_names_the_fix(tmp_path: Path) -> None:
    source = tmp_path / "data.csv"
    source.write_bytes("a,churned\n1,caf\xe9\n".encode("latin-1"))
    err = _refused(tmp_path, source)
    assert "holds bytes that are not UTF-8 text" in str(err) and "Save the file with UTF-8 encoding" in str(err)


def test_missing_file(tmp_path: Path) -> None:
    err = _refused(tmp_path, tmp_path / "nowhere.csv")
    assert str(err) == f"No such data file: {tmp_path / 'nowhere.csv'}. Check the path given to --data."


def test_too_few_rows_and_no_features(tmp_path: Path, write_data, mixed_frame) -> None:
    err = _refused(tmp_path, write_data(mixed_frame(n_rows=30)))
    assert str(err).startswith("data.csv has 30 rows; a project needs at least 50")
    frame = mixed_frame()[["churned"]].assign(row_id=np.arange(400))
    err = _refused(tmp_path, write_data(frame))
    assert str(err).startswith("data.csv has no column left for the model to learn from: 'row_id' has a distinct value")


def test_positive_label_that_is_not_a_class(tmp_path: Path, write_data, mixed_frame) -> None:
    err = _refused(tmp_path, write_data(mixed_frame()), ParameterError, positive_label="maybe")
    classes = ", ".join(repr(c) for c in mixed_frame()["churned"].value_counts().index)
    assert str(err) == (f"--positive-label 'maybe' is not a class of the target column 'churned' ({classes}). "
                        f"Pass one of: {classes}.")
    frame = mixed_frame()
    frame["churned"] = (frame["churned"] == "yes").astype(int)
    err = _refused(tmp_path, write_data(frame), ParameterError, positive_label="yes")
    assert str(err).startswith("--positive-label 'yes' is not a value of the target column 'churned'")


def test_positive_label_of_a_multiclass_target(tmp_path: Path, write_data, mixed_frame) -> None:
    err = _refused(tmp_path, write_data(mixed_frame()), ParameterError, target="region", positive_label="north")
    assert str(err).startswith("--positive-label north applies to a binary target, but 'region' is a multiclass "
                               "classification target.")


def test_source_inside_the_project_data_folder(tmp_path: Path, mixed_frame) -> None:
    source = tmp_path / "project" / "data" / "production.parquet"
    source.parent.mkdir(parents=True)
    mixed_frame().to_parquet(source)
    err = _refused(tmp_path, source)
    assert str(err).startswith(f"{source} is where init writes the project's copy of the data")


def test_unknown_task_and_holdout(tmp_path: Path, write_data, mixed_frame) -> None:
    source = write_data(mixed_frame())
    err = _refused(tmp_path, source, ParameterError, task="ranking")
    assert str(err).startswith("Unknown task 'ranking'. Use --task auto")
    err = _refused(tmp_path, source, ParameterError, holdout=0.9)
    assert str(err).startswith("--holdout 0.9 is out of range")

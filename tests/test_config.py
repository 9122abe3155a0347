"""workbench.toml validation: every error names the key, the bad value, what was expected and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.config import load_config
from workbench.exceptions import ConfigError
from workbench.project import Project

GOOD = """
[project]
name = "p"
[data]
path = "data.csv"
target = "y"
sensitive = ["g"]
"""


def _write(tmp_path: Path, text: str, *, data: str = "x,g,y\n1,a,0\n2,b,1\n") -> Path:
    (tmp_path / "data.csv").write_text(data)
    path = tmp_path / "workbench.toml"
    path.write_text(text)
    return path


def _error(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        Project.load(_write(tmp_path, text))
    return info.value


def test_good_config_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, GOOD))
    assert config.name == "p"
    assert config.data.task == "binary"
    assert config.data.sensitive == ("g",)
    assert config.model_name == "p"
    assert config.gate("evaluate", "min_roc_auc") == 0.7


def test_unknown_key_is_named_with_known_keys(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace('target = "y"', 'target = "y"\ntargte = "y"'))
    assert err.key == "data.targte"
    assert "unknown key 'targte' in [data]" in str(err)
    assert "Known keys in [data]:" in str(err) and "target" in str(err)
    assert str(tmp_path / "workbench.toml") in str(err)


def test_unknown_section(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD + "\n[serving]\nport = 1\n")
    assert "unknown section [serving]" in str(err)


def test_wrong_type_names_value_and_expectation(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace('target = "y"', "target = 3"))
    assert err.key == "data.target" and err.value == 3
    assert "'data.target' = 3 has the wrong type: expected a string, got int" in str(err)


def test_bool_is_not_a_number(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD + "\n[gates.evaluate]\nmin_roc_auc = true\n")
    assert "'gates.evaluate.min_roc_auc' = True has the wrong type: expected a number" in str(err)


def test_choice_lists_allowed_values(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace('target = "y"', 'target = "y"\ntask = "clasification"'))
    assert "'data.task' = 'clasification' is not allowed: expected one of 'binary', 'multiclass', 'regression', 'classification'" in str(err)


def test_list_items_are_checked(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace('sensitive = ["g"]', 'sensitive = ["g", 2]'))
    assert "'data.sensitive' must be a list of a string, but it holds 2" in str(err)


def test_missing_required_key(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace('target = "y"\n', ""))
    assert err.key == "data.target"
    assert "the required key 'data.target' is missing" in str(err)


def test_missing_data_file(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace("data.csv", "nope.csv"))
    assert err.key == "data.path"
    assert "[data] path = 'nope.csv' does not exist" in str(err)


def test_target_not_a_column(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace('target = "y"', 'target = "label"'))
    assert err.key == "data.target" and err.value == "label"
    assert "'data.target' names the column 'label', which is not in data.csv (columns: x, g, y)" in str(err)


def test_sensitive_not_a_column(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace('sensitive = ["g"]', 'sensitive = ["sex"]'))
    assert err.key == "data.sensitive" and "'sex'" in str(err)


def test_unknown_gate_phase(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD + "\n[gates.training]\nx = 1\n")
    assert "unknown phase 'training' in [gates.training]" in str(err)


def test_invalid_toml(tmp_path: Path) -> None:
    err = _error(tmp_path, "[project\nname=")
    assert "is not valid TOML" in str(err)


def test_no_project_here(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"No workbench\.toml found in"):
        Project.load(tmp_path)

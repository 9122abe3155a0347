"""Pipeline specs and typed parameters: every problem is named before anything runs."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.exceptions import ConfigError, ParameterError, PipelineError
from workbench.pipelines import get_pipeline, load_pipelines, validate_parameters
from workbench.pipelines.params import parse_assignments, resolve_step_parameters

PARAMS = {
    "rows": {"type": "int", "default": 10},
    "cutoff": {"type": "float", "default": 0.5},
    "label": "str",
    "dry": {"type": "bool", "default": False},
    "day": {"type": "date", "default": "2026-01-31"},
    "data": {"type": "path", "default": "data.csv"},
    "mode": {"type": "choice", "choices": ["fast", "full"], "default": "fast"},
}


def _pipe(**extra):
    return {"parameters": PARAMS, "steps": [{"name": "a", "notebook": "notebooks/a.ipynb"}], **extra}


def test_typed_parameters_are_parsed_and_defaults_filled(tiny):
    spec = get_pipeline(tiny({"p": _pipe()}, {"a.ipynb": ("1",)}))
    values = validate_parameters(spec, {"rows": "7", "cutoff": "0.25", "label": "x", "dry": "yes",
                                        "day": dt.date(2026, 2, 1), "mode": "full"})
    assert values == {"rows": 7, "cutoff": 0.25, "label": "x", "dry": True, "day": "2026-02-01",
                      "data": str(spec.root / "data.csv"), "mode": "full"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"label": "x", "rows": "seven"}, "Parameter 'rows' of pipeline 'p' = 'seven' is not valid: expected a whole number"),
        ({"label": "x", "rows": 1.5}, "expected a whole number"),
        ({"label": "x", "dry": "maybe"}, "expected true or false"),
        ({"label": "x", "day": "31/01/2026"}, "expected an ISO date"),
        ({"label": "x", "mode": "slow"}, "expected one of 'fast', 'full'"),
        ({"label": "x", "data": "../outside.csv"}, "expected a path inside the project"),
        ({"label": "x", "nope": 1}, "Pipeline 'p' has no parameter 'nope'"),
        ({}, "Pipeline 'p' needs the parameter 'label' (str)"),
    ],
)
def test_wrong_parameters_are_refused(tiny, raw, message):
    spec = get_pipeline(tiny({"p": _pipe()}, {"a.ipynb": ("1",)}))
    with pytest.raises(ParameterError) as info:
        validate_parameters(spec, raw)
    assert message in str(info.value)


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_int_parameters_round_trip_as_text(number):
    from workbench.pipelines.params import coerce_value

    assert coerce_value({"type": "int"}, str(number), root=None) == number
    assert coerce_value({"type": "float"}, str(number), root=None) == float(number)


def test_assignments_and_references():
    assert parse_assignments(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(ParameterError, match="not of the form key=value"):
        parse_assignments(["oops"])
    assert resolve_step_parameters({"t": "${cutoff}", "s": "at ${cutoff}", "k": 3}, {"cutoff": 0.4}) == {
        "t": 0.4, "s": "at 0.4", "k": 3}


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        ({"steps": []}, "expected a non-empty list of steps"),
        ({"steps": [{"notebook": "a.txt"}]}, "expected a .ipynb path"),
        ({"steps": [{"notebook": "../a.ipynb"}]}, "a path inside the project"),
        ({"steps": [{"notebook": "notebooks/a.ipynb", "retry": 1}]}, "unknown key 'retry'"),
        ({"steps": [{"notebook": "notebooks/a.ipynb", "depends_on": ["x"]}]}, "the name of another step"),
        ({"steps": [{"name": "x", "notebook": "notebooks/a.ipynb", "depends_on": ["y"]},
                    {"name": "y", "notebook": "notebooks/a.ipynb", "depends_on": ["x"]}]}, "without a cycle"),
        ({"schedule": "every day", "steps": [{"notebook": "notebooks/a.ipynb"}]}, "a cron expression"),
        ({"timezone": "Mars/Base", "steps": [{"notebook": "notebooks/a.ipynb"}]}, "an IANA time zone"),
        ({"parameters": {"n": {"type": "integer"}}, "steps": [{"notebook": "notebooks/a.ipynb"}]}, "one of int, float"),
        ({"parameters": {"n": {"type": "int", "default": "x"}}, "steps": [{"notebook": "notebooks/a.ipynb"}]}, "a valid int"),
        ({"steps": [{"notebook": "notebooks/a.ipynb", "parameters": {"t": "${nope}"}}]}, "Declare `nope`"),
    ],
)
def test_invalid_specs_name_the_key(tiny, pipeline, message):
    with pytest.raises(ConfigError) as info:
        load_pipelines(tiny({"p": pipeline}, {"a.ipynb": ("1",)}, approve=False))
    assert message in str(info.value)
    assert "pipeline.yaml" in str(info.value)


def test_toml_section_and_yaml_merge_and_order(tiny):
    toml = """
[pipelines.nightly]
schedule = "0 2 * * *"
timezone = "Europe/Paris"

[[pipelines.nightly.steps]]
name = "second"
notebook = "notebooks/a.ipynb"
depends_on = ["first"]

[[pipelines.nightly.steps]]
name = "first"
notebook = "notebooks/a.ipynb"
retries = 2
timeout = 30
"""
    project = tiny({"p": _pipe()}, {"a.ipynb": ("1",)}, toml=toml)
    specs = load_pipelines(project)
    assert sorted(specs) == ["nightly", "p"]
    nightly = specs["nightly"]
    assert [s.name for s in nightly.steps] == ["first", "second"]
    assert nightly.step("first").retries == 2 and nightly.step("first").timeout == 30
    assert nightly.timezone == "Europe/Paris" and nightly.schedule == "0 2 * * *"
    with pytest.raises(PipelineError, match="several pipelines"):
        get_pipeline(project)
    with pytest.raises(PipelineError, match="No pipeline named 'x'"):
        get_pipeline(project, "x")

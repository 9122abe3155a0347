"""The robustness report as a pytest module a user keeps with the project."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.develop.robustness import Finding, RobustnessReport

_HEADER = '''"""Robustness tests of {model_uri}, written by `workbench check` ({created}).

Each test replays one case of the robustness check. Tests named ``test_finding_*`` replay what
the check found wrong and fail until the pipeline is fixed; ``test_guard_*`` keep cases that
passed, so a later model or policy change cannot break them unnoticed.
"""

from math import inf, nan  # noqa: F401  (payloads may hold them)
from pathlib import Path

import pytest

from workbench.develop import wrap_model
from workbench.develop.testing import assert_refused, assert_repaired, assert_scored

MODEL_URI = {model_uri!r}
PROJECT_DIR = Path(__file__).resolve().parent / {project_dir!r}
POLICY = {policy!r}


@pytest.fixture(scope="module")
def robust():
    from threadpoolctl import threadpool_limits

    from workbench.evaluate.model_code import load_logged_model
    from workbench.project import Project
    from workbench.tracking import Tracker, model_schema

    Tracker(Project.load(PROJECT_DIR, check_data=False))
    threadpool_limits(1)  # one-row batches: thread start-up would dominate
    return wrap_model(load_logged_model(MODEL_URI), model_schema(MODEL_URI), **POLICY)
'''


def _assertion(case: Finding) -> str:
    if case.expect == "reject":
        return "assert_refused(robust, payload)"
    if case.expect == "warn":
        return f"assert_repaired(robust, payload, row={case.row!r})"
    return "assert_scored(robust, payload)"


def _test(prefix: str, index: int, case: Finding) -> str:
    name = re.sub(r"\W", "_", f"{prefix}_{case.attack}_{index}")
    note = f"    # {case.outcome}: {case.detail}\n" if case.detail and prefix == "finding" else ""
    return (f"\n\ndef test_{name}(robust):\n{note}    payload = {case.payload}\n"
            f"    {_assertion(case)}\n")


def pytest_module(report: RobustnessReport, *, model_uri: str, project_dir: str) -> str:
    """Source of the test module for ``report``."""
    policy = {k: v for k, v in report.policy.items()}
    parts = [_HEADER.format(model_uri=model_uri, created=report.created_at, project_dir=project_dir, policy=policy)]
    for i, finding in enumerate(report.findings):
        parts.append(_test("finding", i, finding))
    for attack in report.attacks:
        for i, sample in enumerate(attack.samples):
            parts.append(_test("guard", i, sample))
    return "".join(parts)

"""After `pip install .` the extension is installed and enabled, on both sides (lab and server)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest


def _labextension_installed() -> bool:
    """Whether this environment holds the built labextension (``pip install .`` puts it there;
    an editable install does too, as hatchling's editable wheel carries the shared data)."""
    from jupyter_core.paths import jupyter_path

    return any((Path(folder) / "mlops-workbench" / "package.json").is_file() for folder in jupyter_path("labextensions"))


pytestmark = pytest.mark.skipif(
    not _labextension_installed(),
    reason="the labextension is not installed in this environment; `pip install .` (as .ci/run does) builds "
    "and installs it",
)


def _jupyter(*args: str) -> str:
    """The output of ``jupyter ARGS`` without colour codes."""
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", *args], capture_output=True, text=True, timeout=120, check=True
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)


def test_labextension_is_installed_and_enabled() -> None:
    listed = _jupyter("labextension", "list")
    [line] = [line for line in listed.splitlines() if "mlops-workbench" in line]
    assert "enabled" in line and "OK" in line, line
    assert "(python, mlops-workbench)" in line, line


def test_server_extension_is_enabled() -> None:
    listed = _jupyter("server", "extension", "list")
    assert re.search(r"^\s+workbench\.jupyter enabled$", listed, re.MULTILINE), listed
    assert re.search(r"^\s+workbench\.jupyter\s+OK$", listed, re.MULTILINE), listed


def test_extension_points_name_the_module() -> None:
    import workbench.jupyter

    assert workbench.jupyter._jupyter_server_extension_points() == [{"module": "workbench.jupyter"}]

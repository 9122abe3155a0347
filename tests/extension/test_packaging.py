"""After `pip install .` the extension is installed and enabled, on both sides (lab and server)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import distribution

import pytest


def _editable() -> bool:
    direct_url = distribution("mlops-workbench").read_text("direct_url.json")
    return bool(direct_url) and json.loads(direct_url).get("dir_info", {}).get("editable", False)


pytestmark = pytest.mark.skipif(
    _editable(),
    reason="an editable install ships no data files; `pip install .` (as .ci/run does) installs the extension",
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

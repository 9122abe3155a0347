"""A bare ``pip install .`` (no extras) imports every public module and starts the CLI.

CI builds that virtualenv once (``WORKBENCH_BARE_VENV``, see ``.ci/run``); without it the test
builds one with uv. The README's first command is ``pip install . && workbench demo``: nothing
the lifecycle imports may hide in an extra.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench._modules import public_modules

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a virtualenv that holds the bare package and its core dependencies only."""
    given = os.environ.get("WORKBENCH_BARE_VENV")
    venv = Path(given) if given else tmp_path_factory.mktemp("bare") / "venv"
    if not given:
        uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
        assert uv, "uv is part of the [test] extra: pip install '.[test]'"
        subprocess.run([uv, "venv", "-q", str(venv)], check=True, timeout=300)
        subprocess.run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(REPO)],
                       check=True, timeout=1200)
    return venv / "bin" / "python"


@pytest.mark.slow
def test_bare_install_has_no_test_extras(bare_python: Path) -> None:
    probe = "import importlib.util as u; print([m for m in ('pytest', 'playwright', 'voila') if u.find_spec(m)])"
    done = subprocess.run([bare_python, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.slow
def test_bare_install_imports_every_public_module(bare_python: Path) -> None:
    modules = public_modules()
    script = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\nprint('ok', len(sys.argv) - 1)"
    done = subprocess.run([bare_python, "-c", script, *modules], capture_output=True, text=True, timeout=600,
                          cwd=bare_python.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == f"ok {len(modules)}"


@pytest.mark.slow
def test_bare_install_cli_answers(bare_python: Path) -> None:
    workbench = bare_python.parent / "workbench"
    for command in (["--help"], ["demo", "--help"], ["serve", "--help"]):
        done = subprocess.run([workbench, *command], capture_output=True, text=True, timeout=300,
                              cwd=bare_python.parent)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        assert "usage: workbench" in done.stdout

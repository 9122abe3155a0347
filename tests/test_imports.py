"""The install boundary: every public module imports, and compute never pulls in a UI or a server.

A bare ``pip install .`` must run the whole lifecycle, so the import graph is a contract: the
compute packages import with the UI and serving libraries blocked (they load those only where a
widget is drawn or a server starts), and every public module imports in the test environment.
``tests/test_install.py`` repeats the second check in a virtualenv holding the bare package.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from workbench._modules import public_modules

COMPUTE = (
    "workbench", "workbench.tasks", "workbench.config", "workbench.project", "workbench.phases",
    "workbench.explore", "workbench.evaluate", "workbench.develop", "workbench.package",
    "workbench.monitor", "workbench.pipelines", "workbench.deploy", "workbench.deploy.registry",
    "workbench.deploy.predlog", "workbench.deploy.batch", "workbench.reports",
)
BLOCKED = ("fastapi", "uvicorn", "orjson", "starlette", "plotly", "ipywidgets", "anywidget")


def test_compute_imports_without_ui_or_server_libraries() -> None:
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {BLOCKED!r}:
                    raise ImportError(f"blocked {{name}}")

        sys.meta_path.insert(0, Block())
        for module in {COMPUTE!r}:
            importlib.import_module(module)
        loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({BLOCKED!r}))
        print("loaded:", loaded)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "loaded: []" in done.stdout


def test_every_public_module_imports() -> None:
    modules = public_modules()
    assert {"workbench.deploy.app", "workbench.cli", "workbench.render", "workbench.tasks"} <= set(modules)
    script = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\nprint('ok', len(sys.argv) - 1)"
    done = subprocess.run([sys.executable, "-c", script, *modules], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == f"ok {len(modules)}"


def test_the_monitor_package_loads_its_parts_on_first_use() -> None:
    """Opening a project validates [[alerts]] through workbench.monitor.rules: no statistics load with it.

    The package's ``drift`` and ``monitor`` stay the functions even after their submodules load.
    """
    script = textwrap.dedent(
        """
        import inspect, sys
        import workbench.monitor.rules
        print("loaded:", sorted(m for m in ("scipy", "workbench.monitor.drift", "workbench.monitor.review")
                                if m in sys.modules))
        import workbench.monitor.drift, workbench.monitor.review
        from workbench.monitor import AlertRule, drift, monitor
        import workbench as wb
        print(inspect.isfunction(drift), inspect.isfunction(monitor), callable(wb.monitor), wb.drift is drift,
              "DriftReport" in dir(workbench.monitor))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[:2] == ["loaded: []", "True True True True True"]

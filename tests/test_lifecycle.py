"""`workbench run lifecycle` end to end on four projects made with `workbench init`, as a user makes them.

The demo, and three datasets that ship inside scikit-learn: breast cancer (binary, with a
sensitive column derived from the data), wine (multiclass, no sensitive column: fairness is not
applicable) and diabetes (regression, with its own `sex` column as the sensitive one). The
phase notebooks are the shipped ones, unchanged; only the run is made quick through the
lifecycle's parameters. Each project's wall time is printed (`pytest -s` shows it).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

QUICK = ("-p", "n_bootstrap=30", "-p", "shap_rows=200", "-p", "examples=5", "-p", "rows_per_week=100")
CARD = {  # what a user writes into [package] before packaging (the Package gate asks for it)
    "intended_use": "Lifecycle test: exercise every phase on a public teaching dataset.",
    "limitations": "A small public dataset; not for any real decision.",
}


def _breast_cancer(folder: Path) -> tuple[Path, list[str]]:
    frame = load_breast_cancer(as_frame=True).frame
    # A protected-attribute stand-in derived from the data: the fractal dimension, binarised at its median.
    dimension = frame["mean fractal dimension"]
    frame.insert(0, "fractal_band", np.where(dimension > dimension.median(), "high", "low"))
    path = folder / "breast_cancer.csv"
    frame.to_csv(path, index=False)
    return path, ["--target", "target", "--sensitive", "fractal_band"]


def _wine(folder: Path) -> tuple[Path, list[str]]:
    path = folder / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(path, index=False)
    return path, ["--target", "target"]


def _diabetes(folder: Path) -> tuple[Path, list[str]]:
    path = folder / "diabetes.parquet"
    load_diabetes(as_frame=True, scaled=False).frame.to_parquet(path, index=False)
    return path, ["--target", "target", "--sensitive", "sex"]


DATASETS: dict[str, Callable[[Path], tuple[Path, list[str]]]] = {
    "breast-cancer": _breast_cancer, "wine": _wine, "diabetes": _diabetes,
}
TASKS = {"demo": "binary", "breast-cancer": "binary", "wine": "multiclass", "diabetes": "regression"}


def _workbench(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=timeout)


def _make_project(name: str, folder: Path) -> Path:
    root = folder / name
    if name == "demo":
        done = _workbench("init", str(root), "--rows", "1500")
    else:
        source, options = DATASETS[name](folder)
        done = _workbench("init", str(root), "--data", str(source), *options)
        _write_card_text(root / "workbench.toml")
    assert done.returncode == 0, done.stderr
    print(f"\n$ workbench init {name}\n{done.stdout}")
    return root


def _write_card_text(config: Path) -> None:
    text = config.read_text()
    text = re.sub(r'intended_use = "TODO:[^"]*"', f'intended_use = "{CARD["intended_use"]}"', text)
    text = re.sub(r'limitations = \["TODO:[^"]*"\]', f'limitations = ["{CARD["limitations"]}"]', text)
    config.write_text(text)


def _approve_phases(root: Path) -> None:
    from workbench.phases import PHASES
    from workbench.pipelines.approval import approve_notebook
    from workbench.project import Project

    project = Project.load(root)
    for phase in PHASES:
        approve_notebook(project, phase.notebook_path, by="lifecycle test", comment="shipped notebook, unchanged")


@pytest.mark.slow
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("name", ["demo", "breast-cancer", "wine", "diabetes"])
def test_lifecycle_on_a_project_made_by_init(name: str, tmp_path: Path) -> None:
    root = _make_project(name, tmp_path)
    _approve_phases(root)
    started = time.perf_counter()
    done = _workbench("run", "lifecycle", *QUICK, "--no-progress", "--json", "-P", str(root), timeout=2300)
    seconds = time.perf_counter() - started
    print(f"\nworkbench run lifecycle on {name} ({TASKS[name]}): {seconds:.0f} s wall")
    record = json.loads(done.stdout) if done.stdout.strip().startswith("{") else None
    failed = [s for s in (record or {}).get("steps", []) if s["status"] != "succeeded"]
    assert done.returncode == 0, (failed[:1] or done.stderr[-3000:])

    status = json.loads(_workbench("status", "--json", "-P", str(root)).stdout)
    phases = {p["phase"]: p for p in status["phases"]}
    assert all(p["run_id"] for p in phases.values()), phases
    evaluate_gates = {g["name"] for g in phases["evaluate"]["gates"]}
    from workbench.tasks import TASKS as TASK_TYPES

    assert TASK_TYPES[TASKS[name]].min_gate in evaluate_gates
    if name == "wine":  # no sensitive column: no fairness gate
        assert not {g for g in evaluate_gates if "parity" in g or "odds" in g or "group" in g}
    assert phases["package"]["state"] == "passed", phases["package"]

    monitor = json.loads((root / ".workbench" / "reports" / "monitor.json").read_text())
    fired = {alert["rule"] for alert in monitor["alerts"]}
    print(f"alerts fired on {name}: {sorted(fired)}")
    assert "performance" in fired, fired  # the planted concept drift of the last replayed week
    held_out = pd.read_parquet(root / "data" / "production.parquet")
    if len(held_out) >= 100:  # weeks of ~17 rows or more: enough to see the planted covariate shift
        assert {"drift", "top-feature-drift"} & fired, fired
    scored = pd.read_parquet(root / ".workbench" / "scored.parquet")
    assert len(scored) == len(held_out)

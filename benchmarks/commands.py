"""Cold-process seconds of the instant commands: `status`, `approvals`, `runs` and the panel's API.

Each command runs as a new Python process on the finished demo project (`workbench demo --rows
1500`: six phase runs, gates, a registered champion, a pipeline run), several times; the script
prints the median wall and CPU seconds of each (CPU is less sensitive to a busy machine) next
to the reference: a cold process that lists the same runs through MLflow's own client. Then,
for each command once, the packages whose imports cost the most (``python -X importtime``).
Bytecode is compiled once beforehand (as a pip install does). Target: every command <= 1 s.

    python benchmarks/commands.py [--project DIR] [--repeats N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PANEL = ("from workbench.jupyter.api import WorkbenchAPI; "
         "WorkbenchAPI({root!r}).{method}({name!r})")
REFERENCE = ("import mlflow; client = mlflow.MlflowClient({uri!r}); "
             "experiment = client.get_experiment_by_name({experiment!r}); "
             "client.search_runs([experiment.experiment_id], order_by=['attributes.start_time DESC'])")


def commands(project: Path) -> dict[str, list[str]]:
    """Name -> argv of every command timed (the panel's API as the handlers call it)."""
    import tomllib

    config = tomllib.loads((project / "workbench.toml").read_text())
    root, name = str(project.parent), project.name
    python = [sys.executable]
    return {
        "workbench status": [*python, "-m", "workbench", "status", "-P", str(project)],
        "workbench approvals": [*python, "-m", "workbench", "approvals", "-P", str(project)],
        "workbench runs": [*python, "-m", "workbench", "runs", "-P", str(project)],
        "panel GET status": [*python, "-c", PANEL.format(root=root, method="status", name=name)],
        "panel GET notebooks (approvals)": [*python, "-c", PANEL.format(root=root, method="notebooks", name=name)],
        "panel GET runs": [*python, "-c", PANEL.format(root=root, method="runs", name=name)],
        "reference: MLflow client lists the runs": [*python, "-c", REFERENCE.format(
            uri=f"sqlite:///{project / '.workbench' / 'mlflow.db'}", experiment=config["project"]["name"])],
    }


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the process and its children) of one run of ``argv``.

    Each runs in the temporary folder: ``python -m``/``-c`` put the working folder first on
    sys.path, so a checkout there would be timed instead of the code on PYTHONPATH or installed.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=env["PYTHONPYCACHEPREFIX"])
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_offenders(argv: list[str], env: dict[str, str], top: int = 6) -> list[tuple[str, float]]:
    """The top-level packages whose modules took the most import time (self time summed), in seconds."""
    done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True,
                          cwd=env["PYTHONPYCACHEPREFIX"])
    per_package: dict[str, float] = {}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            package = match[2].split(".")[0]
            per_package[package] = per_package.get(package, 0.0) + int(match[1]) / 1e6
    return sorted(per_package.items(), key=lambda item: -item[1])[:top]


def build_demo(folder: Path, env: dict[str, str]) -> Path:
    """The finished demo project (built as Binder and the tests build it), in ``folder``."""
    project = folder / "credit-demo"
    if not (project / "workbench.toml").is_file():
        print(f"building the demo project in {project} (a few minutes) ...", flush=True)
        subprocess.run([sys.executable, "-m", "workbench", "demo", "--dir", str(project), "--rows", "1500", "--force"],
                       env=env, check=True, capture_output=True)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=None, help="a finished demo project to reuse")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="build the demo in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="workbench-commands-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "MLFLOW_TRACKING_URI")}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    Path(env["PYTHONPYCACHEPREFIX"]).mkdir(parents=True, exist_ok=True)
    try:
        project = (args.project or build_demo(folder, env)).resolve()
        table = commands(project)
        for argv in table.values():  # compile bytecode, warm the file cache
            timed(argv, env)
        print(f"{'command (cold process)':<42} {'wall s':>7} {'cpu s':>7}   load average at start")
        walls: dict[str, float] = {}
        for name, argv in table.items():
            load = os.getloadavg()[0]
            runs = [timed(argv, env) for _ in range(args.repeats)]
            walls[name] = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            print(f"{name:<42} {walls[name]:>7.2f} {cpu:>7.2f}   {load:.2f}", flush=True)
        reference = walls["reference: MLflow client lists the runs"]
        print(f"\nmedian of {args.repeats}; reference / ours: "
              + ", ".join(f"{name} {reference / wall:.1f}x" for name, wall in walls.items() if "reference" not in name))
        print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores\n")
        for name, argv in table.items():
            offenders = ", ".join(f"{package} {seconds:.2f}" for package, seconds in import_offenders(argv, env))
            print(f"imports of {name}: {offenders}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

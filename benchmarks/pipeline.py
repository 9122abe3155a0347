"""The pipeline runner against plain papermill calls in sequence, in the same run; and overlap.

1. A 6-step pipeline of small notebooks (a chain, each step waits for the previous one) run by
   ``run_pipeline`` (approval check, run store, cost sampling, HTML export of every step) and
   the same six notebooks run by ``papermill.execute_notebook`` one after the other. Rounds
   alternate; the best of ``--repeat`` is kept. Target: at most 10% over plain papermill.
2. Two independent steps that each sleep 5 s, with two workers, beside one such step alone.
   Target: under 8 s in all.

    python benchmarks/pipeline.py [--repeat K]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm
import yaml

CONFIG = '[project]\nname = "bench"\n\n[data]\npath = "data.csv"\ntarget = "y"\n'
WORK = "import numpy as np\nvalues = np.random.default_rng(step).normal(size=2_000_000)\nprint(step, float(values.std()))"


def _notebook(path: Path, code: str, parameters: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(code)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def make_project(root: Path):
    from workbench.pipelines import approve_notebook
    from workbench.project import Project

    root.mkdir(parents=True)
    (root / "workbench.toml").write_text(CONFIG)
    for i in range(6):
        _notebook(root / "notebooks" / f"step{i}.ipynb", WORK, f'project_dir = "."\nstep = {i}')
    _notebook(root / "notebooks" / "sleep.ipynb", "import time\ntime.sleep(5)", 'project_dir = "."')
    chain = [{"name": f"s{i}", "notebook": f"notebooks/step{i}.ipynb", **({"depends_on": [f"s{i - 1}"]} if i else {})}
             for i in range(6)]
    pair = [{"name": n, "notebook": "notebooks/sleep.ipynb"} for n in ("left", "right")]
    spec = {"pipelines": {"chain": {"workers": 1, "steps": chain}, "pair": {"workers": 2, "steps": pair},
                          "single": {"workers": 1, "steps": pair[:1]}}}
    (root / "pipeline.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    project = Project.load(root, check_data=False)
    for notebook in sorted((root / "notebooks").glob("*.ipynb")):
        approve_notebook(project, notebook.relative_to(root), by="benchmark")
    return project


def plain_papermill(project, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for i in range(6):
        source = project.root / "notebooks" / f"step{i}.ipynb"
        pm.execute_notebook(str(source), str(out / f"step{i}.ipynb"), parameters={"step": i},
                            progress_bar=False, cwd=str(source.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from workbench.pipelines import run_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(HOME=tmp, IPYTHONDIR=f"{tmp}/ipython", JUPYTER_RUNTIME_DIR=f"{tmp}/runtime")
        project = make_project(Path(tmp) / "bench")
        plain_papermill(project, Path(tmp) / "warm")  # warm up imports and the kernel spec
        ours, reference = float("inf"), float("inf")
        for round_ in range(args.repeat):
            started = time.perf_counter()
            plain_papermill(project, Path(tmp) / f"plain{round_}")
            reference = min(reference, time.perf_counter() - started)
            started = time.perf_counter()
            record = run_pipeline(project, "chain", progress=False)
            ours = min(ours, time.perf_counter() - started)
            assert record.status == "succeeded", record.to_dict()
        print(f"6-step chain, plain papermill in sequence: {reference:.2f} s")
        print(f"6-step chain, workbench run_pipeline:      {ours:.2f} s "
              f"(CPU {record.cpu_seconds:.1f} s, peak {record.peak_memory_mb:.0f} MB, HTML per step)")
        print(f"ratio:                                     {ours / reference:.2f}× (target ≤ 1.10×)")
        started = time.perf_counter()
        run_pipeline(project, "single", progress=False)
        single = time.perf_counter() - started
        started = time.perf_counter()
        pair = run_pipeline(project, "pair", progress=False)
        wall = time.perf_counter() - started
        left, right = pair.steps
        print(f"one 5 s step alone:                        {single:.2f} s")
        print(f"two independent 5 s steps, 2 workers:      {wall:.2f} s in all "
              f"(steps {left.seconds:.2f} s and {right.seconds:.2f} s; target < 8 s)")


if __name__ == "__main__":
    main()

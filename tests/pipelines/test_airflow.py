"""The exported DAG in a real Airflow 3 (its own virtualenv): loads, runs, refuses a changed notebook.

Airflow's pins clash with MLflow's, so Airflow lives in a separate environment named by
WORKBENCH_AIRFLOW_VENV (``.ci/run`` builds it). The DAG runs with ``dag.test()`` on a temporary
SQLite AIRFLOW_HOME; the code under test is put on that environment's path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import workbench
from workbench.pipelines.export.airflow import export_airflow, render_dag
from workbench.pipelines.spec import get_pipeline

VENV = os.environ.get("WORKBENCH_AIRFLOW_VENV")

SCRIPT = r'''
import json, sys
import nbformat
from airflow.dag_processing.dagbag import DagBag

dags, dag_id, conf, edit = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
bag = DagBag(dag_folder=dags)
dag = bag.get_dag(dag_id)
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}}
if dag is not None:
    out["tasks"] = {t.task_id: {"retries": t.retries, "timeout": t.execution_timeout.total_seconds()
                                if t.execution_timeout else None, "upstream": sorted(t.upstream_task_ids)}
                    for t in dag.tasks}
    out["params"] = {k: v for k, v in dag.params.dump().items()}
    out["schedule"] = [dag.timetable.expression, str(dag.timetable.timezone)]
    run = dag.test(run_conf=conf)
    out["state"] = str(run.state)
    out["task_states"] = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    # Then edit the first notebook after its approval: the next run must refuse it.
    nb = nbformat.read(edit, as_version=4)
    nb.cells[-1].source = "print('edited after approval')"
    nbformat.write(nb, edit)
    refused = dag.test(run_conf={})
    out["refused_state"] = str(refused.state)
    out["refused_task_states"] = {ti.task_id: str(ti.state) for ti in refused.get_task_instances()}
print("RESULT " + json.dumps(out, default=str))
'''


def _pipeline():
    return {"p": {"schedule": "30 4 * * 1", "timezone": "Europe/Paris", "workers": 2,
                  "parameters": {"n": {"type": "int", "default": 1}, "mode": {"type": "choice", "choices": ["a", "b"], "default": "a"}},
                  "steps": [{"name": "first", "notebook": "notebooks/one.ipynb", "parameters": {"label": "m-${mode}"}},
                            {"name": "second", "notebook": "notebooks/two.ipynb", "depends_on": ["first"],
                             "retries": 2, "timeout": 120}]}}


def _notebooks():
    return {"one.ipynb": ({"parameters": 'project_dir = "."\nn = 0\nlabel = ""'}, "print('one', n, label)"),
            "two.ipynb": ("print('two')",)}


def test_export_writes_a_valid_dag_file(tiny, tmp_path):
    project = tiny(_pipeline(), _notebooks())
    path = export_airflow(project, "p", out=tmp_path / "dags")
    assert path.name == "workbench__tiny__p.py"
    source = path.read_text()
    assert "CronTriggerTimetable('30 4 * * 1', timezone='Europe/Paris')" in source
    assert "'mode': Param('a', enum=['a', 'b'])" in source and "'n': Param(1, type='integer')" in source
    assert source == render_dag(project, get_pipeline(project, "p"))


def _package_only(tmp_path: Path) -> Path:
    """A folder holding only the workbench package (a link), for Airflow's path.

    Putting the folder the package was installed into on the path would also put every other
    package of the test environment there, shadowing Airflow's own pinned versions.
    """
    folder = tmp_path / "code-under-test"
    folder.mkdir(exist_ok=True)
    link = folder / "workbench"
    if not link.exists():
        link.symlink_to(Path(workbench.__file__).resolve().parent, target_is_directory=True)
    return folder


def _airflow(tmp_path: Path, dags: Path, conf: dict, edit: Path) -> dict:
    home = tmp_path / "airflow-home"
    env = {**os.environ, "AIRFLOW_HOME": str(home), "HOME": str(home),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
           "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
           "PYTHONPATH": str(_package_only(tmp_path))}
    python = str(Path(VENV) / "bin" / "python")
    if not (home / "airflow.db").exists():
        subprocess.run([python, "-m", "airflow", "db", "migrate"], env=env, check=True,
                       capture_output=True, timeout=300)
    done = subprocess.run([python, "-c", SCRIPT, str(dags), "workbench__tiny__p", json.dumps(conf), str(edit)],
                          env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout[-3000:] + done.stderr[-5000:]
    return json.loads(lines[-1][len("RESULT "):])


@pytest.mark.slow
@pytest.mark.skipif(not VENV, reason="WORKBENCH_AIRFLOW_VENV is not set: no Airflow environment to test the DAG in "
                    "(.ci/run builds one; locally: uv venv + uv pip install 'apache-airflow==3.3.*' papermill ipykernel)")
def test_dag_runs_in_real_airflow_and_checks_approvals(tiny, tmp_path):
    project = tiny(_pipeline(), _notebooks())
    dags = tmp_path / "dags"
    export_airflow(project, "p", out=dags)
    result = _airflow(tmp_path, dags, {"n": 7, "mode": "b"}, project.root / "notebooks" / "one.ipynb")
    assert result["errors"] == {}
    assert result["tasks"] == {"first": {"retries": 0, "timeout": None, "upstream": []},
                               "second": {"retries": 2, "timeout": 120.0, "upstream": ["first"]}}
    assert set(result["params"]) == {"n", "mode"} and result["schedule"] == ["30 4 * * 1", "Europe/Paris"]
    assert result["state"].endswith("success"), result
    executed = sorted((project.root / ".workbench" / "airflow" / "p").rglob("first.ipynb"))
    assert len(executed) == 1
    outputs = nbformat.read(executed[0], as_version=4).cells[-1].outputs
    assert outputs[0]["text"].strip() == "one 7 m-b"

    assert result["refused_state"].endswith("failed")
    assert result["refused_task_states"]["first"].endswith("failed")
    assert len(sorted((project.root / ".workbench" / "airflow" / "p").rglob("first.ipynb"))) == 1
    assert "airflow" not in sys.modules  # the test process itself never imported Airflow


FLAKY = ("from pathlib import Path\n"
         "p = Path(project_dir) / 'count.txt'\n"
         "n = int(p.read_text()) if p.exists() else 0\n"
         "p.write_text(str(n + 1))\n"
         "if n == 0:\n    raise RuntimeError('flaky network')\n"
         "print('attempt', n + 1)")


@pytest.mark.slow
def test_the_task_runtime_keeps_every_attempt_and_checks_secrets_like_the_runner(tiny, monkeypatch):
    """What each exported task runs, called as Airflow calls it (no Airflow needed for this)."""
    from workbench.pipelines.export.runtime import StepRefused, run_airflow_step

    project = tiny({"p": {"secrets": ["WB_AIRFLOW_TOKEN"],
                          "steps": [{"name": "f", "notebook": "notebooks/f.ipynb", "retries": 2}]}},
                   {"f.ipynb": (FLAKY,)})
    pipeline = json.loads(json.dumps(get_pipeline(project, "p").to_dict()))
    step = pipeline["steps"][0]

    def run(attempt):
        return run_airflow_step(str(project.root), pipeline, step, params={}, run_id="manual__1", attempt=attempt)

    monkeypatch.delenv("WB_AIRFLOW_TOKEN", raising=False)
    with pytest.raises(StepRefused, match="needs the secret WB_AIRFLOW_TOKEN, which is not set"):
        run(1)
    monkeypatch.setenv("WB_AIRFLOW_TOKEN", "abc")
    with pytest.raises(StepRefused, match="WB_AIRFLOW_TOKEN is shorter than 4 characters"):
        run(1)
    monkeypatch.setenv("WB_AIRFLOW_TOKEN", "a-real-token")

    # A cell tagged injected-parameters added after the approval is outside its hash: never run.
    path = project.root / "notebooks" / "f.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("open('pwned', 'w').write('x')",
                                              metadata={"tags": ["injected-parameters"]}))
    nb.cells.append(nbformat.v4.new_code_cell("open('pwned', 'w').write('x')",
                                              metadata={"tags": ["injected-parameters"]}))
    nbformat.write(nb, path)
    with pytest.raises(RuntimeError, match="flaky network") as failed:
        run(1)
    assert not isinstance(failed.value, StepRefused)  # Airflow retries this one
    output = Path(run(2))
    assert output.name == "f.ipynb" and output.exists()
    first = output.with_name("f.attempt-1.ipynb")
    assert "flaky network" in json.dumps(nbformat.read(first, as_version=4))
    assert "attempt 2" in json.dumps(nbformat.read(output, as_version=4))
    assert not (project.root / "notebooks" / "pwned").exists()

"""Steps as tasks on a real Dask cluster (a LocalCluster on 127.0.0.1), dependencies respected."""

from __future__ import annotations

import pytest

from workbench.pipelines import RunStore, run_pipeline

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
pytestmark = pytest.mark.slow


def test_dask_executor_runs_steps_in_dependency_order(tiny, tmp_path):
    project = tiny(
        {"p": {"parameters": {"n": {"type": "int", "default": 2}},
               "steps": [{"name": "a", "notebook": "notebooks/a.ipynb"},
                         {"name": "bad", "notebook": "notebooks/bad.ipynb", "depends_on": ["a"]},
                         {"name": "c", "notebook": "notebooks/c.ipynb", "depends_on": ["a"]},
                         {"name": "d", "notebook": "notebooks/c.ipynb", "depends_on": ["bad"]}]}},
        {"a.ipynb": ({"parameters": 'project_dir = "."\nn = 0'}, "import os; print(os.getpid(), n)"),
         "bad.ipynb": ("raise RuntimeError('broken step')",),
         "c.ipynb": ("print('c')",)},
    )
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, local_directory=str(tmp_path / "dask")) as cluster:
        record = run_pipeline(project, parameters={"n": "3"}, executor="dask", address=cluster.scheduler_address,
                              progress=False)
    status = {s.name: s.status for s in record.steps}
    assert status == {"a": "succeeded", "bad": "failed", "c": "succeeded", "d": "skipped"}
    steps = {s.name: s for s in record.steps}
    assert steps["c"].started >= steps["a"].ended
    assert steps["bad"].started >= steps["a"].ended and "broken step" in steps["bad"].error
    assert record.status == "failed" and record.executor == "dask"
    assert steps["a"].cpu_seconds > 0 and steps["a"].output_html
    assert RunStore(project).get_run(record.run_id).to_dict() == record.to_dict()


def test_secret_values_are_not_sent_to_dask_workers(tiny, tmp_path, monkeypatch):
    """A worker reads the pipeline's secrets from its own environment; the task carries names only."""
    project = tiny(
        {"p": {"secrets": ["WB_DASK_TOKEN"], "steps": [{"name": "a", "notebook": "notebooks/a.ipynb"}]}},
        {"a.ipynb": ("import os; print(os.environ['WB_DASK_TOKEN'])",)},
    )
    monkeypatch.delenv("WB_DASK_TOKEN", raising=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, local_directory=str(tmp_path / "dask")) as cluster:
        monkeypatch.setenv("WB_DASK_TOKEN", "s3cr3t-value-only-the-runner-has")  # the worker started without it
        record = run_pipeline(project, executor="dask", address=cluster.scheduler_address, progress=False)
    [step] = record.steps
    assert step.status == "failed" and "no WB_DASK_TOKEN in its environment" in step.error
    assert "s3cr3t" not in step.error

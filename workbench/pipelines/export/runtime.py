"""What an exported Airflow task runs: check the approval, then run the notebook with papermill.

Imported by the generated DAG inside each task (never at DAG parse time). It needs only
papermill, nbformat and psutil (and PyYAML-free parts of the package), so it works in an Airflow
environment that does not hold the workbench's heavy dependencies:
``pip install --no-deps mlops-workbench`` next to Airflow is enough.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

__all__ = ["check_approval", "run_airflow_step"]


def _no_retry_base() -> type[Exception]:
    try:  # under Airflow, a failure that retrying cannot fix
        from airflow.sdk.exceptions import AirflowFailException

        return AirflowFailException
    except ImportError:
        return RuntimeError


class ApprovalMismatch(_no_retry_base()):  # type: ignore[misc]
    """The notebook is not approved as it is now: the task must not run it (nor retry)."""


def check_approval(root: Path, notebook: str) -> str:
    """The notebook's current content hash, if it matches its approval in approvals.json."""
    from workbench.notebooks import content_hash

    path = root / "approvals.json"
    approvals = json.loads(path.read_text(encoding="utf-8")).get("approvals", {}) if path.exists() else {}
    current = content_hash(root / notebook)
    approved = approvals.get(notebook, {}).get("hash")
    if approved != current:
        state = "never approved" if approved is None else "changed since its approval"
        raise ApprovalMismatch(
            f"{notebook} is {state}; the pipeline refuses to run it. "
            f"Review it, then: workbench approve {notebook} --comment 'WHY'"
        )
    return current


def _values(pipeline: Mapping[str, Any], root: Path, params: Mapping[str, Any]) -> dict[str, Any]:
    from workbench.pipelines.params import validate_parameters
    from workbench.pipelines.spec import ParameterSpec

    declared = tuple(ParameterSpec(**p) for p in pipeline["parameters"])
    spec = SimpleNamespace(name=pipeline["name"], parameters=declared, root=root)
    given = {k: v for k, v in params.items() if any(p.name == k for p in declared)}
    return validate_parameters(spec, given)


def run_airflow_step(
    project_root: str, pipeline: Mapping[str, Any], step: Mapping[str, Any], *,
    params: Mapping[str, Any], run_id: str, attempt: int = 1,
) -> str:
    """Run one step of ``pipeline`` for an Airflow task; returns the executed notebook's path."""
    import papermill as pm

    from workbench.notebooks import parameter_defaults
    from workbench.pipelines.params import resolve_step_parameters

    root = Path(project_root)
    check_approval(root, step["notebook"])
    missing = [name for name in pipeline["secrets"] if not os.environ.get(name)]
    if missing:
        raise RuntimeError(f"Secrets not set in the worker's environment: {', '.join(missing)}.")
    secrets = {name: os.environ[name] for name in pipeline["secrets"]}
    values = _values(pipeline, root, params)
    source = root / step["notebook"]
    declared = parameter_defaults(source)
    parameters = {k: v for k, v in values.items() if k in declared}
    parameters.update(resolve_step_parameters(step["parameters"], values))
    folder = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    output = root / ".workbench" / "airflow" / pipeline["name"] / folder / f"{step['name']}.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        _execute(pm, source, output, root, parameters, secrets, run_id, step["name"], attempt)
    except pm.PapermillExecutionError as err:
        from workbench.pipelines._engine import redact

        # Not chained: the original error may quote a secret, and Airflow logs the chain.
        raise RuntimeError(
            f"{step['notebook']} failed in cell {err.exec_count}: {err.ename}: "
            f"{redact(str(err.evalue), secrets)} (executed notebook kept at {output})"
        ) from None
    return str(output)


def _execute(pm: Any, source: Path, output: Path, root: Path, parameters: dict[str, Any],
             secrets: dict[str, str], run_id: str, step: str, attempt: int) -> None:
    from workbench.pipelines._engine import ENGINE_NAME

    pm.execute_notebook(
        str(source), str(output), parameters={"project_dir": str(root), **parameters},
        engine_name=ENGINE_NAME, progress_bar=False, kernel_cwd=str(source.parent),
        kernel_env={"WORKBENCH_PROJECT": str(root), "WORKBENCH_NOTEBOOK": str(source),
                    "WORKBENCH_RUN_ID": run_id, "WORKBENCH_STEP": step,
                    "WORKBENCH_ATTEMPT": str(attempt), **secrets},
        secrets=secrets,
    )

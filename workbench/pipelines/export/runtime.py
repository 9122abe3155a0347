"""What an exported Airflow task runs: check the approval, then run the notebook with papermill.

Imported by the generated DAG inside each task (never at DAG parse time). It needs only
papermill, nbformat and psutil (and PyYAML-free parts of the package), so it works in an Airflow
environment that does not hold the workbench's heavy dependencies:
``pip install --no-deps mlops-workbench`` next to Airflow is enough.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

__all__ = ["check_approval", "output_path", "run_airflow_step"]


def _no_retry_base() -> type[Exception]:
    try:  # under Airflow, a failure that retrying cannot fix
        from airflow.sdk.exceptions import AirflowFailException

        return AirflowFailException
    except ImportError:
        return RuntimeError


class StepRefused(_no_retry_base()):  # type: ignore[misc]
    """The step must not run, and retrying cannot change that (Airflow does not retry it)."""


class ApprovalMismatch(StepRefused):
    """The notebook is not approved as it is now: the task must not run it (nor retry)."""


def check_approval(root: Path, notebook: str, nb: Any = None) -> str:
    """The notebook's current content hash, if it matches its approval in approvals.json.

    ``nb``: the notebook as read for execution (default: read it now), so the hash checked is
    the hash of what runs.
    """
    from workbench.notebooks import content_hash

    path = root / "approvals.json"
    approvals = json.loads(path.read_text(encoding="utf-8")).get("approvals", {}) if path.exists() else {}
    current = content_hash(root / notebook if nb is None else nb)
    approved = approvals.get(notebook, {}).get("hash")
    if approved != current:
        state = "never approved" if approved is None else "changed since its approval"
        raise ApprovalMismatch(
            f"{notebook} is {state}; the pipeline refuses to run it. "
            f"Review it, then: workbench approve {notebook} --comment 'WHY'"
        )
    return current


def _secrets(pipeline: Mapping[str, Any]) -> dict[str, str]:
    """The pipeline's secrets from the worker's environment, with the runner's checks."""
    from workbench.exceptions import ParameterError
    from workbench.pipelines.params import read_secrets

    try:
        return read_secrets(pipeline["name"], pipeline["secrets"])
    except ParameterError as err:  # retrying does not set a variable: fail without retries
        raise StepRefused(str(err)) from None


def output_path(root: Path, pipeline: str, run_id: str, step: str, attempt: int) -> Path:
    """Where a task writes its executed notebook; an earlier attempt's is kept beside it.

    As with the local runner, the last attempt is ``STEP.ipynb`` and a failed earlier attempt
    ``STEP.attempt-N.ipynb``: attempt N moves the file attempt N-1 left before it runs.
    """
    folder = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    output = root / ".workbench" / "airflow" / pipeline / folder / f"{step}.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    if attempt > 1 and output.exists():
        output.replace(output.with_suffix(f".attempt-{attempt - 1}.ipynb"))
    return output


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

    from workbench.notebooks import parameter_defaults, read_notebook
    from workbench.pipelines.params import resolve_step_parameters

    root = Path(project_root)
    source = root / step["notebook"]
    nb = read_notebook(source)
    check_approval(root, step["notebook"], nb)
    secrets = _secrets(pipeline)
    values = _values(pipeline, root, params)
    declared = parameter_defaults(nb)
    parameters = {k: v for k, v in values.items() if k in declared}
    parameters.update(resolve_step_parameters(step["parameters"], values))
    output = output_path(root, pipeline["name"], run_id, step["name"], attempt)
    try:
        _execute(pm, nb, source, output, root, parameters, secrets, run_id, step["name"], attempt)
    except pm.PapermillExecutionError as err:
        from workbench.pipelines._engine import redact

        # Not chained: the original error may quote a secret, and Airflow logs the chain.
        raise RuntimeError(
            f"{step['notebook']} failed in cell {err.exec_count}: {err.ename}: "
            f"{redact(str(err.evalue), secrets)} (executed notebook kept at {output})"
        ) from None
    return str(output)


def _execute(pm: Any, nb: Any, source: Path, output: Path, root: Path, parameters: dict[str, Any],
             secrets: dict[str, str], run_id: str, step: str, attempt: int) -> None:
    from workbench.notebooks import without_injected_cells
    from workbench.pipelines._engine import ENGINE_NAME
    from workbench.pipelines.params import notebook_parameters
    from workbench.redaction import SECRET_NAMES_ENV

    # The notebook as checked, without injected-parameters cells (papermill adds the run's one);
    # parameter names become code in the cell papermill writes, so they are checked here too.
    pm.execute_notebook(
        without_injected_cells(nb), str(output), source_path=str(source),
        parameters=notebook_parameters({"project_dir": str(root), **parameters}, where=f"parameters of {step}"),
        engine_name=ENGINE_NAME, progress_bar=False, kernel_cwd=str(source.parent),
        kernel_env={"WORKBENCH_PROJECT": str(root), "WORKBENCH_NOTEBOOK": str(source),
                    "WORKBENCH_RUN_ID": run_id, "WORKBENCH_STEP": step,
                    "WORKBENCH_ATTEMPT": str(attempt), **secrets, SECRET_NAMES_ENV: ",".join(secrets)},
        secrets=secrets,
    )

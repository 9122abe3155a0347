"""Execute one notebook with papermill, keeping the executed notebook also on failure.

The kernel gets the notebook's identity (``WORKBENCH_NOTEBOOK``), the project folder and any
extra variables through its own environment, never through the parent's ``os.environ``, so
several notebooks can run at once in one process. This goes through the ``workbench`` papermill
engine (:mod:`workbench.pipelines._engine`), which also redacts secrets from every saved copy of
the output and watches the kernel's cost and timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import papermill as pm
from papermill.exceptions import PapermillExecutionError

from workbench.exceptions import ApprovalError, NotebookExecutionError
from workbench.notebooks import content_hash, read_notebook, without_injected_cells
from workbench.pipelines._engine import ENGINE_NAME, KernelWatch, redact
from workbench.pipelines.params import notebook_parameters
from workbench.redaction import SECRET_NAMES_ENV
from workbench.tracking import NOTEBOOK_ENV, user_tracking_uri

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["ENGINE_NAME", "execute_notebook"]

PROJECT_ENV = "WORKBENCH_PROJECT"


def execute_notebook(
    project: Project,
    notebook: Path | str,
    *,
    output: Path | str,
    parameters: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: int | None = None,
    kernel_name: str | None = None,
    log_output: bool = False,
    secrets: Mapping[str, str] | None = None,
    watch: KernelWatch | None = None,
    expected_hash: str | None = None,
) -> Path:
    """Run ``notebook`` with papermill into ``output``.

    ``project_dir`` is always passed as a parameter. On failure the executed notebook (with the
    failing cell's error) is kept at ``output`` and :class:`NotebookExecutionError` names the
    cell and the error. ``secrets`` (name -> value) reach the kernel's environment and are
    redacted from every saved copy of the output and from the error; ``watch`` records the
    kernel's cost and stops it at its timeout.

    The notebook is read once: ``expected_hash`` (its approved content hash) is checked against
    what is then executed (:class:`ApprovalError` when it differs), and cells tagged
    ``injected-parameters`` are dropped before papermill injects the run's parameters.
    """
    source = project.resolve(notebook, must_exist=True)
    # Names become code in the parameters cell papermill writes: checked here, whatever the source.
    checked = notebook_parameters({"project_dir": str(project.root), **(parameters or {})},
                                  where=f"parameters of {project.relative(source)}")
    runnable = _runnable(project, source, expected_hash)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    secrets = dict(secrets or {})
    # The secrets' names (not values) let the kernel's Tracker redact them from logged parameters.
    kernel_env = {NOTEBOOK_ENV: str(source), PROJECT_ENV: str(project.root), **(env or {}), **secrets,
                  SECRET_NAMES_ENV: ",".join(secrets)}
    try:
        pm.execute_notebook(
            runnable,
            str(target),
            parameters=checked,
            engine_name=ENGINE_NAME,
            kernel_name=kernel_name,
            kernel_cwd=str(source.parent),
            progress_bar=False,
            log_output=log_output,
            execution_timeout=timeout,
            kernel_env=kernel_env,
            # Only a tracking URI the user chose is inherited; the project decides otherwise.
            drop_env=() if user_tracking_uri() else ("MLFLOW_TRACKING_URI",),
            secrets=secrets,
            watch=watch,
            source_path=str(source),
        )
    except PapermillExecutionError as err:
        raise NotebookExecutionError(
            f"{project.relative(source)} failed in cell {err.exec_count or err.cell_index}: "
            f"{err.ename}: {redact(str(err.evalue), secrets)}",
            notebook=project.relative(source),
            output_path=target,
            cell_index=err.cell_index,
            ename=err.ename,
            evalue=redact(str(err.evalue), secrets),
            hint=f"The executed notebook with the error is kept at {target}.",
        ) from err
    return target


def _runnable(project: Project, source: Path, expected_hash: str | None) -> Any:
    """The notebook as it will run: checked against its approved hash, injected cells dropped."""
    nb = read_notebook(source)
    if expected_hash is not None and content_hash(nb) != expected_hash:
        name = project.relative(source)
        raise ApprovalError(
            f"{name} changed after the run started; its approval no longer matches.",
            notebooks=[name], hint=f"Review it, then: workbench approve {name} --comment 'WHY'",
        )
    return without_injected_cells(nb)

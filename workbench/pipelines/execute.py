"""Execute one notebook with papermill, keeping the executed notebook also on failure.

The kernel gets the notebook's identity (``WORKBENCH_NOTEBOOK``), the project folder and any
extra variables through its own environment, never through the parent's ``os.environ``, so
several notebooks can run at once in one process. This goes through a papermill engine
(``workbench``) registered in papermill's engine registry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import papermill as pm
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.utils import merge_kwargs, remove_args

from workbench.exceptions import NotebookExecutionError
from workbench.tracking import NOTEBOOK_ENV, user_tracking_uri

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["ENGINE_NAME", "execute_notebook"]

ENGINE_NAME = "workbench"
PROJECT_ENV = "WORKBENCH_PROJECT"


class WorkbenchEngine(NBClientEngine):
    """papermill's nbclient engine, passing an environment to the kernel it starts."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        kernel_env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        env = {**os.environ, **(kernel_env or {})}
        if not user_tracking_uri():
            # Only a URI the user chose is inherited; the project decides otherwise.
            env.pop("MLFLOW_TRACKING_URI", None)
        return PapermillNotebookClient(nb_man, **final).execute(env=env)


papermill_engines.register(ENGINE_NAME, WorkbenchEngine)


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
) -> Path:
    """Run ``notebook`` with papermill into ``output``.

    ``project_dir`` is always passed as a parameter. On failure the executed notebook (with the
    failing cell's error) is kept at ``output`` and :class:`NotebookExecutionError` names the
    cell and the error.
    """
    source = project.resolve(notebook, must_exist=True)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    kernel_env = {NOTEBOOK_ENV: str(source), PROJECT_ENV: str(project.root), **(env or {})}
    try:
        pm.execute_notebook(
            str(source),
            str(target),
            parameters={"project_dir": str(project.root), **(parameters or {})},
            engine_name=ENGINE_NAME,
            kernel_name=kernel_name,
            cwd=str(source.parent),
            progress_bar=False,
            log_output=log_output,
            execution_timeout=timeout,
            kernel_env=kernel_env,
        )
    except PapermillExecutionError as err:
        raise NotebookExecutionError(
            f"{project.relative(source)} failed in cell {err.exec_count or err.cell_index}: "
            f"{err.ename}: {err.evalue}",
            notebook=project.relative(source),
            output_path=target,
            cell_index=err.cell_index,
            ename=err.ename,
            evalue=err.evalue,
            hint=f"The executed notebook with the error is kept at {target}.",
        ) from err
    return target

"""Pipelines: approved notebooks executed by papermill, recorded, scheduled and exported.

A *pipeline* (``pipeline.yaml`` or ``[pipelines.NAME]`` in ``workbench.toml``) names notebook
steps with their dependencies, retries and timeouts, typed parameters and secrets. The runner
executes only notebooks whose approval matches their content, records every step in the run
store (``.workbench/runs.db``) with its cost, and keeps every executed notebook. The scheduler
starts pipelines by cron; the same spec exports to an Airflow DAG.

Attributes load lazily, so importing this package does not import papermill.
"""

from __future__ import annotations

from typing import Any

from workbench import _lazy

_EXPORTS: dict[str, str] = {
    "Approval": "workbench.pipelines.approval",
    "ApprovalState": "workbench.pipelines.approval",
    "approval_states": "workbench.pipelines.approval",
    "approve_notebook": "workbench.pipelines.approval",
    "revoke_approval": "workbench.pipelines.approval",
    "execute_notebook": "workbench.pipelines.execute",
    "ParameterSpec": "workbench.pipelines.spec",
    "PipelineSpec": "workbench.pipelines.spec",
    "StepSpec": "workbench.pipelines.spec",
    "load_pipelines": "workbench.pipelines.spec",
    "get_pipeline": "workbench.pipelines.spec",
    "validate_parameters": "workbench.pipelines.params",
    "RunRecord": "workbench.pipelines.store",
    "StepRecord": "workbench.pipelines.store",
    "RunStore": "workbench.pipelines.store",
    "run_pipeline": "workbench.pipelines.runner",
    "start_pipeline": "workbench.pipelines.runner",
    "check_approvals": "workbench.pipelines.runner",
    "cancel_run": "workbench.pipelines.cancel",
    "scheduler_tick": "workbench.pipelines.scheduler",
    "run_scheduler": "workbench.pipelines.scheduler",
    "export_airflow": "workbench.pipelines.export.airflow",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return _lazy.names(__name__, _EXPORTS)

"""MLOps Workbench: take a model from a first look at the data to a monitored production service.

``import workbench as wb``. The lifecycle has six phases, each a sub-package that computes
*reports* (plain data that render as a widget, as static HTML and as JSON):

* Explore — :func:`profile`, :func:`infer_schema`, :func:`validate`, :func:`fingerprint`
* Evaluate — :func:`evaluate_model`, :func:`assess_fairness`, :func:`explain`, :func:`explain_row`, gates
* Develop — :func:`wrap_model` (robust inference), :func:`check_robustness`
* Package — :func:`package_model`, :func:`load_bundle`, :func:`reproduce`
* Deploy — :func:`create_app` (REST service), :func:`score_batch`, :func:`promote`, :func:`rollback`
* Monitor — :func:`drift`, :func:`monitor`

A :class:`Project` (a folder with ``workbench.toml``) ties them together; :class:`Tracker`
records every run in MLflow. Attributes load lazily, so ``import workbench`` is fast.
"""

from __future__ import annotations

from typing import Any

from workbench import _lazy

_EXPORTS: dict[str, str] = {
    # foundation
    "Project": "workbench.project",
    "ProjectConfig": "workbench.config",
    "init_project": "workbench.scaffold",
    "Tracker": "workbench.tracking",
    "PHASES": "workbench.phases",
    "project_status": "workbench.phases",
    "run_demo": "workbench.demo",
    "execute_notebook": "workbench.pipelines.execute",
    "make_credit_risk": "workbench.datasets",
    "DRIFT_SCENARIOS": "workbench.datasets",
    "Report": "workbench.reports",
    "GateReport": "workbench.reports",
    "load_report": "workbench.reports",
    "WorkbenchError": "workbench.exceptions",
    # explore
    "profile": "workbench.explore",
    "infer_schema": "workbench.explore",
    "validate": "workbench.explore",
    "fingerprint": "workbench.explore",
    # evaluate
    "evaluate_model": "workbench.evaluate",
    "assess_fairness": "workbench.evaluate",
    "explain": "workbench.evaluate",
    "explain_row": "workbench.evaluate",
    "evaluation_gates": "workbench.evaluate",
    # develop and package
    "wrap_model": "workbench.develop",
    "check_robustness": "workbench.develop",
    "package_model": "workbench.package",
    "load_bundle": "workbench.package",
    "reproduce": "workbench.package",
    # deploy
    "create_app": "workbench.deploy",
    "score_batch": "workbench.deploy",
    "promote": "workbench.deploy",
    "rollback": "workbench.deploy",
    # monitor
    "drift": "workbench.monitor",
    "monitor": "workbench.monitor",
    # pipelines
    "approve_notebook": "workbench.pipelines",
    "run_pipeline": "workbench.pipelines",
    "start_pipeline": "workbench.pipelines",
    "load_pipelines": "workbench.pipelines",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return _lazy.names(__name__, _EXPORTS)

"""Pipelines: approved notebooks executed by papermill, recorded, scheduled and exported."""

from workbench.pipelines.execute import execute_notebook

__all__ = ["execute_notebook"]

"""``workbench demo``: build a demo project and run the six phase notebooks as its ``lifecycle`` pipeline."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from workbench.exceptions import NotebookExecutionError
from workbench.phases import PHASES, ProjectStatus, project_status
from workbench.pipelines.approval import approve_notebook
from workbench.pipelines.runner import run_pipeline
from workbench.project import Project
from workbench.scaffold import init_project

__all__ = ["DemoResult", "run_demo"]


@dataclasses.dataclass(frozen=True)
class DemoResult:
    """What the demo made: the project, its executed notebooks, reports and status."""

    project: Project
    executed: tuple[Path, ...]
    seconds: float
    status: ProjectStatus

    @property
    def reports_dir(self) -> Path:
        return self.project.state_dir / "reports"

    def to_text(self) -> str:
        lines = [self.status.to_text(), "", f"Demo finished in {self.seconds:.0f} s."]
        lines.append(f"Executed notebooks: {self.executed[0].parent}" if self.executed else "")
        lines.append(f"HTML reports:       {self.reports_dir}")
        lines.append(f"Open the project:   jupyter lab {self.project.root}")
        return "\n".join(lines)


DEMO_USER = "workbench demo"


def run_demo(directory: Path | str, *, rows: int = 5000, seed: int = 0, force: bool = False, progress: bool = True) -> DemoResult:
    """Create a demo project in ``directory`` and run its ``lifecycle`` pipeline.

    The six phase notebooks are approved first (as the demo user), then run through the
    pipeline runner, which records the run in ``.workbench/runs.db``. A failing notebook stops
    the demo with :class:`~workbench.exceptions.NotebookExecutionError`; its executed notebook
    is kept.
    """
    started = time.perf_counter()
    project = init_project(directory, rows=rows, seed=seed, force=force)
    for phase in PHASES:
        approve_notebook(project, phase.notebook_path, by=DEMO_USER, comment="shipped demo notebook")
    record = run_pipeline(project, "lifecycle", trigger="demo", progress=progress)
    if record.status != "succeeded":
        failed = next(s for s in record.steps if s.status != "succeeded")
        raise NotebookExecutionError(
            f"The demo stopped: {failed.error or failed.status}",
            notebook=failed.notebook,
            output_path=failed.output_notebook,
            hint=f"The executed notebook is kept at {failed.output_notebook}; see `workbench runs show {record.run_id}`.",
        )
    executed = tuple(Path(s.output_notebook) for s in record.steps if s.output_notebook)
    return DemoResult(project, executed, time.perf_counter() - started, project_status(project))

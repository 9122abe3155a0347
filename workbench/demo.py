"""``workbench demo``: build a demo project and run the six phase notebooks in order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

from tqdm.auto import tqdm

from workbench.phases import PHASES, ProjectStatus, project_status
from workbench.pipelines.execute import execute_notebook
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


def run_demo(directory: Path | str, *, rows: int = 5000, seed: int = 0, force: bool = False, progress: bool = True) -> DemoResult:
    """Create a demo project in ``directory`` and run every phase notebook with papermill.

    A failing notebook stops the demo with :class:`~workbench.exceptions.NotebookExecutionError`;
    its executed notebook is kept.
    """
    started = time.perf_counter()
    project = init_project(directory, rows=rows, seed=seed, force=force)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    out_dir = project.state_dir / "executed" / f"demo-{stamp}"
    executed = []
    steps = tqdm(PHASES, desc="demo", unit="phase", disable=not progress)
    for phase in steps:
        steps.set_postfix_str(phase.title)
        executed.append(
            execute_notebook(project, phase.notebook_path, output=out_dir / phase.notebook)
        )
    return DemoResult(project, tuple(executed), time.perf_counter() - started, project_status(project))

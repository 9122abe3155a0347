"""``workbench init``: a new project folder with its configuration, phase notebooks and data.

* :func:`init_project` — the one entry point: a project on your data (``data=FILE,
  target=COL``), or the demo without ``data``; returns the opened :class:`~workbench.Project`.
* :func:`init_from_data` — what ``workbench init DIR --data FILE --target COL`` runs: the file
  is read once, the task and the role of every column inferred, a share of the rows held out
  as production traffic and the data copied into the project; returns an
  :class:`InitSummary` of what was found and written.
* :func:`init_demo` — the demo project (seeded credit-risk data), what ``workbench demo`` runs.
"""

from workbench.scaffold._common import notebook_templates_dir
from workbench.scaffold.demo import init_demo
from workbench.scaffold.from_data import init_from_data
from workbench.scaffold.project import init_project
from workbench.scaffold.summary import InitSummary

__all__ = ["InitSummary", "init_demo", "init_from_data", "init_project", "notebook_templates_dir"]

"""``init_project``: one entry point for a new project, on the user's data or the demo's."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workbench.exceptions import ParameterError
from workbench.project import Project
from workbench.scaffold.demo import init_demo
from workbench.scaffold.from_data import init_from_data

__all__ = ["init_project"]


def init_project(
    directory: Path | str,
    *,
    data: Path | str | None = None,
    target: str | None = None,
    task: str = "auto",
    sensitive: Sequence[str] = (),
    time_column: str | None = None,
    positive_label: str | None = None,
    holdout: float = 0.2,
    name: str | None = None,
    rows: int = 5000,
    seed: int = 0,
    force: bool = False,
) -> Project:
    """Create a project in ``directory`` and open it.

    With ``data`` (and ``target``) the project is made from that file by
    :func:`~workbench.scaffold.init_from_data` (which also returns what it inferred); without,
    it is the credit-risk demo of :func:`~workbench.scaffold.demo.init_demo` with ``rows``
    rows. The other parameters are :func:`~workbench.scaffold.init_from_data`'s.

    Examples
    --------
    >>> project = init_project("churn", data="customers.csv", target="churned")  # doctest: +SKIP
    >>> demo = init_project("credit-demo", rows=2000)  # doctest: +SKIP
    """
    if data is None:
        described = [key for key, value in (("target", target), ("sensitive", sensitive), ("time_column", time_column),
                                            ("positive_label", positive_label)) if value]
        if described or task != "auto":
            keys = ", ".join(described or ["task"])
            raise ParameterError(
                f"{keys} describe(s) your data, but no data file was given.", name=(described or ["task"])[0],
                hint="Pass data=FILE and target=COLUMN for a project on your data (without data: the demo).",
            )
        return init_demo(directory, name=name, rows=rows, seed=seed, force=force)
    if not target:
        raise ParameterError("A project on your data needs a target: the column to predict.", name="target",
                             hint="Pass target=COLUMN (on the command line: --target COL).")
    summary = init_from_data(directory, data=data, target=target, task=task, sensitive=sensitive,
                             time_column=time_column, positive_label=positive_label, name=name,
                             holdout=holdout, seed=seed, force=force)
    return Project.load(summary.root)

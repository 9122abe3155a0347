"""A Workbench project: a folder with ``workbench.toml`` and its embedded state in ``.workbench/``.

Nothing outside the project folder is written by default. Paths that users or clients pass in
are resolved with :meth:`Project.resolve`, which refuses anything that escapes the folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workbench._io import read_table
from workbench.config import CONFIG_NAME, ProjectConfig, load_config
from workbench.exceptions import ConfigError, DataError

if TYPE_CHECKING:  # read only when data is: status, approvals and runs open a project without them
    import pandas as pd

__all__ = ["Project"]

STATE_DIR = ".workbench"


class Project:
    """An opened project.

    Parameters
    ----------
    root
        The project folder (the one holding ``workbench.toml``).
    config
        The validated configuration.

    Examples
    --------
    >>> project = Project.load("my-project")  # doctest: +SKIP
    >>> project.config.data.target  # doctest: +SKIP
    'default'
    """

    def __init__(self, root: Path, config: ProjectConfig) -> None:
        self.root = root.resolve()
        self.config = config

    def __repr__(self) -> str:
        return f"Project(name={self.name!r}, root='{self.root}')"

    @classmethod
    def load(cls, path: Path | str = ".", *, check_data: bool = True) -> Project:
        """Open the project at ``path`` (or the nearest parent holding ``workbench.toml``).

        With ``check_data`` the dataset must exist and hold the target, the sensitive
        features and the time column named in the configuration.
        """
        root = _find_root(Path(path))
        project = cls(root, load_config(root / CONFIG_NAME))
        if check_data:
            project.check_data()
        return project

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def state_dir(self) -> Path:
        """``.workbench/``: MLflow store, run records, logs. Created on first use."""
        state = self.root / STATE_DIR
        state.mkdir(exist_ok=True)
        return state

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    def notebooks(self) -> list[Path]:
        """The project's notebooks, in name order (phase notebooks are numbered).

        A ``notebooks/`` folder or notebook that is a symbolic link leading out of the project is
        a :class:`DataError` (paths are confined to the project folder), never read.
        """
        if not self.notebooks_dir.is_dir():
            return []
        found = sorted(p for p in self.notebooks_dir.glob("*.ipynb") if not p.name.startswith("."))
        for path in [self.notebooks_dir, *found]:
            resolved = path.resolve()
            if resolved != self.root and self.root not in resolved.parents:
                shown = "notebooks/" if path == self.notebooks_dir else f"notebooks/{path.name}"
                raise DataError(
                    f"{shown} leads outside the project folder (a symbolic link), so the project's notebooks "
                    "are not read.", path=shown,
                    hint="Replace the link with the folder or file itself: approvals and runs only use "
                         "notebooks inside the project.",
                )
        return found

    def resolve(self, path: Path | str, *, must_exist: bool = False) -> Path:
        """Resolve ``path`` against the project root, refusing paths that leave the project."""
        candidate = (self.root / Path(path)).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            raise DataError(
                f"The path '{path}' points outside the project folder {self.root}.",
                path=str(path),
                hint="Use a path inside the project.",
            )
        if must_exist and not candidate.exists():
            raise DataError(f"No such file in the project: {path}.", path=candidate)
        return candidate

    def relative(self, path: Path | str) -> str:
        """``path`` relative to the project root, as a POSIX string."""
        return Path(path).resolve().relative_to(self.root).as_posix()

    def load_data(self) -> pd.DataFrame:
        """The training dataset named in ``[data] path``."""
        return read_table(self.config.data.path)

    def load_production(self) -> pd.DataFrame:
        """The production traffic named in ``[data] production``."""
        if self.config.data.production is None:
            raise ConfigError(
                f"{self.config.path}: [data] production is not set.",
                path=self.config.path,
                key="data.production",
                hint="Name a CSV or Parquet file of production traffic.",
            )
        return read_table(self.config.data.production)

    def check_data(self) -> None:
        """Check that the dataset exists and has every column the configuration names."""
        data = self.config.data
        if not data.path.is_file():
            raise ConfigError(
                f"{self.config.path}: [data] path = '{self.relative_or_abs(data.path)}' does not "
                "exist.",
                path=self.config.path,
                key="data.path",
                value=str(data.path),
                expected="an existing CSV or Parquet file",
            )
        columns = _columns(data.path)
        named = {"data.target": [data.target], "data.sensitive": list(data.sensitive)}
        named["data.time_column"] = [data.time_column] if data.time_column else []
        named["data.id_columns"] = list(data.id_columns)
        for key, wanted in named.items():
            for column in wanted:
                if column not in columns:
                    raise ConfigError(
                        f"{self.config.path}: '{key}' names the column '{column}', which is not "
                        f"in {data.path.name} (columns: {', '.join(columns[:30])}).",
                        path=self.config.path,
                        key=key,
                        value=column,
                        expected="a column of the dataset",
                    )

    def relative_or_abs(self, path: Path) -> str:
        try:
            return self.relative(path)
        except ValueError:
            return str(path)


def _find_root(start: Path) -> Path:
    start = start.resolve()
    if start.is_file() and start.name == CONFIG_NAME:
        return start.parent
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"No {CONFIG_NAME} found in {start} or any folder above it.",
        path=start / CONFIG_NAME,
        hint="Create a project with `workbench init DIR`, or pass --project DIR.",
    )


def _columns(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            import pandas as pd  # its ParserError is a ValueError

            return [str(c) for c in pd.read_csv(path, nrows=0).columns]
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq  # the footer alone: pandas is not needed for the names

            return list(pq.read_schema(path).names)
    except (ValueError, OSError) as err:
        raise DataError(f"Cannot read the header of {path}: {err}", path=path) from err
    raise DataError(f"Cannot read {path}: use a .csv or .parquet file.", path=path)

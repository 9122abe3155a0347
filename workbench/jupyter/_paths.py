"""Paths the panel sends, confined to the Jupyter server's root folder, and the projects under it.

Every path a client names is relative to the server's root (the folder JupyterLab shows);
anything that resolves outside it (``..``, an absolute path, a symlink leading out) is refused
with a 400 before any file is touched.
"""

from __future__ import annotations

import os
from pathlib import Path

from workbench.config import CONFIG_NAME
from workbench.exceptions import WorkbenchError

__all__ = ["RequestError", "confine", "find_projects", "project_folder", "server_path"]

SKIPPED_FOLDERS = {"node_modules", "__pycache__", "site-packages"}
MAX_PROJECTS = 50


class RequestError(WorkbenchError):
    """A request the panel (or any client) sent cannot be served; ``status`` is the HTTP status."""

    def __init__(self, message: str, *, status: int = 400, hint: str | None = None) -> None:
        self.status = status
        super().__init__(message, hint=hint)


def confine(root: Path, path: object, *, name: str = "path") -> Path:
    """``path`` (relative to ``root``) resolved; a 400 when it is not a string or leaves ``root``."""
    if not isinstance(path, str):
        raise RequestError(f"'{name}' must be a string path relative to the server root, got {path!r}.")
    if "\x00" in path or Path(path).is_absolute() or path.startswith(("/", "\\")):
        raise RequestError(
            f"'{name}' = {path!r} is not a relative path.",
            hint="Send paths relative to the folder JupyterLab shows.",
        )
    candidate = (root / path).resolve()
    if candidate != root and root not in candidate.parents:
        raise RequestError(
            f"'{name}' = {path!r} points outside the server's root folder.",
            hint="Only files under the folder JupyterLab shows can be used.",
        )
    return candidate


def server_path(root: Path, path: Path) -> str:
    """``path`` relative to the server root, POSIX style (``""`` for the root itself)."""
    relative = Path(path).resolve().relative_to(root).as_posix()
    return "" if relative == "." else relative


def project_folder(root: Path, path: Path) -> Path | None:
    """The nearest folder at or above ``path`` (never above ``root``) holding ``workbench.toml``."""
    folder = path if path.is_dir() else path.parent
    while True:
        if (folder / CONFIG_NAME).is_file():
            return folder
        if folder == root or root not in folder.parents:
            return None
        folder = folder.parent


def find_projects(root: Path, *, depth: int = 2) -> list[Path]:
    """Project folders at the root and up to ``depth`` levels below it (hidden folders skipped)."""
    found: list[Path] = []
    level = [root]
    for _ in range(depth + 1):
        found += [folder for folder in level if (folder / CONFIG_NAME).is_file()]
        level = [child for folder in level for child in _subfolders(folder)]
        if len(found) >= MAX_PROJECTS:
            break
    return found[:MAX_PROJECTS]


def _subfolders(folder: Path) -> list[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return []
    return [
        Path(entry.path)
        for entry in entries
        if entry.is_dir(follow_symlinks=False)
        and not entry.name.startswith(".")
        and entry.name not in SKIPPED_FOLDERS
    ]

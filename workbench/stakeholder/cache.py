"""The stakeholder page kept rendered until one of the files it is read from changes.

Gathering the page opens the MLflow store and a dozen reports, which takes seconds; Voila runs
the dashboard notebook on every visit, and a visitor should read the answers at once. The page
is stored in ``.workbench/stakeholder/page.html`` beside a key made of the size and modification
time of every file it is read from (the embedded MLflow store, the run store, the logged reports,
the promotion, alert and approval records, the notebooks, ``workbench.toml``), of the modules
that render it and of the package version. A visit whose key matches reads the stored page without opening the project; any change
to a source renders it again. A project tracked on an MLflow server is never stored: its
changes leave no trace in the folder.

This module imports nothing heavy, so the fast path stays fast.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from pathlib import Path

__all__ = ["PAGE_FILE", "cached_stakeholder_html", "sources_key", "store_page"]

PAGE_FILE = Path(".workbench") / "stakeholder" / "page.html"
_KEY_FILE = PAGE_FILE.with_suffix(".key")
# Bump when the page's layout changes, so a stored page of an older layout is not shown.
_LAYOUT = "1"
# Files the page is read from, relative to the project root (globs for the folders of them).
_SOURCES = (
    "workbench.toml", "pipeline.yaml", "approvals.json", ".workbench/mlflow.db", ".workbench/runs.db",
    ".workbench/promotions.jsonl", ".workbench/alerts.jsonl", ".workbench/reports/*.json", "notebooks/*.ipynb",
)


def sources_key(root: Path | str) -> str | None:
    """The key of the page's sources under ``root``; None when the page cannot be stored
    (the project tracks runs on a server, or names another tracking store)."""
    from workbench import __version__

    root = Path(root)
    if not _embedded_store(root):
        return None
    digest = hashlib.sha256(f"{__version__}|{_LAYOUT}".encode())
    # the code that renders the page: an upgrade in place (same version number) renders it anew
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(f"|{path.name}:{path.stat().st_mtime_ns}".encode())
    for pattern in _SOURCES:
        for path in sorted(root.glob(pattern)):
            try:
                stat = path.stat()
            except OSError:  # removed while listing: the next visit sees the change
                continue
            digest.update(f"|{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _embedded_store(root: Path) -> bool:
    """Whether runs are tracked in the project's own ``.workbench/mlflow.db``."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return False
    try:
        config = tomllib.loads((root / "workbench.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    tracking = config.get("tracking")
    return not (isinstance(tracking, dict) and tracking.get("uri"))


def store_page(root: Path | str, html: str, key: str | None) -> None:
    """Keep ``html`` as the page of the sources whose key was ``key`` (taken before it was gathered).

    Nothing is stored when the sources changed meanwhile: the page may not say what they say now.
    """
    root = Path(root)
    if key is None or sources_key(root) != key:
        return
    page, key_file = root / PAGE_FILE, root / _KEY_FILE
    try:
        page.parent.mkdir(parents=True, exist_ok=True)
        key_file.unlink(missing_ok=True)  # no key names a page half replaced
        for path, content in ((page, html), (key_file, key)):
            partial = path.with_name(path.name + ".partial")
            partial.write_text(content, encoding="utf-8")
            partial.replace(path)  # a reader sees the old file or the new one, never half of one
    except OSError:  # a read-only project folder: the page is shown, only not kept
        return


def cached_stakeholder_html(root: Path | str) -> str:
    """The stakeholder page of the project at ``root`` (the Voila dashboard shows it).

    Read from the stored page while its sources are unchanged, else gathered, rendered and stored.

    Examples
    --------
    >>> from IPython.display import HTML, display  # doctest: +SKIP
    >>> display(HTML(cached_stakeholder_html(project_dir)))  # doctest: +SKIP
    """
    root = Path(root)
    key = sources_key(root)
    if key is not None and _stored_key(root) == key:
        try:
            return (root / PAGE_FILE).read_text(encoding="utf-8")
        except OSError:
            pass  # removed meanwhile: gather it again
    from workbench.project import Project
    from workbench.stakeholder.page import stakeholder_html

    html = stakeholder_html(Project.load(root))
    store_page(root, html, key)
    return html


def _stored_key(root: Path) -> str | None:
    try:
        return (root / _KEY_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None

"""Where a project's prediction log lives: a SQLite file (the default) or a PostgreSQL URL.

``WORKBENCH_PREDICTION_LOG`` (set by a Kubernetes Secret, say) wins over ``[deploy]
prediction_log`` in ``workbench.toml``; without either the log is ``.workbench/predictions.db``.
A value is a path (relative to the project folder), ``sqlite:///PATH``, or
``postgresql://user:password@host:port/database`` (``postgresql+psycopg://`` too: psycopg 3 is
the driver either way). Every message that shows a URL masks its password.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from workbench.exceptions import PredictionLogError

__all__ = ["ENV", "configured_log", "log_path", "log_url_of", "masked"]

ENV = "WORKBENCH_PREDICTION_LOG"
# Scheme as written -> the SQLAlchemy driver name used.
_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
            "postgresql+psycopg": "postgresql+psycopg"}
_FORMS = "a file path, sqlite:///PATH, or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
# Up to the last "@" before the path: a password with an unescaped "@" is masked whole.
_CREDENTIALS = re.compile(r"(//[^:/@]*:)[^/]*@")


def log_path(project: Any) -> Path:
    """Path of the project's default (SQLite) prediction log: ``.workbench/predictions.db``."""
    return Path(project.state_dir) / "predictions.db"


def configured_log(project: Any) -> str:
    """The log ``project`` is configured to use: the environment's, the config's, else the default file."""
    chosen = os.environ.get(ENV, "").strip()
    config = getattr(project, "config", None)
    if not chosen and config is not None:
        chosen = str(config.sections.get("deploy", {}).get("prediction_log", "") or "").strip()
    return chosen or str(log_path(project))


def masked(url: str | URL) -> str:
    """``url`` with its password shown as ``***`` (a parsed URL, or any text that looks like one)."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return _CREDENTIALS.sub(r"\1***@", str(url))


def log_url_of(target: str | Path, *, root: Path | None = None) -> URL:
    """The SQLAlchemy URL of a log given as a path or URL; a scheme we do not serve is refused.

    Raises
    ------
    PredictionLogError
        Naming the value (password masked) and the forms that are accepted.
    """
    text = str(target)
    if "://" not in text:
        path = Path(text).expanduser()
        path = path if path.is_absolute() or root is None else root / path
        return URL.create("sqlite", database=str(path.resolve()))
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as err:
        raise PredictionLogError(f"the prediction log URL {masked(text)} cannot be read: {err}", url=masked(text),
                                 hint=f"write it as {_FORMS}") from err
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise PredictionLogError(
            f"the prediction log URL {masked(url)} uses {url.drivername}://, which the log does not support",
            url=masked(url), hint=f"write it as {_FORMS} (psycopg 3 is the PostgreSQL driver)")
    url = url.set(drivername=driver)
    if "@" in (url.host or ""):
        raise PredictionLogError(f"the prediction log URL {masked(text)} has an '@' in its password or host",
                                 url=masked(text), hint="percent-encode it in the password: '@' is written %40")
    if driver != "sqlite" and not (url.host and url.database):
        raise PredictionLogError(f"the prediction log URL {masked(url)} names no host or no database",
                                 url=masked(url), hint=f"write it as {_FORMS}")
    return url

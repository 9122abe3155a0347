"""Reading the tracking store the cheapest correct way: what status, the CLI and the panel ask.

``workbench status`` and the JupyterLab panel only read: a project's runs, one run, a small JSON
artifact, registered versions and aliases. Importing MLflow to ask costs more than everything
else those commands do, so a reader is chosen by the store's URI scheme (:data:`READERS`):

* ``sqlite:///...`` (the embedded default): :class:`SqliteStoreReader` queries MLflow's
  tables read-only with the standard library and reads artifacts kept in local folders.
  Anything it cannot answer exactly (a schema it does not know, artifacts in remote storage)
  it hands to MLflow.
* anything else (a tracking server's ``http(s)://`` URL, a database server): :class:`MlflowStoreReader`
  asks MLflow's own client (its REST client for a server).

Both answer exactly what :class:`mlflow.MlflowClient` answers (a test checks it on a real
store): runs newest first as MLflow orders them, deleted runs and versions left out.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import tempfile
from collections.abc import Callable, Mapping
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from workbench.exceptions import TrackingError

if TYPE_CHECKING:
    from workbench.tracking import RunInfo

__all__ = [
    "READERS", "MlflowStoreReader", "ModelVersionInfo", "SqliteStoreReader", "StoreReader", "registry_reference",
    "store_reader",
]

DEFAULT_WORKSPACE = "default"
DELETED_VERSION_STAGE = "Deleted_Internal"  # MLflow's mark on a deleted model version
_ALIAS_URI = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[\w-]+)$")
_VERSION_URI = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")


@dataclasses.dataclass(frozen=True)
class ModelVersionInfo:
    """One registered model version: its number (as text, as MLflow gives it) and its run."""

    name: str
    version: str
    run_id: str | None


class StoreReader(Protocol):
    """The read-only questions status, the CLI and the panel ask a tracking store."""

    uri: str

    def experiment_id(self, name: str) -> str | None:
        """The id of the experiment called ``name`` (None: there is none; a read never creates it)."""

    def search_runs(self, experiment_id: str, *, tags: Mapping[str, str] | None = ..., status: str | None = ...,
                    order_by_tag: str | None = ..., max_results: int = ...) -> list[RunInfo]:
        """The experiment's active runs with every tag in ``tags`` (and ``status``), newest first,
        or ordered by the tag ``order_by_tag`` (highest first) when given."""

    def get_run(self, run_id: str) -> RunInfo | None:
        """The run ``run_id`` (None: not in this store)."""

    def read_artifact(self, run_id: str, path: str) -> str | None:
        """The text of the run's artifact at ``path`` (None: it logged none there)."""

    def model_versions(self, name: str, *, run_id: str) -> list[ModelVersionInfo]:
        """The versions of registered model ``name`` made from run ``run_id``."""

    def model_version(self, name: str, version: str) -> ModelVersionInfo | None:
        """Version ``version`` of registered model ``name`` (None: no such version)."""

    def version_by_alias(self, name: str, alias: str) -> ModelVersionInfo | None:
        """The version of ``name`` that ``alias`` points at (None: no such alias)."""

    def aliases(self, name: str) -> dict[str, str]:
        """Every alias of registered model ``name`` with the version it points at."""


def registry_reference(uri: str) -> tuple[str, str | None, str | None] | None:
    """``(name, version, alias)`` of a ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS`` URI, else None."""
    if match := _VERSION_URI.match(uri):
        return match["name"], match["version"], None
    if match := _ALIAS_URI.match(uri):
        return match["name"], None, match["alias"]
    return None


# -- through MLflow ---------------------------------------------------------------------------------
class MlflowStoreReader:
    """The reader for every store but SQLite: MLflow's client (for a server, its REST client)."""

    def __init__(self, uri: str, client: Any = None) -> None:
        self.uri = uri
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import mlflow

            self._client = mlflow.MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        return self._client

    def experiment_id(self, name: str) -> str | None:
        try:
            experiment = self.client.get_experiment_by_name(name)
        except Exception as err:  # MLflow raises many types for an unreachable store
            raise TrackingError(
                f"Cannot reach the MLflow tracking store at {self.uri}: {err}",
                hint="Check [tracking] uri in workbench.toml or MLFLOW_TRACKING_URI, and that the server is up.",
            ) from err
        return None if experiment is None else str(experiment.experiment_id)

    def search_runs(self, experiment_id: str, *, tags: Mapping[str, str] | None = None, status: str | None = None,
                    order_by_tag: str | None = None, max_results: int = 100) -> list[RunInfo]:
        from workbench.tracking import RunInfo

        terms = [f"tags.`{key}` = '{value}'" for key, value in (tags or {}).items()]
        terms += [f"attributes.status = '{status}'"] if status else []
        order = f"tags.`{order_by_tag}` DESC" if order_by_tag else "attributes.start_time DESC"
        try:
            found = self.client.search_runs([experiment_id], filter_string=" and ".join(terms), order_by=[order],
                                            max_results=max_results)
        except Exception as err:
            raise TrackingError(f"Cannot search runs in {self.uri}: {err}") from err
        return [RunInfo.from_mlflow(run) for run in found]

    def get_run(self, run_id: str) -> RunInfo | None:
        from workbench.tracking import RunInfo

        try:
            return RunInfo.from_mlflow(self.client.get_run(run_id))
        except Exception:  # no such run in this store
            return None

    def read_artifact(self, run_id: str, path: str) -> str | None:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                local = self.client.download_artifacts(run_id, path, tmp)
                return Path(local).read_text(encoding="utf-8")
            except Exception:  # not logged, or unreadable
                return None

    def model_versions(self, name: str, *, run_id: str) -> list[ModelVersionInfo]:
        try:
            found = self.client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
        except Exception:  # no registry, or nothing registered under the name
            return []
        return [ModelVersionInfo(v.name, str(v.version), v.run_id or None) for v in found]

    def model_version(self, name: str, version: str) -> ModelVersionInfo | None:
        try:
            found = self.client.get_model_version(name, str(version))
        except Exception:  # no such version
            return None
        return ModelVersionInfo(found.name, str(found.version), found.run_id or None)

    def version_by_alias(self, name: str, alias: str) -> ModelVersionInfo | None:
        try:
            found = self.client.get_model_version_by_alias(name, alias)
        except Exception:  # no registered model, or no such alias
            return None
        return ModelVersionInfo(found.name, str(found.version), found.run_id or None)

    def aliases(self, name: str) -> dict[str, str]:
        try:
            return {alias: str(version) for alias, version in (self.client.get_registered_model(name).aliases or {}).items()}
        except Exception:  # no such registered model
            return {}


# -- straight from MLflow's SQLite tables -------------------------------------------------------------
class SqliteStoreReader:
    """Read MLflow's SQLite store with :mod:`sqlite3` (read-only), as MLflow's client reads it.

    A missing database file holds no runs (MLflow would create it; a read must not). A query
    the schema cannot answer (an older or newer MLflow's tables) goes to :class:`MlflowStoreReader`.
    """

    def __init__(self, uri: str) -> None:
        self.uri = uri
        # Only a plain file URI is read here; one with options (``?...``) is MLflow's to interpret.
        plain = uri.startswith("sqlite:///") and "?" not in uri and "#" not in uri
        self.path = Path(url2pathname(unquote(uri[len("sqlite:///"):]))) if plain else None
        self.mlflow = MlflowStoreReader(uri)

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]] | None:
        """Rows of ``sql``; None when this reader cannot answer (the caller asks MLflow)."""
        if self.path is None:
            return None
        if not self.path.is_file():
            return []
        try:
            with closing(sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=30)) as db:
                return db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError:  # tables of another MLflow version, or not MLflow's: MLflow knows
            return None

    def experiment_id(self, name: str) -> str | None:
        rows = self._query("SELECT experiment_id FROM experiments WHERE name = ? AND workspace = ?",
                           (name, DEFAULT_WORKSPACE))
        if rows is None:
            return self.mlflow.experiment_id(name)
        return str(rows[0][0]) if rows else None

    def search_runs(self, experiment_id: str, *, tags: Mapping[str, str] | None = None, status: str | None = None,
                    order_by_tag: str | None = None, max_results: int = 100) -> list[RunInfo]:
        where = ["r.experiment_id = ?", "r.lifecycle_stage = 'active'"]
        args: list[Any] = [int(experiment_id)]
        for key, value in (tags or {}).items():
            where.append("EXISTS (SELECT 1 FROM tags t WHERE t.run_uuid = r.run_uuid AND t.key = ? AND t.value = ?)")
            args += [key, value]
        if status:
            where.append("r.status = ?")
            args.append(status)
        # MLflow's order: the key with missing values last, then start time (newest first), then run id.
        order = "r.start_time DESC, r.run_uuid"
        if order_by_tag:
            where_tag = "(SELECT t.value FROM tags t WHERE t.run_uuid = r.run_uuid AND t.key = ?)"
            order = f"{where_tag} IS NULL, {where_tag} DESC, {order}"
            args += [order_by_tag, order_by_tag]
        rows = self._query(f"SELECT r.run_uuid FROM runs r WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?",
                           (*args, int(max_results)))
        if rows is None:
            return self.mlflow.search_runs(experiment_id, tags=tags, status=status, order_by_tag=order_by_tag,
                                           max_results=max_results)
        found = self._runs([row[0] for row in rows])
        return found if found is not None else self.mlflow.search_runs(
            experiment_id, tags=tags, status=status, order_by_tag=order_by_tag, max_results=max_results)

    def get_run(self, run_id: str) -> RunInfo | None:
        found = self._runs([run_id])
        if found is None:
            return self.mlflow.get_run(run_id)
        return found[0] if found else None

    def _runs(self, run_ids: list[str]) -> list[RunInfo] | None:
        """The runs ``run_ids`` in that order, with their tags, params and latest metrics."""
        from workbench.tracking import RunInfo

        if not run_ids:
            return []
        marks = ",".join("?" * len(run_ids))
        runs = self._query(f"SELECT run_uuid, status, start_time, end_time FROM runs WHERE run_uuid IN ({marks})",
                           tuple(run_ids))
        tags = self._query(f"SELECT run_uuid, key, value FROM tags WHERE run_uuid IN ({marks})", tuple(run_ids))
        params = self._query(f"SELECT run_uuid, key, value FROM params WHERE run_uuid IN ({marks})", tuple(run_ids))
        metrics = self._query(f"SELECT run_uuid, key, value, is_nan FROM latest_metrics WHERE run_uuid IN ({marks})",
                              tuple(run_ids))
        if runs is None or tags is None or params is None or metrics is None:
            return None
        by_run: dict[str, dict[str, dict[str, Any]]] = {r[0]: {"tags": {}, "params": {}, "metrics": {}} for r in runs}
        for run_id, key, value in tags:
            by_run[run_id]["tags"][key] = value
        for run_id, key, value in params:
            by_run[run_id]["params"][key] = value
        for run_id, key, value, is_nan in metrics:
            by_run[run_id]["metrics"][key] = float("nan") if is_nan else float(value)
        info = {r[0]: r for r in runs}
        return [RunInfo.from_parts(run_id=run_id, status=info[run_id][1], start_ms=info[run_id][2],
                                   end_ms=info[run_id][3], **by_run[run_id])
                for run_id in run_ids if run_id in info]

    def read_artifact(self, run_id: str, path: str) -> str | None:
        rows = self._query("SELECT artifact_uri FROM runs WHERE run_uuid = ?", (run_id,))
        if rows is None or (rows and not str(rows[0][0] or "").startswith("file:")):
            return self.mlflow.read_artifact(run_id, path)  # artifacts kept elsewhere: MLflow fetches them
        if not rows:
            return None
        root = Path(url2pathname(urlsplit(str(rows[0][0])).path))
        target = (root / path).resolve()
        if root.resolve() not in target.parents or not target.is_file():
            return None
        return target.read_text(encoding="utf-8")

    def model_versions(self, name: str, *, run_id: str) -> list[ModelVersionInfo]:
        rows = self._query("SELECT version, run_id FROM model_versions WHERE name = ? AND run_id = ? "
                           "AND workspace = ? AND current_stage != ?", (name, run_id, DEFAULT_WORKSPACE,
                                                                        DELETED_VERSION_STAGE))
        if rows is None:
            return self.mlflow.model_versions(name, run_id=run_id)
        return [ModelVersionInfo(name, str(version), found or None) for version, found in rows]

    def model_version(self, name: str, version: str) -> ModelVersionInfo | None:
        if not str(version).isdigit():
            return None
        rows = self._query("SELECT version, run_id FROM model_versions WHERE name = ? AND version = ? "
                           "AND workspace = ? AND current_stage != ?", (name, int(version), DEFAULT_WORKSPACE,
                                                                        DELETED_VERSION_STAGE))
        if rows is None:
            return self.mlflow.model_version(name, version)
        return ModelVersionInfo(name, str(rows[0][0]), rows[0][1] or None) if rows else None

    def version_by_alias(self, name: str, alias: str) -> ModelVersionInfo | None:
        version = self.aliases(name).get(alias)
        return None if version is None else self.model_version(name, version)

    def aliases(self, name: str) -> dict[str, str]:
        rows = self._query("SELECT alias, version FROM registered_model_aliases WHERE name = ? AND workspace = ?",
                           (name, DEFAULT_WORKSPACE))
        if rows is None:
            return self.mlflow.aliases(name)
        return {alias: str(version) for alias, version in rows}


# URI scheme -> reader; a scheme not listed is read through MLflow.
READERS: dict[str, Callable[[str], StoreReader]] = {"sqlite": SqliteStoreReader}


def store_reader(uri: str, *, client: Any = None) -> StoreReader:
    """The reader for the tracking store at ``uri`` (``client``: an MLflow client already made for it).

    Examples
    --------
    >>> store_reader("sqlite:////tmp/p/.workbench/mlflow.db").__class__.__name__
    'SqliteStoreReader'
    """
    make = READERS.get(urlsplit(uri).scheme.lower())
    if make is None:
        return MlflowStoreReader(uri, client)
    return make(uri)

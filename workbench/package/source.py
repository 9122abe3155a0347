"""Which model is being packaged: a model URI resolved to its run and its registry entry."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.exceptions import ModelError

if TYPE_CHECKING:
    from workbench.tracking import Tracker

__all__ = ["ModelSource", "download_model", "resolve_model"]

_RUNS = re.compile(r"^runs:/(?P<run>[0-9a-f]{8,64})/(?P<path>.+)$")
_ALIAS = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[\w-]+)$")
_VERSION = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")
_LOGGED = re.compile(r"^models:/(?P<id>m-[0-9a-f]+)$")
_FORMS = "runs:/<run id>/model, models:/<name>@<alias>, models:/<name>/<version> or models:/m-<id>"


@dataclasses.dataclass(frozen=True)
class ModelSource:
    """A model URI with the run that trained it and, when registered, its name and version."""

    uri: str
    run_id: str
    registered_name: str | None = None
    registered_version: str | None = None

    @property
    def is_registered(self) -> bool:
        return self.registered_version is not None


def resolve_model(tracker: Tracker, model_uri: str) -> ModelSource:
    """Resolve ``model_uri`` to its training run (and registered version when it names one).

    Raises
    ------
    ModelError
        When the URI has none of the accepted forms or names nothing in the tracking store.
    """
    if not isinstance(model_uri, str) or not model_uri.strip():
        raise ModelError(f"A model URI is needed, got {model_uri!r}.", hint=f"Use {_FORMS}.")
    uri = model_uri.strip()
    client = tracker.client
    try:
        found = _lookup(client, uri)
    except Exception as err:
        raise ModelError(
            f"The model {uri} is not in the tracking store at {tracker.uri}: {err}",
            hint="Check the run id, the registered name and the alias (`workbench history`).",
        ) from err
    if found is None:
        raise ModelError(f"{uri!r} is not a model URI this command understands.", hint=f"Use {_FORMS}.")
    if not found.run_id:
        raise ModelError(f"The model {uri} was not logged by a run, so it has no lineage to package.")
    return found


def _lookup(client: Any, uri: str) -> ModelSource | None:
    if match := _RUNS.match(uri):
        client.get_run(match["run"])
        return ModelSource(uri, match["run"])
    if match := _ALIAS.match(uri):
        version = client.get_model_version_by_alias(match["name"], match["alias"])
        return ModelSource(uri, version.run_id or "", match["name"], str(version.version))
    if match := _VERSION.match(uri):
        version = client.get_model_version(match["name"], match["version"])
        return ModelSource(uri, version.run_id or "", match["name"], str(version.version))
    if match := _LOGGED.match(uri):
        return ModelSource(uri, client.get_logged_model(match["id"]).source_run_id or "")
    return None


def download_model(source: ModelSource, target: Path) -> Path:
    """Copy the model's MLflow folder into ``target``; an error names the URI when it fails."""
    import mlflow.artifacts

    target.mkdir(parents=True, exist_ok=True)
    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=source.uri, dst_path=str(target))
    except Exception as err:
        raise ModelError(f"Cannot download the model {source.uri}: {err}") from err
    path = Path(local)
    if not (path / "MLmodel").is_file():
        raise ModelError(
            f"{source.uri} is not an MLflow model (no MLmodel file in it).",
            hint="Point at the model folder a run logged, e.g. runs:/<id>/model.",
        )
    return path


def flavor(mlmodel: Any, name: str) -> dict[str, Any]:
    """A flavor's configuration from a loaded ``mlflow.models.Model``, or a ModelError."""
    conf = mlmodel.flavors.get(name)
    if conf is None:
        raise ModelError(
            f"The model has no '{name}' flavor (it has {', '.join(mlmodel.flavors)}).",
            hint="Package a scikit-learn model logged with run.log_model(...).",
        )
    return dict(conf)

"""MLflow wiring: the embedded default store, tagged runs, report artifacts, and run look-ups.

The embedded default needs no set-up: a SQLite store at ``.workbench/mlflow.db`` and artifacts
under ``.workbench/artifacts``. Set ``[tracking] uri`` in ``workbench.toml`` (which wins) or the
``MLFLOW_TRACKING_URI`` environment variable to use a tracking server instead: the same code
runs against both.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.exceptions import ReportError, TrackingError
from workbench.notebooks import content_hash
from workbench.reports.base import Report, load_report
from workbench.reports.gates import GateReport

if TYPE_CHECKING:
    import mlflow

    from workbench.explore.schema import Schema
    from workbench.project import Project
    from workbench.selection import ChosenModel
    from workbench.tracking_read import StoreReader

__all__ = ["RunInfo", "TrackedRun", "Tracker", "model_schema", "tracking_uri", "user_tracking_uri"]

# Artifact downloads are small local copies; MLflow's per-download progress bar is noise here.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

TAG = "workbench."
NOTEBOOK_ENV = "WORKBENCH_NOTEBOOK"
PIPELINE_RUN_ENV = "WORKBENCH_PIPELINE_RUN"
SCHEMA_METADATA_KEY = "workbench_input_schema"


# URIs the workbench pointed MLflow at; _point_mlflow_at keeps them out of os.environ, and this
# set keeps one that got there anyway (an older MLflow, a user's own set_tracking_uri call with
# the same value) from being mistaken for the user's choice.
_URIS_SET_HERE: set[str] = set()


def user_tracking_uri() -> str | None:
    """``MLFLOW_TRACKING_URI`` when the user set it (not when MLflow set it for us)."""
    value = os.environ.get("MLFLOW_TRACKING_URI")
    return value if value and value not in _URIS_SET_HERE else None


def tracking_uri(project: Project) -> str:
    """The tracking URI in force: ``[tracking] uri``, else ``MLFLOW_TRACKING_URI``, else embedded."""
    uri = project.config.tracking_uri or user_tracking_uri()
    if uri:
        return uri
    return f"sqlite:///{project.state_dir / 'mlflow.db'}"


def _point_mlflow_at(uri: str) -> None:
    """Point MLflow's fluent API at ``uri`` without changing the environment.

    mlflow.set_tracking_uri() also exports MLFLOW_TRACKING_URI so subprocesses inherit it; a
    process working with one project must not hand that project's store to, say, a
    ``workbench demo`` it starts for another, so the environment is put back as it was.
    """
    import mlflow

    saved = {key: os.environ.get(key) for key in _URI_ENV_KEYS}
    if saved["MLFLOW_TRACKING_URI"] != uri:  # the user's own choice stays theirs
        _URIS_SET_HERE.add(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


_URI_ENV_KEYS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """What status, the CLI and the panel need to know of one tracked run."""

    run_id: str
    phase: str | None
    status: str
    start_time: float | None
    end_time: float | None
    notebook: str | None
    notebook_hash: str | None
    gates: str | None
    metrics: Mapping[str, float]
    tags: Mapping[str, str]
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_mlflow(cls, run: Any) -> RunInfo:
        return cls.from_parts(run_id=run.info.run_id, status=run.info.status, start_ms=run.info.start_time,
                              end_ms=run.info.end_time, tags=dict(run.data.tags), params=dict(run.data.params),
                              metrics=dict(run.data.metrics))

    @classmethod
    def from_parts(cls, *, run_id: str, status: str, start_ms: int | None, end_ms: int | None,
                   tags: dict[str, str], params: dict[str, str], metrics: dict[str, float]) -> RunInfo:
        """A run from its fields as the store keeps them (times in milliseconds since the epoch)."""
        return cls(
            run_id=run_id,
            phase=tags.get(TAG + "phase"),
            status=status,
            start_time=start_ms / 1000 if start_ms else None,
            end_time=end_ms / 1000 if end_ms else None,
            notebook=tags.get(TAG + "notebook"),
            notebook_hash=tags.get(TAG + "notebook_hash"),
            gates=tags.get(TAG + "gates"),
            metrics=metrics,
            tags=tags,
            params=params,
        )


class Tracker:
    """MLflow tracking and registry for one project.

    Reads (:meth:`runs`, :meth:`load_gates`, the chosen model) go through :attr:`reader`, the
    cheapest correct reader of the store; MLflow itself is imported when a write or the
    :attr:`client` needs it. ``read_only`` leaves MLflow's process-wide URI alone (status, the
    panel): otherwise the tracker points MLflow's fluent API at the project's store.

    Examples
    --------
    >>> tracker = Tracker(project)  # doctest: +SKIP
    >>> with tracker.start_run("evaluate", params={"max_depth": 3}) as run:  # doctest: +SKIP
    ...     run.log_metrics({"roc_auc": 0.81})
    """

    def __init__(self, project: Project, *, read_only: bool = False) -> None:
        self.project = project
        self.uri = tracking_uri(project)
        self.embedded = self.uri.startswith("sqlite:///") and str(project.state_dir) in self.uri
        self._client: mlflow.MlflowClient | None = None
        self._reader: StoreReader | None = None
        self._experiment_id: str | None = None
        if not read_only:
            # MLflow's fluent API (log_model, load_model, register_model) reads a process-wide
            # URI; a notebook works with one project, so the tracker points it there.
            _point_mlflow_at(self.uri)

    @property
    def client(self) -> mlflow.MlflowClient:
        """MLflow's client for the project's store (MLflow is imported on first use)."""
        if self._client is None:
            import mlflow

            self._client = mlflow.MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        return self._client

    @property
    def reader(self) -> StoreReader:
        """The cheapest correct reader of the store (:mod:`workbench.tracking_read`)."""
        if self._reader is None:
            from workbench.tracking_read import store_reader

            self._reader = store_reader(self.uri, client=self._client)
        return self._reader

    @property
    def experiment_id(self) -> str:
        """The project's experiment, created on first use."""
        if self._experiment_id is None:
            self._experiment_id = self._ensure_experiment()
        return self._experiment_id

    def read_experiment_id(self) -> str | None:
        """The project's experiment, or None while it has none (reading never creates it)."""
        if self._experiment_id is None:
            self._experiment_id = self.reader.experiment_id(self.project.config.experiment)
        return self._experiment_id

    def _ensure_experiment(self) -> str:
        name = self.project.config.experiment
        try:
            experiment = self.client.get_experiment_by_name(name)
            if experiment is not None:
                return str(experiment.experiment_id)
            location = None
            if self.embedded:
                location = (self.project.state_dir / "artifacts").as_uri()
            return str(self.client.create_experiment(name, artifact_location=location))
        except Exception as err:  # MLflow raises many types for an unreachable store
            raise TrackingError(
                f"Cannot reach the MLflow tracking store at {self.uri}: {err}",
                hint="Check [tracking] uri in workbench.toml or MLFLOW_TRACKING_URI, and that the server is up.",
            ) from err

    @contextmanager
    def start_run(
        self,
        phase: str,
        *,
        notebook: Path | str | None = None,
        params: Mapping[str, Any] | None = None,
        data_fingerprint: str | None = None,
        run_name: str | None = None,
    ) -> Iterator[TrackedRun]:
        """Start an MLflow run for ``phase``, tagged with the project, notebook, git and data.

        The run is the active MLflow run inside the block, so ``mlflow.sklearn.log_model`` and
        friends log into it. A failure inside the block marks the run FAILED.
        """
        import mlflow

        from workbench.phases import phase_named

        phase_named(phase)
        _point_mlflow_at(self.uri)
        tags = self._run_tags(phase, notebook, data_fingerprint)
        with mlflow.start_run(experiment_id=self.experiment_id, run_name=run_name or phase, tags=tags) as run:
            tracked = TrackedRun(self, run)
            if params:
                tracked.log_params(params)
            yield tracked

    def _run_tags(self, phase: str, notebook: Path | str | None, fingerprint: str | None) -> dict[str, str]:
        tags = {TAG + "project": self.project.name, TAG + "phase": phase}
        notebook = notebook or os.environ.get(NOTEBOOK_ENV)
        if notebook:
            path = Path(notebook)
            path = path if path.is_absolute() else self.project.root / path
            tags[TAG + "notebook"] = self.project.relative_or_abs(path)
            if path.is_file():
                tags[TAG + "notebook_hash"] = content_hash(path)
        commit = git_commit(self.project.root)
        if commit:
            tags[TAG + "git_commit"] = commit
        if fingerprint:
            tags[TAG + "data_fingerprint"] = fingerprint
        if os.environ.get(PIPELINE_RUN_ENV):
            tags[TAG + "pipeline_run"] = os.environ[PIPELINE_RUN_ENV]
        return tags

    # -- look-ups --------------------------------------------------------------------------
    def runs(self, *, phase: str | None = None, max_results: int = 100) -> list[RunInfo]:
        """The project's runs, newest first (optionally of one phase)."""
        experiment = self.read_experiment_id()
        if experiment is None:
            return []
        tags = {TAG + "phase": phase} if phase else {}
        return self.reader.search_runs(experiment, tags=tags, max_results=max_results)

    def latest_run(self, phase: str) -> RunInfo | None:
        """The newest run of ``phase``, or None."""
        runs = self.runs(phase=phase, max_results=1)
        return runs[0] if runs else None

    def load_report(self, run_id: str, name: str) -> Report:
        """A report logged by :meth:`TrackedRun.log_report`."""
        text = self.reader.read_artifact(run_id, f"reports/{name}.json")
        if text is None:
            raise TrackingError(f"Run {run_id} has no report named '{name}'.")
        return _report_from_text(text)

    def load_gates(self, run_id: str) -> GateReport | None:
        """The gate report logged with a run, or None when it logged none."""
        text = self.reader.read_artifact(run_id, "gates/gates.json")
        if text is None:
            return None
        report = _report_from_text(text)
        return report if isinstance(report, GateReport) else None

    def model_uri(self, phase: str = "evaluate") -> str:
        """The URI of the model ``phase`` hands on.

        For ``evaluate``, the *chosen* model (:mod:`workbench.selection`): the run last chosen by
        ``run.log_model(..., select=True)`` or ``workbench select``, never merely the newest run,
        so a side experiment changes nothing downstream. For another phase, its newest
        successful run that logged a model.
        """
        if phase == "evaluate":
            from workbench.selection import chosen_uri

            return chosen_uri(self)
        for run in self.runs(phase=phase, max_results=20):
            if run.status == "FINISHED" and run.tags.get(TAG + "model") == "model":
                return f"runs:/{run.run_id}/model"
        raise TrackingError(
            f"No finished '{phase}' run has logged a model yet.",
            hint="Run the evaluate notebook (notebooks/02_evaluate.ipynb) first.",
        )

    def chosen_model(self) -> ChosenModel | None:
        """The Evaluate model that moves on to Develop and Package (None: none chosen yet)."""
        from workbench.selection import chosen_model

        return chosen_model(self)


class TrackedRun:
    """The active run: log parameters, metrics, reports and gates into it."""

    def __init__(self, tracker: Tracker, run: mlflow.ActiveRun) -> None:
        self.tracker = tracker
        self.run_id: str = run.info.run_id
        self._client = tracker.client

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log ``params``; secrets never reach the store (:func:`workbench.redaction.redact_params`).

        The value of a key that names a secret (``password``, ``token``, ``api_key`` ...) is stored
        as ``[redacted]``, a URL's password is blanked, and the values of the running pipeline's
        secrets become ``[secret NAME]``.
        """
        from workbench.redaction import redact_params

        for key, value in redact_params(params).items():
            self._client.log_param(self.run_id, key, value[:6000])

    def log_metrics(self, metrics: Mapping[str, float], *, step: int | None = None) -> None:
        for key, value in metrics.items():
            if value is not None:
                self._client.log_metric(self.run_id, key, float(value), step=step or 0)

    def set_tag(self, key: str, value: str) -> None:
        self._client.set_tag(self.run_id, key, value)

    def log_report(self, report: Report, name: str) -> Path:
        """Log ``report`` as ``reports/<name>.json`` and ``.html``; keep a copy in ``.workbench/reports``."""
        latest = self.tracker.project.state_dir / "reports"
        json_path = report.save(latest / f"{name}.json")
        html_path = report.save(latest / f"{name}.html")
        self._client.log_artifact(self.run_id, str(json_path), "reports")
        self._client.log_artifact(self.run_id, str(html_path), "reports")
        return html_path

    def log_gates(self, gates: GateReport) -> GateReport:
        """Log the phase's gate verdicts; status reads them."""
        self.log_report(gates, f"gates-{gates.phase}")
        with tempfile.TemporaryDirectory() as tmp:
            gates.save(Path(tmp) / "gates.json")
            self._client.log_artifact(self.run_id, str(Path(tmp) / "gates.json"), "gates")
        self.set_tag(TAG + "gates", "passed" if gates.passed else "failed")
        self.log_metrics({"gates_passed": float(gates.passed)})
        return gates

    def log_model(self, model: Any, *, input_example: Any, schema: Schema | None = None, select: bool = True,
                  code_paths: Sequence[Path | str] = ()) -> str:
        """Log a scikit-learn model as ``model`` with exact pins of what it needs to run.

        ``schema`` (the input schema, usually ``infer_schema(X_train)``) is stored in the
        model's MLmodel metadata, so every consumer of the model URI can validate input
        against it (:func:`model_schema`). The model's requirements pin the runtime packages
        and every library found inside the fitted model or imported by its code: ``code_paths``,
        or by default the project's ``model.py`` when it has one, logged with the model as code
        so the classes it defines load in other processes (LightGBM, XGBoost ... are pinned).
        ``select`` chooses this model as the one Develop and Package take
        (:mod:`workbench.selection`); ``select=False`` logs a side experiment.

        Examples
        --------
        >>> run.log_model(model, input_example=X.head(5), schema=infer_schema(X), select=False)  # doctest: +SKIP
        'runs:/0a1b.../model'
        """
        import mlflow.sklearn

        from workbench.environment import pinned_requirements
        from workbench.evaluate.model_code import model_code_path
        from workbench.selection import selection_tags

        metadata = {SCHEMA_METADATA_KEY: schema.to_dict()} if schema is not None else None
        project_code = model_code_path(self.tracker.project)
        code = [str(path) for path in code_paths] or ([str(project_code)] if project_code is not None else [])
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=input_example,
            pip_requirements=pinned_requirements(model=model, code_paths=code),
            skops_trusted_types=own_model_types(model),
            metadata=metadata,
            code_paths=code or None,
        )
        self.set_tag(TAG + "model", "model")
        chooser = self._client.get_run(self.run_id).data.tags.get(TAG + "notebook") or "run.log_model"
        for key, value in selection_tags(select=select, by=chooser).items():
            self.set_tag(key, value)
        return str(info.model_uri)


def _report_from_text(text: str) -> Report:
    """A report from the JSON text of its logged artifact."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ReportError(f"Not valid report JSON: {err.msg}.") from err
    return load_report(data if isinstance(data, dict) else {})


def model_schema(model_uri: str) -> Schema | None:
    """The input schema stored with a model by :meth:`TrackedRun.log_model`, if any."""
    import mlflow.models

    from workbench.explore.schema import Schema

    try:
        info = mlflow.models.get_model_info(model_uri)
    except Exception as err:
        raise TrackingError(f"Cannot read the model at {model_uri}: {err}") from err
    data = (info.metadata or {}).get(SCHEMA_METADATA_KEY)
    return Schema.from_dict(data) if data else None


def own_model_types(model: Any) -> list[str]:
    """The types skops would refuse to load from ``model``'s own file.

    The model was built in this process, so its types are trusted for it; a file from
    elsewhere is still checked by skops on load.
    """
    import skops.io

    return list(skops.io.get_untrusted_types(data=skops.io.dumps(model)))


def git_commit(folder: Path) -> str | None:
    """The HEAD commit of the git checkout holding ``folder`` (``+dirty`` when modified)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head

"""Building a bundle in a staging folder, then recording it (package run, card, alias)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from workbench._io import write_text
from workbench.exceptions import ModelError
from workbench.package._pyfunc import unsealed
from workbench.package.bundle import BUNDLE_FORMAT, Bundle, write_records
from workbench.package.card import ModelCard, build_model_card, load_card_reports
from workbench.package.container import (
    DOCKERIGNORE,
    ContainerSpec,
    dockerfile,
    kubernetes_manifests,
    serving_config,
)
from workbench.package.gates import package_gates
from workbench.package.lineage import build_lineage
from workbench.package.manifest import MANIFEST_NAME, file_sha256, write_manifest
from workbench.package.model_dir import describe_estimator, write_model_dir
from workbench.package.pins import (
    WORKBENCH_DIST,
    environment_record,
    model_pins,
    read_model_pins,
    requirements_text,
)
from workbench.package.source import ModelSource, download_model, resolve_model
from workbench.package.verify import BUNDLE_INFO, MANIFEST_TAG, POLICY_NAME
from workbench.reports.gates import GateReport
from workbench.tracking import Tracker, model_schema

__all__ = ["Built", "build_bundle"]

CHALLENGER = "challenger"
WHEELS_README = (
    "Wheels placed here are installed by the Dockerfile (pip --find-links ./wheels).\n"
    "Put the mlops-workbench wheel here (`pip wheel --no-deps <source>`, or `workbench package "
    "--wheel FILE`) unless your package index serves it.\n"
)


@dataclasses.dataclass
class Built:
    """A bundle written to ``stage``, waiting to be moved into place and recorded."""

    stage: Path
    tracker: Tracker
    source: ModelSource
    version: str | None
    new_version: bool
    card: ModelCard
    gates: GateReport
    lineage: dict[str, Any]
    move_alias: bool = True  # False with register=False: nothing moves in the registry

    def finish(self, bundle: Bundle, *, seconds: float) -> None:
        """Log the ``package`` run (card, gates, figures) and move ``challenger`` when gates pass."""
        project = self.tracker.project
        params = {"model_uri": self.source.uri, "version": self.version or "", "bundle": str(bundle.path)}
        with self.tracker.start_run("package", params=params, data_fingerprint=self.lineage.get("data_fingerprint")) as run:
            run.log_metrics({"bundle_mb": bundle.info["size_bytes"] / 1e6, "bundle_files": bundle.info["files"],
                             "package_seconds": seconds})
            run.log_report(self.card, "model_card")
            markdown = write_text(project.state_dir / "reports" / "model_card.md", self.card.to_markdown())
            for path in (markdown, bundle.path / BUNDLE_INFO, bundle.path / MANIFEST_NAME):
                self.tracker.client.log_artifact(run.run_id, str(path), "bundle")
            run.log_gates(self.gates)
        if self.version is None:
            return
        name = self.source.registered_name or project.config.model_name
        self.tracker.client.set_model_version_tag(name, self.version, MANIFEST_TAG,
                                                  file_sha256(bundle.path / MANIFEST_NAME))
        if self.gates.passed and self.move_alias and name == project.config.model_name:
            from workbench.deploy.registry import promote

            # Through the registry's promote, so the move lands in `workbench history`; a registered
            # source (models:/name/N or @alias) moves it too, to the version it names.
            promote(project, self.version, alias=CHALLENGER, reason=f"packaged into {bundle.path}")


def build_bundle(project: Any, model_uri: str, tmp: Path, *, register: bool, wheels: tuple[Path, ...],
                 policy: dict[str, Any]) -> Built:
    """Resolve, register and write the bundle into ``tmp/bundle``; a failure unregisters the new version."""
    from workbench.evaluate.model_code import load_logged_model

    tracker = Tracker(project)
    source = resolve_model(tracker, model_uri)
    schema = model_schema(source.uri)
    if schema is None:
        raise ModelError(
            f"The model {source.uri} has no stored input schema, so its inference cannot be checked.",
            hint="Log it with run.log_model(model, input_example=..., schema=infer_schema(X_train)).",
        )
    downloaded = download_model(source, tmp / "download")
    estimator = load_logged_model(str(downloaded))
    lineage = build_lineage(tracker, source)
    version, new_version = _register(tracker, source) if register else (source.registered_version, False)
    try:
        stage = tmp / "bundle"
        card, gates = _write(project, stage, downloaded=downloaded, estimator=estimator, schema=schema,
                             source=source, version=version, lineage=lineage, wheels=wheels,
                             policy=policy)
    except BaseException:
        if new_version and version is not None:
            tracker.client.delete_model_version(project.config.model_name, version)
        raise
    return Built(stage, tracker, source, version, new_version, card, gates, lineage, move_alias=register)


def _register(tracker: Tracker, source: ModelSource) -> tuple[str | None, bool]:
    """The model's registered version: its own, the one already made from its run, or a new one."""
    import mlflow

    if source.is_registered:
        return source.registered_version, False
    name = tracker.project.config.model_name
    existing = _version_of_run(tracker, name, source.run_id)
    if existing is not None:
        return existing, False
    try:
        version = mlflow.register_model(source.uri, name)
    except Exception as err:
        raise ModelError(f"Cannot register {source.uri} as {tracker.project.config.model_name}: {err}") from err
    return str(version.version), True


def _version_of_run(tracker: Tracker, name: str, run_id: str) -> str | None:
    """The registered version of ``name`` already made from ``run_id`` (packaging twice reuses it)."""
    try:
        found = tracker.client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
    except Exception:
        return None
    return str(max(int(v.version) for v in found)) if found else None


def _write(project: Any, stage: Path, *, downloaded: Path, estimator: Any, schema: Any, source: ModelSource,
           version: str | None, lineage: dict[str, Any], wheels: tuple[Path, ...],
           policy: dict[str, Any]) -> tuple[ModelCard, GateReport]:
    import importlib.metadata

    import yaml

    pin = f"{WORKBENCH_DIST}=={importlib.metadata.version(WORKBENCH_DIST)}"
    pins = model_pins(downloaded, estimator)
    recorded = read_model_pins(downloaded / "requirements.txt")
    # Libraries the logged model did not record go into its requirements.txt too, so the model
    # folder alone (mlflow models serve, a pip install -r) also gets them.
    missing = tuple(f"{name}=={version}" for name, version in pins.items() if name not in recorded)
    output_schema = write_model_dir(downloaded, stage / "model", schema=schema, estimator=estimator,
                                    workbench_pin=pin, extra_requirements=missing)
    python_env = yaml.safe_load((downloaded / "python_env.yaml").read_text()) if (downloaded / "python_env.yaml").is_file() else {}
    environment = environment_record(pins, (python_env or {}).get("python"))
    spec = ContainerSpec.for_project(project, version=version, python=environment["python"])
    records: dict[str, Any] = {
        "environment.json": environment,
        "requirements.txt": requirements_text(environment),
        "schema/input_schema.json": schema.to_dict(),
        "schema/output_schema.json": output_schema,
        POLICY_NAME: policy,
        "lineage.json": lineage,
        "serve/workbench.toml": serving_config(project),
        "Dockerfile": dockerfile(spec),
        ".dockerignore": DOCKERIGNORE,
        "wheels/README.txt": WHEELS_README,
        **{f"k8s/{name}": text for name, text in kubernetes_manifests(spec).items()},
    }
    write_records(stage, records)
    for wheel in wheels:
        shutil.copy2(wheel, stage / "wheels" / wheel.name)
    inference = _smoke_test(stage / "model")
    reports, sources = load_card_reports(Tracker(project), source.run_id)
    gates = package_gates(project, lineage=lineage, card_sources=sources, bundle_mb=_size(stage) / 1e6)
    training_gates = (lineage.get("gates") or {}).get("results", [])
    card = build_model_card(
        project, reports=reports, sources=sources, model_uri=source.uri, model_type=describe_estimator(estimator),
        version=version, lineage=lineage, task=output_schema["task"], classes=output_schema["classes"],
        gates=[*training_gates, *[dict(dataclasses.asdict(r), phase="package") for r in gates.results]],
    )
    write_records(stage, {
        "gates.json": gates.to_dict(), "model_card.json": card.to_dict(), "model_card.html": card.to_html(),
        "model_card.md": card.to_markdown(),
    })
    answers = {"task": output_schema["task"], "classes": output_schema["classes"]}
    write_records(stage, {BUNDLE_INFO: _info(project, source, version, spec, environment, inference, stage, gates,
                                             answers)})
    for path in stage.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # atomic writes create 0600 files
    write_manifest(stage)
    (stage / MANIFEST_NAME).chmod(0o644)
    return card, gates


def _smoke_test(model_dir: Path) -> str:
    """Load the written model with stock MLflow and score its input example; returns the inference mode."""
    import mlflow.pyfunc
    from mlflow.models import Model

    try:
        with unsealed(model_dir):
            model = mlflow.pyfunc.load_model(str(model_dir))
        example = Model.load(str(model_dir / "MLmodel")).load_input_example(str(model_dir))
        if example is not None:
            model.predict(example)
    except Exception as err:
        raise ModelError(f"The packaged model does not load and predict with MLflow: {err}") from err
    # PyFuncModel keeps the loader's object as _model_impl: our BundledModel.
    return str(getattr(model._model_impl, "inference", "unknown"))


def _size(stage: Path) -> int:
    return sum(p.stat().st_size for p in stage.rglob("*") if p.is_file())


def _info(project: Any, source: ModelSource, version: str | None, spec: ContainerSpec, environment: dict[str, Any],
          inference: str, stage: Path, gates: GateReport, answers: dict[str, Any]) -> dict[str, Any]:
    import importlib.metadata

    files = [p for p in stage.rglob("*") if p.is_file()]
    return {
        "format": BUNDLE_FORMAT,
        "name": project.config.model_name,
        "version": version,
        "model_uri": source.uri,
        "run_id": source.run_id,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "workbench_version": importlib.metadata.version(WORKBENCH_DIST),
        "python": environment["python"],
        "inference": inference,
        **answers,  # the model's task and classes: the shape of its answers
        "image": spec.image,
        "port": spec.port,
        "replicas": spec.replicas,
        "prediction_log": spec.log_description(),  # which log the manifests expect (never its URL)
        "package_gates_passed": gates.passed,
        "files": len(files) + 1,
        "size_bytes": sum(p.stat().st_size for p in files),
    }

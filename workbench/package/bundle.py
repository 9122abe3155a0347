"""Model bundles: a versioned folder with everything needed to run, audit and ship a model.

:func:`package_model` writes a bundle; :func:`load_bundle` checks and loads one. A bundle holds::

    model/                MLflow model: sklearn flavor + python_function (robust inference)
    schema/               input_schema.json (Explore schema), output_schema.json
    policy.json           the inference policy (unseen, out_of_range, non_finite, max_rows)
    requirements.txt      exact pins of everything the service needs
    environment.json      runtime pins (training time), install pins, Python, platform
    lineage.json          run, notebook + hash, git commit, data fingerprint, params,
                          metrics, gate results, approvals
    gates.json            the package gates
    model_card.html/.md/.json
    Dockerfile, .dockerignore, wheels/, serve/workbench.toml, k8s/deployment.yaml, k8s/service.yaml
    bundle.json           name, version, source, sizes
    MANIFEST.sha256       sha256 of every file (written last; ``sha256sum -c`` checks it)
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from workbench._io import read_json, write_json, write_text
from workbench.exceptions import ModelError, ParameterError, UnanchoredBundleError
from workbench.package.card import ModelCard
from workbench.package.manifest import MANIFEST_NAME, file_sha256, verify_manifest
from workbench.package.pins import Mismatch
from workbench.package.verify import (
    BUNDLE_INFO,
    EXPECT_HINT,
    Anchor,
    check_anchor,
    check_versions,
    require_anchor,
)
from workbench.reports.base import load_report
from workbench.reports.gates import GateReport

__all__ = ["BUNDLE_FORMAT", "Bundle", "load_bundle", "package_model"]

BUNDLE_FORMAT = 1


@dataclasses.dataclass
class Bundle:
    """A packaged model: its folder, what it records, and (loaded on first use) its pyfunc model."""

    path: Path
    info: dict[str, Any]
    environment: dict[str, Any]
    lineage: dict[str, Any]
    card: ModelCard
    gates: GateReport
    mismatches: tuple[Mismatch, ...] = ()
    anchor: Anchor | None = None  # what vouched for the manifest from outside the bundle (see load_bundle)
    _model: Any = dataclasses.field(default=None, repr=False)

    @property
    def anchored(self) -> str | None:
        """``"registry version N"`` or ``"expected sha256"``; None when nothing anchors the bundle."""
        return None if self.anchor is None else str(self.anchor)

    @property
    def name(self) -> str:
        return str(self.info["name"])

    @property
    def version(self) -> str | None:
        return self.info.get("version")

    @property
    def model_path(self) -> Path:
        return self.path / "model"

    @property
    def model(self) -> Any:
        """The bundle's MLflow pyfunc model (robust inference), loaded with stock MLflow once anchored.

        Loading unpickles code, so a bundle nothing outside it vouches for is not loaded
        (:class:`~workbench.exceptions.UnanchoredBundleError`).
        """
        if self._model is None:
            import mlflow.pyfunc

            if self.anchor is None:
                raise UnanchoredBundleError(
                    f"The bundle at {self.path} is not anchored (its own manifest is all that vouches for it), "
                    "so its model is not loaded.", files=["MANIFEST.sha256"], hint=EXPECT_HINT,
                )

            self._model = mlflow.pyfunc.load_model(str(self.model_path))
        return self._model

    def predict(self, data: Any) -> Any:
        """Predictions, probabilities and per-row warnings as a DataFrame."""
        return self.model.predict(data)

    def summary(self) -> str:
        version = f"version {self.version}" if self.version else "not registered"
        verdict = "passed" if self.gates.passed else "FAILED"
        size = self.info.get("size_bytes", 0) / 1e6
        return (f"{self.name} ({version}) at {self.path}: {self.info.get('files')} files, {size:.1f} MB; "
                f"package gates {verdict}")

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), **self.info, "gates": self.gates.to_dict(),
                "mismatches": [dataclasses.asdict(m) for m in self.mismatches], "anchored": self.anchored,
                "manifest_sha256": file_sha256(self.path / MANIFEST_NAME)}


def load_bundle(path: Path | str, *, strict: bool = False, expected_sha256: str | None = None,
                project: Any = None) -> Bundle:
    """Check a bundle and, once something outside it vouches for it, load its model.

    Every file is checked against the sha256 recorded at packaging time; a changed, missing or
    added file (or no manifest) refuses the bundle. The manifest itself is then **anchored**:
    compared with ``expected_sha256`` when given, else looked up by its hash among the versions
    of ``project``'s registered model (the tag ``workbench.bundle_manifest_sha256`` written at
    packaging). A bundle whose files *and* manifest were rewritten matches neither and is refused.
    A bundle nothing anchors (no ``expected_sha256``, no ``project`` whose registry knows the
    model) is returned with its records but without its model: ``bundle.model`` and
    ``bundle.predict`` refuse to unpickle it; with ``strict`` it is refused outright. The running
    library versions are compared with the pinned ones: each mismatch is named in a
    :class:`~workbench.exceptions.EnvironmentMismatchWarning`, or raised as
    :class:`~workbench.exceptions.EnvironmentMismatchError` when ``strict``.

    Examples
    --------
    >>> bundle = load_bundle("bundle/", project=project)  # doctest: +SKIP
    >>> bundle.anchored  # doctest: +SKIP
    'registry version 3'
    >>> bundle.predict(rows)  # doctest: +SKIP
    """
    root = Path(path)
    if not (root / BUNDLE_INFO).is_file():
        raise ModelError(
            f"{root} is not a model bundle (no {BUNDLE_INFO} in it).",
            hint="Make one with `workbench package MODEL --out DIR`.",
        )
    verify_manifest(root)
    bundle = read_bundle(root)
    anchor = require_anchor if strict else check_anchor
    bundle.anchor = anchor(root, bundle.info, expected_sha256=expected_sha256, project=project)
    bundle.mismatches = check_versions(root, bundle.environment, strict=strict)
    if bundle.anchor is not None:
        _ = bundle.model
    return bundle


def read_bundle(root: Path) -> Bundle:
    """A bundle's records, without checks and without loading the model."""
    card = load_report(root / "model_card.json")
    gates = load_report(root / "gates.json")
    if not isinstance(card, ModelCard) or not isinstance(gates, GateReport):
        raise ModelError(f"{root} holds an unreadable model card or gate report.")
    return Bundle(
        path=root,
        info=read_json(root / BUNDLE_INFO),
        environment=read_json(root / "environment.json"),
        lineage=read_json(root / "lineage.json"),
        card=card,
        gates=gates,
    )


def package_model(
    project: Any,
    model_uri: str,
    out: Path | str,
    *,
    register: bool = True,
    force: bool = False,
    wheels: tuple[Path | str, ...] = (),
    policy: dict[str, Any] | None = None,
) -> Bundle:
    """Package ``model_uri`` into a bundle folder ``out`` and register it as the ``challenger``.

    Parameters
    ----------
    project : Project
        The project whose tracking store holds the model and whose reports make the card.
    model_uri : str
        ``runs:/<run id>/model``, ``models:/<name>@<alias>``, ``models:/<name>/<version>``.
    out : path
        The bundle folder; it must not exist (or be empty) unless ``force``.
    register : bool
        Register a run's model as a new version of ``[model] name`` (a registered model keeps
        its version). The ``challenger`` alias moves to that version only when the package
        gates pass.
    wheels : paths
        Wheels to ship in ``wheels/`` (e.g. the mlops-workbench wheel) for the container build.
    policy : dict
        The inference policy (``unseen``, ``out_of_range``, ``non_finite``, ``max_rows``) written to
        ``policy.json``; keys not given come from the project's ``[develop]`` section. The bundle's
        pyfunc and ``workbench serve`` on the bundle apply it.

    Returns
    -------
    Bundle
        Also logged as a ``package`` run, with the card under ``.workbench/reports/model_card.*``.
    """
    from workbench.develop.models import resolve_policy
    from workbench.package._build import build_bundle

    chosen = resolve_policy(project, **(policy or {}))
    target = _check_out(Path(out), force=force)
    wheel_paths = tuple(_check_wheel(Path(w)) for w in wheels)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f".{target.name}.", dir=target.parent) as tmp:
        built = build_bundle(project, model_uri, Path(tmp), register=register, wheels=wheel_paths,
                             policy=chosen)
        if target.exists():
            shutil.rmtree(target)
        built.stage.rename(target)
    bundle = read_bundle(target)
    built.finish(bundle, seconds=time.perf_counter() - started)
    return bundle


def _check_out(out: Path, *, force: bool) -> Path:
    target = out.resolve()
    if target.exists() and not target.is_dir():
        raise ParameterError(f"--out {out} is a file, not a folder.", name="out", value=str(out))
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ParameterError(
            f"The bundle folder {out} already holds files.",
            name="out", value=str(out), hint="Choose an empty folder, or pass --force to replace it.",
        )
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST_NAME).is_file():
        raise ParameterError(
            f"{out} holds files but is not a bundle; it is not replaced even with --force.",
            name="out", value=str(out), hint="Choose an empty folder.",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _check_wheel(path: Path) -> Path:
    if path.suffix != ".whl" or not path.is_file():
        raise ParameterError(f"{path} is not a wheel file.", name="wheel", value=str(path),
                             hint="Build one with `pip wheel --no-deps .`.")
    return path


def write_records(stage: Path, records: dict[str, Any]) -> None:
    """Write each ``name -> JSON data or text`` record into ``stage``."""
    for name, content in records.items():
        if isinstance(content, str):
            write_text(stage / name, content)
        else:
            write_json(stage / name, content)

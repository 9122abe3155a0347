"""What a bundle must pass before its model is used, and the inference policy it records.

A bundle is a folder: whoever can write it can rewrite its files *and* its manifest, so nothing
inside it vouches for itself. Before anything in it is unpickled:

1. every file is checked against ``MANIFEST.sha256`` (:func:`verify_manifest`); a bundle without
   a manifest is refused;
2. the manifest itself is checked against an **anchor** kept outside the bundle
   (:func:`check_anchor`): a sha256 the caller expects, or the registry, where packaging tagged the
   registered version with ``workbench.bundle_manifest_sha256``. The registry is searched *by the
   manifest's hash* among every version of the project's registered model, never by the version
   ``bundle.json`` names (the bundle would choose its own anchor). A manifest the registry does not
   know is refused when the registry knows packaged versions of the model; a bundle nothing anchors
   is not loaded where an anchor is required (serving, ``verify --strict``, strict loading);
3. the running library versions are compared with the pins (warning, or error when strict).

:func:`check_served_bundle` runs all three for ``workbench serve`` and ``workbench score`` when
the model is a bundle (its folder or its ``model/`` folder) and returns what the service needs:
the model folder, the registered version the anchor names and the bundle's ``policy.json``.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench._io import read_json
from workbench.exceptions import (
    EnvironmentMismatchError,
    EnvironmentMismatchWarning,
    TamperedBundleError,
    UnanchoredBundleError,
)
from workbench.package.manifest import MANIFEST_NAME, file_sha256, verify_manifest
from workbench.package.pins import Mismatch, compare_versions
from workbench.tracking import TAG

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = [
    "BUNDLE_INFO", "EXPECT_ENV", "MANIFEST_TAG", "POLICY_NAME", "Anchor", "ServedBundle", "check_anchor", "check_served_bundle",
    "check_versions", "read_policy", "require_anchor",
]

BUNDLE_INFO = "bundle.json"
# `workbench serve --expect` defaults to it; the container image sets it from its build argument.
EXPECT_ENV = "WORKBENCH_BUNDLE_SHA256"
MANIFEST_TAG = TAG + "bundle_manifest_sha256"
POLICY_NAME = "policy.json"
EXPECT_HINT = (f"Pass --expect SHA256 (expected_sha256=...) with the registry tag {MANIFEST_TAG} of the version, "
               "or -P (project=...) the project whose registry packaged it.")
_HEX = frozenset("0123456789abcdef")


@dataclasses.dataclass(frozen=True)
class Anchor:
    """What vouched for a bundle's manifest: ``"registry"`` or ``"expected sha256"``, and the version it is."""

    source: str
    version: str | None = None

    def __str__(self) -> str:
        return f"registry version {self.version}" if self.source == "registry" else "expected sha256"


def _registry_record(project: Project, sha256: str) -> tuple[list[str], int]:
    """Versions of the project's registered model tagged with ``sha256``, and how many carry any tag."""
    from workbench.tracking import Tracker

    name = project.config.model_name
    try:
        versions = Tracker(project).client.search_model_versions(f"name = '{name}'")
    except Exception as err:  # an unreachable store: the anchor cannot be read, so nothing is trusted
        raise UnanchoredBundleError(
            f"Cannot read the registry of the project at {project.root} to anchor the bundle: {err}",
            files=[MANIFEST_NAME], hint=EXPECT_HINT,
        ) from err
    tags = {str(v.version): str((v.tags or {}).get(MANIFEST_TAG) or "").lower() for v in versions}
    matching = sorted((version for version, tag in tags.items() if tag == sha256), key=int)
    return matching, sum(1 for tag in tags.values() if tag)


def _sha256(value: str) -> str:
    expected = value.strip().lower()
    if len(expected) != 64 or not set(expected) <= _HEX:
        raise TamperedBundleError(f"{value!r} is not a sha256 (64 hex digits).", files=[MANIFEST_NAME],
                                  hint="Pass the value of the registry tag " + MANIFEST_TAG + ".")
    return expected


def check_anchor(root: Path, info: dict[str, Any], *, expected_sha256: str | None = None,
                 project: Project | None = None) -> Anchor | None:
    """Compare the manifest's sha256 with ``expected_sha256``, else look it up in ``project``'s registry.

    Returns the :class:`Anchor` (an expected sha256 vouches for ``bundle.json`` and so for the
    version it names; the registry names the version it tagged), or None when nothing anchors
    the bundle (no expectation, and no registry that knows packaged versions of the model).

    Raises
    ------
    TamperedBundleError
        When the manifest is not the expected one, or the registry holds packaged versions of the
        project's model and none of them has this manifest.
    """
    actual = file_sha256(root / MANIFEST_NAME)
    if expected_sha256 is not None:
        _compare(root, actual, _sha256(expected_sha256), "the expected sha256")
        version = info.get("version")
        return Anchor("expected sha256", str(version) if version else None)
    if project is None:
        return None
    matching, tagged = _registry_record(project, actual)
    if matching:
        return Anchor("registry", matching[-1])
    if tagged:
        raise TamperedBundleError(
            f"No version of {project.config.model_name!r} in the registry of the project at {project.root} was "
            f"packaged with the manifest of the bundle at {root} (sha256 {actual}; the bundle names version "
            f"{info.get('version')!r}): its files and manifest were rewritten after packaging (or it was "
            "packaged in another project), so it is refused.",
            files=[MANIFEST_NAME], hint="Use the bundle as packaged, or package the model again. " + EXPECT_HINT,
        )
    return None


def require_anchor(root: Path, info: dict[str, Any], *, expected_sha256: str | None = None,
                   project: Project | None = None) -> Anchor:
    """:func:`check_anchor`, refusing a bundle that nothing anchors (:class:`UnanchoredBundleError`)."""
    anchor = check_anchor(root, info, expected_sha256=expected_sha256, project=project)
    if anchor is not None:
        return anchor
    searched = (f"the registry of the project at {project.root} holds no packaged version of "
                f"{project.config.model_name!r}") if project is not None else "no project registry was given"
    raise UnanchoredBundleError(
        f"Nothing outside the bundle at {root} vouches for its manifest (sha256 {file_sha256(root / MANIFEST_NAME)}): "
        f"no expected sha256 was given and {searched}. Its own manifest could have been rewritten with its files, "
        "so its model is not loaded.",
        files=[MANIFEST_NAME], hint=EXPECT_HINT,
    )


def _compare(root: Path, actual: str, expected: str, what: str) -> None:
    if actual != expected:
        raise TamperedBundleError(
            f"The manifest of the bundle at {root} has sha256 {actual}, not {expected} recorded in {what}: "
            "its files and manifest were rewritten after packaging (or it is another packaging of that version), "
            "so it is refused.",
            files=[MANIFEST_NAME],
            hint="Use the bundle as packaged, or package the model again.",
        )


def check_versions(root: Path, environment: dict[str, Any], *, strict: bool) -> tuple[Mismatch, ...]:
    """The running versions against the pins: warn naming each mismatch, or raise when ``strict``."""
    mismatches = tuple(compare_versions(environment))
    if not mismatches:
        return mismatches
    listed = "; ".join(str(m) for m in mismatches)
    message = f"The bundle at {root} was packaged with other library versions: {listed}."
    hint = "Install the pinned versions: pip install --no-deps -r requirements.txt (in a fresh environment)."
    if strict:
        raise EnvironmentMismatchError(message, mismatches=[dataclasses.asdict(m) for m in mismatches], hint=hint)
    warnings.warn(f"{message} {hint}", EnvironmentMismatchWarning, stacklevel=3)
    return mismatches


def read_policy(root: Path) -> dict[str, Any]:
    """The bundle's inference policy (``policy.json``): a bundle without one is refused, never run without it."""
    path = root / POLICY_NAME
    if not path.is_file():
        raise TamperedBundleError(
            f"The bundle at {root} has no {POLICY_NAME}, so its inference policy is unknown and it is refused "
            f"(missing: {POLICY_NAME}).",
            files=[POLICY_NAME], hint="Use the bundle as packaged, or package the model again.",
        )
    return dict(read_json(path))


def _has_bundle_loader(model_dir: Path) -> bool:
    """Whether ``model_dir/MLmodel`` points its pyfunc flavor at the bundle's loader (read as plain YAML)."""
    import yaml

    from workbench.package.model_dir import LOADER_MODULE

    try:
        mlmodel = yaml.safe_load((model_dir / "MLmodel").read_text(encoding="utf-8")) or {}
        return bool(mlmodel["flavors"]["python_function"]["loader_module"] == LOADER_MODULE)
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return False


def _is_bundle(folder: Path) -> bool:
    return (folder / MANIFEST_NAME).is_file() or (folder / BUNDLE_INFO).is_file()


def bundle_root_of(model_path: str) -> Path | None:
    """The bundle folder when ``model_path`` is a local bundle or its model folder, else None.

    A model folder counts as a bundle's when the folder above it holds a manifest or ``bundle.json``,
    or when its ``MLmodel`` names the bundle's loader: deleting the manifest does not make a bundle
    an ordinary model folder.
    """
    text = model_path[len("file://"):] if model_path.startswith("file://") else model_path
    if ":/" in text:  # runs:/, models:/, s3:// ...: not a local folder
        return None
    path = Path(text)
    if not path.is_dir():
        return None
    path = path.resolve()
    if _is_bundle(path) or _has_bundle_loader(path / "model"):
        return path
    if _is_bundle(path.parent) or _has_bundle_loader(path):
        return path.parent
    return None


@dataclasses.dataclass(frozen=True)
class ServedBundle:
    """A checked bundle about to be served: its folder, the anchor that vouched for it, its policy."""

    root: Path
    anchor: Anchor
    policy: dict[str, Any]

    @property
    def model_uri(self) -> str:
        return str(self.root / "model")

    @property
    def version(self) -> str | None:
        return self.anchor.version


def check_served_bundle(project: Project | None, model_uri: str, *,
                        expected_sha256: str | None = None) -> ServedBundle | None:
    """Check the bundle at ``model_uri`` (its folder or model folder) before it is served; None when not a bundle.

    The whole bundle is checked against its manifest (none: refused); the manifest must be anchored,
    by ``expected_sha256`` or by ``project``'s registry (else :class:`UnanchoredBundleError`); the
    running versions are compared with the pins (an error when ``[package] strict_versions`` is
    true, else a warning). The returned policy leaves ``max_rows`` to the service.
    """
    root = bundle_root_of(model_uri)
    if root is None:
        return None
    verify_manifest(root)
    anchor = require_anchor(root, read_json(root / BUNDLE_INFO), expected_sha256=expected_sha256, project=project)
    section = project.config.sections.get("package", {}) if project is not None else {}
    check_versions(root, read_json(root / "environment.json"), strict=bool(section.get("strict_versions")))
    policy = {k: v for k, v in read_policy(root).items() if k != "max_rows"}
    return ServedBundle(root=root, anchor=anchor, policy=policy)

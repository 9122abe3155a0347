"""What a bundle must pass before its model is used, and the inference policy it records.

Three checks, in order: every file against ``MANIFEST.sha256`` (:func:`verify_manifest`); the
manifest itself against an anchor kept outside the bundle (:func:`check_anchor`: a sha256 the
caller expects, or the tag ``workbench.bundle_manifest_sha256`` written on the registered
version at packaging time), so a bundle whose files *and* manifest were rewritten is refused;
and the running library versions against the pins (warning, or error when strict).
:func:`check_served_bundle` runs them for ``workbench serve`` when the served path is a bundle's
model folder and returns the bundle's ``policy.json``.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

from workbench._io import read_json
from workbench.exceptions import (
    EnvironmentMismatchError,
    EnvironmentMismatchWarning,
    TamperedBundleError,
)
from workbench.package.manifest import MANIFEST_NAME, file_sha256, verify_manifest
from workbench.package.pins import Mismatch, compare_versions
from workbench.tracking import TAG

__all__ = ["MANIFEST_TAG", "POLICY_NAME", "check_anchor", "check_served_bundle", "check_versions", "read_policy"]

MANIFEST_TAG = TAG + "bundle_manifest_sha256"
POLICY_NAME = "policy.json"
_HEX = frozenset("0123456789abcdef")


def registered_manifest_sha256(project: Any, name: str, version: str) -> str | None:
    """The manifest sha256 tagged on ``name`` version ``version`` in ``project``'s registry (None: unknown)."""
    from workbench.tracking import Tracker

    try:
        found = Tracker(project).client.get_model_version(name, str(version))
    except Exception:  # not registered in this store: nothing to compare with
        return None
    value = (found.tags or {}).get(MANIFEST_TAG)
    return str(value).lower() if value else None


def check_anchor(root: Path, info: dict[str, Any], *, expected_sha256: str | None = None,
                 project: Any = None) -> str | None:
    """Compare the manifest's sha256 with ``expected_sha256``, else with the registry's tag.

    Returns what the manifest was anchored to (``"expected sha256"``, ``"registry version N"``)
    or None when there is nothing to compare with (no expectation, no registry entry).

    Raises
    ------
    TamperedBundleError
        When the manifest is not the one packaged.
    """
    actual = file_sha256(root / MANIFEST_NAME)
    if expected_sha256 is not None:
        expected = expected_sha256.strip().lower()
        if len(expected) != 64 or not set(expected) <= _HEX:
            raise TamperedBundleError(f"{expected_sha256!r} is not a sha256 (64 hex digits).", files=[MANIFEST_NAME],
                                      hint="Pass the value of the registry tag " + MANIFEST_TAG + ".")
        _compare(root, actual, expected, "the expected sha256")
        return "expected sha256"
    version = info.get("version")
    if project is None or not version:
        return None
    recorded = registered_manifest_sha256(project, str(info.get("name")), str(version))
    if recorded is None:
        return None
    _compare(root, actual, recorded, f"the registry tag of {info.get('name')} version {version}")
    return f"registry version {version}"


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
    """The bundle's inference policy (``policy.json``); ``{}`` for a bundle packaged without one."""
    path = root / POLICY_NAME
    return dict(read_json(path)) if path.is_file() else {}


def bundle_root_of(model_path: str) -> Path | None:
    """The bundle folder when ``model_path`` is a local bundle's model folder, else None."""
    text = model_path[len("file://"):] if model_path.startswith("file://") else model_path
    if ":/" in text:  # runs:/, models:/, s3:// ...: not a local folder
        return None
    path = Path(text)
    if not path.is_dir() or not (path.parent / MANIFEST_NAME).is_file():
        return None
    return path.resolve().parent


def check_served_bundle(project: Any, model_path: str) -> dict[str, Any]:
    """Check the bundle around a served model folder; returns its policy (``{}`` when not a bundle).

    The whole bundle is checked against its manifest, the manifest against the registry tag
    when ``project``'s registry knows the version, and the running versions against the pins
    (an error when ``[package] strict_versions`` is true, else a warning). ``max_rows`` is left
    to the service.
    """
    root = bundle_root_of(model_path)
    if root is None:
        return {}
    verify_manifest(root)
    info = read_json(root / "bundle.json")
    check_anchor(root, info, project=project)
    section = project.config.sections.get("package", {}) if project is not None else {}
    check_versions(root, read_json(root / "environment.json"), strict=bool(section.get("strict_versions")))
    return {k: v for k, v in read_policy(root).items() if k != "max_rows"}

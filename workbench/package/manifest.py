"""The bundle's manifest: the sha256 of every file, written last and checked on load.

``MANIFEST.sha256`` uses the ``sha256sum`` format (``<hex>  <relative path>``), so
``sha256sum -c MANIFEST.sha256`` checks a bundle without the workbench installed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from workbench._io import write_text
from workbench.exceptions import TamperedBundleError

__all__ = ["MANIFEST_NAME", "TamperedBundleError", "file_sha256", "verify_manifest", "write_manifest"]

MANIFEST_NAME = "MANIFEST.sha256"
# Written by the service at run time inside the bundle's serving project; never packaged.
RUNTIME_DIRS = ("serve/.workbench",)
_SKIPPED_PARTS = ("__pycache__", ".ipynb_checkpoints")


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundle_files(root: Path) -> list[str]:
    """The bundle's files (POSIX paths relative to ``root``), the manifest and run-time state excluded."""
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if rel == MANIFEST_NAME or any(part in _SKIPPED_PARTS for part in path.parts):
            continue
        if any(rel == d or rel.startswith(d + "/") for d in RUNTIME_DIRS):
            continue
        files.append(rel)
    return files


def write_manifest(root: Path) -> Path:
    """Hash every file under ``root`` into ``root/MANIFEST.sha256``."""
    lines = [f"{file_sha256(root / rel)}  {rel}" for rel in bundle_files(root)]
    return write_text(root / MANIFEST_NAME, "\n".join(lines) + "\n")


def read_manifest(root: Path) -> dict[str, str]:
    """``relative path -> sha256`` from the manifest; an error when it is missing or malformed."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise TamperedBundleError(
            f"{root} has no {MANIFEST_NAME}, so its files cannot be checked and nothing in it is loaded.",
            files=[MANIFEST_NAME],
            hint="Package the model again with `workbench package MODEL --out DIR`.",
        )
    recorded = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64:
            raise TamperedBundleError(
                f"{path} line {number} is not '<sha256>  <path>': {line[:80]!r}.", files=[MANIFEST_NAME]
            )
        recorded[rel] = digest
    return recorded


def verify_manifest(root: Path, *, only: str = "") -> int:
    """Check every file (or those under the folder prefix ``only``) against the manifest.

    Returns the number of files checked.

    Raises
    ------
    TamperedBundleError
        Naming each changed, missing or unrecorded file.
    """
    recorded = {rel: d for rel, d in read_manifest(root).items() if rel.startswith(only)}
    present = {rel for rel in bundle_files(root) if rel.startswith(only)}
    changed = [rel for rel in sorted(recorded) if rel in present and file_sha256(root / rel) != recorded[rel]]
    missing = sorted(set(recorded) - present)
    added = sorted(present - set(recorded))
    if changed or missing or added:
        problems = [f"changed: {rel}" for rel in changed] + [f"missing: {rel}" for rel in missing]
        problems += [f"not in the manifest: {rel}" for rel in added]
        raise TamperedBundleError(
            f"The bundle at {root} was modified after packaging and is refused ({'; '.join(problems)}).",
            files=changed + missing + added,
            hint="Use the bundle as packaged, or package the model again.",
        )
    return len(recorded)

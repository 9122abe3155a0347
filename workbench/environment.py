"""The Python environment a model is trained in: exact pins of the packages it needs to run."""

from __future__ import annotations

import importlib.metadata as metadata
import platform

__all__ = ["RUNTIME_PACKAGES", "pinned_requirements", "runtime_versions"]

# What loading and serving a model needs; pinned to the versions present at training time.
RUNTIME_PACKAGES = ("mlflow", "scikit-learn", "pandas", "numpy", "scipy", "pyarrow", "cloudpickle", "skops")


def runtime_versions(packages: tuple[str, ...] = RUNTIME_PACKAGES) -> dict[str, str]:
    """Installed versions of ``packages`` (those not installed are left out)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def pinned_requirements(packages: tuple[str, ...] = RUNTIME_PACKAGES) -> list[str]:
    """``name==version`` for each installed runtime package."""
    return [f"{name}=={version}" for name, version in runtime_versions(packages).items()]


def python_version() -> str:
    return platform.python_version()

"""The bundle's environment: exact pins, and the comparison of running versions with them.

Two sets of pins are kept. The *runtime* pins are what the model needs to load and predict
(scikit-learn, pandas, numpy ... as recorded in the model's own ``requirements.txt`` when it
was trained, plus every library found in the fitted model or imported by its logged code:
LightGBM, XGBoost, what ``model.py`` imports) and the Python version; loading a bundle compares
them with what is running. The *install* pins are the whole dependency closure of
``mlops-workbench[serve]`` and of those libraries as installed now, each at its exact version,
so the container installs with ``--no-deps`` and resolves nothing.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata as metadata
import platform
import re
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from workbench.environment import RUNTIME_PACKAGES, runtime_versions

__all__ = ["Mismatch", "compare_versions", "dependency_closure", "environment_record", "model_pins",
           "read_model_pins"]

WORKBENCH_DIST = "mlops-workbench"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


def canonical(name: str) -> str:
    """A distribution name in PEP 503 normal form (``Scikit_Learn`` -> ``scikit-learn``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """One pinned package whose running version differs (``running`` None: not installed)."""

    package: str
    pinned: str
    running: str | None

    def __str__(self) -> str:
        running = self.running or "not installed"
        return f"{self.package} is pinned to {self.pinned} but {running} is running"


def read_model_pins(requirements: Path) -> dict[str, str]:
    """``name -> version`` of the exact pins in an MLflow model's ``requirements.txt``."""
    if not requirements.is_file():
        return {}
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if match := _PIN.match(line):
            pins[canonical(match[1])] = match[2]
    return pins


def model_pins(model_dir: Path, estimator: Any) -> dict[str, str]:
    """``name -> version`` of what the MLflow model in ``model_dir`` needs beyond the workbench.

    Its ``requirements.txt`` (the versions it was trained with) wins; a library found in
    ``estimator`` or imported by the model's logged code (``code/``) that it did not record (a
    model logged before the detection, or outside ``run.log_model``) is pinned at its installed
    version.

    Examples
    --------
    >>> model_pins(Path("download/model"), lightgbm_pipeline)["lightgbm"]  # doctest: +SKIP
    '4.5.0'
    """
    from workbench.environment import model_libraries

    code = [model_dir / "code"] if (model_dir / "code").is_dir() else []
    detected = {canonical(name): version for name, version in model_libraries(estimator, code_paths=code).items()}
    return {**detected, **read_model_pins(model_dir / "requirements.txt")}


def dependency_closure(root: str = WORKBENCH_DIST, extras: tuple[str, ...] = ("serve",)) -> dict[str, str]:
    """Every installed distribution ``root[extras]`` needs, transitively: ``name -> version``.

    Markers are evaluated for this interpreter and platform (the container uses the same
    Python version); requirements that are not installed are left out.
    """
    found: dict[str, tuple[str, set[str]]] = {}
    pending = [(root, set(extras))]
    while pending:
        name, wanted = pending.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = canonical(dist.metadata["Name"])
        if key in found and wanted <= found[key][1]:
            continue
        seen = found[key][1] if key in found else set()
        found[key] = (dist.version, seen | wanted)
        pending.extend(_requirements(dist, wanted))
    return {name: version for name, (version, _) in sorted(found.items())}


def _requirements(dist: metadata.Distribution, extras: set[str]) -> list[tuple[str, set[str]]]:
    environments = [{"extra": extra} for extra in (extras or {""})]
    needed = []
    for line in dist.requires or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or any(requirement.marker.evaluate(env) for env in environments):
            needed.append((requirement.name, set(requirement.extras)))
    return needed


def environment_record(model_pins: dict[str, str], python_version: str | None) -> dict[str, Any]:
    """What ``environment.json`` holds: runtime pins (training time), install pins, platform.

    The runtime pins come from the model (the versions it was trained with); a runtime
    package the model did not record (and mlops-workbench itself, whose loader the bundle's
    pyfunc uses) is pinned at its installed version. A runtime package outside the
    workbench's own closure (LightGBM ...) brings its own dependency closure into the install pins.
    """
    installed = {canonical(k): v for k, v in runtime_versions((*RUNTIME_PACKAGES, WORKBENCH_DIST)).items()}
    runtime = {**installed, **model_pins}
    install = dependency_closure()
    for name in sorted(set(runtime) - set(install)):
        install.update({k: v for k, v in dependency_closure(name, extras=()).items() if k not in install})
    install.update({k: v for k, v in runtime.items() if k in install})
    install = dict(sorted(install.items()))
    return {
        "python": python_version or platform.python_version(),
        "platform": platform.platform(terse=True),
        "runtime": dict(sorted(runtime.items())),
        "install": install,
    }


def requirements_text(environment: dict[str, Any]) -> str:
    """``requirements.txt``: one exact pin per line, every package of the install closure."""
    lines = [
        "# Exact pins of mlops-workbench[serve], the model's own libraries and everything they need, as packaged.",
        "# Install with: pip install --no-deps -r requirements.txt",
    ]
    lines += [f"{name}=={version}" for name, version in environment["install"].items()]
    return "\n".join(lines) + "\n"


def compare_versions(environment: dict[str, Any]) -> list[Mismatch]:
    """Each runtime pin (and the Python minor version) that the running interpreter does not match."""
    mismatches = []
    for package, pinned in environment.get("runtime", {}).items():
        try:
            running: str | None = metadata.version(package)
        except metadata.PackageNotFoundError:
            running = None
        if running != pinned:
            mismatches.append(Mismatch(package, pinned, running))
    pinned_python = str(environment.get("python") or "")
    if pinned_python and _minor(pinned_python) != _minor(platform.python_version()):
        mismatches.append(Mismatch("python", pinned_python, platform.python_version()))
    return mismatches


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])

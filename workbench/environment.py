"""The Python environment a model is trained in: exact pins of the packages it needs to run.

Two sources name those packages. :data:`RUNTIME_PACKAGES` is what loading and serving any
model needs. :func:`model_libraries` adds what *this* model needs beyond them: the library of
every object inside the fitted estimator (Pipeline steps, ColumnTransformer parts,
meta-estimators' inner models, functions a FunctionTransformer calls: a LightGBM or XGBoost
model, a custom transformer's package) and every library the model's own code files import
(the project's ``model.py``, logged with the model as code). Each import name is mapped to
its installed distribution (``sklearn`` -> ``scikit-learn``, ``lightgbm`` -> ``lightgbm``).
"""

from __future__ import annotations

import ast
import contextlib
import importlib.metadata as metadata
import inspect
import platform
import re
import sys
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "RUNTIME_PACKAGES", "code_imports", "estimator_modules", "model_libraries", "pinned_requirements",
    "runtime_versions",
]

# What loading and serving a model needs; pinned to the versions present at training time.
RUNTIME_PACKAGES = ("mlflow", "scikit-learn", "pandas", "numpy", "scipy", "pyarrow", "cloudpickle", "skops")
# Attributes that hold the parts of a fitted meta-estimator (sklearn's own names for them).
_PART_ATTRIBUTES = ("steps", "transformers", "transformers_", "transformer_list", "estimators", "estimators_",
                    "estimator", "estimator_", "base_estimator", "final_estimator", "final_estimator_",
                    "calibrated_classifiers_", "regressor", "regressor_", "transformer", "transformer_",
                    "func", "inverse_func", "booster_", "_Booster")
_MAX_DEPTH = 12


def runtime_versions(packages: tuple[str, ...] = RUNTIME_PACKAGES) -> dict[str, str]:
    """Installed versions of ``packages`` (those not installed are left out)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def pinned_requirements(packages: tuple[str, ...] = RUNTIME_PACKAGES, *, model: Any = None,
                        code_paths: Iterable[Path | str] = ()) -> list[str]:
    """``name==version`` for each installed runtime package, plus what ``model`` needs.

    Examples
    --------
    >>> pinned_requirements(model=lightgbm_pipeline)  # doctest: +SKIP
    ['mlflow==3.1.0', 'scikit-learn==1.5.2', ..., 'lightgbm==4.5.0']
    """
    versions = runtime_versions(packages)
    if model is not None or code_paths:
        extra = model_libraries(model, code_paths=code_paths)
        versions.update({name: version for name, version in extra.items() if _canonical(name) not in
                         {_canonical(known) for known in versions}})
    return [f"{name}=={version}" for name, version in versions.items()]


def python_version() -> str:
    return platform.python_version()


def model_libraries(model: Any, *, code_paths: Iterable[Path | str] = ()) -> dict[str, str]:
    """``distribution -> installed version`` of every library ``model`` and its code need.

    The standard library, the project's own modules (no installed distribution) and
    notebook-defined classes (``__main__``) are left out.
    """
    modules = set(estimator_modules(model)) if model is not None else set()
    for path in code_paths:
        modules |= code_imports(Path(path))
    found: dict[str, str] = {}
    for module in sorted(modules):
        for dist in _distributions().get(module, ()):
            try:
                found[_canonical(dist)] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
    return dict(sorted(found.items()))


def estimator_modules(model: Any) -> list[str]:
    """The top-level module of every object inside ``model`` (itself included), stdlib left out."""
    found: list[str] = []
    for obj in _walk(model, depth=0, seen=set()):
        top = _module_of(obj).split(".")[0]
        if top and not _stdlib(top) and top not in found:
            found.append(top)
    return found


def _module_of(obj: Any) -> str:
    """Where ``obj`` comes from: a class or function its own module, anything else its type's."""
    if isinstance(obj, type) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return str(getattr(obj, "__module__", "") or "")
    return str(type(obj).__module__ or "")


def _walk(obj: Any, *, depth: int, seen: set[int]) -> Iterator[Any]:
    """``obj`` and everything reachable through its parameters and fitted parts (each once)."""
    if obj is None or isinstance(obj, (str, bytes, int, float, bool)) or id(obj) in seen or depth > _MAX_DEPTH:
        return
    seen.add(id(obj))
    if isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            yield from _walk(item, depth=depth + 1, seen=seen)
        return
    if isinstance(obj, dict):
        for item in obj.values():
            yield from _walk(item, depth=depth + 1, seen=seen)
        return
    yield obj
    for part in _parts(obj):
        yield from _walk(part, depth=depth + 1, seen=seen)


def _parts(obj: Any) -> list[Any]:
    """The estimators, transformers and functions ``obj`` holds."""
    parts: list[Any] = []
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        # A third-party get_params may need state it lacks; its named parts are still walked.
        with contextlib.suppress(Exception):
            parts += [v for v in obj.get_params(deep=False).values() if not _plain(v)]
    if isinstance(obj, type):
        return parts
    for name in _PART_ATTRIBUTES:
        try:
            value = getattr(obj, name, None)
        except Exception:  # an unfitted third-party model raises its own error for fitted attributes
            continue
        if not _plain(value):
            parts.append(value)
    return parts


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, bytes, int, float, bool))


def code_imports(path: Path) -> set[str]:
    """Top-level names imported by the Python files at ``path`` (a file or a folder), stdlib and
    the folder's own modules left out. A file that does not parse is skipped: the model was
    trained with it, so a syntax error here means it is not Python source at all."""
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.suffix == ".py" else []
    local = {f.stem for f in files} | {d.name for d in (path.iterdir() if path.is_dir() else []) if d.is_dir()}
    names: set[str] = set()
    for file in files:
        try:
            tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if not _stdlib(name) and name not in local}


def _stdlib(module: str) -> bool:
    return module in sys.stdlib_module_names or module in sys.builtin_module_names or module == "__main__"


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    """Import name -> the distributions that provide it (read once per process)."""
    return {name: list(dists) for name, dists in metadata.packages_distributions().items()}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()

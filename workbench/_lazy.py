"""Attributes a package loads on first use (PEP 562), so ``import workbench`` stays fast.

A package lists ``_EXPORTS`` (attribute name -> module that defines it) and delegates its module
``__getattr__`` and ``__dir__`` here; the first access imports the module and keeps the value in
the package's namespace, so later accesses are plain lookups.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["load", "names"]


def load(package: str, exports: Mapping[str, str], name: str) -> Any:
    """The attribute ``name`` of ``package``, imported from the module ``exports`` names for it."""
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    vars(sys.modules[package])[name] = value
    return value


def names(package: str, exports: Mapping[str, str]) -> list[str]:
    """``dir(package)``: what it holds now and what it loads on use."""
    return sorted({*vars(sys.modules[package]), *exports})

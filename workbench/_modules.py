"""The package's public modules, found from its files (nothing is imported to list them)."""

from __future__ import annotations

import pkgutil
from pathlib import Path

__all__ = ["public_modules"]


def public_modules() -> list[str]:
    """Every ``workbench`` module whose dotted name has no part starting with ``_``."""
    names: list[str] = []
    pending = [(Path(__file__).resolve().parent, "workbench")]
    while pending:
        folder, dotted = pending.pop()
        names.append(dotted)
        for info in pkgutil.iter_modules([str(folder)]):
            if info.name.startswith("_"):
                continue
            if info.ispkg:
                pending.append((folder / info.name, f"{dotted}.{info.name}"))
            else:
                names.append(f"{dotted}.{info.name}")
    return sorted(names)

"""Commands of this area; see COMMAND_MODULES in workbench/cli/__init__.py."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add this area's commands (none yet)."""

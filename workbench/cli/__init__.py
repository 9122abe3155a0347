"""The ``workbench`` command line: thin commands that parse, call the package and print.

Each module in :data:`COMMAND_MODULES` adds its sub-commands with ``register(subparsers)``;
a command's handler takes the parsed arguments and returns the exit code. Expected errors
(:class:`~workbench.exceptions.WorkbenchError`) print as one readable paragraph, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from workbench.exceptions import WorkbenchError

__all__ = ["main"]

COMMAND_MODULES = (
    "workbench.cli.project",
    "workbench.cli.explore",
    "workbench.cli.evaluate",
    "workbench.cli.selection",
    "workbench.cli.develop",
    "workbench.cli.package",
    "workbench.cli.deploy",
    "workbench.cli.monitor",
    "workbench.cli.pipelines",
    "workbench.cli.report",
)


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every command module's sub-commands."""
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="MLOps Workbench: from a first look at the data to a monitored model service.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except WorkbenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlops-workbench")
    except PackageNotFoundError:
        return "unknown"

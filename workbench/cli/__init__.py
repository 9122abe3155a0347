"""The ``workbench`` command line: thin commands that parse, call the package and print.

Each module in :data:`COMMAND_MODULES` adds its sub-commands with ``register(subparsers)``;
a command's handler takes the parsed arguments and returns the exit code. Expected errors
(:class:`~workbench.exceptions.WorkbenchError`) print as one readable paragraph, never a
traceback.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from collections.abc import Sequence
from typing import Any

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


class WorkbenchParser(argparse.ArgumentParser):
    """argparse with a suggestion for a mistyped choice: ``workbench stauts`` -> did you mean 'status'?"""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is None or value in choices:
            return
        names = [str(choice) for choice in choices]
        close = difflib.get_close_matches(str(value), names, n=1, cutoff=0.6)
        suggestion = f" Did you mean {close[0]!r}?" if close else ""
        if isinstance(action, argparse._SubParsersAction):  # the message names no "argument COMMAND"
            raise argparse.ArgumentError(
                None, f"unknown command {value!r}.{suggestion} `{self.prog} --help` lists the commands."
            )
        raise argparse.ArgumentError(action, f"invalid choice: {value!r}.{suggestion} Choose from {', '.join(names)}.")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every command module's sub-commands."""
    parser = WorkbenchParser(
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

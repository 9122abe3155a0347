"""Helpers shared by the command modules.

One meaning per flag on every command: ``--json`` prints the command's result as JSON on
stdout (and nothing else there: notes go to stderr), ``--out`` names the file or folder to write,
``-P/--project`` the project folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_json_option", "add_out_option", "add_project_option", "note", "open_project", "print_json",
           "save_reports"]


def add_project_option(parser: argparse.ArgumentParser) -> None:
    """``--project DIR``: the project folder (default: the current folder or a parent of it)."""
    parser.add_argument("--project", "-P", default=".", metavar="DIR", help="project folder (default: here)")


def add_json_option(parser: argparse.ArgumentParser, what: str = "the result") -> None:
    """``--json``: print ``what`` as JSON on stdout instead of sentences (files: ``--out``)."""
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON on stdout")


def add_out_option(parser: argparse.ArgumentParser, *, html_alias: bool = True) -> None:
    """``--out FILE`` (repeatable): save the report, as HTML or JSON by the file's suffix."""
    parser.add_argument("--out", type=Path, action="append", default=[], metavar="FILE",
                        help="save the report here: .html (self-contained page) or .json; repeatable")
    if html_alias:  # the older spelling of --out FILE.html
        parser.add_argument("--html", type=Path, action="append", dest="out", help=argparse.SUPPRESS)


def save_reports(report: Any, paths: list[Path], *, quiet_stdout: bool) -> None:
    """Save ``report`` to each path; say so (on stderr when stdout carries JSON)."""
    for path in paths:
        note(f"wrote {report.save(path)}", quiet_stdout=quiet_stdout)


def note(text: str, *, quiet_stdout: bool) -> None:
    """Print a progress sentence: on stderr when stdout is reserved for JSON."""
    print(text, file=sys.stderr if quiet_stdout else sys.stdout)


def open_project(args: argparse.Namespace, *, check_data: bool = True) -> Any:
    from workbench.project import Project

    return Project.load(args.project, check_data=check_data)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, allow_nan=False, default=str))

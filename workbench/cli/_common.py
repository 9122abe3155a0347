"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_project_option", "open_project", "print_json"]


def add_project_option(parser: argparse.ArgumentParser) -> None:
    """``--project DIR``: the project folder (default: the current folder or a parent of it)."""
    parser.add_argument("--project", "-P", default=".", metavar="DIR", help="project folder (default: here)")


def open_project(args: argparse.Namespace, *, check_data: bool = True) -> Any:
    from workbench.project import Project

    return Project.load(args.project, check_data=check_data)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, allow_nan=False))

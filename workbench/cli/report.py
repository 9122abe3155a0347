"""Commands of this area; see COMMAND_MODULES in workbench/cli/__init__.py."""

from __future__ import annotations

import argparse

from workbench.cli._common import add_project_option, open_project


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``workbench report [MODEL] --out DIR``: the offline evidence pack."""
    parser = commands.add_parser(
        "report", help="write the offline evidence pack (index page, reports, logs)"
    )
    add_project_option(parser)
    parser.add_argument(
        "model", nargs="?", default=None,
        help="a registered version, alias (champion) or models:/ URI (default: the project's latest reports)",
    )
    parser.add_argument("--out", required=True, help="folder to write the evidence pack into")
    parser.add_argument(
        "--compare", nargs=2, metavar=("V1", "V2"), help="compare two registered model versions"
    )
    parser.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from workbench.stakeholder import build_evidence_pack, compare_versions

    if args.compare:
        target = compare_versions(open_project(args), args.compare[0], args.compare[1], args.out)
        print(f"comparison: {target}")
        return 0
    index = build_evidence_pack(open_project(args), args.out, model=args.model)
    print(f"evidence pack: {index}")
    return 0

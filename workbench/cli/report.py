"""Commands of this area; see COMMAND_MODULES in workbench/cli/__init__.py."""

from __future__ import annotations

import argparse

from workbench.cli._common import add_json_option, add_project_option, open_project, print_json


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``workbench report [MODEL] --out DIR`` (the evidence pack) and ``--compare V1 V2``."""
    parser = commands.add_parser(
        "report", help="write the offline evidence pack (index page, reports, logs)"
    )
    add_project_option(parser)
    parser.add_argument(
        "model", nargs="?", default=None,
        help="a registered version, alias (champion) or models:/ URI (default: the project's latest reports)",
    )
    parser.add_argument(
        "--out", default=None, metavar="DIR",
        help="folder to write into (required for the pack; --compare defaults to .workbench/compare/V1-vs-V2)",
    )
    parser.add_argument(
        "--compare", nargs=2, metavar=("V1", "V2"),
        help="compare two registered model versions (numbers, aliases such as champion, or models:/ URIs)",
    )
    add_json_option(parser, "the paths written (and, with --compare, the comparison)")
    parser.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from workbench.exceptions import ConfigError
    from workbench.stakeholder import (
        build_evidence_pack,
        compare,
        comparison_text,
        write_comparison,
    )

    if args.compare:
        project = open_project(args)
        result = compare(project, args.compare[0], args.compare[1])
        written = write_comparison(project, result, args.out)
        if args.json:
            print_json({"comparison": str(written), "v1": result.v1, "v2": result.v2, "sections": result.sections})
            return 0
        print(comparison_text(result))
        print(f"\ncomparison: {written}")
        return 0
    if args.out is None:
        raise ConfigError(
            "workbench report needs --out DIR: the folder to write the evidence pack into.",
            hint="for example `workbench report champion --out evidence-pack`",
        )
    index = build_evidence_pack(open_project(args), args.out, model=args.model)
    if args.json:
        print_json({"evidence_pack": str(index)})
    else:
        print(f"evidence pack: {index}")
    return 0

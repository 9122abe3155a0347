"""``workbench init``, ``status`` and ``demo``."""

from __future__ import annotations

import argparse

from workbench.cli._common import add_project_option, open_project, print_json


def register(commands: argparse._SubParsersAction) -> None:
    init = commands.add_parser("init", help="create a project (config, phase notebooks, demo data)")
    init.add_argument("directory", help="folder to create the project in")
    init.add_argument("--name", help="project name (default: the folder name)")
    init.add_argument("--rows", type=int, default=5000, help="rows of demo data (default 5000)")
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--force", action="store_true", help="overwrite an existing project's config and data")
    init.set_defaults(handler=_init)

    status = commands.add_parser("status", help="the lifecycle status of the project, from its tracked runs")
    add_project_option(status)
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_status)

    demo = commands.add_parser("demo", help="create a demo project and run all six phase notebooks")
    demo.add_argument("--dir", default="workbench-demo", help="folder for the demo project (default workbench-demo)")
    demo.add_argument("--rows", type=int, default=5000, help="rows of demo data (default 5000)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--force", action="store_true", help="reuse the folder if it already holds a project")
    demo.set_defaults(handler=_demo)


def _init(args: argparse.Namespace) -> int:
    from workbench.scaffold import init_project

    project = init_project(args.directory, name=args.name, rows=args.rows, seed=args.seed, force=args.force)
    print(f"Created project '{project.name}' in {project.root}")
    print(f"Next: cd {args.directory} && jupyter lab   (or: workbench demo)")
    return 0


def _status(args: argparse.Namespace) -> int:
    from workbench.phases import project_status

    status = project_status(open_project(args))
    if args.json:
        print_json(status.to_dict())
    else:
        print(status.to_text())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from workbench.demo import run_demo

    result = run_demo(args.dir, rows=args.rows, seed=args.seed, force=args.force)
    print(result.to_text())
    return 0

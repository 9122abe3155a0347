"""``workbench init``, ``status`` and ``demo``."""

from __future__ import annotations

import argparse

from workbench.cli._common import add_json_option, add_project_option, open_project, print_json

_INIT_EPILOG = """\
With --data, the file is read once and copied into DIR/data/ as Parquet: the training rows, and
a held-out share (--holdout, default 0.2) as data/production.parquet, the traffic Deploy serves
and Monitor replays. Columns a model cannot use (dates other than --time-column, free text,
empty or nested columns) are left out of the copy, ID columns are listed in [data] id_columns;
init prints each decision. Without --data, init makes the credit-risk demo project.
"""


def register(commands: argparse._SubParsersAction) -> None:
    init = commands.add_parser(
        "init", help="create a project on your data (--data FILE --target COL), or the demo project",
        epilog=_INIT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("directory", help="folder to create the project in")
    init.add_argument("--data", metavar="FILE", help="your dataset, CSV or Parquet (without it: the demo)")
    init.add_argument("--target", metavar="COL", help="the column to predict (with --data)")
    init.add_argument("--task", default="auto", choices=("auto", "binary", "multiclass", "regression"),
                      help="the task (default auto: inferred from the target's values, and printed)")
    init.add_argument("--sensitive", nargs="+", action="extend", default=[], metavar="COL",
                      help="protected attributes for the fairness review (none: not applicable)")
    init.add_argument("--time-column", metavar="COL", help="dates of the rows: the latest are held out as production")
    init.add_argument("--positive-label", metavar="VALUE",
                      help="a binary target's positive class (default: 1 of 0/1, true of booleans, else the rarer class)")
    init.add_argument("--holdout", type=float, default=0.2, metavar="SHARE",
                      help="share of rows held out as production traffic (default 0.2)")
    init.add_argument("--name", help="project name (default: the folder name)")
    init.add_argument("--rows", type=int, default=None, help="rows of demo data (default 5000; demo only)")
    init.add_argument("--seed", type=int, default=0, help="seed of the holdout and the train/test split (or the demo data)")
    init.add_argument("--force", action="store_true", help="overwrite an existing project's config and data")
    add_json_option(init, "what was created")
    init.set_defaults(handler=_init)

    status = commands.add_parser("status", help="the lifecycle status of the project, from its tracked runs")
    add_project_option(status)
    add_json_option(status, "the lifecycle status")
    status.set_defaults(handler=_status)

    demo = commands.add_parser("demo", help="create a demo project and run all six phase notebooks")
    demo.add_argument("--dir", default="workbench-demo", help="folder for the demo project (default workbench-demo)")
    demo.add_argument("--rows", type=int, default=5000, help="rows of demo data (default 5000)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--force", action="store_true", help="reuse the folder if it already holds a project")
    add_json_option(demo, "the demo's outcome")
    demo.set_defaults(handler=_demo)


def _init(args: argparse.Namespace) -> int:
    _check_init_options(args)
    if args.data is None:
        return _init_demo(args)
    from workbench.scaffold import init_from_data

    summary = init_from_data(
        args.directory, data=args.data, target=args.target, task=args.task, sensitive=args.sensitive,
        time_column=args.time_column, positive_label=args.positive_label, name=args.name,
        holdout=args.holdout, seed=args.seed, force=args.force,
    )
    if args.json:
        print_json(summary.to_dict())
        return 0
    print(summary.to_text(args.directory))
    return 0


def _init_demo(args: argparse.Namespace) -> int:
    from workbench.scaffold import init_demo

    rows = 5000 if args.rows is None else args.rows
    project = init_demo(args.directory, name=args.name, rows=rows, seed=args.seed, force=args.force)
    if args.json:
        print_json({"project": project.name, "root": str(project.root), "demo": True})
        return 0
    print(f"Created project '{project.name}' in {project.root}")
    print(f"Next: cd {args.directory} && jupyter lab   (or: workbench demo)")
    return 0


# Options that only mean something with --data (the demo's data is generated).
_DATA_ONLY = {"target": "--target", "sensitive": "--sensitive", "time_column": "--time-column",
              "positive_label": "--positive-label"}


def _check_init_options(args: argparse.Namespace) -> None:
    from workbench.exceptions import ParameterError

    if args.data is None:
        given = [flag for key, flag in _DATA_ONLY.items() if getattr(args, key)]
        if args.task != "auto":
            given.append("--task")
        if given:
            raise ParameterError(
                f"{', '.join(given)} describe(s) your data, but no --data FILE was given.", name=given[0].lstrip("-"),
                hint="Pass --data FILE --target COL to make a project on your data (without --data, init makes the demo).",
            )
        return
    if not args.target:
        raise ParameterError(
            "--data needs --target COL: the column to predict.", name="target",
            hint=f"For example: workbench init {args.directory} --data {args.data} --target COLUMN",
        )
    if args.rows is not None:
        raise ParameterError(
            "--rows sizes the demo's generated data; with --data every row of your file is used.", name="rows",
            value=args.rows, hint="Leave --rows out.",
        )


def _status(args: argparse.Namespace) -> int:
    from workbench.phases import project_status

    # Status reads the tracking store, never the data (as the panel's status): no data check.
    status = project_status(open_project(args, check_data=False))
    if args.json:
        print_json(status.to_dict())
    else:
        print(status.to_text())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from workbench.demo import run_demo

    result = run_demo(args.dir, rows=args.rows, seed=args.seed, force=args.force, progress=not args.json)
    if args.json:
        print_json({"project": str(result.project.root), "seconds": round(result.seconds, 3),
                    "executed": [str(path) for path in result.executed], "reports": str(result.reports_dir),
                    "status": result.status.to_dict()})
        return 0
    print(result.to_text())
    return 0

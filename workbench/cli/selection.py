"""``workbench select``: choose the Evaluate model that Develop and Package take (see workbench/selection.py)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from workbench.cli._common import add_project_option, open_project, print_json

LISTED = 15


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``select``."""
    select = commands.add_parser(
        "select", help="choose the Evaluate model that moves on (without arguments: list the Evaluate runs)",
        usage="workbench select [RUN_ID | --version V] [--json] [-P DIR]",
    )
    select.add_argument("run_id", nargs="?", metavar="RUN_ID", help="the Evaluate run whose model to choose "
                        "(a unique prefix of its id is enough)")
    select.add_argument("--version", dest="model_version", metavar="V",
                        help="choose the model of this registered version instead")
    select.add_argument("--json", action="store_true", help="print JSON")
    add_project_option(select)
    select.set_defaults(handler=_select)


def _select(args: argparse.Namespace) -> int:
    from workbench.exceptions import ParameterError
    from workbench.selection import select_run, select_version
    from workbench.tracking import Tracker

    if args.run_id and args.model_version:
        raise ParameterError("Give a run id or --version, not both.", name="version", value=args.model_version,
                             hint="workbench select RUN_ID, or workbench select --version V.")
    project = open_project(args, check_data=False)
    tracker = Tracker(project)
    if args.run_id or args.model_version:
        chosen = select_run(tracker, args.run_id) if args.run_id else select_version(tracker, args.model_version)
        if args.json:
            print_json(chosen.to_dict())
        else:
            print(f"Chosen: {chosen.describe()}")
            print("Develop and Package take this model now; workbench status shows what is stale.")
        return 0
    listing = _listing(project, tracker)
    if args.json:
        print_json(listing)
    else:
        print(_listing_text(listing))
    return 0


def _listing(project: Any, tracker: Any) -> dict[str, Any]:
    """The chosen model and the newest Evaluate runs, each with its headline metric and gates."""
    from workbench.selection import SELECTED
    from workbench.tasks import task_named

    chosen = tracker.chosen_model()
    metric = task_named(project.config.data.task).primary_metric
    runs = []
    for run in tracker.runs(phase="evaluate", max_results=LISTED):
        runs.append({
            "run_id": run.run_id, "status": run.status,
            "started": dt.datetime.fromtimestamp(run.start_time, dt.UTC).isoformat(timespec="seconds")
            if run.start_time else None,
            "model": run.tags.get("workbench.model") == "model",
            "choice": "chosen" if chosen and chosen.run_id == run.run_id else
            "side experiment" if run.tags.get(SELECTED) == "false" else "",
            "metric": metric, "value": run.metrics.get(metric), "gates": run.gates,
        })
    return {"chosen_model": chosen.to_dict() if chosen else None, "runs": runs}


def _listing_text(listing: dict[str, Any]) -> str:
    from workbench.selection import choice_summary

    chosen = listing["chosen_model"]
    lines = [f"Chosen model: {chosen['description'] if chosen else choice_summary(None)}", ""]
    if not listing["runs"]:
        return "\n".join([*lines, "No Evaluate run yet: run notebooks/02_evaluate.ipynb."])
    lines.append("Evaluate runs, newest first:")
    for run in listing["runs"]:
        value = f"{run['metric']} {run['value']:.4f}" if run["value"] is not None else f"{run['metric']} -"
        gates = f"gates {run['gates']}" if run["gates"] else "no gates"
        model = "" if run["model"] else "  (no model)"
        mark = f"  <- {run['choice']}" if run["choice"] else ""
        lines.append(f"  {run['run_id']}  {run['started'] or '':<25} {run['status']:<9} {value:<22} {gates}{model}{mark}")
    lines += ["", "Choose one: workbench select RUN_ID"]
    return "\n".join(lines)

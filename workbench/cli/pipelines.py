"""Commands of the pipelines area: approve, approvals, revoke, run, runs, cancel, scheduler, export."""

from __future__ import annotations

import argparse
import dataclasses
import json

from workbench.cli._common import add_json_option, add_project_option, open_project, print_json


def _approve(args: argparse.Namespace) -> int:
    from workbench.pipelines import approve_notebook

    approval = approve_notebook(
        open_project(args, check_data=False), args.notebook, by=args.by, comment=args.comment
    )
    if args.json:
        print_json(dataclasses.asdict(approval))
    else:
        print(f"approved {approval.notebook} ({approval.hash[:19]}) by {approval.approved_by}")
    return 0


def _approvals(args: argparse.Namespace) -> int:
    from workbench.pipelines import approval_states

    states = approval_states(open_project(args, check_data=False))
    if args.json:
        print_json([s.to_dict() for s in states])
        return 0
    for s in states:
        who = f"  by {s.approved_by} at {s.approved_at}" if s.approved_by else ""
        print(f"{s.state.upper():<10} {s.notebook}{who}" + (f"  ({s.reason})" if s.reason else ""))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from workbench.pipelines import revoke_approval

    found = revoke_approval(open_project(args, check_data=False), args.notebook)
    if args.json:
        print_json({"notebook": args.notebook, "revoked": found})
    else:
        print(f"revoked {args.notebook}" if found else f"{args.notebook} had no approval")
    return 0


def _run(args: argparse.Namespace) -> int:
    from workbench.exceptions import ApprovalError
    from workbench.pipelines.params import parse_assignments
    from workbench.pipelines.runner import approve_hint, run_pipeline

    parameters = json.loads(args.params_json) if args.params_json else parse_assignments(args.param)
    try:
        record = run_pipeline(
            open_project(args, check_data=False), args.pipeline, parameters=parameters,
            trigger=args.trigger, progress=not args.no_progress, executor=args.executor,
            address=args.address, workers=args.workers, run_id=args.run_id,
        )
    except ApprovalError as err:
        # The suggested approve commands must reach the same project as this command did.
        raise ApprovalError(err.message, notebooks=err.notebooks,
                            hint=approve_hint(err.notebooks, project_option=args.project)) from err
    if args.json:
        print_json(record.to_dict())
    else:
        print(_run_text(record))
    return 0 if record.status == "succeeded" else 1


def _fmt(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


def _run_text(record) -> str:
    lines = [f"run {record.run_id}  {record.pipeline}  {record.status}  {_fmt(record.seconds, ' s')}  "
             f"cpu {_fmt(record.cpu_seconds, ' s')}  peak {_fmt(record.peak_memory_mb, ' MB')}  "
             f"trigger {record.trigger}"]
    if record.parameters:
        lines.append("parameters: " + ", ".join(f"{k}={v!r}" for k, v in record.parameters.items()))
    for s in record.steps:
        lines.append(f"  {s.name:<16} {s.status:<11} attempts {s.attempts}  {_fmt(s.seconds, ' s'):>8}  "
                     f"cpu {_fmt(s.cpu_seconds, ' s'):>7}  peak {_fmt(s.peak_memory_mb, ' MB'):>9}")
        if s.error:
            lines.append(f"    error: {s.error}")
        if s.output_notebook:
            lines.append(f"    output: {s.output_notebook}")
    if record.error:
        lines.append(record.error)
    return "\n".join(lines)


def _runs(args: argparse.Namespace) -> int:
    from workbench.pipelines.store import RunStore

    store = RunStore(open_project(args, check_data=False))
    if args.action == "show":
        record = store.get_run(args.run_id)
        if args.json:
            print_json(record.to_dict())
        else:
            print(_run_text(record))
        return 0
    records = store.list_runs(limit=args.limit, pipeline=args.pipeline)
    if args.json:
        print_json([r.to_dict() for r in records])
        return 0
    for r in records:
        print(f"{r.run_id}  {r.pipeline:<14} {r.status:<11} {_fmt(r.seconds, ' s'):>8}  "
              f"cpu {_fmt(r.cpu_seconds, ' s'):>7}  peak {_fmt(r.peak_memory_mb, ' MB'):>9}  {r.trigger}")
    if not records:
        print("no runs yet")
    return 0


def _cancel(args: argparse.Namespace) -> int:
    from workbench.pipelines.cancel import cancel_run

    record = cancel_run(open_project(args, check_data=False), args.run_id, wait=args.wait)
    if args.json:
        print_json(record.to_dict())
        return 0 if record.finished else 1
    print(_cancel_text(record))
    return 0 if record.finished else 1


def _cancel_text(record) -> str:
    if not record.finished:
        return (f"Asked run {record.run_id} to stop; it is still {record.status}. "
                f"`workbench runs show {record.run_id}` shows when it has stopped.")
    if record.status != "cancelled":
        return f"Run {record.run_id} {record.status} before the cancel reached it."
    lines = [f"Cancelled run {record.run_id} ({record.pipeline})."]
    for step in record.steps:
        kept = f"; executed notebook kept: {step.output_notebook}" if step.output_notebook else ""
        lines.append(f"  {step.name:<16} {step.status}{kept}")
    return "\n".join(lines)


def _scheduler(args: argparse.Namespace) -> int:
    from workbench.pipelines.scheduler import run_scheduler

    run_scheduler(open_project(args, check_data=False), once=args.once)
    return 0


def _export(args: argparse.Namespace) -> int:
    from workbench.pipelines.export.airflow import export_airflow

    path = export_airflow(open_project(args, check_data=False), args.pipeline, out=args.out)
    if args.json:
        print_json({"dag_file": str(path)})
    else:
        print(f"wrote {path}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``approve``, ``approvals``, ``revoke``, ``run``, ``runs``, ``cancel``, ``scheduler``, ``export``."""
    p = commands.add_parser("approve", help="approve a notebook as it is now (locked to its code)")
    p.add_argument("notebook")
    p.add_argument("--comment", default="", help="why it is approved")
    p.add_argument("--by", default=None, help="who approves (default: git user.name)")
    add_json_option(p, "the approval")
    add_project_option(p)
    p.set_defaults(handler=_approve)
    p = commands.add_parser(
        "approvals", help="list notebooks as approved, changed or never approved"
    )
    add_json_option(p, "the approval states")
    add_project_option(p)
    p.set_defaults(handler=_approvals)
    p = commands.add_parser("revoke", help="remove a notebook's approval")
    p.add_argument("notebook")
    add_json_option(p, "whether an approval was removed")
    add_project_option(p)
    p.set_defaults(handler=_revoke)
    _register_run(commands)
    _register_runs(commands)
    p = commands.add_parser("cancel", help="cancel a queued or running pipeline run (its executed notebooks are kept)")
    p.add_argument("run_id", metavar="RUN_ID", help="the run to cancel (workbench runs lists them)")
    p.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                   help="how long the runner may take to stop it before its processes are stopped (default 60)")
    add_json_option(p, "the run record")
    add_project_option(p)
    p.set_defaults(handler=_cancel)
    p = commands.add_parser("scheduler", help="start pipelines on their cron schedules (foreground)")
    p.add_argument("--once", action="store_true", help="start what is due now, then exit")
    add_project_option(p)
    p.set_defaults(handler=_scheduler)
    p = commands.add_parser("export", help="export a pipeline to another engine")
    targets = p.add_subparsers(dest="target", metavar="TARGET", required=True)
    a = targets.add_parser("airflow", help="write an Airflow 3 DAG file")
    a.add_argument("pipeline", nargs="?", default=None)
    a.add_argument("--out", required=True, metavar="DIR", help="folder for the DAG file (e.g. Airflow's dags/)")
    add_json_option(a, "the DAG file's path")
    add_project_option(a)
    a.set_defaults(handler=_export)


def _register_run(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("run", help="run a pipeline of approved notebooks")
    p.add_argument("pipeline", nargs="?", default=None, help="pipeline name (default: the only one)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a pipeline parameter (repeatable)")
    p.add_argument("--executor", choices=("threads", "dask"), default="threads")
    p.add_argument("--address", default=None, help="Dask scheduler address (default: a LocalCluster)")
    p.add_argument("--workers", type=int, default=None, help="steps at once (default: the pipeline's)")
    p.add_argument("--trigger", default="manual", help=argparse.SUPPRESS)
    p.add_argument("--run-id", default=None, help=argparse.SUPPRESS)
    p.add_argument("--params-json", default=None, help=argparse.SUPPRESS)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_json_option(p, "the run record")
    add_project_option(p)
    p.set_defaults(handler=_run)


def _register_runs(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("runs", help="pipeline run history with cost (CPU, memory)")
    add_json_option(p, "the run records")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--pipeline", default=None)
    add_project_option(p)
    p.set_defaults(handler=_runs, action="list")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    s = actions.add_parser("show", help="one run with its steps")
    s.add_argument("run_id")
    add_json_option(s, "the run record")
    add_project_option(s)
    s.set_defaults(handler=_runs, action="show")

"""Commands of the pipelines area: approve, approvals, revoke."""

from __future__ import annotations

import argparse

from workbench.cli._common import add_project_option, open_project, print_json


def _approve(args: argparse.Namespace) -> int:
    from workbench.pipelines import approve_notebook

    approval = approve_notebook(
        open_project(args, check_data=False), args.notebook, by=args.by, comment=args.comment
    )
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
        print(f"{s.state.upper():<9} {s.notebook}{who}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from workbench.pipelines import revoke_approval

    found = revoke_approval(open_project(args, check_data=False), args.notebook)
    print(f"revoked {args.notebook}" if found else f"{args.notebook} had no approval")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``approve``, ``approvals`` and ``revoke``."""
    p = commands.add_parser("approve", help="approve a notebook as it is now (locked to its code)")
    p.add_argument("notebook")
    p.add_argument("--comment", default="", help="why it is approved")
    p.add_argument("--by", default=None, help="who approves (default: git user.name)")
    add_project_option(p)
    p.set_defaults(handler=_approve)
    p = commands.add_parser(
        "approvals", help="list notebooks as approved, changed or never approved"
    )
    p.add_argument("--json", action="store_true")
    add_project_option(p)
    p.set_defaults(handler=_approvals)
    p = commands.add_parser("revoke", help="remove a notebook's approval")
    p.add_argument("notebook")
    add_project_option(p)
    p.set_defaults(handler=_revoke)

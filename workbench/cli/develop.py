"""Commands of this area; see COMMAND_MODULES in workbench/cli/__init__.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli._common import (
    add_json_option,
    add_out_option,
    add_project_option,
    open_project,
    print_json,
    save_reports,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``check``."""
    check = commands.add_parser(
        "check", help="attack a model's inference pipeline with hostile input; exit 1 on a finding",
    )
    check.add_argument("model", help="runs:/<id>/model, models:/<name>@<alias>, or a phase (e.g. evaluate)")
    check.add_argument("--examples", type=int, default=50, help="cases drawn per attack (default 50)")
    check.add_argument("--unseen", choices=("missing", "keep", "reject"),
                       help="unseen categories (default: [develop] unseen, else missing)")
    check.add_argument("--out-of-range", choices=("clip", "warn", "reject"),
                       help="numbers outside the training range (default: [develop] out_of_range, else clip)")
    check.add_argument("--non-finite", choices=("missing", "reject"),
                       help="infinities (default: [develop] non_finite, else missing)")
    check.add_argument("--max-rows", type=int, metavar="N",
                       help="the largest batch accepted (default: [develop] max_rows, else 10000)")
    add_out_option(check)
    add_json_option(check, "the robustness report")
    check.add_argument("--tests", type=Path, help="write the findings and guards as a pytest module here")
    add_project_option(check)
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    import os

    from workbench.develop import check_robustness, load_robust_model, resolve_policy

    project = open_project(args, check_data=False)
    policy = resolve_policy(project, unseen=args.unseen, out_of_range=args.out_of_range,
                            non_finite=args.non_finite, max_rows=args.max_rows)
    robust, uri = load_robust_model(project, args.model, **policy)
    report = check_robustness(robust, robust.schema, examples=args.examples, model=uri)
    save_reports(report, args.out, quiet_stdout=args.json)
    if args.tests is not None:
        from workbench._io import write_text

        relative = os.path.relpath(project.root, args.tests.resolve().parent)
        write_text(args.tests, report.to_pytest(model_uri=uri, project_dir=relative))
    if args.json:
        print_json(report.to_dict())
        return 0 if report.passed else 1
    print(report.summary())
    for attack in report.attacks:
        verdict = "ok" if attack.passed else f"{attack.findings} finding(s)"
        print(f"  {attack.name:<17} {attack.cases:>4} cases  refused {attack.rejected:>4}  "
              f"warned {attack.repaired:>4}  clean {attack.clean:>4}  {verdict}")
    for finding in report.findings:
        print(f"  FINDING {finding.attack}: {finding.outcome}: {finding.detail}")
    return 0 if report.passed else 1

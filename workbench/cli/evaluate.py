"""Evaluate commands: ``evaluate`` (metrics, fairness, SHAP and gates); see workbench/cli/__init__.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cli._common import add_project_option, open_project, print_json


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``evaluate``."""
    evaluate = commands.add_parser(
        "evaluate", help="review a model on the project's test split: metrics, fairness, SHAP, gates (exit 1 on a failed gate)"
    )
    add_project_option(evaluate)
    evaluate.add_argument("--model", metavar="URI", help="model URI (default: the chosen Evaluate model, see workbench select)")
    evaluate.add_argument("--out", type=Path, metavar="DIR", help="write each report as HTML and JSON here")
    evaluate.add_argument("--bootstrap", type=int, default=200, metavar="N", help="bootstrap resamples (default 200)")
    evaluate.add_argument("--shap-rows", type=int, default=2000, metavar="N", help="rows explained by SHAP (default 2000)")
    evaluate.add_argument("--mitigate", action="store_true", help="compare with fairlearn's ThresholdOptimizer")
    evaluate.add_argument("--json", action="store_true", help="print the gate report as JSON")
    evaluate.set_defaults(handler=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from workbench.evaluate.review import review_project

    review = review_project(
        open_project(args), model_uri=args.model, n_bootstrap=args.bootstrap, shap_rows=args.shap_rows, mitigate=args.mitigate
    )
    if args.out is not None:
        for path in review.save(args.out):
            # With --json, stdout carries the gate report alone, so a script can parse it.
            print(f"wrote {path}", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print_json(review.gates.to_dict())
        return 0 if review.gates.passed else 1
    print(f"model {review.model_uri}")
    for report in (review.metrics, review.fairness, review.explanation):
        if report is not None:
            print(report.summary())
    print(review.gates.summary())
    return 0 if review.gates.passed else 1

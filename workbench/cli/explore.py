"""Explore commands: ``profile``, ``schema infer`` and ``validate``; see workbench/cli/__init__.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli._common import add_json_option, add_out_option, print_json, save_reports


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``profile``, ``schema infer`` and ``validate``."""
    profile = commands.add_parser("profile", help="profile a CSV/Parquet dataset (aggregates only)")
    profile.add_argument("data", type=Path, help="CSV or Parquet file")
    profile.add_argument("--target", help="the target column")
    profile.add_argument("--sensitive", action="append", default=[], metavar="COLUMN", help="a sensitive column")
    add_out_option(profile)
    add_json_option(profile, "the profile report")
    profile.set_defaults(handler=_profile)

    schema = commands.add_parser("schema", help="infer a dataset's schema")
    schema_commands = schema.add_subparsers(dest="schema_command", metavar="COMMAND", required=True)
    infer = schema_commands.add_parser("infer", help="infer dtypes, nullability, ranges and categories")
    infer.add_argument("data", type=Path, help="CSV or Parquet file")
    infer.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write the schema (.json)")
    infer.add_argument("--tolerance", type=float, default=0.1, help="widen numeric ranges by this share")
    add_json_option(infer, "the schema")
    infer.set_defaults(handler=_schema_infer)

    validate = commands.add_parser("validate", help="check a dataset against a schema (exit 1 on failures)")
    validate.add_argument("data", type=Path, help="CSV or Parquet file")
    validate.add_argument("--schema", type=Path, required=True, metavar="FILE", help="a schema written by schema infer")
    add_json_option(validate, "the validation report")
    validate.set_defaults(handler=_validate)


def _profile(args: argparse.Namespace) -> int:
    from workbench._io import read_table
    from workbench.explore import profile

    report = profile(read_table(args.data), target=args.target, sensitive=args.sensitive)
    save_reports(report, args.out, quiet_stdout=args.json)
    if args.json:
        print_json(report.to_dict())
        return 0
    print(report.summary())
    for warning in report.warnings:
        print(f"  warning [{warning.code}] {warning.column}: {warning.message}")
    return 0


def _schema_infer(args: argparse.Namespace) -> int:
    from workbench._io import read_table, write_json
    from workbench.explore import infer_schema

    schema = infer_schema(read_table(args.data), tolerance=args.tolerance)
    written = write_json(args.out, schema.to_dict())
    if args.json:
        print_json(schema.to_dict())
    else:
        print(f"wrote {written}: {schema.summary()}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from workbench._io import read_table
    from workbench.explore import load_schema, validate

    report = validate(read_table(args.data), load_schema(args.schema))
    if args.json:
        print_json(report.to_dict())
    else:
        print(report.summary())
        for failure in report.failures:
            examples = ", ".join(failure.examples)
            print(f"  {failure.column}: {failure.check} failed for {failure.failing_count} rows (e.g. {examples})")
    return 0 if report.passed else 1

"""Package commands: ``package``, ``verify`` and ``reproduce``; see workbench/cli/__init__.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli._common import (
    add_json_option,
    add_project_option,
    note,
    open_project,
    print_json,
)

MODEL_HELP = ("model URI: runs:/<id>/model or models:/<name>@<alias> (default: the chosen Evaluate model, "
              "see workbench select)")


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``package``, ``verify`` and ``reproduce``."""
    package = commands.add_parser(
        "package", help="bundle a model: pinned env, schema, lineage, card, Dockerfile, k8s (exit 1 on a failed gate)"
    )
    package.add_argument("model", nargs="?", help=MODEL_HELP)
    package.add_argument("--out", type=Path, required=True, metavar="DIR", help="the bundle folder to write")
    package.add_argument("--force", action="store_true", help="replace an existing bundle in DIR")
    package.add_argument("--no-register", action="store_true", help="do not register a run's model (no challenger)")
    package.add_argument("--wheel", type=Path, action="append", default=[], metavar="FILE",
                         help="a wheel to ship in wheels/ for the container build (repeatable)")
    add_json_option(package, "the bundle record")
    add_project_option(package)
    package.set_defaults(handler=_package)

    verify = commands.add_parser(
        "verify", help="check a bundle's files, its manifest's anchor (registry or --expect) and pinned versions; "
                       "load the model only once anchored")
    verify.add_argument("bundle", type=Path, help="the bundle folder")
    verify.add_argument("--strict", action="store_true",
                        help="refuse a bundle nothing anchors, and a version mismatch (else a warning)")
    verify.add_argument("--expect", metavar="SHA256",
                        help="the manifest's expected sha256 (the registry tag workbench.bundle_manifest_sha256)")
    verify.add_argument("--project", "-P", metavar="DIR",
                        help="compare the manifest with the tag of the registered version in this project's registry "
                             "(default: the current folder when it is a project)")
    add_json_option(verify, "what was verified")
    verify.set_defaults(handler=_verify)

    reproduce = commands.add_parser(
        "reproduce", help="re-run a model's training notebook and compare data and metrics (exit 1 if not reproduced)"
    )
    reproduce.add_argument("model", nargs="?", help=MODEL_HELP)
    reproduce.add_argument("--tolerance", type=float, metavar="X",
                           help="largest absolute metric difference (default [package] reproduce_tolerance)")
    reproduce.add_argument("--timeout", type=int, metavar="S", help="seconds a notebook cell may run")
    reproduce.add_argument("--out", type=Path, metavar="FILE", help="save the report (.html or .json)")
    add_json_option(reproduce, "the reproduction report")
    add_project_option(reproduce)
    reproduce.set_defaults(handler=_reproduce)


def _model_uri(project: object, given: str | None) -> str:
    from workbench.tracking import Tracker

    return given or Tracker(project).model_uri("evaluate")  # type: ignore[arg-type]


def _package(args: argparse.Namespace) -> int:
    from workbench.package import package_model
    from workbench.package.manifest import MANIFEST_NAME, file_sha256

    project = open_project(args)
    bundle = package_model(project, _model_uri(project, args.model), args.out, register=not args.no_register,
                           force=args.force, wheels=tuple(args.wheel))
    if args.json:
        print_json(bundle.to_dict())
    else:
        print(bundle.summary())
        print(f"manifest sha256 {file_sha256(bundle.path / MANIFEST_NAME)} (the anchor to pass as --expect, "
              "e.g. docker build --build-arg BUNDLE_SHA256=...)")
        if bundle.info.get("prediction_log"):
            print(f"k8s/: {bundle.info.get('replicas', 1)} replica(s); prediction log: {bundle.info['prediction_log']}")
        print(bundle.gates.summary())
        if bundle.gates.passed and bundle.version:
            print(f"{bundle.name} version {bundle.version} is the challenger")
    return 0 if bundle.gates.passed else 1


def _verify(args: argparse.Namespace) -> int:
    import warnings

    from workbench.exceptions import EnvironmentMismatchWarning
    from workbench.package import load_bundle
    from workbench.package.manifest import MANIFEST_NAME, file_sha256

    project = _verify_project(args.project)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EnvironmentMismatchWarning)
        bundle = load_bundle(args.bundle, strict=args.strict, expected_sha256=args.expect, project=project)
    warned = [str(w.message) for w in caught if issubclass(w.category, EnvironmentMismatchWarning)]
    for warning in warned:
        note(f"warning: {warning}", quiet_stdout=args.json)
    sha256 = file_sha256(bundle.path / MANIFEST_NAME)
    if args.json:
        print_json({"bundle": str(bundle.path), "summary": bundle.summary(), "manifest_sha256": sha256,
                    "anchored": bundle.anchored or None, "loaded": bool(bundle.anchored), "warnings": warned})
        return 0
    if bundle.anchored:
        print(f"{bundle.summary()}; sha256 verified; inference: {bundle.info.get('inference')}; "
              f"manifest matches the {bundle.anchored} (sha256 {sha256})")
    else:
        print(f"{bundle.summary()}; files match its own manifest {sha256}, but nothing outside the bundle "
              "anchors that manifest (no --expect, and no registry that knows it), so the model was not loaded; "
              "--strict refuses it")
    return 0


def _verify_project(given: str | None) -> object:
    """The project named by ``--project``; without it, the current folder when it holds a project."""
    from workbench.project import Project

    if given is not None:
        return Project.load(given, check_data=False)
    if not Path("workbench.toml").is_file():
        return None
    return Project.load(".", check_data=False)


def _reproduce(args: argparse.Namespace) -> int:
    from workbench.package import reproduce

    project = open_project(args)
    report = reproduce(project, _model_uri(project, args.model), tolerance=args.tolerance, timeout=args.timeout)
    if args.out is not None:
        note(f"wrote {report.save(args.out)}", quiet_stdout=args.json)
    if args.json:
        print_json(report.to_dict())
    else:
        print(report.summary())
        for check in report.checks:
            print(f"  {'PASS' if check['passed'] else 'FAIL'} {check['check']}: {check['detail']}")
    return 0 if report.passed else 1

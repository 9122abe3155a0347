"""Commands of this area; see COMMAND_MODULES in workbench/cli/__init__.py."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from workbench.cli._common import add_json_option, add_project_option, open_project, print_json
from workbench.exceptions import ModelError

DEFAULT_PORT = 8000


def _port(text: str) -> int:
    """A TCP port number, 0 to 65535 (argparse names the option when this raises)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number: ports run from 0 to 65535")
    return port


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``serve``, ``score``, ``promote``, ``rollback`` and ``history``."""
    serve = commands.add_parser("serve", help="serve a model over REST (FastAPI + uvicorn)")
    serve.add_argument("model", help="MLflow model URI, e.g. models:/credit@champion or runs:/<id>/model")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1); others need --token-file or --insecure")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT,
                       help=f"port to listen on (default {DEFAULT_PORT}); 0 picks a free one (one worker)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="processes serving the port (default 1; one per core), each with one OpenMP thread; "
                            "they share the prediction log and each records its replica id in it")
    serve.add_argument("--token-file", type=Path, help="file holding the bearer token to require")
    serve.add_argument("--insecure", action="store_true",
                       help="allow a non-loopback --host without a token (another layer guards the port)")
    serve.add_argument("--allowed-hosts", action="append", metavar="NAME[,NAME...]",
                       help="Host names to answer (another is a 400); default: the --host address, localhost, "
                            "127.0.0.1 and ::1, or any name when --host is 0.0.0.0 or ::; '*' for any")
    serve.add_argument("--header-timeout", type=float, metavar="SECONDS",
                       help="close a connection whose request head is not complete within this time (default 10)")
    serve.add_argument("--challenger", metavar="MODEL", help="a challenger model URI")
    serve.add_argument("--mode", choices=("shadow", "canary"), help="shadow: scored and logged; canary: serves a share")
    serve.add_argument("--fraction", type=float, default=0.1, help="the canary's share of traffic (default 0.1)")
    serve.add_argument("--expect", metavar="SHA256",
                       help="serving a bundle: its manifest's expected sha256 (the registry tag "
                            "workbench.bundle_manifest_sha256; default $WORKBENCH_BUNDLE_SHA256); without it "
                            "the project's registry must know the bundle")
    add_project_option(serve)
    serve.set_defaults(handler=_serve)

    score = commands.add_parser("score", help="score a CSV/Parquet file in chunks (rejects go to a side file)")
    score.add_argument("model")
    score.add_argument("input", type=Path)
    score.add_argument("output", type=Path)
    score.add_argument("--chunk-size", type=int, default=50_000)
    score.add_argument("--no-progress", action="store_true",
                       help="no progress bar (it is shown on stderr only when stderr is a terminal)")
    score.add_argument("--no-log", action="store_true",
                       help="do not write the scored rows to the prediction log (monitoring will not see them)")
    add_json_option(score, "the batch summary")
    add_project_option(score)
    score.set_defaults(handler=_score)

    promote = commands.add_parser(
        "promote", help="point the champion alias at a version (default: the challenger)",
        usage="workbench promote NAME [--version V] [--force --reason WHY] [--json] [-P DIR]")
    promote.add_argument("name", nargs="?", metavar="NAME",
                         help="the project's registered model name ([model] name); a bare version number is "
                              "also accepted here (the older `workbench promote VERSION`)")
    promote.add_argument("--version", dest="model_version", metavar="V", help="model version (default: the challenger)")
    promote.add_argument("--reason", default="", help="why (required with --force)")
    promote.add_argument("--force", action="store_true", help="promote although its gates failed (recorded)")
    add_json_option(promote, "the record of the move")
    add_project_option(promote)
    promote.set_defaults(handler=_promote)

    rollback = commands.add_parser("rollback", help="restore the previous champion")
    rollback.add_argument("name", nargs="?", metavar="NAME", help="the project's registered model name")
    rollback.add_argument("--reason", default="")
    add_json_option(rollback, "the record of the move")
    add_project_option(rollback)
    rollback.set_defaults(handler=_rollback)

    history = commands.add_parser("history", help="every champion/challenger alias move")
    history.add_argument("name", nargs="?", metavar="NAME", help="the project's registered model name")
    add_json_option(history, "the alias moves")
    add_project_option(history)
    history.set_defaults(handler=_history)


def _registry_project(args: argparse.Namespace, project: Any = None) -> Any:
    """The project (opened unless given), once ``NAME`` (when given) is its registered model's name."""
    project = project if project is not None else open_project(args, check_data=False)
    expected = project.config.model_name
    if args.name is not None and args.name != expected:
        raise ModelError(f"this project registers its model as {expected!r}, not {args.name!r}",
                         hint=f"run `workbench {args.command} {expected} ...`, or pass -P with the project "
                              f"whose model is {args.name!r}")
    return project


def _serve(args: argparse.Namespace) -> int:
    import contextlib
    import os

    from workbench.deploy._auth import check_exposure, read_token_file
    from workbench.deploy._edge import (
        DEFAULT_HEADER_TIMEOUT,
        AllowedHosts,
        check_header_timeout,
        default_allowed_hosts,
    )
    from workbench.deploy.workers import ServeOptions, check_workers, serve
    from workbench.package.verify import EXPECT_ENV

    token = read_token_file(args.token_file) if args.token_file else None
    check_exposure(args.host, token=token, insecure=args.insecure)
    check_workers(args.workers)
    hosts = [name for given in args.allowed_hosts for name in given.split(",")] if args.allowed_hosts \
        else list(default_allowed_hosts(args.host))
    AllowedHosts(hosts)  # a bad name is refused before the model loads
    header_timeout = args.header_timeout if args.header_timeout is not None else DEFAULT_HEADER_TIMEOUT
    check_header_timeout(header_timeout)
    project = open_project(args, check_data=False)
    options = ServeOptions(
        project_root=str(project.root), model_uri=args.model, challenger_uri=args.challenger, mode=args.mode,
        fraction=args.fraction, token_file=str(args.token_file) if args.token_file else None,
        allowed_hosts=tuple(hosts), expected_sha256=args.expect or os.environ.get(EXPECT_ENV) or None,
        header_timeout=header_timeout)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a served model is stopped: not an error
        serve(options, host=args.host, port=args.port, workers=args.workers,
              on_ready=lambda url: _announce(args.model, url))
    print("Stopped.")
    return 0


def _announce(model: str, url: str) -> None:
    """Say where the service listens and how to stop it (once it accepts connections)."""
    print(f"Serving {model} at {url} (POST /v1/predict; GET /health, /docs)", flush=True)
    print("Press Ctrl+C to stop.", flush=True)


def _score(args: argparse.Namespace) -> int:
    import dataclasses

    from workbench.deploy import score_batch

    project = open_project(args, check_data=False)
    summary = score_batch(project, args.model, args.input, args.output, chunk_size=args.chunk_size,
                          log=not args.no_log, progress=False if args.no_progress else None)
    if args.json:
        print_json(dataclasses.asdict(summary))
        return 0
    rejects = f"; {summary.rejected} rejected rows went to {summary.rejects}" if summary.rejects else ""
    print(f"Scored {summary.scored} of {summary.rows} rows in {summary.chunks} chunk(s) into {summary.output}{rejects}.")
    return 0


def _promote(args: argparse.Namespace) -> int:
    from workbench.deploy import promote

    project = open_project(args, check_data=False)
    version = args.model_version
    if version is None and args.name is not None and args.name.isdigit() and args.name != project.config.model_name:
        args.name, version = None, args.name  # the older form: `workbench promote VERSION`
    _registry_project(args, project)
    _print_move(promote(project, version, reason=args.reason, force=args.force), as_json=args.json)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from workbench.deploy import rollback

    _print_move(rollback(_registry_project(args), reason=args.reason), as_json=args.json)
    return 0


def _print_move(entry: dict[str, Any], *, as_json: bool) -> None:
    """One sentence about an alias move (the record itself with ``--json``)."""
    if as_json:
        print_json(entry)
        return
    if entry["action"] == "unchanged":
        print(f"{entry['model']} version {entry['version']} is already {entry['alias']}: nothing changed.")
        return
    before = f"version {entry['previous']}" if entry.get("previous") else "no version"
    verb = "Rolled back" if entry["action"] == "rollback" else "Promoted"
    forced = " It was forced past failed gates; the override is recorded." if entry.get("forced") else ""
    print(f"{verb} {entry['model']}: {entry['alias']} is now version {entry['version']} (was {before}).{forced}")


def _history(args: argparse.Namespace) -> int:
    from workbench.deploy import alias_history

    history = alias_history(_registry_project(args))
    if args.json:
        print_json(history)
        return 0
    for entry in history:
        forced = "  FORCED past failed gates" if entry.get("forced") else ""
        print(f"{entry['time']}  {entry['action']:<8} {entry['alias']}: {entry['previous']} -> "
              f"{entry['version']}  by {entry['user']}  {entry['reason']}{forced}")
    return 0

"""The command line as a surface: one meaning per flag, suggestions, hints that work as given.

Every sub-command's parser is walked: ``--json`` is a flag that prints JSON (never a file name)
and ``--out`` names where files go. A mistyped command or choice suggests the closest one; the
approve command a refused run suggests carries the ``-P`` the user gave; ``workbench serve``
says where it listens and how to stop it (a real server on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import nbformat
import pytest

import workbench
from workbench.cli import build_parser, main
from workbench.pipelines import approve_notebook
from workbench.project import Project

# Commands that run until stopped and print no result, so have no JSON form.
NO_RESULT = {"serve": "a server in the foreground", "scheduler": "a loop in the foreground"}


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every runnable command's parser, by its words (``("runs", "show")``)."""
    found = []
    subactions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if path and parser.get_default("handler") is not None:
        found.append((path, parser))
    for action in subactions:
        for name, sub in action.choices.items():
            found.extend(_leaves(sub, (*path, name)))
    return found


def _option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action | None:
    return next((a for a in parser._actions if flag in a.option_strings), None)


def test_every_command_gives_json_and_out_one_meaning() -> None:
    leaves = _leaves(build_parser())
    names = {" ".join(words) for words, _ in leaves}
    assert {"status", "runs", "runs show", "cancel", "schema infer", "export airflow", "promote", "serve"} <= names
    for words, parser in leaves:
        command = " ".join(words)
        flag = _option(parser, "--json")
        if command in NO_RESULT:
            assert flag is None, f"{command} is {NO_RESULT[command]}: it has no result to print as JSON"
            continue
        assert flag is not None, f"workbench {command} has no --json"
        assert flag.nargs == 0 and flag.const is True and flag.default is False, \
            f"workbench {command}: --json must be a flag (print JSON), not take a file"
        assert flag.help and flag.help.startswith("print ") and flag.help.endswith(" as JSON on stdout"), command
        out = _option(parser, "--out")
        if out is not None:
            assert out.nargs is None and out.metavar in ("FILE", "DIR"), f"workbench {command}: --out takes one path"
        html = _option(parser, "--html")
        assert html is None or (html.dest == "out" and html.help == argparse.SUPPRESS), \
            f"workbench {command}: --html is only the older spelling of --out FILE.html"
        project = _option(parser, "--project")
        assert project is None or project.option_strings == ["--project", "-P"], command


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["stauts"], "workbench: error: unknown command 'stauts'. Did you mean 'status'? "
                     "`workbench --help` lists the commands."),
        (["aprove", "x.ipynb"], "unknown command 'aprove'. Did you mean 'approve'?"),
        (["runs", "shwo", "x"], "workbench runs: error: unknown command 'shwo'. Did you mean 'show'?"),
        (["run", "--executor", "dsk"], "argument --executor: invalid choice: 'dsk'. Did you mean 'dask'? "
                                       "Choose from threads, dask."),
        (["xyzzy"], "workbench: error: unknown command 'xyzzy'. `workbench --help` lists the commands."),
    ],
)
def test_a_mistyped_command_suggests_the_closest(argv, expected, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def _notebook(path: Path, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('project_dir = "."', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(code)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _unapproved(tmp_path: Path) -> Project:
    """A project (in a folder whose name has a space) with pipeline p of two unapproved notebooks."""
    root = tmp_path / "my project"
    root.mkdir()
    (root / "workbench.toml").write_text('[project]\nname = "tiny"\n\n[data]\npath = "data.csv"\ntarget = "y"\n')
    (root / "pipeline.yaml").write_text("pipelines:\n  p:\n    steps:\n"
                                        "      - {name: a, notebook: notebooks/a.ipynb}\n"
                                        "      - {name: b, notebook: notebooks/b.ipynb}\n")
    _notebook(root / "notebooks" / "a.ipynb", "print(1)")
    _notebook(root / "notebooks" / "b.ipynb", "print(2)")
    return Project.load(root, check_data=False)


def test_the_approve_hint_of_a_refused_run_carries_the_project_given(tmp_path, capsys, monkeypatch) -> None:
    project = _unapproved(tmp_path)
    approve_notebook(project, "notebooks/b.ipynb", by="tester")
    given = str(project.root)
    assert main(["run", "--no-progress", "-P", given]) == 2
    err = capsys.readouterr().err
    assert "will not run unapproved notebooks: notebooks/a.ipynb (never approved)." in err
    assert f"Review them, then approve: workbench approve notebooks/a.ipynb --comment 'WHY' -P '{given}'" in err
    monkeypatch.chdir(project.root)  # run from inside the project: the hint needs no -P
    assert main(["run", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith("Review them, then approve: workbench approve notebooks/a.ipynb --comment 'WHY'")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--no-progress", "-P", "my project"]) == 2
    hint = capsys.readouterr().err.split("Review them, then approve: ")[1].strip()
    assert hint == "workbench approve notebooks/a.ipynb --comment 'WHY' -P 'my project'"
    # The hint, run as printed (from the same folder), approves the notebook the run refused.
    assert main(["approve", "notebooks/a.ipynb", "--comment", "WHY", "-P", "my project", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notebook"] == "notebooks/a.ipynb"


def test_json_prints_only_json_on_the_pipeline_commands(tmp_path, capsys) -> None:
    project = _unapproved(tmp_path)
    root = str(project.root)
    assert main(["approve", "notebooks/a.ipynb", "--by", "ana", "-P", root, "--json"]) == 0
    approval = json.loads(capsys.readouterr().out)
    assert (approval["notebook"], approval["approved_by"]) == ("notebooks/a.ipynb", "ana")
    assert main(["approvals", "-P", root, "--json"]) == 0
    states = {s["notebook"]: s["state"] for s in json.loads(capsys.readouterr().out)}
    assert states == {"notebooks/a.ipynb": "approved", "notebooks/b.ipynb": "none"}
    assert main(["revoke", "notebooks/a.ipynb", "-P", root, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"notebook": "notebooks/a.ipynb", "revoked": True}
    assert main(["revoke", "notebooks/a.ipynb", "-P", root]) == 0
    assert capsys.readouterr().out == "notebooks/a.ipynb had no approval\n"
    assert main(["runs", "-P", root, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_serve_help_names_the_default_port(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "port to listen on (default 8000)" in " ".join(capsys.readouterr().out.split())


@pytest.mark.slow
def test_serve_says_where_it_listens_and_how_to_stop_it(trained, tmp_path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root)
    env = {**os.environ, "PYTHONPATH": str(Path(workbench.__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "serve", trained.model_uri, "--port", "0", "-P", str(root)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        first = proc.stdout.readline()  # blocks until the server accepts connections
        second = proc.stdout.readline()
        assert first.startswith(f"Serving {trained.model_uri} at http://127.0.0.1:"), (first, proc.stderr.read())
        assert first.rstrip().endswith("(POST /v1/predict; GET /health, /docs)")
        assert second == "Press Ctrl+C to stop.\n"
        url = first.split(" at ")[1].split()[0]
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl+C sends to the terminal's process group
        assert proc.wait(30) == 0
        assert proc.stdout.read() == "Stopped.\n"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()

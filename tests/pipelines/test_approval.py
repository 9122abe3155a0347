"""Approval locked to notebook content: code edits invalidate, new outputs do not."""

from __future__ import annotations

import json
import subprocess
import threading

import nbformat
import pytest

from workbench.cli import main
from workbench.exceptions import ApprovalError
from workbench.pipelines import approval_states, approve_notebook, revoke_approval, run_pipeline

NB = "notebooks/01_explore.ipynb"


def _state(project, name=NB):
    return {s.notebook: s for s in approval_states(project)}[name]


def test_approve_then_outputs_keep_and_code_edits_break(project):
    assert _state(project).state == "none"
    approval = approve_notebook(project, NB, by="ada", comment="reviewed")
    assert approval.approved_by == "ada" and approval.hash.startswith("sha256:")
    record = json.loads((project.root / "approvals.json").read_text())["approvals"][NB]
    assert record["comment"] == "reviewed" and record["hash"] == approval.hash
    assert _state(project).state == "approved"

    path = project.root / NB
    nb = nbformat.read(path, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="new output\n")]
    code.execution_count = 7
    nbformat.write(nb, path)
    assert _state(project).state == "approved"

    code.source += "\nx = 1"
    nbformat.write(nb, path)
    state = _state(project)
    assert state.state == "changed" and state.approved_by == "ada"

    assert revoke_approval(project, NB) is True
    assert _state(project).state == "none"
    assert revoke_approval(project, NB) is False


def test_kernel_change_invalidates(project):
    approve_notebook(project, NB, by="ada")
    path = project.root / NB
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "other", "display_name": "Other", "language": "python"}
    nbformat.write(nb, path)
    assert _state(project).state == "changed"


def test_cli_approve_and_list(project, capsys):
    assert main(["approve", NB, "--by", "bob", "--comment", "ok", "-P", str(project.root)]) == 0
    assert "approved notebooks/01_explore.ipynb" in capsys.readouterr().out
    assert main(["approvals", "--json", "-P", str(project.root)]) == 0
    states = {s["notebook"]: s["state"] for s in json.loads(capsys.readouterr().out)}
    assert states[NB] == "approved" and states["notebooks/02_evaluate.ipynb"] == "none"


def test_an_unreadable_notebook_is_listed_and_refused_by_a_pipeline(project, capsys):
    from workbench.pipelines.runner import check_approvals
    from workbench.pipelines.spec import load_pipelines

    approve_notebook(project, NB, by="bob")
    (project.root / NB).write_text('{"cells": [ <<<<<<< HEAD', encoding="utf-8")
    assert main(["approvals", "-P", str(project.root)]) == 0
    out = capsys.readouterr().out
    assert f"UNREADABLE {NB}  (Notebook does not appear to be JSON" in out
    assert "NONE       notebooks/02_evaluate.ipynb" in out  # the others are still listed
    spec = next(s for s in load_pipelines(project).values() if NB in s.notebooks)
    with pytest.raises(ApprovalError, match=r"01_explore.ipynb \(unreadable\)"):
        check_approvals(project, spec)


def _all_at_once(action, names):
    """Run ``action(name)`` for every name in its own thread, released together."""
    barrier = threading.Barrier(len(names))
    errors = []

    def go(name):
        barrier.wait()
        try:
            action(name)
        except Exception as err:  # surfaced below: a thread's exception is otherwise lost
            errors.append(err)

    threads = [threading.Thread(target=go, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_concurrent_approvals_and_revocations_are_all_kept(project):
    names = [p.relative_to(project.root).as_posix() for p in project.notebooks()]
    assert len(names) >= 6
    for _ in range(5):
        _all_at_once(lambda nb: approve_notebook(project, nb, by="ada"), names)
        assert {s.notebook: s.state for s in approval_states(project)} == dict.fromkeys(names, "approved")
        _all_at_once(lambda nb: revoke_approval(project, nb), names)
        assert json.loads((project.root / "approvals.json").read_text())["approvals"] == {}


EVIL = "from pathlib import Path\nPath(project_dir, 'pwned').write_text('unapproved code ran')"


def _inject(path, *sources):
    """Add cells tagged ``injected-parameters`` holding ``sources``: one after the parameters
    cell (which papermill replaces) and the others at the end (which papermill would keep)."""
    nb = nbformat.read(path, as_version=4)
    cells = [nbformat.v4.new_code_cell(s, metadata={"tags": ["injected-parameters"]}) for s in sources]
    nb.cells = [nb.cells[0], cells[0], *nb.cells[1:], *cells[1:]]
    nbformat.write(nb, path)


@pytest.mark.slow
def test_cells_tagged_injected_parameters_are_never_run(tiny):
    """Left out of the hash, so never run: papermill replaces only the first such cell."""
    project = tiny({"p": {"steps": [{"name": "a", "notebook": "notebooks/a.ipynb"}]}},
                   {"a.ipynb": ("print('approved code')",)})
    path = project.root / "notebooks" / "a.ipynb"
    _inject(path, "n = 1", EVIL, EVIL)
    assert _state(project, "notebooks/a.ipynb").state == "approved"
    record = run_pipeline(project, progress=False)
    assert record.status == "succeeded"
    assert not (project.root / "pwned").exists(), "a cell outside the approved hash was executed"
    executed = nbformat.read(record.step("a").output_notebook, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "project_dir = " in injected[0].source and "pwned" not in injected[0].source
    assert "pwned" not in json.dumps(executed) and "approved code" in json.dumps(executed)
    assert executed.metadata.papermill.input_path == str(path)


def test_execute_refuses_a_notebook_that_no_longer_matches_the_hash_it_was_checked_with(tiny):
    from workbench.pipelines.execute import execute_notebook

    project = tiny({}, {"a.ipynb": ("print(1)",)})
    output = project.root / "out.ipynb"
    with pytest.raises(ApprovalError, match=r"notebooks/a\.ipynb changed after the run started"):
        execute_notebook(project, "notebooks/a.ipynb", output=output, expected_hash="sha256:0")
    assert not output.exists()


def test_approvals_lists_pipeline_notebooks_anywhere_and_approvals_of_gone_files(tiny, capsys):
    project = tiny({"p": {"steps": [{"name": "a", "notebook": "notebooks/a.ipynb"},
                                    {"name": "x", "notebook": "flows/extra.ipynb"},
                                    {"name": "y", "notebook": "flows/absent.ipynb"}]}},
                   {"a.ipynb": ("print(1)",), "b.ipynb": ("print(2)",)})
    extra = nbformat.read(project.root / "notebooks" / "a.ipynb", as_version=4)
    extra.cells[-1].source = "print('extra')"
    (project.root / "flows").mkdir()
    nbformat.write(extra, project.root / "flows" / "extra.ipynb")
    (project.root / "notebooks" / "b.ipynb").unlink()
    assert main(["approvals", "--json", "-P", str(project.root)]) == 0
    states = {s["notebook"]: s for s in json.loads(capsys.readouterr().out)}
    assert {k: s["state"] for k, s in states.items()} == {
        "notebooks/a.ipynb": "approved", "flows/extra.ipynb": "none",
        "flows/absent.ipynb": "missing", "notebooks/b.ipynb": "missing"}
    assert states["notebooks/b.ipynb"]["approved_by"] == "tester"

    approve_notebook(project, "flows/extra.ipynb", by="ada")
    assert main(["approvals", "-P", str(project.root)]) == 0
    out = capsys.readouterr().out
    assert "APPROVED   flows/extra.ipynb  by ada" in out and "MISSING    notebooks/b.ipynb  by tester" in out
    with pytest.raises(ApprovalError, match=r"flows/absent.ipynb \(no such file\)"):
        run_pipeline(project, progress=False)

    (project.root / "pipeline.yaml").write_text("pipelines: [half edited\n")
    listed = {s.notebook: s.state for s in approval_states(project)}
    assert listed == {"notebooks/a.ipynb": "approved", "flows/extra.ipynb": "approved",
                      "notebooks/b.ipynb": "missing"}


def test_the_default_approver_is_the_git_user_of_the_project(tiny, tmp_path, monkeypatch):
    project = tiny({}, {"a.ipynb": ("print(1)",)}, approve=False)
    subprocess.run(["git", "init", "-q", str(project.root)], check=True)
    subprocess.run(["git", "config", "user.name", "Repo Reviewer"], cwd=project.root, check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not inside the project's repository
    assert approve_notebook(project, "notebooks/a.ipynb").approved_by == "Repo Reviewer"

"""Approval locked to notebook content: code edits invalidate, new outputs do not."""

from __future__ import annotations

import json
import threading

import nbformat

from workbench.cli import main
from workbench.pipelines import approval_states, approve_notebook, revoke_approval

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
    import pytest

    from workbench.exceptions import ApprovalError
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

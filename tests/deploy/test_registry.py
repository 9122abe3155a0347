"""Champion promotion and rollback against the project's real MLflow model registry."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from workbench.deploy import alias_history, promote, rollback
from workbench.exceptions import ModelError
from workbench.reports.gates import GateReport, check_min
from workbench.tracking import Tracker


def _register_versions(project, count: int, *, passed: bool | None = True) -> Tracker:
    """``count`` registered versions whose runs logged passing (or failing, or no) gates."""
    tracker = Tracker(project)
    X, y = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]}), [0, 1, 0, 1]
    name = project.config.model_name
    if not tracker.client.search_registered_models(f"name = '{name}'"):
        tracker.client.create_registered_model(name)
    for _ in range(count):
        with tracker.start_run("evaluate") as run:
            uri = run.log_model(DummyClassifier().fit(X, y), input_example=X.head(2))
            if passed is not None:
                run.log_gates(GateReport(phase="evaluate", results=(check_min("roc_auc", 0.8 if passed else 0.6, 0.7),)))
        tracker.client.create_model_version(name, uri, run_id=run.run_id)
    return tracker


def test_promote_rollback_and_history(project):
    tracker = _register_versions(project, 2)
    name = project.config.model_name
    with pytest.raises(ModelError, match="no 'challenger' alias"):
        promote(project)
    tracker.client.set_registered_model_alias(name, "challenger", "1")
    promote(project, reason="first")
    tracker.client.set_registered_model_alias(name, "challenger", "2")
    entry = promote(project, reason="better auc")
    assert (entry["version"], entry["previous"]) == ("2", "1")
    assert str(tracker.client.get_model_version_by_alias(name, "champion").version) == "2"
    back = rollback(project, reason="latency regression")
    assert (back["version"], back["previous"], back["action"]) == ("1", "2", "rollback")
    assert str(tracker.client.get_model_version_by_alias(name, "champion").version) == "1"
    with pytest.raises(ModelError, match="no earlier champion"):
        rollback(project)
    history = alias_history(project)
    assert [(h["action"], h["version"], h["previous"], h["reason"]) for h in history] == [
        ("promote", "1", None, "first"), ("promote", "2", "1", "better auc"),
        ("rollback", "1", "2", "latency regression")]
    assert all(h["user"] and h["time"] for h in history)


def test_unknown_version_is_refused(project):
    _register_versions(project, 1)
    with pytest.raises(ModelError, match="no version 9"):
        promote(project, 9)
    assert alias_history(project) == []


def test_cli_promote_and_history(project, capsys):
    from workbench.cli import main

    tracker = _register_versions(project, 1)
    tracker.client.set_registered_model_alias(project.config.model_name, "challenger", "1")
    assert main(["promote", "--reason", "gates passed", "-P", str(project.root)]) == 0
    assert main(["history", "-P", str(project.root)]) == 0
    out = capsys.readouterr().out
    assert "promote  champion: None -> 1" in out and "gates passed" in out


def test_failed_or_missing_gates_refuse_unless_forced_with_a_reason(project, capsys):
    from workbench.cli import main

    tracker = _register_versions(project, 1, passed=False)
    _register_versions(project, 1, passed=None)
    name = project.config.model_name
    with pytest.raises(ModelError, match=r"version 1 did not pass its gates: roc_auc 0\.6 < 0\.7"):
        promote(project, 1)
    with pytest.raises(ModelError, match="no gate results were logged"):
        promote(project, 2)
    with pytest.raises(ModelError, match="a forced promotion needs a reason"):
        promote(project, 1, force=True)
    assert alias_history(project) == []
    assert main(["promote", "1", "-P", str(project.root)]) == 2
    assert "--force --reason" in capsys.readouterr().err
    assert main(["promote", "1", "--force", "--reason", "hotfix approved by risk", "-P", str(project.root)]) == 0
    assert str(tracker.client.get_model_version_by_alias(name, "champion").version) == "1"
    entry = alias_history(project)[-1]
    assert entry["forced"] is True and entry["gates"] == {"passed": False, "failures": ["roc_auc 0.6 < 0.7"]}
    assert main(["history", "-P", str(project.root)]) == 0
    assert "hotfix approved by risk  FORCED past failed gates" in capsys.readouterr().out


def test_promoting_the_champion_again_is_a_no_op_and_rollback_skips_self_moves(project):
    from workbench.deploy.registry import _history_path

    tracker = _register_versions(project, 2)
    name = project.config.model_name
    promote(project, 1, reason="first")
    promote(project, 2, reason="second")
    again = promote(project, 2, reason="twice")
    assert again["action"] == "unchanged" and "version 2 is already champion" in again["message"]
    assert [h["version"] for h in alias_history(project)] == ["1", "2"]
    # a self-move an older version recorded must not trap rollback on 2 -> 2
    with _history_path(project).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"alias": "champion", "version": "2", "previous": "2", "action": "promote",
                                 "time": "t", "user": "u", "reason": ""}) + "\n")
    back = rollback(project)
    assert (back["previous"], back["version"]) == ("2", "1")
    assert str(tracker.client.get_model_version_by_alias(name, "champion").version) == "1"


def test_a_torn_history_line_is_skipped_with_a_warning_and_never_swallows_the_next(project):
    from workbench.deploy.registry import _history_path
    from workbench.exceptions import WorkbenchWarning

    _register_versions(project, 2)
    promote(project, 1, reason="first")
    path = _history_path(project)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"alias": "champion", "vers')  # a crash cut this line short
    promote(project, 2, reason="after the crash")
    with pytest.warns(WorkbenchWarning, match="line 2 is not a JSON object"):
        history = alias_history(project)
    assert [(h["version"], h["reason"]) for h in history] == [("1", "first"), ("2", "after the crash")]


def test_cli_promote_rollback_history_by_model_name(project, capsys):
    """The spec's form: `promote NAME [--version V]`, `rollback NAME`, `history NAME`; a wrong NAME is refused."""
    from workbench.cli import main

    tracker = _register_versions(project, 2)
    name, root = project.config.model_name, str(project.root)
    tracker.client.set_registered_model_alias(name, "challenger", "2")
    assert main(["promote", name, "--version", "1", "--reason", "first", "--json", "-P", root]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["version"], first["previous"], first["forced"]) == ("1", None, False)
    assert main(["promote", name, "--reason", "the challenger", "-P", root]) == 0  # no --version: the challenger
    assert capsys.readouterr().out == f"Promoted {name}: champion is now version 2 (was version 1).\n"
    assert main(["rollback", name, "--reason", "latency", "--json", "-P", root]) == 0
    back = json.loads(capsys.readouterr().out)
    assert (back["action"], back["previous"], back["version"]) == ("rollback", "2", "1")
    assert str(tracker.client.get_model_version_by_alias(name, "champion").version) == "1"
    assert main(["history", name, "-P", root]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[1].split()[0] for line in lines] == ["promote", "promote", "rollback"]
    assert "rollback champion: 2 -> 1" in lines[-1] and lines[-1].endswith("latency")
    for command in (["promote", "other-model", "--version", "1"], ["rollback", "other-model"], ["history", "other-model"]):
        assert main([*command, "-P", root]) == 2
        err = capsys.readouterr().err
        assert f"this project registers its model as {name!r}, not 'other-model'" in err
        assert f"workbench {command[0]} {name}" in err
    assert main(["promote", "2", "--reason", "the older form", "--json", "-P", root]) == 0  # `promote VERSION` still works
    assert json.loads(capsys.readouterr().out)["version"] == "2"
    assert main(["promote", "2", "-P", root]) == 0
    assert capsys.readouterr().out == f"{name} version 2 is already champion: nothing changed.\n"
    assert len(alias_history(project)) == 4


def test_promoting_the_champion_again_returns_the_same_keys(project):
    """The notebook reads entry["gates"] and entry["forced"] whatever promote did."""
    _register_versions(project, 1)
    moved = promote(project, 1, reason="first")
    again = promote(project, 1, reason="again")
    assert {"alias", "version", "previous", "action", "model", "gates", "forced"} <= set(moved) & set(again)
    assert again["action"] == "unchanged" and again["forced"] is False
    assert again["gates"] == moved["gates"] == {"passed": True, "failures": []}
    ungated = promote(project, 1, alias="challenger")
    assert (ungated["gates"], ungated["forced"]) == (None, False)

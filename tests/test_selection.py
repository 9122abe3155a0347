"""The model that moves on is the one chosen, never merely the newest Evaluate run (workbench/selection.py)."""

from __future__ import annotations

import json

import mlflow
import pytest

from workbench.cli import main
from workbench.develop import load_robust_model
from workbench.exceptions import TrackingError
from workbench.explore.schema import infer_schema
from workbench.phases import project_status
from workbench.project import Project
from workbench.tracking import Tracker


def _evaluate_run(tracker: Tracker, trained, *, select: bool = True, auc: float = 0.8) -> str:
    """A real Evaluate run that logs the trained demo model (chosen unless ``select`` is False)."""
    with tracker.start_run("evaluate") as run:
        run.log_metrics({"roc_auc": auc})
        run.log_model(trained.model, input_example=trained.split.X_test.head(2),
                      schema=infer_schema(trained.split.X_train), select=select)
    return run.run_id


def test_a_side_experiment_changes_nothing_downstream(project: Project, trained, capsys) -> None:
    tracker = Tracker(project)
    chosen = _evaluate_run(tracker, trained, auc=0.81)
    side = _evaluate_run(tracker, trained, select=False, auc=0.9)

    assert tracker.model_uri("evaluate") == f"runs:/{chosen}/model"
    robust, uri = load_robust_model(project, "evaluate")
    assert uri == f"runs:/{chosen}/model" and robust.names == list(trained.split.X_train.columns)
    tags = tracker.client.get_run(side).data.tags
    assert tags["workbench.selected"] == "false" and "workbench.selected_at" not in tags

    status = project_status(project, tracker)
    assert status.chosen_model is not None and status.chosen_model.run_id == chosen
    evaluate = status.phase("evaluate")
    assert evaluate.run_id == chosen and evaluate.metrics["roc_auc"] == pytest.approx(0.81)
    assert f"Chosen model: run {chosen} (runs:/{chosen}/model), chosen by run.log_model at" in status.to_text()

    assert main(["select", "-P", str(project.root)]) == 0
    listing = capsys.readouterr().out
    assert f"{chosen}" in listing and "<- chosen" in listing and "<- side experiment" in listing
    runs = listing[listing.index("Evaluate runs, newest first:"):]
    assert runs.index(side) < runs.index(chosen)


def test_select_by_hand_takes_an_older_run_and_by_prefix(project: Project, trained, capsys) -> None:
    tracker = Tracker(project)
    older = _evaluate_run(tracker, trained)
    newer = _evaluate_run(tracker, trained)
    assert tracker.model_uri("evaluate") == f"runs:/{newer}/model"

    assert main(["select", older[:10], "-P", str(project.root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Chosen: run {older} (runs:/{older}/model), chosen by workbench select (")
    assert tracker.model_uri("evaluate") == f"runs:/{older}/model"
    assert load_robust_model(project, "evaluate")[1] == f"runs:/{older}/model"

    assert main(["select", newer, "--json", "-P", str(project.root)]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == newer
    assert tracker.chosen_model().run_id == newer


def test_select_by_registered_version(project: Project, trained, capsys) -> None:
    tracker = Tracker(project)
    first = _evaluate_run(tracker, trained)
    mlflow.register_model(f"runs:/{first}/model", project.config.model_name)
    _evaluate_run(tracker, trained)

    assert main(["select", "--version", "1", "-P", str(project.root)]) == 0
    assert "chosen by workbench select --version 1" in capsys.readouterr().out
    chosen = tracker.chosen_model()
    assert chosen.run_id == first and chosen.versions == ("1",)
    assert main(["select", "--version", "7", "-P", str(project.root)]) == 2
    assert f"Model '{project.config.model_name}' has no version 7." in capsys.readouterr().err


def test_what_cannot_be_chosen_is_refused_with_the_reason(project: Project, trained, capsys) -> None:
    tracker = Tracker(project)
    with tracker.start_run("evaluate") as no_model:
        pass
    with pytest.raises(RuntimeError), tracker.start_run("evaluate") as failed:
        raise RuntimeError("boom")
    with tracker.start_run("explore") as explore:
        pass

    cases = {
        no_model.run_id: f"Evaluate run {no_model.run_id} logged no model, so there is nothing to choose.",
        failed.run_id: f"Evaluate run {failed.run_id} is FAILED, so its model cannot be chosen.",
        explore.run_id: f"No Evaluate run of project '{project.name}' has the id '{explore.run_id}'.",
        "xyz": "'xyz' is not a run id (at least 6 hex digits).",
    }
    for run_id, message in cases.items():
        assert main(["select", run_id, "-P", str(project.root)]) == 2
        err = capsys.readouterr().err
        assert f"error: {message}" in err and "Traceback" not in err
    with pytest.raises(TrackingError, match="No finished 'evaluate' run has logged a model yet"):
        tracker.model_uri("evaluate")


def test_only_side_experiments_means_no_chosen_model(project: Project, trained) -> None:
    tracker = Tracker(project)
    side = _evaluate_run(tracker, trained, select=False)

    with pytest.raises(TrackingError) as caught:
        tracker.model_uri("evaluate")
    assert caught.value.message == ("No Evaluate model is chosen: the 1 Evaluate run(s) that logged a model are "
                                    "side experiments (logged with select=False).")
    assert "workbench select RUN_ID" in caught.value.hint
    with pytest.raises(TrackingError, match="side experiments"):
        load_robust_model(project, "evaluate")

    evaluate = project_status(project, tracker).phase("evaluate")
    assert evaluate.state == "not run"
    assert evaluate.reason == ("only side experiments so far (1 Evaluate run(s) logged with select_model = False): "
                               "no model is chosen")
    tracker.client.set_tag(side, "workbench.selected", "true")  # what select_run records, minus the time
    assert main(["select", side, "-P", str(project.root)]) == 0
    assert project_status(project, tracker).phase("evaluate").state == "done"


def test_the_challenger_stands_in_when_nothing_was_ever_chosen(project: Project, trained) -> None:
    """A store from before choices were recorded: the registered challenger is the model that moves on."""
    tracker = Tracker(project)
    first = _evaluate_run(tracker, trained)
    second = _evaluate_run(tracker, trained)
    for run_id in (first, second):
        for key in ("workbench.selected", "workbench.selected_at", "workbench.selected_by"):
            tracker.client.delete_tag(run_id, key)
    assert tracker.chosen_model() is None
    name = project.config.model_name
    mlflow.register_model(f"runs:/{first}/model", name)
    tracker.client.set_registered_model_alias(name, "challenger", "1")

    chosen = tracker.chosen_model()
    assert (chosen.run_id, chosen.uri, chosen.aliases) == (first, f"models:/{name}/1", ("challenger",))
    assert tracker.model_uri("evaluate") == f"models:/{name}/1"
    assert "chosen by the registry (the challenger alias" in chosen.describe()

"""Champion/challenger over HTTP: shadow scores are logged and never returned; canary is sticky by key."""

from __future__ import annotations

import shutil

import pytest
from conftest import json_records, serving

from workbench.deploy import create_app, read_prediction_log, read_requests
from workbench.deploy.app import canary_share
from workbench.evaluate import train_model
from workbench.exceptions import ServingError
from workbench.explore.schema import infer_schema
from workbench.project import Project
from workbench.tracking import Tracker


@pytest.fixture(scope="module")
def two_models(trained, tmp_path_factory):
    root = tmp_path_factory.mktemp("challenger") / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    challenger = train_model(trained.split, seed=1, max_iter=5)
    with Tracker(project).start_run("evaluate") as run:
        uri = run.log_model(
            challenger,
            input_example=trained.split.X_test.head(3),
            schema=infer_schema(trained.split.X_train),
        )
    return project, trained, challenger, uri


def _records(trained, n):
    return json_records(trained.split.X_test.head(n))


def test_shadow_logs_the_challenger_and_returns_the_champion(two_models):
    project, trained, challenger, uri = two_models
    app = create_app(project, trained.model_uri, challenger_uri=uri, mode="shadow")
    with serving(app) as client:
        body = client.post("/v1/predict", json=_records(trained, 5)).json()
        assert client.get("/ready").json()["challenger"]["mode"] == "shadow"
    expected = trained.model.predict_proba(trained.split.X_test.head(5))[:, 1]
    assert body["probabilities"] == pytest.approx(expected, abs=1e-6)
    log = read_prediction_log(project)
    mine = log[log["request_id"] == body["request_id"]]
    assert sorted(mine["variant"].value_counts().items()) == [("champion", 5), ("shadow", 5)]
    shadow = mine[mine["variant"] == "shadow"].sort_values("row")["probability"].to_numpy()
    assert shadow == pytest.approx(
        challenger.predict_proba(trained.split.X_test.head(5))[:, 1], abs=1e-6
    )
    requests = read_requests(project)
    assert (requests["request_id"] == body["request_id"]).sum() == 1


def test_canary_is_sticky_by_key_and_serves_its_share(two_models):
    project, trained, _, uri = two_models
    app = create_app(project, trained.model_uri, challenger_uri=uri, mode="canary", fraction=0.5)
    record = _records(trained, 1)
    keys = [f"customer-{i}" for i in range(60)]
    with serving(app) as client:
        versions = {
            k: client.post("/v1/predict", json=record, headers={"X-Workbench-Key": k}).json()[
                "version"
            ]
            for k in keys
        }
        again = {
            k: client.post("/v1/predict", json=record, headers={"X-Workbench-Key": k}).json()[
                "version"
            ]
            for k in keys
        }
    assert versions == again
    to_challenger = {k for k in keys if canary_share(k) < 0.5}
    assert 15 < len(to_challenger) < 45
    assert {versions[k] for k in to_challenger} == {uri.rsplit("/", 1)[-1]}
    assert {versions[k] for k in set(keys) - to_challenger} == {
        trained.model_uri.rsplit("/", 1)[-1]
    }
    variants = read_requests(project)["variant"].value_counts()
    assert variants["challenger"] == 2 * len(to_challenger)


def test_bad_challenger_settings_are_named(two_models):
    project, trained, _, uri = two_models
    with pytest.raises(ServingError, match="needs a mode"):
        create_app(project, trained.model_uri, challenger_uri=uri)
    with pytest.raises(ServingError, match="unknown challenger mode"):
        create_app(project, trained.model_uri, challenger_uri=uri, mode="ab")
    with pytest.raises(ServingError, match="fraction"):
        create_app(project, trained.model_uri, challenger_uri=uri, mode="canary", fraction=1.5)


def test_a_failing_shadow_never_changes_the_champions_answers(two_models):
    """A shadow that raises (KeyError) or returns too few rows: every answer stays the champion's 200."""
    from _flaky import FlakyClassifier

    project, trained, _, _ = two_models
    X = trained.split.X_test
    column = next(c for c in X.columns if X[c].dtype.kind == "f" and X[c].notna().all())
    low, high = X[column].quantile([0.25, 0.75]).tolist()
    flaky = FlakyClassifier(column=column, low=low, high=high).fit(trained.split.X_train, trained.split.y_train)
    middle = X[(X[column] >= low) & (X[column] <= high)]
    with Tracker(project).start_run("evaluate") as run:
        uri = run.log_model(flaky, input_example=middle.head(3), schema=infer_schema(trained.split.X_train))
    rows = {"raises": X[X[column] > high].head(1), "short": X[X[column] < low].head(1), "fine": middle.head(1)}
    app = create_app(project, trained.model_uri, challenger_uri=uri, mode="shadow")
    with serving(app) as client:
        answers = {k: client.post("/v1/predict", json=json_records(frame)) for k, frame in rows.items()}
        metrics = client.get("/metrics").text
    for kind, answer in answers.items():
        assert answer.status_code == 200, (kind, answer.text)
        expected = trained.model.predict_proba(rows[kind])[:, 1]
        assert answer.json()["probabilities"] == pytest.approx(expected, abs=1e-6)
    log = read_prediction_log(project)
    requests = read_requests(project).set_index("request_id")
    for kind, answer in answers.items():
        rid = answer.json()["request_id"]
        variants = sorted(log.loc[log["request_id"] == rid, "variant"])
        assert variants == (["champion", "shadow"] if kind == "fine" else ["champion"]), kind
        assert requests.loc[rid, "status_code"] == 200
    assert "workbench_shadow_failures_total 2.0" in metrics

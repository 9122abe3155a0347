"""The real service: uvicorn on 127.0.0.1 on a free port, called over HTTP with httpx."""

from __future__ import annotations

import shutil

import httpx
import pytest
from conftest import json_records, plain_values, serving

from workbench.deploy import create_app, read_prediction_log, read_requests
from workbench.project import Project


@pytest.fixture(scope="module")
def served(trained, tmp_path_factory):
    root = tmp_path_factory.mktemp("serve") / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    app = create_app(project, trained.model_uri, token="s3cret")
    with serving(app, headers={"Authorization": "Bearer s3cret"}) as client:
        yield project, client, trained


def _records(trained, n):
    return json_records(trained.split.X_test.head(n))


def test_predict_matches_model_and_is_logged(served):
    project, client, trained = served
    records = _records(trained, 4)
    r = client.post("/v1/predict", json=records)
    assert r.status_code == 200, r.text
    body = r.json()
    expected = trained.model.predict_proba(trained.split.X_test.head(4))[:, 1]
    assert body["probabilities"] == pytest.approx(expected, abs=1e-6)
    log = read_prediction_log(project)
    assert (log["request_id"] == body["request_id"]).sum() == 4


def test_invocations_accepts_mlflow_payloads(served):
    _, client, trained = served
    frame = trained.split.X_test.head(2)
    split = {"dataframe_split": {"columns": list(frame.columns), "data": plain_values(frame).values.tolist()}}
    for payload in (split, {"dataframe_records": _records(trained, 2)}, {"inputs": _records(trained, 2)}):
        r = client.post("/invocations", json=payload)
        assert r.status_code == 200, r.text
        assert len(r.json()["predictions"]) == 2


def test_bad_fields_are_422_naming_each(served):
    project, client, trained = served
    record = _records(trained, 1)[0]
    numeric = next(k for k, v in record.items() if isinstance(v, float))
    bad = dict(record, **{numeric: "lots"})
    bad.pop(next(iter(record)))
    r = client.post("/v1/predict", json=[bad])
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["detail"]}
    assert numeric in fields and next(iter(record)) in fields
    assert 422 in set(read_requests(project)["status_code"])


def test_auth_health_metrics_and_feedback(served):
    _, client, trained = served
    assert httpx.post(f"{client.base_url}/v1/predict", json=_records(trained, 1)).status_code == 401
    assert httpx.get(f"{client.base_url}/health").status_code == 200
    rid = client.post("/v1/predict", json=_records(trained, 2)).json()["request_id"]
    assert client.post("/v1/feedback", json={"request_id": rid, "labels": [1, 0]}).json() == {"labelled": 2}
    assert client.get("/v1/model").json()["schema"]["columns"]
    text = client.get("/metrics").text
    assert 'workbench_requests_total{endpoint="/v1/predict",status="200"}' in text
    assert "workbench_validation_failures_total" in text

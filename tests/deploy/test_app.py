"""The real service: uvicorn on 127.0.0.1 on a free port, called over HTTP with httpx."""

from __future__ import annotations

import asyncio
import json
import shutil

import httpx
import pandas as pd
import pytest
from conftest import json_records, plain_values, serving
from fastapi.testclient import TestClient

from workbench.deploy import create_app, read_feedback, read_prediction_log, read_requests
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


@pytest.fixture(scope="module")
def local(trained, tmp_path_factory):
    """An app without auth on a copy of the trained project, for TestClient and direct ASGI calls."""
    root = tmp_path_factory.mktemp("local") / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    return project, create_app(project, trained.model_uri), trained


async def _post(app, path: str, chunks: list[bytes]) -> tuple[int, int]:
    """POST ``chunks`` as a chunked body (no Content-Length) straight through ASGI: (status, chunks read)."""
    read, sent = 0, []

    async def receive() -> dict:
        nonlocal read
        if read == len(chunks):
            await asyncio.sleep(3600)  # the client waits for its answer
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
    await asyncio.wait_for(app(scope, receive, send), 30)
    return sent[0]["status"], read


def test_a_chunked_body_gets_413_as_soon_as_it_passes_the_cap(local):
    from workbench.deploy.app import MAX_BYTES

    _, app, trained = local
    chunk = b" " * 1_000_000
    over = MAX_BYTES // len(chunk) + 1
    try:
        for path in ("/v1/predict", "/v1/feedback"):
            assert asyncio.run(_post(app, path, [chunk] * (over + 10))) == (413, over), path
        with TestClient(app) as client:  # a chunked body under the cap is still served
            body = json.dumps(_records(trained, 2)).encode()
            assert client.post("/v1/predict", content=iter([body[:50], body[50:]]),
                               headers={"content-type": "application/json"}).status_code == 200
    finally:
        app.state.batcher.close()


def test_feedback_takes_a_row_dict_and_refuses_what_it_cannot_label(local):
    project, app, trained = local
    with TestClient(app) as client:
        rid = client.post("/v1/predict", json=_records(trained, 2)).json()["request_id"]
        assert client.post("/v1/feedback", json={"request_id": rid, "labels": {"1": 1}}).json() == {"labelled": 1}
        mine = read_feedback(project).query("request_id == @rid")
        assert mine[["row", "label"]].values.tolist() == [[1, 1]]
        bad = client.post("/v1/predict", json=[{"nonsense": 1}]).json()["request_id"]
        refused = client.post("/v1/feedback", json={"request_id": bad, "labels": [1]})
        assert refused.status_code == 422 and f"request {bad} was answered 422, not 200" in refused.json()["detail"]
        for payload, key in (({"request_id": rid}, "'labels'"), ({"labels": [1]}, "'request_id'")):
            missing = client.post("/v1/feedback", json=payload)
            assert missing.status_code == 422 and f"the feedback has no {key}" in missing.json()["detail"]
            assert '"labels": [<label of row 0>, ...] or {"<row>": <label>}' in missing.json()["detail"]
        wrong_key = client.post("/v1/feedback", json={"request_id": rid, "labels": {"first": 1}})
        assert wrong_key.status_code == 422 and "label key 'first' is not a row number" in wrong_key.json()["detail"]
    assert len(read_feedback(project).query("request_id in [@rid, @bad]")) == 1


def test_the_app_serves_again_after_a_second_start_up(local):
    _, app, trained = local
    body = json.dumps(_records(trained, 1)).encode()

    async def one_life() -> int:
        """Start the app (ASGI lifespan), score one request, shut it down."""
        events: asyncio.Queue = asyncio.Queue()
        events.put_nowait({"type": "lifespan.startup"})

        async def ignore(message: dict) -> None:
            return None

        life = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, events.get, ignore))
        try:
            status, _ = await asyncio.wait_for(_post(app, "/v1/predict", [body]), 20)
        finally:
            events.put_nowait({"type": "lifespan.shutdown"})
            await asyncio.wait_for(life, 20)
        return status

    assert [asyncio.run(one_life()) for _ in range(2)] == [200, 200]  # TestClient used twice does the same


def test_a_regressor_does_not_count_predictions_by_value(local, tmp_path):
    from workbench.evaluate.training import build_pipeline
    from workbench.explore.schema import infer_schema
    from workbench.tracking import Tracker

    project, _, trained = local
    X = trained.split.X_train
    numeric = next(c for c in X.columns if pd.api.types.is_float_dtype(X[c]))
    regressor = build_pipeline(X, task="regression", seed=0, max_iter=5).fit(X, X[numeric].fillna(0.0) * 0.5)
    with Tracker(project).start_run("evaluate") as run:
        uri = run.log_model(regressor, input_example=X.head(3), schema=infer_schema(X))
    app = create_app(project, uri)
    with TestClient(app) as client:
        predictions = client.post("/v1/predict", json=_records(trained, 5)).json()["predictions"]
        text = client.get("/metrics").text
    assert len(set(predictions)) > 1 and "workbench_predictions_total{" not in text
    assert 'workbench_requests_total{endpoint="/v1/predict",status="200"} 1.0' in text


def _metric(text: str, series: str) -> float:
    """The value of one Prometheus series in ``text`` (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_too_many_rows_is_413_and_rows_carry_their_warnings(served):
    from workbench.deploy.app import MAX_ROWS

    project, client, trained = served
    too_many = client.post("/v1/predict", json=[{}] * (MAX_ROWS + 1))
    assert too_many.status_code == 413
    assert too_many.json()["detail"] == f"{MAX_ROWS + 1} rows; at most {MAX_ROWS} per request"
    logged = read_requests(project).set_index("request_id").loc[too_many.json()["request_id"]]
    assert (logged["status_code"], logged["n_rows"]) == (413, MAX_ROWS + 1)
    records = _records(trained, 2)
    schema = client.get("/v1/model").json()["schema"]["columns"]
    bounded = next(c for c in schema if c["kind"] == "numeric" and c["maximum"] is not None)
    records[1][bounded["name"]] = bounded["maximum"] * 10 + 1e6  # far above the training range: clipped, warned
    body = client.post("/v1/predict", json=records).json()
    assert body["warnings"][0] == []
    assert len(body["warnings"][1]) == 1
    assert body["warnings"][1][0].startswith(f"{bounded['name']}: ") and "outside the training range" in body["warnings"][1][0]


def test_refusals_by_the_guard_are_counted_and_a_413_is_logged(served):
    """401s and 413s answered before the app are in /metrics; a 413 on a scoring endpoint is in the request log."""
    from workbench.deploy.app import MAX_BYTES

    project, client, trained = served
    before = client.get("/metrics").text
    assert httpx.post(f"{client.base_url}/v1/predict", json=_records(trained, 1)).status_code == 401
    assert httpx.get(f"{client.base_url}/no/such/path").status_code == 401
    big = b"[" + b" " * MAX_BYTES + b"]"  # declared Content-Length over the cap: refused before the body is read
    refused = client.post("/v1/predict", content=big, headers={"content-type": "application/json"})
    assert refused.status_code == 413 and refused.json()["detail"] == f"payload over {MAX_BYTES} bytes"
    after = client.get("/metrics").text
    for series, added in (('workbench_requests_total{endpoint="/v1/predict",status="401"}', 1),
                          ('workbench_requests_total{endpoint="other",status="401"}', 1),
                          ('workbench_requests_total{endpoint="/v1/predict",status="413"}', 1)):
        assert _metric(after, series) - _metric(before, series) == added, series
    row = read_requests(project).set_index("request_id").loc[refused.json()["request_id"]]
    assert (row["status_code"], row["n_rows"], row["variant"]) == (413, 0, "champion")
    assert row["error"] == f"payload over {MAX_BYTES} bytes" and row["latency_ms"] >= 0
    assert refused.json()["request_id"] not in set(read_prediction_log(project)["request_id"])


def test_latency_histogram_counts_every_scored_request(served):
    _, client, trained = served
    client.post("/v1/predict", json=_records(trained, 3))
    text = client.get("/metrics").text
    buckets = [(line.split('le="')[1].split('"')[0], float(line.rsplit(" ", 1)[1]))
               for line in text.splitlines() if line.startswith("workbench_latency_seconds_bucket")]
    assert buckets[-1][0] == "+Inf" and len(buckets) > 5
    counts = [count for _, count in buckets]
    assert counts == sorted(counts) and counts[-1] == _metric(text, "workbench_latency_seconds_count")
    scored = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                 if line.startswith("workbench_requests_total{") and 'status="401"' not in line
                 and ('"/v1/predict"' in line or '"/invocations"' in line))
    assert counts[-1] == scored > 0 and _metric(text, "workbench_latency_seconds_sum") > 0


def test_model_endpoint_names_the_alias_version_and_lineage(local):
    from workbench.tracking import Tracker

    project, _, trained = local
    client, name = Tracker(project).client, project.config.model_name
    if not client.search_registered_models(f"name = '{name}'"):
        client.create_registered_model(name)
    version = client.create_model_version(name, trained.model_uri, run_id=trained.run_id).version
    client.set_registered_model_alias(name, "champion", version)
    app = create_app(project, f"models:/{name}@champion")
    with TestClient(app) as http:
        info = http.get("/v1/model").json()
    assert (info["name"], info["version"], info["alias"]) == (name, str(version), "champion")
    assert info["uri"] == f"models:/{name}@champion"
    assert info["lineage"]["run_id"] == trained.run_id and info["lineage"]["phase"] == "evaluate"
    assert set(info["lineage"]) == {"run_id", "phase", "notebook", "notebook_hash", "git_commit", "data_fingerprint"}
    assert [c["name"] for c in info["schema"]["columns"]] == list(trained.split.X_train.columns)

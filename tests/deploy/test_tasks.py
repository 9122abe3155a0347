"""Develop, Package and Deploy for each task: binary, multiclass and regression.

For each task a real model is trained on data that ships with scikit-learn (breast cancer, wine
with text class names, diabetes), wrapped, packaged into a bundle, served by `workbench serve`
on 127.0.0.1 and called over HTTP, and batch-scored; every answer is the model's own
predict / predict_proba.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import httpx
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
from _deploy_server import start_server, stop_server
from _task_projects import make_task_project
from conftest import free_port, json_records, plain_values

from workbench.deploy import read_feedback, read_prediction_log
from workbench.develop import wrap_model
from workbench.exceptions import ModelError
from workbench.package import package_model
from workbench.tracking import model_schema

TASKS = ("binary", "multiclass", "regression")
TOKEN = "tasks-t0ken"


@pytest.fixture(scope="module", params=TASKS)
def built(request, tmp_path_factory):
    """A project of the task with its model trained, logged and packaged into a bundle."""
    base = tmp_path_factory.mktemp(request.param)
    made = make_task_project(base / "proj", request.param)
    bundle = package_model(made.project, f"runs:/{made.run_id}/model", base / "bundle")
    return SimpleNamespace(**vars(made), bundle=bundle.path)


@pytest.fixture(scope="module")
def client(built, tmp_path_factory):
    """`workbench serve BUNDLE/model` on 127.0.0.1, and an authenticated client for it."""
    token_file = tmp_path_factory.mktemp("token") / "token"
    token_file.write_text(TOKEN)
    port = free_port()
    proc = start_server(built.project.root, str(built.bundle / "model"), port, token_file)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"},
                          timeout=120) as http:
            yield http
    finally:
        stop_server(proc)


def _expected(built, rows: pd.DataFrame) -> SimpleNamespace:
    """The model's own answers for ``rows``."""
    model = built.model
    classes = model.classes_.tolist() if built.task != "regression" else None
    proba = model.predict_proba(rows) if classes is not None else None
    return SimpleNamespace(predictions=model.predict(rows).tolist(), proba=proba, classes=classes)


def _rows(built, n: int = 6) -> pd.DataFrame:
    return built.X_test.head(n)


def _check_answer(built, body: dict, rows: pd.DataFrame) -> None:
    """``body`` (a JSON answer) says the task, and holds exactly the model's answers for ``rows``."""
    want = _expected(built, rows)
    assert body["task"] == built.task
    if built.task != "regression":
        assert body["predictions"] == want.predictions
    if built.task == "binary":
        assert body["classes"] == [0, 1] and all(type(p) is int for p in body["predictions"])
        np.testing.assert_allclose(body["probabilities"], want.proba[:, 1], atol=5e-7)
    elif built.task == "multiclass":
        assert body["classes"] == want.classes == ["class_0", "class_1", "class_2"]
        assert all(type(p) is str for p in body["predictions"])
        for answered, row in zip(body["probabilities"], want.proba, strict=True):
            assert list(answered) == want.classes  # keyed by class, in the model's classes_ order
            np.testing.assert_allclose(list(answered.values()), row, atol=5e-7)
        np.testing.assert_allclose(body["predicted_probability"], want.proba.max(axis=1), atol=5e-7)
    else:
        assert "classes" not in body and "probabilities" not in body
        np.testing.assert_allclose(body["predictions"], want.predictions, rtol=1e-12)


def test_the_wrapped_model_answers_like_the_model(built):
    rows = _rows(built)
    robust = wrap_model(built.model, model_schema(built.model_uri), task=built.task)
    result = robust.predict(json_records(rows))
    assert result.task == robust.task == built.task and result.warnings == [[]] * len(rows)
    want = _expected(built, rows)
    assert np.asarray(result.predictions).tolist() == want.predictions
    if want.proba is None:
        assert result.probabilities is None and result.classes is None
    else:
        np.testing.assert_allclose(result.probabilities, want.proba, rtol=1e-12)
        assert result.classes == want.classes
    _check_answer(built, json.loads(json.dumps(result.answer())), rows)


def test_a_model_that_cannot_answer_the_task_is_refused(built):
    other = {"binary": "regression", "multiclass": "binary", "regression": "multiclass"}[built.task]
    with pytest.raises(ModelError, match=f"The task is {other}, but the model is") as err:
        wrap_model(built.model, model_schema(built.model_uri), task=other)
    assert f'task = "{built.task}"' in err.value.hint


def test_the_bundle_records_the_task_and_its_pyfunc_answers_like_the_model(built):
    rows = _rows(built)
    pyfunc = mlflow.pyfunc.load_model(str(built.bundle / "model"))
    out = pyfunc.predict(rows)
    want = _expected(built, rows)
    answer_columns = {"binary": ["prediction", "probability"],
                      "multiclass": ["prediction", "probability_class_0", "probability_class_1", "probability_class_2"],
                      "regression": ["prediction"]}[built.task]
    assert list(out.columns) == [*answer_columns, "warnings"]
    output_schema = json.loads((built.bundle / "schema" / "output_schema.json").read_text())
    assert [c["name"] for c in output_schema["columns"]] == list(out.columns)
    if built.task == "regression":
        np.testing.assert_allclose(out["prediction"], want.predictions, rtol=1e-12)
    else:
        assert out["prediction"].tolist() == want.predictions
    if built.task == "binary":
        np.testing.assert_allclose(out["probability"], want.proba[:, 1], rtol=1e-12)
    elif built.task == "multiclass":
        np.testing.assert_allclose(out[answer_columns[1:]].to_numpy(), want.proba, rtol=1e-12)
    impl = pyfunc._model_impl  # the BundledModel the loader returned
    info = json.loads((built.bundle / "bundle.json").read_text())
    card = json.loads((built.bundle / "model_card.json").read_text())
    for recorded in (output_schema, info, card, {"task": impl.task, "classes": impl.classes}):
        assert (recorded["task"], recorded["classes"]) == (built.task, want.classes)
    assert "workbench_task: " + built.task in (built.bundle / "model" / "MLmodel").read_text()


def test_the_served_bundle_answers_like_the_model_and_logs_it(built, client):
    info = client.get("/v1/model").json()
    assert info["task"] == built.task and info.get("classes") == _expected(built, _rows(built, 1)).classes
    rows = _rows(built)
    body = client.post("/v1/predict", json=json_records(rows)).json()
    _check_answer(built, body, rows)
    split = {"dataframe_split": {"columns": list(rows.columns), "data": plain_values(rows).values.tolist()}}
    _check_answer(built, client.post("/invocations", json=split).json(), rows)
    log = read_prediction_log(built.project).query("request_id == @body['request_id']").sort_values("row")
    want = _expected(built, rows)
    if built.task == "regression":
        np.testing.assert_allclose(log["prediction"].astype(float), want.predictions, rtol=1e-12)
        assert log["probability"].isna().all() and log["probabilities"].isna().all()
    else:
        assert log["prediction"].tolist() == want.predictions
        expected_probability = want.proba[:, 1] if built.task == "binary" else want.proba.max(axis=1)
        np.testing.assert_allclose(log["probability"], expected_probability, rtol=1e-12)
    if built.task == "multiclass":
        stored = np.array([[row[c] for c in want.classes] for row in log["probabilities"]])
        np.testing.assert_allclose(stored, want.proba, rtol=1e-12)


# Labels equal to each prediction, sent in the other forms the coercion reads as the same value.
_SAME_AS = {
    "binary": lambda p: [float(p), bool(p), str(p)],
    "multiclass": lambda p: [p, p, p],
    "regression": lambda p: [p, str(p), p],
}
_NOT_A_LABEL = {
    "binary": (2, "2 is not a class of the model (its classes: 0, 1)"),
    "multiclass": ("class_9", "'class_9' is not a class of the model (its classes: 'class_0', 'class_1', 'class_2')"),
    "regression": ("lots", "text 'lots' is not a number"),
}


def test_feedback_is_read_as_the_models_answers(built, client):
    rows = _rows(built, 3)
    answer = client.post("/v1/predict", json=json_records(rows)).json()
    rid, predictions = answer["request_id"], answer["predictions"]
    labels = [_SAME_AS[built.task](p)[i] for i, p in enumerate(predictions)]  # row i sent in form i
    assert client.post("/v1/feedback", json={"request_id": rid, "labels": labels}).json() == {"labelled": 3}
    stored = read_feedback(built.project).query("request_id == @rid").sort_values("row")
    assert stored["label"].tolist() == predictions  # equal to the predictions, of the same type
    assert [type(v) for v in stored["label"]] == [type(p) for p in predictions]
    bad, message = _NOT_A_LABEL[built.task]
    other = client.post("/v1/predict", json=json_records(rows)).json()["request_id"]
    refused = client.post("/v1/feedback", json={"request_id": other, "labels": {"1": bad}})
    assert refused.status_code == 422 and message in refused.json()["detail"]
    assert refused.json()["problems"] == [{"row": 1, "label": repr(bad), "error": message}]
    again = client.post("/v1/feedback", json={"request_id": rid, "labels": {"0": labels[0]}})
    assert again.status_code == 409 and again.json()["rows"] == [0]
    fixed = client.post("/v1/feedback", json={"request_id": rid, "labels": {"0": labels[0]}, "replace": True})
    assert fixed.json() == {"labelled": 1}
    assert read_feedback(built.project).query("request_id == @rid").sort_values("row")["replaced"].tolist() == [1, 0, 0]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_batch_scoring_writes_the_tasks_columns(built, tmp_path, suffix, capsys):
    from workbench.cli import main

    rows = built.X_test
    source = tmp_path / "in.parquet"
    rows.to_parquet(source)
    out = tmp_path / f"out{suffix}"
    assert main(["score", str(built.bundle / "model"), str(source), str(out), "--chunk-size", "15", "--no-progress",
                 "-P", str(built.project.root)]) == 0
    assert '"scored": ' + str(len(rows)) in capsys.readouterr().out
    scored = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    want = _expected(built, rows)
    answers = [c for c in scored.columns if c not in rows.columns]
    if built.task == "regression":
        assert answers == ["prediction"]
        np.testing.assert_allclose(scored["prediction"], want.predictions, rtol=1e-12)
        return
    assert scored["prediction"].tolist() == want.predictions
    if built.task == "binary":
        assert answers == ["prediction", "probability"]
        np.testing.assert_allclose(scored["probability"], want.proba[:, 1], rtol=1e-12)
    else:
        assert answers == ["prediction", *[f"probability_{c}" for c in want.classes]]
        np.testing.assert_allclose(scored[answers[1:]].to_numpy(), want.proba, rtol=1e-12)

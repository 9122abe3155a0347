"""Attacks on ``/v1/feedback`` and the refusals they get (issue 18, findings 5 and 10).

Labels posted later decide Monitor's accuracy, F1, AUC, MAE and RMSE, and through its alerts
they can start a pipeline: a label must be a value the model could have answered. Each model
below is real (scikit-learn's data), served by uvicorn on 127.0.0.1 and attacked over HTTP.

Read the tables as: what the attacker sends -> the status, and words the answer must hold.
Nothing refused is ever stored (the last test reads the whole feedback table).
"""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from _task_projects import make_task_project
from conftest import json_records, serving

from workbench.deploy import create_app, read_feedback
from workbench.deploy.feedback import max_feedback_bytes

TOKEN = "feedback-t0ken"
MAX_ROWS = 10_000  # the service's default cap on rows per request, and so on labels per call


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """A served binary (classes 0, 1), multiclass (text classes) and regression model: task -> (project, client)."""
    with contextlib.ExitStack() as stack:
        found = {}
        for task in ("binary", "multiclass", "regression"):
            made = make_task_project(tmp_path_factory.mktemp(task) / "proj", task, max_iter=10)
            app = create_app(made.project, made.model_uri, token=TOKEN, max_rows=MAX_ROWS)
            found[task] = (made, stack.enter_context(serving(app, headers={"Authorization": f"Bearer {TOKEN}"})))
        yield found


def _fresh_request(made, client, rows: int = 2) -> str:
    answer = client.post("/v1/predict", json=json_records(made.X_test.head(rows)))
    assert answer.status_code == 200, answer.text
    return answer.json()["request_id"]


def _post(client, body) -> tuple[int, dict]:
    answer = client.post("/v1/feedback", json=body)
    return answer.status_code, answer.json()


# (task, attack, labels of a fresh 2-row request, status, words in the answer's detail)
LABEL_ATTACKS = [
    ("binary", "an object as a label", [{"a": 1}, 0], 422, "row 0: an object is not a label"),
    ("binary", "a list as a label", [[1], 0], 422, "row 0: a list is not a label"),
    ("binary", "null as a label", [0, None], 422, "row 1: null is not a label"),
    ("binary", "a class the model does not have", [1, 2], 422, "2 is not a class of the model (its classes: 0, 1)"),
    ("binary", "a fraction for a whole-number class", [0.5, 1], 422, "0.5 is not a whole number"),
    ("binary", "words for a number class", ["yes", 1], 422, "text 'yes' is not a number"),
    ("binary", "a 1 MB string", ["x" * 1_000_000, 1], 422, "text of 1,000,000 characters (a label has at most 256)"),
    ("multiclass", "a class index for a text class", [0, "class_1"], 422,
     "0 is not a class of the model (its classes: 'class_0', 'class_1', 'class_2')"),
    ("multiclass", "another spelling of a class", ["Class_0", "class_1"], 422, "'Class_0' is not a class"),
    ("multiclass", "true for a text class", [True, "class_1"], 422, "true is not a class name"),
    ("regression", "true as a number", [True, 1.5], 422, "row 0: true is not a number"),
    ("regression", "infinity as text", ["Infinity", 1.5], 422, "'Infinity' is not a finite number"),
    ("regression", "NaN as text", [1.5, "nan"], 422, "'nan' is not a finite number"),
    ("regression", "a number too large for a float", [10**400, 1.5], 422, "the body is not valid JSON"),
    ("binary", "more labels than the request has rows", [0, 1, 0], 422, "3 labels for request"),
    ("binary", "a row number out of range", {"5": 1}, 422, "rows 5 out of range"),
    ("binary", "a negative row number", {"-1": 1}, 422, "rows -1 out of range"),
    ("binary", "a row number that is not a number", {"1e3": 1}, 422, "label key '1e3' is not a row number"),
    ("binary", "the same row twice", {"1": 1, "01": 0}, 422, "row(s) 1 labelled more than once in one call"),
]


@pytest.mark.parametrize(("task", "attack", "labels", "status", "words"), LABEL_ATTACKS,
                         ids=[a[1] for a in LABEL_ATTACKS])
def test_labels_that_are_not_answers_of_the_model_are_refused(services, task, attack, labels, status, words):
    made, client = services[task]
    rid = _fresh_request(made, client)
    answered = client.post("/v1/feedback", content=json.dumps({"request_id": rid, "labels": labels}).encode(),
                           headers={"content-type": "application/json"})
    assert answered.status_code == status, answered.text[:500]
    assert words in answered.json()["detail"], answered.json()
    assert len(answered.content) < 2_000  # the refusal names the label, it never echoes it
    assert read_feedback(made.project).query("request_id == @rid").empty  # nothing was stored


# (attack, body, status, words in the detail)
BODY_ATTACKS = [
    ("not JSON", b"{labels: [1]", 422, "the body is not valid JSON"),
    ("NaN, a JSON extension", b'{"request_id": "x", "labels": [NaN]}', 422, "the body is not valid JSON"),
    ("a list instead of an object", b"[1, 0]", 422, "the feedback must be a JSON object"),
    ("no labels", b'{"request_id": "x"}', 422, "the feedback has no 'labels'"),
    ("a request id that is an object", b'{"request_id": {"$ne": 1}, "labels": [1]}', 422,
     "'request_id' must be a string, not dict"),
    ("an unknown request id", b'{"request_id": "nope", "labels": [1]}', 422, "unknown request id 'nope'"),
    ("replace that is not a boolean", b'{"request_id": "x", "labels": [1], "replace": "yes"}', 422,
     "'replace' must be true or false"),
]


@pytest.mark.parametrize(("attack", "body", "status", "words"), BODY_ATTACKS, ids=[a[0] for a in BODY_ATTACKS])
def test_malformed_feedback_bodies_are_refused(services, attack, body, status, words):
    _, client = services["binary"]
    answered = client.post("/v1/feedback", content=body, headers={"content-type": "application/json"})
    assert answered.status_code == status and words in answered.json()["detail"], answered.text[:500]


def test_the_label_of_a_refused_request_is_refused(services):
    _, client = services["binary"]
    refused = client.post("/v1/predict", json=[{"no such column": 1}]).json()["request_id"]
    status, answer = _post(client, {"request_id": refused, "labels": [1]})
    assert status == 422 and f"request {refused} was answered 422, not 200" in answer["detail"]


def test_a_label_equal_to_the_prediction_is_stored_equal_whatever_its_json_type(services):
    """Finding 5: 1.0 and true were stored as other labels than the prediction 1 and scored 0 accuracy."""
    made, client = services["binary"]
    answer = client.post("/v1/predict", json=json_records(made.X_test.head(4))).json()
    sent = [{0: 0.0, 1: 1.0}, {0: False, 1: True}, {0: "0", 1: "1"}, {0: " 0.0 ", 1: "1.0"}]
    labels = [form[p] for form, p in zip(sent, answer["predictions"], strict=True)]
    assert _post(client, {"request_id": answer["request_id"], "labels": labels}) == (200, {"labelled": 4})
    stored = read_feedback(made.project).query("request_id == @answer['request_id']").sort_values("row")
    assert stored["label"].tolist() == answer["predictions"] and {type(v) for v in stored["label"]} == {int}


def test_a_second_label_for_a_row_is_a_409_unless_it_says_it_replaces(services):
    """Finding 10: duplicate feedback silently overwrote the first label."""
    made, client = services["binary"]
    rid = _fresh_request(made, client)
    assert _post(client, {"request_id": rid, "labels": [1, 0]}) == (200, {"labelled": 2})
    status, answer = _post(client, {"request_id": rid, "labels": {"1": 1}})
    assert status == 409 and answer["rows"] == [1] and "row(s) 1 of request" in answer["detail"]
    assert '"replace": true' in answer["hint"]
    assert _post(client, {"request_id": rid, "labels": {"1": 1}, "replace": True}) == (200, {"labelled": 1})
    stored = read_feedback(made.project).query("request_id == @rid").sort_values("row")
    assert stored[["label", "replaced"]].values.tolist() == [[1, 0], [1, 1]]  # the correction is on record


def test_six_hundred_thousand_labels_get_a_short_413_for_little_cpu(services):
    """Finding 10: a 600,000-label body got a 4.7 MB 422 echoing every row and cost 6-13 s of CPU."""
    made, client = services["binary"]
    rid = _fresh_request(made, client)
    body = json.dumps({"request_id": rid, "labels": [1] * 600_000}).encode()
    assert len(body) < max_feedback_bytes(MAX_ROWS)  # small enough to be parsed: refused by its count
    cpu, wall = time.process_time(), time.perf_counter()
    answered = client.post("/v1/feedback", content=body, headers={"content-type": "application/json"})
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert answered.status_code == 413 and len(answered.content) < 500
    assert answered.json()["detail"] == "600,000 labels in one call; a request has at most 10,000 rows"
    assert cpu < 1.0, f"{cpu:.2f} s of CPU (client and server) for one refused body"
    assert read_feedback(made.project).query("request_id == @rid").empty


def test_a_feedback_body_over_its_byte_bound_is_refused_before_parsing(services):
    _, client = services["binary"]
    limit = max_feedback_bytes(MAX_ROWS)
    body = b'{"request_id": "x", "labels": ["' + b"1" * limit + b'"]}'  # unparsable too: never read as JSON
    answered = client.post("/v1/feedback", content=body, headers={"content-type": "application/json"})
    assert answered.status_code == 413 and len(answered.content) < 500
    assert answered.json()["detail"] == f"a feedback body of {len(body):,} bytes; at most {limit:,} are read"


def test_twenty_object_labels_store_nothing_that_could_fire_an_alert(services):
    """Finding 5: twenty {"a": 1} labels fired the AUC-drop alert."""
    made, client = services["binary"]
    rid = _fresh_request(made, client, rows=20)
    status, answer = _post(client, {"request_id": rid, "labels": [{"a": 1}] * 20})
    assert status == 422 and answer["detail"].startswith(f"20 label(s) for request {rid} refused")
    assert len(answer["problems"]) == 10  # the first ten are named, the count says the rest
    for task, (made, _) in services.items():  # after every attack: only labels the models could answer
        labels = read_feedback(made.project)["label"]
        if task == "binary":
            assert set(labels) <= {0, 1} and {type(v) for v in labels} <= {int}
        elif task == "multiclass":
            assert set(labels) <= {"class_0", "class_1", "class_2"}
        else:
            assert all(isinstance(v, float) for v in labels)

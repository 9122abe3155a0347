"""Pipelines and runs through ``/workbench/api/``: the form's specs, refusals, a real background run."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from .test_handlers import get, post, refused

CHECK = "credit/notebooks/check.ipynb"


async def start(jp_fetch, body: dict) -> dict:
    response = await jp_fetch("workbench", "api", "runs", method="POST", body=json.dumps(body))
    assert response.code == 202
    return json.loads(response.body)


async def test_pipelines_list_typed_parameters(jp_fetch, lab_project) -> None:
    listed = await get(jp_fetch, "pipelines", project="credit")
    [check] = [p for p in listed["pipelines"] if p["name"] == "check"]
    assert [(p["name"], p["type"], p["default"]) for p in check["parameters"]] == [
        ("repeat", "int", 2), ("greeting", "choice", "hello"),
    ]
    assert check["parameters"][1]["choices"] == ["hello", "hi"]
    assert check["steps"][0]["notebook"] == "notebooks/check.ipynb"


async def test_runs_endpoints_refuse_unauthenticated_calls(jp_fetch, lab_project) -> None:
    no_auth = {"Authorization": ""}
    run = "20260101T000000-abc123"
    for parts, extra in ((("pipelines",), {}), (("runs",), {}), (("runs", run), {}),
                         (("runs", run, "output"), {"step": "check"})):
        params = {"project": "credit", **extra}
        code, _ = await refused(jp_fetch("workbench", "api", *parts, params=params, headers=no_auth))
        assert code == 403, parts
    code, _ = await refused(
        jp_fetch("workbench", "api", "runs", method="POST", headers=no_auth,
                 body=json.dumps({"project": "credit", "pipeline": "check"}))
    )
    assert code == 403
    assert not (lab_project.root / ".workbench" / "runs.db").exists()


async def test_unapproved_notebook_is_a_409_naming_it(jp_fetch, lab_project) -> None:
    code, body = await refused(start(jp_fetch, {"project": "credit", "pipeline": "check"}))
    assert code == 409
    assert "will not run unapproved notebooks: notebooks/check.ipynb (never approved)" in body["message"]
    assert body["notebooks"] == ["notebooks/check.ipynb"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"project": "credit", "pipeline": "check", "parameters": {"repeat": "many"}}, 422,
         "Parameter 'repeat' of pipeline 'check' = 'many' is not valid"),
        ({"project": "credit", "pipeline": "check", "parameters": {"greeting": "hey"}}, 422,
         "expected one of 'hello', 'hi'"),
        ({"project": "credit", "pipeline": "check", "parameters": {"colour": "red"}}, 422,
         "Pipeline 'check' has no parameter 'colour'."),
        ({"project": "credit", "pipeline": "nope"}, 404, "The project has no pipeline 'nope'."),
        ({"project": "credit", "pipeline": 3}, 400, "'pipeline' must be a pipeline name"),
        ({"project": "credit", "pipeline": "check", "parameters": [1]}, 400, "'parameters' must be a JSON object"),
        ({"project": "../..", "pipeline": "check"}, 400, "outside the server's root folder"),
    ],
)
async def test_bad_run_requests_are_4xx_before_anything_runs(jp_fetch, lab_project, body, status, message) -> None:
    await post(jp_fetch, "approve", {"path": CHECK, "comment": "quick check"})
    code, answer = await refused(start(jp_fetch, body))
    assert code == status
    assert message in answer["message"]
    assert (await get(jp_fetch, "runs", project="credit"))["runs"] == []


async def test_bad_run_lookups(jp_fetch, lab_project) -> None:
    code, body = await refused(jp_fetch("workbench", "api", "runs", "20260101T000000-abc123", params={"project": "credit"}))
    assert code == 404
    code, body = await refused(jp_fetch("workbench", "api", "runs", params={"project": "credit", "limit": "lots"}))
    assert (code, body["message"]) == (400, "'limit' must be a whole number, got 'lots'.")
    code, _ = await refused(jp_fetch("workbench", "api", "runs", params={"project": "credit", "limit": "0"}))
    assert code == 400


@pytest.mark.slow
async def test_a_started_run_succeeds_in_the_background(jp_fetch, lab_project) -> None:
    await post(jp_fetch, "approve", {"path": CHECK, "comment": "quick check"})
    started = await start(jp_fetch, {"project": "credit", "pipeline": "check", "parameters": {"repeat": 3}})
    run_id = started["run_id"]
    deadline = time.monotonic() + 240
    run = await get(jp_fetch, f"runs/{run_id}", project="credit")
    assert run["status"] in ("queued", "running", "succeeded")
    while run["status"] in ("queued", "running") and time.monotonic() < deadline:
        await asyncio.sleep(1)
        run = await get(jp_fetch, f"runs/{run_id}", project="credit")
    assert run["status"] == "succeeded", run
    assert (run["parameters"], run["trigger"]) == ({"repeat": 3, "greeting": "hello"}, "jupyterlab")
    [step] = run["steps"]
    assert step["status"] == "succeeded" and step["seconds"] > 0 and step["cpu_seconds"] is not None
    assert step["output_path"].startswith(f"credit/.workbench/executed/{run_id}/")
    executed = lab_project.root.parent / step["output_path"]
    assert "hello hello hello" in executed.read_text()
    listed = await get(jp_fetch, "runs", project="credit")
    assert [r["run_id"] for r in listed["runs"]] == [run_id]
    page = await get(jp_fetch, f"runs/{run_id}/output", project="credit", step="greet")
    assert "hello hello hello" in page["html"]
    code, body = await refused(
        jp_fetch("workbench", "api", "runs", run_id, "output", params={"project": "credit", "step": "nope"})
    )
    assert (code, body["message"]) == (404, f"Run {run_id} has no step 'nope'.")


async def test_cancel_a_queued_run_then_refusals(jp_fetch, lab_project) -> None:
    from workbench.pipelines import RunStore

    store = RunStore(lab_project)
    run_id = store.create_run(run_id="20260101T000000-abc123", pipeline="check", parameters={}, trigger="manual",
                              steps=[("greet", "notebooks/check.ipynb")])
    no_auth = {"Authorization": ""}
    code, _ = await refused(jp_fetch("workbench", "api", "runs", run_id, "cancel", method="POST", headers=no_auth,
                                     body=json.dumps({"project": "credit"})))
    assert code == 403 and store.get_run(run_id).status == "queued"
    cancelled = await post(jp_fetch, f"runs/{run_id}/cancel", {"project": "credit"})
    assert (cancelled["status"], cancelled["steps"][0]["status"]) == ("cancelled", "cancelled")
    assert cancelled["cancelled_by"] and cancelled["error"] == f"Cancelled by {cancelled['cancelled_by']} before it started."
    code, body = await refused(jp_fetch("workbench", "api", "runs", run_id, "cancel", method="POST",
                                        body=json.dumps({"project": "credit"})))
    assert (code, body["message"]) == (400, f"Run {run_id} has already finished (cancelled); there is nothing to cancel.")
    assert body["hint"] == "`workbench runs` lists the runs that are still queued or running."
    code, body = await refused(jp_fetch("workbench", "api", "runs", "20991231T000000-ffffff", "cancel", method="POST",
                                        body=json.dumps({"project": "credit"})))
    assert code == 404 and "No run '20991231T000000-ffffff'" in body["message"]

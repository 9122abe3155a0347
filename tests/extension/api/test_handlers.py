"""The ``/workbench/api/`` handlers, through a real Jupyter server (pytest-jupyter's ``jp_fetch``)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

GET_ENDPOINTS = [
    ("projects", {}),
    ("status", {"project": "credit"}),
    ("notebooks", {"project": "credit"}),
    ("notebook", {"path": "credit/notebooks/01_explore.ipynb"}),
    ("reports", {"project": "credit"}),
    ("reports/metrics", {"project": "credit"}),
]
POST_ENDPOINTS = [
    ("approve", {"path": "credit/notebooks/01_explore.ipynb", "comment": "ok"}),
    ("revoke", {"path": "credit/notebooks/01_explore.ipynb"}),
]


async def get(jp_fetch, endpoint: str, **params: str) -> dict:
    # Generous timeout: the first status call imports MLflow and creates its store (slow on a busy machine).
    response = await jp_fetch("workbench", "api", *endpoint.split("/"), params=params, request_timeout=120)
    assert response.code == 200
    return json.loads(response.body)


async def post(jp_fetch, endpoint: str, body: dict | str) -> dict:
    payload = body if isinstance(body, str) else json.dumps(body)
    response = await jp_fetch("workbench", "api", endpoint, method="POST", body=payload, request_timeout=120)
    assert response.code == 200
    return json.loads(response.body)


async def refused(call) -> tuple[int, dict]:
    """The status and JSON body of a call that must fail."""
    with pytest.raises(HTTPClientError) as caught:
        await call
    body = caught.value.response.body if caught.value.response is not None else b"{}"
    return caught.value.code, json.loads(body or b"{}")


@pytest.mark.parametrize(("endpoint", "params"), GET_ENDPOINTS)
async def test_get_refuses_unauthenticated_calls(jp_fetch, lab_project, endpoint, params) -> None:
    code, _ = await refused(
        jp_fetch("workbench", "api", *endpoint.split("/"), params=params, headers={"Authorization": ""})
    )
    assert code == 403


@pytest.mark.parametrize(("endpoint", "body"), POST_ENDPOINTS)
async def test_post_refuses_unauthenticated_calls(jp_fetch, lab_project, endpoint, body) -> None:
    code, _ = await refused(
        jp_fetch("workbench", "api", endpoint, method="POST", body=json.dumps(body), headers={"Authorization": ""})
    )
    assert code == 403
    assert not (lab_project.root / "approvals.json").exists()


async def test_projects_lists_the_project_under_the_root(jp_fetch, lab_project) -> None:
    listed = await get(jp_fetch, "projects")
    assert listed["projects"] == [{"path": "credit", "name": lab_project.name}]


async def test_status_has_six_phases_in_order(jp_fetch, lab_project) -> None:
    status = await get(jp_fetch, "status", project="credit")
    assert [p["title"] for p in status["phases"]] == [
        "Explore", "Evaluate", "Develop", "Package", "Deploy", "Monitor",
    ]
    assert {p["state"] for p in status["phases"]} == {"not run"}
    assert status["phases"][0]["path"] == "credit/notebooks/01_explore.ipynb"
    assert status["phases"][0]["purpose"].startswith("Profile the data")
    assert "Run notebooks/01_explore.ipynb" in status["next_step"]


async def test_notebooks_show_phase_and_state(jp_fetch, lab_project) -> None:
    listed = await get(jp_fetch, "notebooks", project="credit")
    by_path = {n["path"]: n for n in listed["notebooks"]}
    explore = by_path["credit/notebooks/01_explore.ipynb"]
    assert (explore["phase"], explore["state"], explore["project_path"]) == ("explore", "none", "credit")
    phases = {n["notebook"]: n["phase"] for n in listed["notebooks"]}
    assert phases["notebooks/06_monitor.ipynb"] == "monitor"
    assert phases["notebooks/check.ipynb"] == "monitor"
    assert phases["notebooks/stakeholder.ipynb"] is None


async def test_approve_then_edit_shows_changed_then_revoke(jp_fetch, lab_project) -> None:
    path = "credit/notebooks/02_evaluate.ipynb"
    approved = await post(jp_fetch, "approve", {"path": path, "comment": "reviewed the split", "by": "ana"})
    assert approved["state"] == "approved"
    recorded_by = approved["approval"]["approved_by"]  # the server's user; the stated name only labelled
    assert recorded_by.endswith(" (stated: ana)") and not recorded_by.startswith("ana")
    assert approved["approval"]["comment"] == "reviewed the split"
    recorded = json.loads((lab_project.root / "approvals.json").read_text())["approvals"]
    assert recorded["notebooks/02_evaluate.ipynb"]["comment"] == "reviewed the split"

    notebook_file = lab_project.root / "notebooks" / "02_evaluate.ipynb"
    nb = nbformat.read(notebook_file, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('an edit after approval')"))
    nbformat.write(nb, notebook_file)

    one = await get(jp_fetch, "notebook", path=path)
    assert (one["state"], one["phase"], one["approved_by"]) == ("changed", "evaluate", recorded_by)
    listed = await get(jp_fetch, "notebooks", project="credit")
    assert {n["path"]: n["state"] for n in listed["notebooks"]}[path] == "changed"

    revoked = await post(jp_fetch, "revoke", {"path": path})
    assert (revoked["revoked"], revoked["state"]) == (True, "none")


async def test_rerun_outputs_keep_the_approval(jp_fetch, lab_project) -> None:
    path = "credit/notebooks/01_explore.ipynb"
    await post(jp_fetch, "approve", {"path": path, "comment": ""})
    notebook_file = lab_project.root / "notebooks" / "01_explore.ipynb"
    nb = nbformat.read(notebook_file, as_version=4)
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", text="new output\n")]
    nbformat.write(nb, notebook_file)
    assert (await get(jp_fetch, "notebook", path=path))["state"] == "approved"


@pytest.mark.parametrize("content", ["{not json", "[]", '{"nbformat": 4, "nbformat_minor": 5}'])
async def test_an_unreadable_notebook_is_listed_as_unreadable(jp_fetch, lab_project, jp_root_dir, content) -> None:
    (lab_project.root / "notebooks" / "00_broken.ipynb").write_text(content)
    listed = await get(jp_fetch, "notebooks", project="credit")
    by_path = {n["path"]: n for n in listed["notebooks"]}
    broken = by_path.pop("credit/notebooks/00_broken.ipynb")
    assert (broken["state"], broken["phase"], broken["notebook"]) == ("unreadable", None, "notebooks/00_broken.ipynb")
    assert broken["reason"].startswith("credit/notebooks/00_broken.ipynb is not a readable notebook: ")
    assert by_path["credit/notebooks/01_explore.ipynb"]["state"] == "none" and len(by_path) == 8
    assert await get(jp_fetch, "notebook", path="credit/notebooks/00_broken.ipynb") == broken
    code, body = await refused(post(jp_fetch, "approve", {"path": "credit/notebooks/00_broken.ipynb"}))
    assert code == 400 and body["message"].startswith("credit/notebooks/00_broken.ipynb is not a readable")
    assert str(jp_root_dir) not in json.dumps([listed, body])


async def test_notebook_outside_a_project_has_no_state(jp_fetch, lab_project) -> None:
    one = await get(jp_fetch, "notebook", path="scratch/loose.ipynb")
    assert one == {"path": "scratch/loose.ipynb", "project_path": None, "phase": None, "state": None}
    code, body = await refused(post(jp_fetch, "approve", {"path": "scratch/loose.ipynb"}))
    assert code == 400
    assert "not inside a Workbench project" in body["message"]


TRAVERSALS = [
    ("notebook", {"path": "../outside.ipynb"}),
    ("notebook", {"path": "credit/../../outside.ipynb"}),
    ("notebook", {"path": "/etc/passwd.ipynb"}),
    ("status", {"project": ".."}),
    ("notebooks", {"project": "credit/../.."}),
    ("reports", {"project": "../.."}),
]


@pytest.mark.parametrize(("endpoint", "params"), TRAVERSALS)
async def test_get_refuses_paths_outside_the_root(jp_fetch, lab_project, jp_root_dir, endpoint, params) -> None:
    outside = Path(jp_root_dir).parent / "outside.ipynb"
    outside.write_text(Path(lab_project.root / "notebooks" / "01_explore.ipynb").read_text())
    code, body = await refused(jp_fetch("workbench", "api", endpoint, params=params))
    assert code == 400
    assert "outside the server's root folder" in body["message"] or "not a relative path" in body["message"]


async def test_approve_refuses_a_path_outside_the_root(jp_fetch, lab_project, jp_root_dir) -> None:
    outside = Path(jp_root_dir).parent / "outside.ipynb"
    outside.write_text(Path(lab_project.root / "notebooks" / "01_explore.ipynb").read_text())
    code, body = await refused(post(jp_fetch, "approve", {"path": "../outside.ipynb", "comment": "x"}))
    assert code == 400
    assert "'path' = '../outside.ipynb' points outside the server's root folder." in body["message"]
    assert not (lab_project.root / "approvals.json").exists()


async def test_symlink_out_of_the_root_is_refused(jp_fetch, lab_project, jp_root_dir) -> None:
    outside = Path(jp_root_dir).parent / "secret"
    outside.mkdir()
    (outside / "x.ipynb").write_text("{}")
    (Path(jp_root_dir) / "link").symlink_to(outside)
    code, _ = await refused(jp_fetch("workbench", "api", "notebook", params={"path": "link/x.ipynb"}))
    assert code == 400


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("not json", 400, "The request body is not valid JSON"),
        ("[1, 2]", 400, "must be a JSON object, got list"),
        ({"comment": "x"}, 400, "'path' must be a string path"),
        ({"path": 7}, 400, "'path' must be a string path"),
        ({"path": "credit/workbench.toml"}, 400, "is not a notebook (.ipynb)"),
        ({"path": "credit/notebooks/missing.ipynb"}, 404, "No notebook at"),
        ({"path": "credit/notebooks/01_explore.ipynb", "comment": 5}, 400, "'comment' must be a string"),
        ({"path": "credit/notebooks/01_explore.ipynb", "comment": "x" * 2001}, 400, "at most 2000"),
    ],
)
async def test_approve_bad_input_is_a_4xx_with_a_message(jp_fetch, lab_project, body, status, message) -> None:
    code, answer = await refused(post(jp_fetch, "approve", body))
    assert code == status
    assert message in answer["message"]


async def test_missing_project_is_a_404(jp_fetch, lab_project) -> None:
    code, body = await refused(jp_fetch("workbench", "api", "status", params={"project": "scratch"}))
    assert code == 404
    assert "No Workbench project in 'scratch'" in body["message"]
    assert "workbench init" in body["hint"]


async def test_reports_list_and_read(jp_fetch, lab_project) -> None:
    from workbench.reports.gates import GateReport, GateResult

    report = GateReport(
        phase="explore",
        results=(GateResult(name="max_missing_share", passed=True, value=0.1, threshold=0.6,
                            comparison="<=", reason="missing share 0.10 <= 0.60"),),
    )
    folder = lab_project.root / ".workbench" / "reports"
    folder.mkdir(parents=True)
    report.save(folder / "gates-explore.json")
    listed = await get(jp_fetch, "reports", project="credit")
    assert [r["name"] for r in listed["reports"]] == ["gates-explore"]
    loaded = await get(jp_fetch, "reports/gates-explore", project="credit")
    assert loaded["results"][0]["reason"] == "missing share 0.10 <= 0.60"
    code, body = await refused(jp_fetch("workbench", "api", "reports", "metrics", params={"project": "credit"}))
    assert (code, body["message"]) == (404, "No report called 'metrics' in this project yet.")
    code, _ = await refused(jp_fetch("workbench", "api", "reports", "..%2Fx", params={"project": "credit"}))
    assert code in (400, 404)

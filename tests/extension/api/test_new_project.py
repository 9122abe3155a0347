"""The New project form's handlers (``datafiles``, ``columns``, ``POST projects``) through a real Jupyter server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_handlers import get, refused


@pytest.fixture
def wine_csv(jp_root_dir: Path) -> Path:
    """scikit-learn's wine data (multiclass) as a CSV under the server root, with a derived sensitive column."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    frame["alcohol_band"] = (frame["alcohol"] > frame["alcohol"].median()).map({True: "high", False: "low"})
    path = jp_root_dir / "data" / "wine.csv"
    path.parent.mkdir()
    frame.to_csv(path, index=False)
    return path


async def create(jp_fetch, body: dict | str):
    payload = body if isinstance(body, str) else json.dumps(body)
    return await jp_fetch("workbench", "api", "projects", method="POST", body=payload, request_timeout=300)


@pytest.mark.parametrize(("endpoint", "params"), [("datafiles", {}), ("columns", {"path": "data/wine.csv"})])
async def test_form_reads_refuse_unauthenticated_calls(jp_fetch, wine_csv, endpoint, params) -> None:
    code, _ = await refused(jp_fetch("workbench", "api", endpoint, params=params, headers={"Authorization": ""}))
    assert code == 403


async def test_creating_refuses_unauthenticated_calls(jp_fetch, wine_csv, jp_root_dir) -> None:
    body = json.dumps({"data": "data/wine.csv", "target": "target", "directory": "wine"})
    code, _ = await refused(jp_fetch("workbench", "api", "projects", method="POST", body=body,
                                     headers={"Authorization": ""}))
    assert code == 403 and not (jp_root_dir / "wine").exists()


async def test_data_files_and_their_columns(jp_fetch, wine_csv, jp_root_dir) -> None:
    (jp_root_dir / ".hidden").mkdir()
    (jp_root_dir / ".hidden" / "secret.csv").write_text("a\n1\n")
    (jp_root_dir / "notes.txt").write_text("not data")
    (jp_root_dir / "old" / "data").mkdir(parents=True)
    (jp_root_dir / "old" / "workbench.toml").write_text("[project]\nname = 'old'\n")
    (jp_root_dir / "old" / "data" / "train.csv").write_text("a\n1\n")  # a project's own data is not offered
    listed = await get(jp_fetch, "datafiles")
    assert listed == {"files": ["data/wine.csv"], "truncated": False}

    columns = await get(jp_fetch, "columns", path="data/wine.csv")
    import pandas as pd

    frame = pd.read_csv(wine_csv)
    assert [c["name"] for c in columns["columns"]] == list(frame.columns)
    assert {c["name"]: c["dtype"] for c in columns["columns"]} == {name: str(t) for name, t in frame.dtypes.items()}
    assert columns["path"] == "data/wine.csv"


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"path": "../outside.csv"}, 400, "'data' = '../outside.csv' points outside the server's root folder."),
    ({"path": "notes.txt"}, 400, "'data' = 'notes.txt' is not a CSV or Parquet file."),
    ({"path": "data/missing.csv"}, 404, "No data file at 'data/missing.csv'."),
    ({}, 400, "'data' is required: a non-empty string, got None."),
])
async def test_columns_of_a_bad_path_are_refused_with_the_reason(jp_fetch, wine_csv, jp_root_dir, params, status,
                                                                 message) -> None:
    (jp_root_dir / "notes.txt").write_text("not data")
    code, body = await refused(jp_fetch("workbench", "api", "columns", params=params))
    assert (code, body["message"]) == (status, message)


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"task": "clustering"}, 400, "'task' = 'clustering' is not one of auto, binary, multiclass, regression."),
    ({"target": ""}, 400, "'target' is required: a non-empty string, got ''."),
    ({"directory": "../elsewhere"}, 400, "'directory' = '../elsewhere' points outside the server's root folder."),
    ({"sensitive": {"a": 1}}, 400, "'sensitive' must be a list of at most 20 column names, got {'a': 1}."),
    ({"data": "data/wine.txt"}, 400, "'data' = 'data/wine.txt' is not a CSV or Parquet file."),
])
async def test_bad_form_values_are_refused_before_anything_is_written(jp_fetch, wine_csv, jp_root_dir, change, status,
                                                                      message) -> None:
    body = {"data": "data/wine.csv", "target": "target", "task": "auto", "sensitive": [], "directory": "wine",
            **change}
    code, answer = await refused(create(jp_fetch, body))
    assert (code, answer["message"]) == (status, message)
    assert not (jp_root_dir / "wine").exists()


async def test_a_folder_that_holds_a_project_is_refused(jp_fetch, wine_csv, jp_root_dir) -> None:
    (jp_root_dir / "wine").mkdir()
    (jp_root_dir / "wine" / "workbench.toml").write_text("[project]\nname = 'kept'\n")
    body = {"data": "data/wine.csv", "target": "target", "directory": "wine"}
    code, answer = await refused(create(jp_fetch, body))
    assert (code, answer["message"]) == (409, "'wine' already holds a Workbench project.")
    assert (jp_root_dir / "wine" / "workbench.toml").read_text() == "[project]\nname = 'kept'\n"


async def test_a_project_is_created_from_the_data_and_listed(jp_fetch, wine_csv, jp_root_dir) -> None:
    body = {"data": "data/wine.csv", "target": "target", "task": "auto", "sensitive": ["alcohol_band"],
            "directory": "wine"}
    response = await create(jp_fetch, body)
    assert response.code == 201
    created = json.loads(response.body)
    assert created["project_path"] == "wine" and created["task"] == "multiclass"
    assert created["target"] == "target" and created["sensitive"] == ["alcohol_band"]
    listed = await get(jp_fetch, "projects")
    assert {"path": "wine", "name": created["name"]} in listed["projects"]
    status = await get(jp_fetch, "status", project="wine")
    assert {p["state"] for p in status["phases"]} == {"not run"}


async def test_what_init_refuses_comes_back_as_its_message(jp_fetch, wine_csv, jp_root_dir) -> None:
    body = {"data": "data/wine.csv", "target": "no_such_column", "directory": "wine"}
    code, answer = await refused(create(jp_fetch, body))
    assert 400 <= code < 500 and "no_such_column" in answer["message"]
    assert not (jp_root_dir / "wine" / "workbench.toml").exists()

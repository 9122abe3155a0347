"""Hostile requests to the Jupyter server extension (``/workbench/api/``), through a real server.

The caller holds the server's token: it may approve, but not in someone else's name; no body it
sends is a 500; no link in the project makes the server read outside the folder it shows.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import nbformat
import pytest

from workbench.pipelines.approval import default_approver

REPO = Path(__file__).resolve().parents[2]
CONFIG = '[project]\nname = "tiny"\n\n[data]\npath = "data.csv"\ntarget = "y"\n'


def _project(folder: Path) -> None:
    (folder / "notebooks").mkdir(parents=True)
    (folder / "workbench.toml").write_text(CONFIG)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("print('reviewed')")]
    nbformat.write(nb, folder / "notebooks" / "01_check.ipynb")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[SimpleNamespace]:
    """A Jupyter server with the workbench extension over a root holding the project ``proj``, the project
    ``linked`` (its notebooks/ a link out of the root) and a report linked out of the root."""
    base = tmp_path_factory.mktemp("jupyter")
    root, outside, home = base / "root", base / "outside", base / "home"
    _project(root / "proj")
    _project(outside / "elsewhere")
    (outside / "secret.json").write_text(json.dumps({"token": "outside-the-root"}))
    (root / "linked" / "notebooks").mkdir(parents=True)
    (root / "linked" / "workbench.toml").write_text(CONFIG)
    (root / "linked" / "notebooks").rmdir()
    (root / "linked" / "notebooks").symlink_to(outside / "elsewhere" / "notebooks", target_is_directory=True)
    reports = root / "proj" / ".workbench" / "reports"
    reports.mkdir(parents=True)
    (reports / "metrics.json").symlink_to(outside / "secret.json")
    (home / ".jupyter").mkdir(parents=True)
    (home / ".jupyter" / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"workbench.jupyter": True}}}))
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
           "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
    token, port = secrets.token_hex(16), _free_port()
    log = (base / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}/workbench/api", timeout=120,
                          headers={"Authorization": f"token {token}"})
    try:
        deadline = time.time() + 120
        while True:
            assert proc.poll() is None, (base / "server.log").read_text()[-3000:]
            try:
                if client.get("/projects").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.time() < deadline, "the Jupyter server did not answer within 120 s"
            time.sleep(0.3)
        yield SimpleNamespace(client=client, root=root, outside=outside)
    finally:
        client.close()
        proc.terminate()
        proc.wait(30)
        log.close()


def test_an_approval_records_the_server_user_not_the_name_the_client_sends(server):
    answer = server.client.post("/approve", json={"path": "proj/notebooks/01_check.ipynb", "comment": "ok",
                                                  "by": "the-ceo"})
    assert answer.status_code == 200, answer.text
    recorded = answer.json()["approval"]["approved_by"]
    assert recorded == f"{default_approver(server.root / 'proj')} (stated: the-ceo)"
    stored = json.loads((server.root / "proj" / "approvals.json").read_text())["approvals"]
    assert stored["notebooks/01_check.ipynb"]["approved_by"] == recorded


@pytest.mark.parametrize("body", [
    '{"path": "proj/notebooks/01_check.ipynb", "comment": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"path": "proj/notebooks/01_check.ipynb", "x": ' + "[" * 40 + "]" * 40 + "}",
    '{"path": "proj/notebooks/01_check.ipynb", "x": ' + "9" * 5000 + "}",
])
def test_hostile_json_bodies_are_400_not_500(server, body):
    for endpoint in ("/approve", "/revoke", "/runs"):
        answer = server.client.post(endpoint, content=body)
        assert answer.status_code == 400, (endpoint, answer.status_code, answer.text[:300])
        assert answer.json()["message"].startswith("The request body ")


def test_a_notebooks_folder_linked_out_of_the_project_is_a_4xx(server):
    answer = server.client.get("/notebooks", params={"project": "linked"})
    assert answer.status_code == 400
    assert "notebooks/ leads outside the project folder" in answer.json()["message"]
    assert str(server.outside) not in answer.text


def test_a_report_linked_out_of_the_root_is_never_served(server):
    answer = server.client.get("/reports/metrics", params={"project": "proj"})
    assert answer.status_code == 403 and "outside-the-root" not in answer.text
    listed = server.client.get("/reports", params={"project": "proj"})
    assert listed.status_code == 200 and listed.json()["reports"] == []

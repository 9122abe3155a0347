"""Secrets a notebook logs as MLflow parameters never reach the tracking store in plain text."""

from __future__ import annotations

import nbformat
import pytest
import yaml

from workbench.pipelines import approve_notebook, run_pipeline
from workbench.project import Project
from workbench.redaction import REDACTED, looks_secret, redact_params
from workbench.tracking import Tracker

CONFIG = '[project]\nname = "tiny"\n\n[data]\npath = "data.csv"\ntarget = "y"\n'
TOKEN = "wh-7f3a9c2e41b8"
LOGGING_CELL = """\
import os
from workbench.project import Project
from workbench.tracking import Tracker

token = os.environ["WAREHOUSE_TOKEN"]
params = {"warehouse": f"postgresql://etl:{token}@db.internal/sales", "note": f"read with {token!r}",
          "db_password": "hunter2-pw", "max_depth": 3}
with Tracker(Project.load(project_dir, check_data=False)).start_run("evaluate", params=params):
    pass
"""


def _stored_params(project: Project) -> dict[str, str]:
    tracker = Tracker(project)
    [run] = tracker.client.search_runs([tracker.experiment_id])
    return dict(run.data.params)


@pytest.mark.slow
def test_a_pipeline_secret_logged_as_a_parameter_is_redacted_in_the_store(tmp_path, monkeypatch):
    root = tmp_path / "p"
    (root / "notebooks").mkdir(parents=True)
    (root / "workbench.toml").write_text(CONFIG)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('project_dir = "."')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(LOGGING_CELL)]
    nbformat.write(nb, root / "notebooks" / "load.ipynb")
    pipeline = {"secrets": ["WAREHOUSE_TOKEN"], "steps": [{"name": "load", "notebook": "notebooks/load.ipynb"}]}
    (root / "pipeline.yaml").write_text(yaml.safe_dump({"pipelines": {"load": pipeline}}))
    project = Project.load(root, check_data=False)
    approve_notebook(project, "notebooks/load.ipynb", by="reviewer")
    monkeypatch.setenv("WAREHOUSE_TOKEN", TOKEN)
    record = run_pipeline(project, "load")
    assert record.status == "succeeded", [s.error for s in record.steps]
    stored = _stored_params(project)
    assert stored == {"warehouse": "postgresql://etl:[secret WAREHOUSE_TOKEN]@db.internal/sales",
                      "note": "read with '[secret WAREHOUSE_TOKEN]'", "db_password": REDACTED, "max_depth": "3"}
    assert TOKEN not in (project.state_dir / "mlflow.db").read_bytes().decode("latin-1")


@pytest.mark.parametrize("key", ["password", "db_password", "apiKey", "API-KEY", "HF_TOKEN", "client_secret",
                                 "aws_secret_access_key", "private_key", "Authorization", "passwd", "dsn"])
def test_keys_that_name_a_secret(key):
    assert looks_secret(key)


@pytest.mark.parametrize("key", ["max_depth", "n_tokens", "tokenizer", "learning_rate", "keyword", "author",
                                 "monkey", "secretary_count"])
def test_ordinary_keys_are_kept(key):
    assert not looks_secret(key)


def test_values_in_known_secret_forms_are_redacted_without_a_pipeline(tmp_path):
    (tmp_path / "workbench.toml").write_text(CONFIG)
    project = Project.load(tmp_path, check_data=False)
    with Tracker(project).start_run("explore", params={"source": "https://ana:pa55word@example.org/data.csv",
                                                       "header": "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x",
                                                       "api_token": 12345, "rows": 200}):
        pass
    stored = _stored_params(project)
    assert stored == {"source": f"https://ana:{REDACTED}@example.org/data.csv",
                      "header": f"Authorization: Bearer {REDACTED}", "api_token": REDACTED, "rows": "200"}
    assert redact_params({"x": "a-b"}, secrets={}) == {"x": "a-b"}

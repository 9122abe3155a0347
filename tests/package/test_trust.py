"""A bundle is trusted end to end: its registry anchor, its inference policy, its challenger alias,
and the service that serves it (workbench/package/verify.py, the pyfunc loader, `workbench serve`)."""

from __future__ import annotations

import json
import re
import shutil
from types import SimpleNamespace

import mlflow
import mlflow.pyfunc
import pytest
from fastapi.testclient import TestClient

from workbench.cli import main
from workbench.deploy import alias_history, create_app
from workbench.exceptions import InputError, TamperedBundleError
from workbench.package import load_bundle, package_model
from workbench.package.card import load_card_reports
from workbench.package.gates import package_gates
from workbench.package.manifest import MANIFEST_NAME, file_sha256, write_manifest
from workbench.package.verify import MANIFEST_TAG
from workbench.project import Project
from workbench.tracking import Tracker

from .conftest import copy_bundle


def _gated_config(text: str) -> str:
    """The demo config with the develop policy `unseen = "reject"` and no review needed to pass packaging."""
    for key in ("require_evaluate_gates", "require_card_reports"):
        text, count = re.subn(rf"^{key} = true", f"{key} = false", text, flags=re.M)
        assert count == 1, key
    return text + '\n[develop]\nunseen = "reject"\n'


@pytest.fixture(scope="module")
def registered(trained, tmp_path_factory) -> SimpleNamespace:
    """A copy of `trained` whose model is registered (alias `candidate`), packaged through `models:/`."""
    root = tmp_path_factory.mktemp("registered") / "proj"
    shutil.copytree(trained.project.root, root)
    config = root / "workbench.toml"
    config.write_text(_gated_config(config.read_text(encoding="utf-8")), encoding="utf-8")
    project = Project.load(root)
    tracker = Tracker(project)
    name = project.config.model_name
    version = str(mlflow.register_model(f"runs:/{trained.run_id}/model", name).version)
    tracker.client.set_registered_model_alias(name, "candidate", version)
    bundle = package_model(project, f"models:/{name}@candidate", root.parent / "bundle", policy={"max_rows": 500})
    return SimpleNamespace(project=project, tracker=tracker, name=name, version=version, bundle=bundle,
                           trained=trained)


def _record_with_unseen_category(bundle_path) -> tuple[dict, str]:
    schema = json.loads((bundle_path / "schema" / "input_schema.json").read_text())
    example = json.loads((bundle_path / "model" / "input_example.json").read_text())
    columns, data = example["columns"], example["data"][0]
    record = dict(zip(columns, data, strict=True))
    column = next(c["name"] for c in schema["columns"] if c["kind"] == "categorical" and c.get("categories"))
    record[column] = "never seen in training"
    return record, column


def test_packaging_a_registered_model_moves_the_challenger(registered):
    assert registered.bundle.gates.passed, registered.bundle.gates.summary()
    assert str(registered.bundle.version) == registered.version
    aliases = registered.tracker.client.get_registered_model(registered.name).aliases
    assert str(aliases["challenger"]) == registered.version
    move = alias_history(registered.project)[-1]
    assert (move["alias"], str(move["version"])) == ("challenger", registered.version)
    assert "packaged into" in move["reason"]


def test_the_policy_is_packaged_from_config_and_argument(registered):
    path = registered.bundle.path
    policy = json.loads((path / "policy.json").read_text())
    assert policy == {"unseen": "reject", "out_of_range": "clip", "non_finite": "missing", "max_rows": 500}
    assert "policy.json" in (path / MANIFEST_NAME).read_text()


def test_stock_mlflow_applies_the_packaged_policy(registered):
    record, column = _record_with_unseen_category(registered.bundle.path)
    model = mlflow.pyfunc.load_model(str(registered.bundle.path / "model"))
    with pytest.raises(InputError, match="unseen category") as err:
        model.predict([record])
    assert err.value.problems[0]["row"] == 0 and err.value.problems[0]["field"] == column
    with pytest.raises(InputError, match="at most 500"):
        model.predict([record] * 501)


def test_serving_the_bundle_applies_its_policy(registered, tmp_path):
    bundle = copy_bundle(registered.bundle.path, tmp_path / "bundle")
    project = Project.load(bundle / "serve", check_data=False)  # its own serving project: no registry record
    record, _ = _record_with_unseen_category(bundle)
    expected = file_sha256(bundle / MANIFEST_NAME)  # the anchor a container gets from its build argument
    with TestClient(create_app(project, str(bundle / "model"), expected_sha256=expected)) as client:
        assert client.get("/v1/model").json()["policy"]["unseen"] == "reject"
        assert client.post("/v1/predict", json=[record]).status_code == 422


def test_serving_a_tampered_bundle_is_refused(registered, tmp_path, capsys):
    bundle = copy_bundle(registered.bundle.path, tmp_path / "bundle")
    (bundle / "policy.json").write_text(json.dumps({"unseen": "keep"}))
    project = Project.load(bundle / "serve", check_data=False)
    with pytest.raises(TamperedBundleError, match=r"changed: policy\.json"):
        create_app(project, str(bundle / "model"))
    assert main(["serve", str(bundle / "model"), "-P", str(bundle / "serve")]) == 2
    err = capsys.readouterr().err
    assert "was modified after packaging and is refused" in err and "policy.json" in err


def test_the_registry_tag_anchors_the_manifest(registered, tmp_path, capsys):
    path = registered.bundle.path
    tag = registered.tracker.client.get_model_version(registered.name, registered.version).tags[MANIFEST_TAG]
    assert tag == file_sha256(path / MANIFEST_NAME)
    assert load_bundle(path, project=registered.project).anchored == f"registry version {registered.version}"
    # files and manifest rewritten together: the manifest alone agrees, the registry does not
    forged = copy_bundle(path, tmp_path / "forged")
    (forged / "policy.json").write_text(json.dumps({"unseen": "keep"}))
    write_manifest(forged)
    assert load_bundle(forged).anchored is None
    with pytest.raises(TamperedBundleError, match=r"No version of .* was packaged with the manifest"):
        load_bundle(forged, project=registered.project)
    with pytest.raises(TamperedBundleError, match=r"not .* recorded in the expected sha256"):
        load_bundle(forged, expected_sha256=tag)
    assert main(["verify", str(forged), "--expect", tag]) == 2
    assert "were rewritten after packaging" in capsys.readouterr().err
    assert main(["verify", str(path), "--expect", tag]) == 0
    assert "manifest matches the expected sha256" in capsys.readouterr().out
    assert main(["verify", str(forged), "-P", str(registered.project.root)]) == 2
    assert main(["verify", str(forged), "--expect", "nothex"]) == 2
    assert "is not a sha256" in capsys.readouterr().err


def test_served_forged_bundle_is_refused_when_the_registry_knows_it(registered, tmp_path):
    forged = copy_bundle(registered.bundle.path, tmp_path / "forged")
    (forged / "policy.json").write_text(json.dumps({"unseen": "keep"}))
    write_manifest(forged)
    with pytest.raises(TamperedBundleError, match="rewritten after packaging"):
        create_app(registered.project, str(forged / "model"))


def test_the_card_ignores_latest_reports_of_other_runs(demo_bundle, trained, tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    reports = root / ".workbench" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for name in ("metrics", "fairness", "explanation"):  # another model's reviews, left in the folder
        shutil.copy2(demo_bundle.project.state_dir / "reports" / f"{name}.json", reports / f"{name}.json")
    found, sources = load_card_reports(Tracker(project), trained.run_id)
    assert found == {"metrics": None, "fairness": None, "explanation": None}
    assert set(sources.values()) == {"not logged"}
    gates = package_gates(project, lineage={}, card_sources=sources, bundle_mb=1.0)
    assert not next(r for r in gates.results if r.name == "card_reports").passed

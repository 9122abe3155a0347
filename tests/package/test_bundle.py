"""Bundles: stock MLflow loads them in a fresh process; tampering and version drift are caught."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import subprocess
import sys
import textwrap

import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest

from workbench.deploy import alias_history
from workbench.evaluate import split_data
from workbench.exceptions import (
    EnvironmentMismatchError,
    EnvironmentMismatchWarning,
    TamperedBundleError,
)
from workbench.explore.fingerprint import fingerprint
from workbench.notebooks import content_hash
from workbench.package import load_bundle
from workbench.package.manifest import MANIFEST_NAME, file_sha256, write_manifest
from workbench.package.pins import read_model_pins

from .conftest import copy_bundle


def _rows(project, n: int = 20) -> pd.DataFrame:
    return split_data(project, project.load_data()).X_test.head(n).reset_index(drop=True)


@pytest.mark.slow
def test_stock_mlflow_loads_the_bundle_in_a_fresh_process(demo_bundle, tmp_path):
    rows = _rows(demo_bundle.project)
    hostile = rows.copy()
    hostile.loc[0, "region"] = "atlantis"  # a category never seen in training
    hostile.to_parquet(tmp_path / "rows.parquet")
    script = textwrap.dedent(f"""
        import mlflow.pyfunc, pandas as pd
        model = mlflow.pyfunc.load_model({str(demo_bundle.path / "model")!r})
        out = model.predict(pd.read_parquet({str(tmp_path / "rows.parquet")!r}))
        out.to_parquet({str(tmp_path / "out.parquet")!r})
        print(type(model._model_impl).__module__, model._model_impl.inference)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-2:] == ["workbench.package._pyfunc", "robust"]
    assert json.loads((demo_bundle.path / "bundle.json").read_text())["inference"] == "robust"
    out = pd.read_parquet(tmp_path / "out.parquet")
    schema = json.loads((demo_bundle.path / "schema" / "output_schema.json").read_text())
    assert list(out.columns) == [c["name"] for c in schema["columns"]]
    assert "region" in out.loc[0, "warnings"] and "atlantis" in out.loc[0, "warnings"]
    estimator = mlflow.sklearn.load_model(str(demo_bundle.path / "model"))
    clean = rows.iloc[1:]
    np.testing.assert_allclose(out["probability"].to_numpy()[1:], estimator.predict_proba(clean)[:, 1], rtol=1e-9)
    assert out["prediction"].tolist()[1:] == estimator.predict(clean).tolist()


def test_load_bundle_checks_then_predicts(demo_bundle):
    bundle = load_bundle(demo_bundle.path, project=demo_bundle.project)  # a WorkbenchWarning would fail the test
    assert bundle.mismatches == ()
    assert bundle.gates.passed and bundle.version
    out = bundle.predict(_rows(demo_bundle.project, 5))
    assert len(out) == 5 and out["probability"].between(0, 1).all()
    name = demo_bundle.project.config.model_name
    challenger = demo_bundle.tracker.client.get_model_version_by_alias(name, "challenger")
    assert str(challenger.version) == bundle.version
    moves = [e for e in alias_history(demo_bundle.project) if e["alias"] == "challenger"]
    assert moves[-1]["version"] == bundle.version and "packaged into" in moves[-1]["reason"]
    manifest_sha = hashlib.sha256((demo_bundle.path / MANIFEST_NAME).read_bytes()).hexdigest()
    assert challenger.tags["workbench.bundle_manifest_sha256"] == manifest_sha


def test_manifest_covers_every_file_in_sha256sum_format(demo_bundle):
    lines = (demo_bundle.path / MANIFEST_NAME).read_text().splitlines()
    recorded = dict(reversed(line.split("  ", 1)) for line in lines)
    files = {p.relative_to(demo_bundle.path).as_posix() for p in demo_bundle.path.rglob("*") if p.is_file()}
    assert set(recorded) == files - {MANIFEST_NAME}
    for rel, digest in recorded.items():
        assert hashlib.sha256((demo_bundle.path / rel).read_bytes()).hexdigest() == digest
    assert {"model/MLmodel", "model/model.skops", "Dockerfile", "k8s/deployment.yaml", "lineage.json"} <= files


def test_requirements_pin_every_package_at_its_installed_version(demo_bundle):
    pins = [line for line in (demo_bundle.path / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    parsed = dict(line.split("==") for line in pins)
    assert all("==" in line for line in pins) and len(parsed) == len(pins)
    for name in ("mlops-workbench", "scikit-learn", "mlflow", "fastapi", "uvicorn", "pandas"):
        assert parsed[name] == importlib.metadata.version(name)
    environment = json.loads((demo_bundle.path / "environment.json").read_text())
    trained_with = read_model_pins(demo_bundle.path / "model" / "requirements.txt")
    assert {k: environment["runtime"][k] for k in trained_with} == trained_with


def test_lineage_records_the_training_run(demo_bundle):
    lineage = json.loads((demo_bundle.path / "lineage.json").read_text())
    project, tracker = demo_bundle.project, demo_bundle.tracker
    run = tracker.client.get_run(lineage["run_id"])
    assert lineage["data_fingerprint"] == fingerprint(project.load_data()).tag == run.data.tags["workbench.data_fingerprint"]
    assert lineage["data_unchanged"] is True
    assert lineage["notebook"] == "notebooks/02_evaluate.ipynb"
    assert lineage["notebook_hash"] == content_hash(project.root / lineage["notebook"])
    assert lineage["params"]["learning_rate"] == "0.08"
    assert lineage["metrics"]["roc_auc"] == pytest.approx(run.data.metrics["roc_auc"])
    assert lineage["gates"]["passed"] and {r["name"] for r in lineage["gates"]["results"]} >= {"min_roc_auc"}
    assert "git_commit" in lineage
    training = lineage["approvals"][0]  # the demo pipeline runs approved notebooks; training's first
    assert (training["notebook"], training["state"]) == (lineage["notebook"], "approved")


def test_a_tampered_artifact_is_refused_naming_the_file(demo_bundle, tmp_path):
    bundle = copy_bundle(demo_bundle.path, tmp_path / "bundle")
    model_file = bundle / "model" / "model.skops"
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    with pytest.raises(TamperedBundleError, match=r"refused \(changed: model/model.skops\)") as err:
        load_bundle(bundle)
    assert err.value.files == ["model/model.skops"]
    with pytest.raises(TamperedBundleError, match=r"model/model\.skops"):
        mlflow.pyfunc.load_model(str(bundle / "model"))  # stock MLflow goes through the bundle's loader


def test_added_and_removed_files_are_refused(demo_bundle, tmp_path):
    bundle = copy_bundle(demo_bundle.path, tmp_path / "bundle")
    (bundle / "model" / "extra.pkl").write_bytes(b"\x80\x04")
    (bundle / "k8s" / "service.yaml").unlink()
    with pytest.raises(TamperedBundleError) as err:
        load_bundle(bundle)
    assert "missing: k8s/service.yaml" in str(err.value)
    assert "not in the manifest: model/extra.pkl" in str(err.value)
    (bundle / MANIFEST_NAME).unlink()
    with pytest.raises(TamperedBundleError, match=r"has no MANIFEST\.sha256"):
        load_bundle(bundle)


def _repinned(demo_bundle, tmp_path, **runtime):
    """A copy of the bundle as if packaged where ``runtime`` versions were installed (re-hashed)."""
    bundle = copy_bundle(demo_bundle.path, tmp_path / "bundle")
    environment = json.loads((bundle / "environment.json").read_text())
    environment["runtime"].update(runtime)
    (bundle / "environment.json").write_text(json.dumps(environment))
    write_manifest(bundle)
    return bundle


def test_a_version_mismatch_is_named_in_a_warning(demo_bundle, tmp_path):
    bundle = _repinned(demo_bundle, tmp_path, **{"scikit-learn": "0.0.1"})
    running = importlib.metadata.version("scikit-learn")
    with pytest.warns(EnvironmentMismatchWarning, match=f"scikit-learn is pinned to 0.0.1 but {running} is running"):
        loaded = load_bundle(bundle)
    assert [(m.package, m.pinned, m.running) for m in loaded.mismatches] == [("scikit-learn", "0.0.1", running)]


def test_strict_loading_refuses_a_version_mismatch(demo_bundle, tmp_path):
    bundle = _repinned(demo_bundle, tmp_path, numpy="1.0.0", **{"not-installed-pkg": "1.2.3"})
    with pytest.raises(EnvironmentMismatchError, match=r"numpy is pinned to 1\.0\.0") as err:
        load_bundle(bundle, strict=True, expected_sha256=file_sha256(bundle / MANIFEST_NAME))
    assert "not-installed-pkg is pinned to 1.2.3 but not installed is running" in str(err.value)
    assert {m["package"] for m in err.value.mismatches} == {"numpy", "not-installed-pkg"}


def test_not_a_bundle(tmp_path):
    from workbench.exceptions import ModelError

    with pytest.raises(ModelError, match="is not a model bundle"):
        load_bundle(tmp_path)


def test_a_rewritten_manifest_is_caught_by_the_registry_tag(demo_bundle, tmp_path):
    running = importlib.metadata.version("scikit-learn")
    bundle = _repinned(demo_bundle, tmp_path, **{"scikit-learn": running})  # files and manifest rewritten
    assert load_bundle(bundle).anchored is None  # the manifest alone agrees with the files
    with pytest.raises(TamperedBundleError, match=r"files and manifest were rewritten after packaging"):
        load_bundle(bundle, project=demo_bundle.project)
    genuine = load_bundle(demo_bundle.path, project=demo_bundle.project)
    assert genuine.anchored == f"registry version {genuine.version}"

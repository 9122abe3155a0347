"""Your own model's libraries travel with it: detected, pinned in the logged model and the bundle,
and enough to verify and predict in a fresh virtualenv built only from the bundle's requirements."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.environment import code_imports, estimator_modules, model_libraries
from workbench.package.pins import read_model_pins

lightgbm = pytest.importorskip("lightgbm")

REPO = Path(__file__).resolve().parents[2]
# The uv cache of the environment running pytest (conftest moves HOME for the tests): reusing it
# is what keeps a fresh virtualenv of a few hundred pinned packages quick to build.
OUTER_ENV = dict(os.environ)

MODEL_PY = '''\
"""The project's own model: a clipping step of ours, then LightGBM."""
import joblib  # not used by the estimator's objects: found only by reading this file
import lightgbm
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder


class ClipQuantiles(BaseEstimator, TransformerMixin):
    def __init__(self, quantile=0.99):
        self.quantile = quantile

    def fit(self, X, y=None):
        self.high_ = X.quantile(self.quantile).to_numpy()
        return self

    def transform(self, X):
        return X.clip(upper=self.high_, axis=1)


def build_model(params, numeric, categorical):
    encode = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
    columns = ColumnTransformer([("numbers", ClipQuantiles(), numeric), ("categories", encode, categorical)])
    booster = lightgbm.LGBMClassifier(n_estimators=params.get("n_estimators", 30), verbose=-1, random_state=0)
    return Pipeline([("columns", columns), ("model", booster)])
'''


def test_libraries_are_found_through_meta_estimators_functions_and_code(tmp_path: Path) -> None:
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import StackingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    inner = StackingClassifier([("lgbm", lightgbm.LGBMClassifier(n_estimators=3, verbose=-1))],
                               final_estimator=LogisticRegression())
    model = make_pipeline(make_column_transformer((FunctionTransformer(np.log1p), ["a"]), remainder="passthrough"),
                          inner)
    assert set(estimator_modules(model)) == {"sklearn", "numpy", "lightgbm"}

    code = tmp_path / "code"
    code.mkdir()
    (code / "model.py").write_text("import os\nimport joblib\nfrom helpers import scale\nfrom . import x\n")
    (code / "helpers.py").write_text("import json\nfrom scipy import special\n")
    assert code_imports(code) == {"joblib", "scipy"}  # stdlib, the folder's own modules and relative imports left out

    found = model_libraries(model, code_paths=[code])
    expected = {name: importlib.metadata.version(name) for name in ("lightgbm", "numpy", "scikit-learn", "joblib", "scipy")}
    assert found == dict(sorted(expected.items()))


@pytest.fixture(scope="module")
def own_model(tmp_path_factory):
    """A demo project whose model is its own model.py's pipeline (a class of ours + LightGBM),
    logged with the model file as code, and packaged with this checkout's wheel."""
    from workbench.evaluate import split_data
    from workbench.explore.schema import infer_schema
    from workbench.package import package_model
    from workbench.scaffold import init_project
    from workbench.tracking import Tracker

    base = tmp_path_factory.mktemp("own-model")
    project = init_project(base / "proj", rows=1500)
    (project.root / "model.py").write_text(MODEL_PY)
    split = split_data(project, project.load_data())
    sys.path.insert(0, str(project.root))
    sys.modules.pop("model", None)  # another test's model.py may already be imported under this name
    try:
        import model as own  # the project's model.py, as notebook 02 imports it

        numeric = list(split.X_train.select_dtypes("number").columns)
        categorical = [c for c in split.X_train.columns if c not in numeric]
        fitted = own.build_model({"n_estimators": 30}, numeric, categorical).fit(split.X_train, split.y_train)
        tracker = Tracker(project)
        with tracker.start_run("evaluate") as run:
            uri = run.log_model(fitted, input_example=split.X_test.head(3), schema=infer_schema(split.X_train),
                                code_paths=[project.root / "model.py"])
    finally:
        sys.path.remove(str(project.root))
        sys.modules.pop("model", None)
    wheel = _workbench_wheel(base / "wheel")
    bundle = package_model(project, uri, base / "bundle", wheels=(wheel,))
    return project, fitted, split, run.run_id, bundle, wheel


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    try:
        import uv  # noqa: F401
    except ImportError:
        pytest.skip("uv is not installed (pip install uv)")
    return [sys.executable, "-m", "uv"]


def _uv_env() -> dict[str, str]:
    cache = OUTER_ENV.get("UV_CACHE_DIR") or subprocess.run(
        [*_uv(), "cache", "dir"], env=OUTER_ENV, capture_output=True, text=True, check=True).stdout.strip()
    return {**os.environ, "UV_CACHE_DIR": cache, "VIRTUAL_ENV": ""}


def _workbench_wheel(out: Path) -> Path:
    """This checkout built as a wheel (the JupyterLab extension is reused when already built)."""
    done = subprocess.run([*_uv(), "build", "--wheel", "--out-dir", str(out), str(REPO)], env=_uv_env(),
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    [wheel] = out.glob("mlops_workbench-*.whl")
    return wheel


def _registry_sha256(project, bundle) -> str:
    """The manifest sha256 packaging tagged on the bundle's registered version."""
    from workbench.package.verify import MANIFEST_TAG
    from workbench.tracking import Tracker

    version = Tracker(project).client.get_model_version(project.config.model_name, bundle.version)
    return str(version.tags[MANIFEST_TAG])


def test_the_logged_model_pins_its_libraries_and_carries_its_code(own_model) -> None:
    project, _, _, run_id, bundle, _ = own_model
    from workbench.tracking import Tracker

    local = Path(Tracker(project).client.download_artifacts(run_id, "model", str(project.state_dir / "dl")))
    pins = read_model_pins(local / "requirements.txt")
    assert pins["lightgbm"] == importlib.metadata.version("lightgbm")
    assert pins["joblib"] == importlib.metadata.version("joblib")  # imported by model.py only
    assert (local / "code" / "model.py").read_text() == MODEL_PY
    assert (bundle.path / "model" / "code" / "model.py").read_text() == MODEL_PY

    runtime, install = bundle.environment["runtime"], bundle.environment["install"]
    assert runtime["lightgbm"] == install["lightgbm"] == importlib.metadata.version("lightgbm")
    requirements = (bundle.path / "requirements.txt").read_text().splitlines()
    assert f"lightgbm=={importlib.metadata.version('lightgbm')}" in requirements
    for dependency in importlib.metadata.requires("lightgbm") or []:
        if "extra ==" not in dependency:  # lightgbm's own dependencies come along, pinned
            name = dependency.split(">")[0].split("=")[0].split("<")[0].split(";")[0].strip().lower()
            assert any(line.lower().startswith(f"{name}==") for line in requirements), name


@pytest.mark.slow
def test_the_bundle_verifies_and_predicts_in_a_fresh_virtualenv(own_model, tmp_path: Path) -> None:
    """`workbench verify --strict` and a prediction where only the bundle's pins (and the workbench
    wheel) are installed: what the container does, without docker."""
    project, fitted, split, _, bundle, wheel = own_model
    venv = tmp_path / "venv"
    env = _uv_env()
    python = venv / "bin" / "python"
    subprocess.run([*_uv(), "venv", "-q", "--python", sys.executable, str(venv)], env=env, check=True, timeout=300)
    pins = [line for line in (bundle.path / "requirements.txt").read_text().splitlines()
            if not line.startswith("mlops-workbench==")]
    (tmp_path / "pins.txt").write_text("\n".join(pins) + "\n")
    install = subprocess.run(
        [*_uv(), "pip", "install", "-q", "--python", str(python), "--no-deps", "-r", str(tmp_path / "pins.txt"),
         str(wheel)], env=env, capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, install.stderr[-3000:]
    check = subprocess.run([*_uv(), "pip", "check", "--python", str(python)], env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]

    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    expected = _registry_sha256(project, bundle)  # what the container build is given (--build-arg)
    verify = subprocess.run([str(venv / "bin" / "workbench"), "verify", "--strict", "--expect", expected,
                             str(bundle.path)], cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=600)
    assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-3000:]
    assert "sha256 verified; inference: robust" in verify.stdout and "manifest matches the expected sha256" in verify.stdout

    rows = split.X_test.head(20)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    script = textwrap.dedent(f"""
        import json, sys
        import mlflow.pyfunc, pandas as pd
        assert "lightgbm" not in sys.modules
        model = mlflow.pyfunc.load_model({str(bundle.path / "model")!r})
        out = model.predict(pd.read_csv({str(tmp_path / "rows.csv")!r}))
        print(json.dumps({{"probability": out["probability"].tolist(), "lightgbm": sys.modules["lightgbm"].__file__}}))
    """)
    predicted = subprocess.run([str(python), "-c", script], cwd=tmp_path, env=clean, capture_output=True, text=True,
                               timeout=600)
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    answer = json.loads(predicted.stdout.strip().splitlines()[-1])
    assert answer["lightgbm"].startswith(str(venv))
    expected = fitted.predict_proba(pd.read_csv(tmp_path / "rows.csv"))[:, 1]
    np.testing.assert_allclose(answer["probability"], expected, rtol=1e-9, atol=1e-12)

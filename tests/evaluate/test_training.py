"""Training by task: the checked split, the default pipeline per task, and a project's own model.py."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from workbench.evaluate import (
    build_pipeline,
    evaluate_model,
    split_data,
    train_model,
    train_project_model,
)
from workbench.exceptions import DataError, ModelError
from workbench.tracking import Tracker

from .conftest import diabetes_frame, make_project, wine_frame

# A model.py with a class of its own: it must load again in another process.
OWN_REGRESSOR = """
    import numpy as np
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline


    class Winsorizer(BaseEstimator, TransformerMixin):
        \"\"\"Clip each column to its training quantiles.\"\"\"

        def __init__(self, quantile=0.01):
            self.quantile = quantile

        def fit(self, X, y=None):
            values = np.asarray(X, dtype=float)
            self.low_ = np.quantile(values, self.quantile, axis=0)
            self.high_ = np.quantile(values, 1 - self.quantile, axis=0)
            return self

        def transform(self, X):
            return np.clip(np.asarray(X, dtype=float), self.low_, self.high_)


    def build_model(params):
        return Pipeline([("clip", Winsorizer(params.get("quantile", 0.01))), ("ridge", Ridge(alpha=params.get("alpha", 1.0)))])
"""


def test_the_split_follows_the_task(tmp_path) -> None:
    wine = make_project(tmp_path / "wine", wine_frame(), target="cultivar", task="multiclass")
    split = split_data(wine, wine.load_data())
    assert split.task == "multiclass" and len(split.X_test) == 45 and "cultivar" not in split.X_train
    train_share = split.y_train.value_counts(normalize=True).sort_index()
    test_share = split.y_test.value_counts(normalize=True).sort_index()
    assert np.abs(train_share - test_share).max() < 0.03  # stratified
    diabetes = make_project(tmp_path / "diabetes", diabetes_frame(), target="progression", task="regression")
    assert split_data(diabetes, diabetes.load_data()).task == "regression"


def test_default_pipeline_per_task(tmp_path) -> None:
    wine = make_project(tmp_path / "wine", wine_frame(), target="cultivar", task="multiclass")
    split = split_data(wine, wine.load_data())
    model = train_model(split, max_iter=20)
    assert isinstance(model.named_steps["model"], HistGradientBoostingClassifier)
    assert list(model.classes_) == ["barbera", "barolo", "grignolino"]
    assert isinstance(build_pipeline(split.X_train, task="regression").named_steps["model"], HistGradientBoostingRegressor)
    assert isinstance(build_pipeline(split.X_train, task="classification").named_steps["model"], HistGradientBoostingClassifier)


def test_a_regression_target_trains_in_seconds(tmp_path) -> None:
    project = make_project(tmp_path / "diabetes", diabetes_frame(), target="progression", task="regression")
    split = split_data(project, project.load_data())
    started = time.perf_counter()
    model = train_project_model(project, split, params={"learning_rate": 0.08, "max_iter": 200})
    elapsed = time.perf_counter() - started
    assert isinstance(model.named_steps["model"], HistGradientBoostingRegressor) and model.named_steps["model"].n_iter_ == 200
    report = evaluate_model(model, split.X_test, split.y_test, X_train=split.X_train, y_train=split.y_train, n_bootstrap=20)
    assert report.task == "regression" and report.margin_over("baseline") > 0
    assert elapsed < 30, f"training took {elapsed:.1f} s"  # loose: ~0.3 s alone, a few s on a busy machine


@pytest.mark.parametrize(
    ("values", "task", "message"),
    [
        (["a"] * 40, "binary", r"The target column 'label' has a single class \('a'\): there is nothing to tell apart"),
        (["a", "b", None, "a"] * 10, "binary", r"The target column 'label' has 10 missing values\. Drop the unlabelled rows"),
        (["a"] * 20 + ["b"] * 17 + ["c"] * 3, "multiclass",
         r"The target column 'label' has classes too small to split into training and test rows: 'c' \(3 rows\)\. "
         r"Each class needs at least 5 rows"),
        ([1.5, 2.0, np.inf, 3.25] * 10, "regression",
         r"The target column 'label' has 10 infinite values\. Drop or correct those rows"),
    ],
    ids=["one-class", "missing-labels", "tiny-class", "infinities"],
)
def test_a_target_the_task_cannot_learn_is_refused_by_name(tmp_path, values, task, message) -> None:
    frame = pd.DataFrame({"x": np.arange(len(values), dtype=float), "label": values})
    project = make_project(tmp_path / "proj", frame, target="label", task=task)
    with pytest.raises(DataError, match=message) as caught:
        split_data(project, project.load_data())
    assert caught.value.column == "label"


def test_a_frame_without_the_target_column_is_named(tmp_path) -> None:
    project = make_project(tmp_path / "proj", wine_frame(), target="cultivar", task="multiclass")
    with pytest.raises(DataError, match=r"The target column 'cultivar' is not in the data\. Set \[data\] target"):
        split_data(project, project.load_data().drop(columns="cultivar"))


def test_own_model_is_trained_and_its_class_loads_in_another_process(tmp_path) -> None:
    project = make_project(tmp_path / "proj", diabetes_frame(), target="progression", task="regression", model_code=OWN_REGRESSOR)
    split = split_data(project, project.load_data())
    model = train_project_model(project, split, params={"alpha": 0.5})
    assert isinstance(model, Pipeline) and type(model.named_steps["clip"]).__module__ == "model"
    assert model.named_steps["ridge"].alpha == 0.5
    with Tracker(project).start_run("evaluate") as run:
        uri = run.log_model(model, input_example=split.X_test.head(3))
    rows = split.X_test.head(5)
    code = (
        "import io, json, sys, mlflow, mlflow.pyfunc, mlflow.sklearn, pandas as pd\n"
        "mlflow.set_tracking_uri(sys.argv[1])\n"
        "rows = pd.read_json(io.StringIO(sys.argv[3]), orient='split')\n"
        "model = mlflow.sklearn.load_model(sys.argv[2])\n"
        "served = mlflow.pyfunc.load_model(sys.argv[2])\n"
        "print(json.dumps([type(model.named_steps['clip']).__name__, list(model.predict(rows)), list(served.predict(rows))]))\n"
    )
    other = tmp_path / "elsewhere"  # no model.py on this process's path but the model's own copy
    other.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", code, f"sqlite:///{project.state_dir / 'mlflow.db'}", uri, rows.to_json(orient="split", double_precision=15)],
        cwd=other, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    name, loaded, served = json.loads(done.stdout.strip().splitlines()[-1])
    assert name == "Winsorizer"
    assert loaded == pytest.approx(list(model.predict(rows)), rel=1e-12) and served == pytest.approx(loaded, rel=1e-12)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("x = 1\n", r"model\.py has no build_model function\. Define `def build_model\(params: dict\):`"),
        ("def build_model(params):\n    raise ValueError('no such depth')\n",
         r"build_model\(\{'max_iter': 5\}\) in .*model\.py raised ValueError: no such depth\. Fix build_model"),
        ("def build_model(params):\n    return 'a model'\n",
         r"build_model in .*model\.py returned str \('a model'\), which has no fit or predict method\. "
         r"Return an unfitted scikit-learn-compatible estimator"),
        ("from sklearn.linear_model import Ridge\ndef build_model(params):\n    return Ridge()\n",
         r"build_model in .*model\.py returned a regressor \(Ridge\), but the project's task is multiclass classification\. "
         r"Return a classifier"),
        ("def build_model(params)\n    return None\n", r"model\.py failed to run: SyntaxError: .*Fix model\.py"),
        ("from sklearn.linear_model import LogisticRegression\n"
         "def build_model(params):\n    return LogisticRegression(C=-1.0)\n",
         r"Fitting the model from .*model\.py failed: InvalidParameterError: .*Check that build_model's estimator"),
    ],
    ids=["no-build-model", "raises", "not-an-estimator", "wrong-kind", "syntax-error", "fit-fails"],
)
def test_a_broken_model_py_is_named(tmp_path, code, message) -> None:
    project = make_project(tmp_path / "proj", wine_frame(), target="cultivar", task="multiclass", model_code=code)
    split = split_data(project, project.load_data())
    with pytest.raises(ModelError, match=message):
        train_project_model(project, split, params={"max_iter": 5})


def test_an_own_classifier_without_probabilities_is_refused_at_the_review(tmp_path) -> None:
    code = "from sklearn.svm import LinearSVC\ndef build_model(params):\n    return LinearSVC()\n"
    project = make_project(tmp_path / "proj", wine_frame(), target="cultivar", task="multiclass", model_code=code)
    split = split_data(project, project.load_data())
    model = train_project_model(project, split)
    with pytest.raises(ModelError, match=r"The model \(LinearSVC\) has no predict_proba, which the metrics review needs.*"
                                         r"wrap it in sklearn's CalibratedClassifierCV"):
        evaluate_model(model, split.X_test, split.y_test)


def test_a_logged_model_loads_with_its_own_code_after_another_model_py_was_imported(tmp_path):
    """A process that trained one project's model.py (imported as the module ``model``) then loads
    another project's logged model: its classes come from the model.py logged with it."""
    from workbench.evaluate.model_code import MODULE_NAME, load_logged_model, load_model_code

    project = make_project(tmp_path / "own", diabetes_frame(), target="progression", task="regression",
                           model_code=OWN_REGRESSOR)
    split = split_data(project, project.load_data())
    with Tracker(project).start_run("evaluate") as run:
        uri = run.log_model(train_project_model(project, split, params={}), input_example=split.X_test.head(3))
    other = tmp_path / "other" / "model.py"
    other.parent.mkdir()
    other.write_text("def build_model(params):\n    raise NotImplementedError\n")
    load_model_code(other)  # now `model` is a module without Winsorizer
    loaded = load_logged_model(uri)
    assert type(loaded.named_steps["clip"]).__name__ == "Winsorizer" and hasattr(sys.modules[MODULE_NAME], "Winsorizer")

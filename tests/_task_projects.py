"""Projects of each task on data that ships with scikit-learn, with a real model trained and logged.

binary: breast cancer (classes 0 and 1); multiclass: wine (classes named by text, ``class_0`` ...);
regression: diabetes (a disease-progression number). Used by the serving tests of every task.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd

# task -> (loader name, target column, whether the target is the dataset's class names)
DATASETS = {
    "binary": ("load_breast_cancer", "diagnosis", False),
    "multiclass": ("load_wine", "cultivar", True),
    "regression": ("load_diabetes", "progression", False),
}

_CONFIG = """\
[project]
name = "{name}"

[data]
path = "data/data.csv"
target = "{target}"
task = "{task}"

[model]
name = "{name}"
"""


def task_frame(task: str) -> pd.DataFrame:
    """The dataset of ``task`` as one frame, features and target."""
    import sklearn.datasets

    loader, target, named = DATASETS[task]
    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target})
    if named:  # text class labels, so JSON answers must keep them text
        frame[target] = [str(bunch.target_names[i]) for i in bunch.target]
    return frame


def make_task_project(root: Path, task: str, *, max_iter: int = 30) -> SimpleNamespace:
    """A project folder for ``task`` with a model trained on 75% of the rows and logged with its schema.

    Returns ``project, task, model, model_uri, run_id, X_test, y_test, target``.
    """
    from sklearn.model_selection import train_test_split

    from workbench.evaluate.training import build_pipeline
    from workbench.explore.schema import infer_schema
    from workbench.project import Project
    from workbench.tracking import Tracker

    _, target, _ = DATASETS[task]
    frame = task_frame(task)
    (root / "data").mkdir(parents=True)
    frame.to_csv(root / "data" / "data.csv", index=False)
    name = f"{task}-model"
    (root / "workbench.toml").write_text(_CONFIG.format(name=name, target=target, task=task), encoding="utf-8")
    project = Project.load(root)
    X, y = frame.drop(columns=[target]), frame[target]
    stratify = None if task == "regression" else y
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=stratify)
    kind = "regression" if task == "regression" else "classification"
    model = build_pipeline(X_train, task=kind, seed=0, max_iter=max_iter).fit(X_train, y_train)
    with Tracker(project).start_run("evaluate") as run:
        model_uri = run.log_model(model, input_example=X_train.head(3), schema=infer_schema(X_train))
    return SimpleNamespace(project=project, task=task, model=model, model_uri=model_uri, run_id=run.run_id,
                           X_test=X_test.reset_index(drop=True), y_test=y_test.reset_index(drop=True), target=target)

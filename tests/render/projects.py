"""Reports of two projects for the browser tests: the finished demo, and wine (multiclass) from scikit-learn.

Wine gets a seeded categorical column ``cellar`` (its sensitive feature) so that every column
picker meets a numeric and a categorical column, as on the demo.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

#: The review widgets, in the order of the phases; the demo has all six.
KINDS = ("profile", "metrics", "fairness", "explanation", "drift", "monitor")


def demo_reports(demo_root: Path, target: Path) -> Path:
    """Copy the finished demo's review reports to ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        shutil.copy(demo_root / ".workbench" / "reports" / f"{kind}.json", target / f"{kind}.json")
    return target


def wine_reports(scratch: Path, target: Path) -> Path:
    """A wine project (178 rows, 3 classes), its model, and five reviews of it saved to ``target``."""
    from sklearn.datasets import load_wine

    import workbench as wb
    from workbench.evaluate import split_data, train_project_model

    frame = load_wine(as_frame=True).frame
    frame["cellar"] = np.random.default_rng(0).choice(["north", "south", "east"], size=len(frame))
    frame["target"] = frame["target"].map({0: "barolo", 1: "grignolino", 2: "barbera"})
    frame.to_csv(scratch / "wine.csv", index=False)
    project = wb.init_project(scratch / "wine", data=scratch / "wine.csv", target="target", sensitive=["cellar"])
    data = project.load_data()
    split = split_data(project, data)
    model = train_project_model(project, split, params={"max_iter": 60})
    reports = {
        "profile": wb.profile(data, target="target", sensitive=["cellar"]),
        "metrics": wb.evaluate_model(model, split.X_test, split.y_test, X_train=split.X_train, y_train=split.y_train,
                                     n_bootstrap=50),
        "fairness": wb.assess_fairness(model=model, X=split.X_test, y_true=split.y_test,
                                       sensitive_features=split.sensitive_test, n_bootstrap=50),
        "explanation": wb.explain(model, split.X_test, max_rows=200, display_rows=60),
        "drift": wb.drift(split.X_train, split.X_test, n_bootstrap=20),
    }
    target.mkdir(parents=True, exist_ok=True)
    for kind, report in reports.items():
        report.save(target / f"{kind}.json")
    return target

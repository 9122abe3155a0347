"""Fixtures of the stakeholder tests."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest


def _copy(trained, tmp_path_factory, name):
    from workbench.project import Project

    root = tmp_path_factory.mktemp(name) / "proj"
    shutil.copytree(trained.project.root, root)
    return Project.load(root)


@pytest.fixture(scope="session")
def reviewed(trained, tmp_path_factory):
    """Two versions whose Evaluate runs reviewed the model on different data (the two test halves).

    Each run logs real metrics, fairness and SHAP reports and its data fingerprint, as the
    Evaluate notebook does; version 2 is the champion.
    """
    from workbench.evaluate import assess_fairness, evaluate_model, explain
    from workbench.explore import fingerprint
    from workbench.tracking import Tracker

    project = _copy(trained, tmp_path_factory, "reviewed")
    tracker = Tracker(project)
    name = project.config.model_name
    tracker.client.create_registered_model(name)
    split, model = trained.split, trained.model
    half = len(split.X_test) // 2
    positive = project.config.data.positive_label
    for rows in (slice(0, half), slice(half, None)):
        X, y, groups = split.X_test.iloc[rows], split.y_test.iloc[rows], split.sensitive_test.iloc[rows]
        reports = {
            "metrics": evaluate_model(model, X, y, n_bootstrap=20, positive_label=positive),
            "fairness": assess_fairness(model=model, X=X, y_true=y, sensitive_features=groups,
                                        n_bootstrap=20, positive_label=positive),
            "explanation": explain(model, X, max_rows=300, display_rows=60),
        }
        with tracker.start_run("evaluate", data_fingerprint=fingerprint(X).tag) as run:
            for key, report in reports.items():
                run.log_report(report, key)
        version = tracker.client.create_model_version(name, trained.model_uri, run_id=run.run_id)
    tracker.client.set_registered_model_alias(name, "champion", version.version)
    return SimpleNamespace(project=project, split=split, half=half, last=reports)

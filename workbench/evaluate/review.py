"""A project's model reviewed three ways on the project's test split, with its gates (the CLI's path)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.evaluate.baselines import load_champion
from workbench.evaluate.explain import ExplanationReport, explain
from workbench.evaluate.fairness import FairnessReport, assess_fairness
from workbench.evaluate.gates import evaluation_gates, fairness_thresholds
from workbench.evaluate.metrics import MetricsReport, evaluate_model
from workbench.evaluate.training import split_data
from workbench.exceptions import ModelError
from workbench.reports.gates import GateReport
from workbench.tasks import task_named

if TYPE_CHECKING:
    from workbench.project import Project

__all__ = ["ProjectReview", "review_project"]


@dataclasses.dataclass(frozen=True)
class ProjectReview:
    """The three reports of one model and the gates they pass or fail."""

    model_uri: str
    metrics: MetricsReport
    fairness: FairnessReport | None
    explanation: ExplanationReport
    gates: GateReport

    def save(self, folder: Path | str) -> list[Path]:
        """Write each report as ``<name>.html`` and ``<name>.json`` into ``folder``."""
        written = []
        reports = {"metrics": self.metrics, "fairness": self.fairness, "explanation": self.explanation, "gates": self.gates}
        for name, report in reports.items():
            if report is not None:
                written += [report.save(Path(folder) / f"{name}.json"), report.save(Path(folder) / f"{name}.html")]
        return written


def review_project(
    project: Project,
    *,
    model_uri: str | None = None,
    n_bootstrap: int = 200,
    shap_rows: int = 2000,
    mitigate: bool = False,
) -> ProjectReview:
    """Review ``model_uri`` (default: the chosen Evaluate model, see workbench.selection) on the project's test split.

    The project's task decides the metrics, the fairness review and the gates. Without
    sensitive columns the fairness review is "not applicable" (a report that says so, which
    the gates pass); ``mitigate`` compares fairlearn's ThresholdOptimizer, for binary tasks.

    Examples
    --------
    >>> review = review_project(project)  # doctest: +SKIP
    >>> review.gates.passed  # doctest: +SKIP
    """
    from workbench.evaluate.model_code import load_logged_model
    from workbench.tracking import Tracker

    tracker = Tracker(project)
    uri = model_uri or tracker.model_uri("evaluate")
    try:
        model = load_logged_model(uri)
    except Exception as err:  # MLflow raises many types for a missing or unreadable model
        raise ModelError(f"Cannot load the model at {uri}: {err}", hint="Check the URI (runs:/<id>/model, models:/<name>@<alias>).") from err
    task = task_named(project.config.data.task)
    seed = project.config.data.seed
    # A positive label means something to a binary review only; the others score every class or a number.
    positive = project.config.data.positive_label if task.name == "binary" else None
    split = split_data(project, project.load_data())
    metrics = evaluate_model(
        model, split.X_test, split.y_test, task=task.name,
        X_train=split.X_train, y_train=split.y_train, champion=load_champion(project),
        n_bootstrap=n_bootstrap, seed=seed, positive_label=positive,
    )
    # Without a sensitive column the review is "not applicable": a report that says so, which gates pass.
    fairness = assess_fairness(
        model=model, X=split.X_test, y_true=split.y_test, sensitive_features=split.sensitive_test, task=task.name,
        min_group_size=project.config.gate("evaluate", "min_group_size"), thresholds=fairness_thresholds(project),
        n_bootstrap=n_bootstrap, seed=seed, mitigate=mitigate, positive_label=positive,
    )
    explanation = explain(model, split.X_test, max_rows=shap_rows, seed=seed, task=task.name)
    gates = evaluation_gates(project, metrics=metrics, fairness=fairness, explanation=explanation)
    return ProjectReview(uri, metrics, fairness, explanation, gates)

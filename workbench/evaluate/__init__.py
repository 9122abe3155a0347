"""Evaluate: metrics against a baseline, fairness (fairlearn), SHAP explanations, and gates.

A model is reviewed three ways, each returning a report that renders as a widget, HTML and
JSON:

* :func:`evaluate_model` — performance with bootstrap intervals, against a dummy baseline and
  the registered champion (:func:`load_champion`);
* :func:`assess_fairness` — fairlearn ``MetricFrame`` per sensitive feature and intersection,
  demographic parity and equalized odds, optional ``ThresholdOptimizer`` comparison;
* :func:`explain` — SHAP attributions per original input column and per transformed feature.

:func:`evaluation_gates` turns the reports into pass/fail verdicts with the project's thresholds;
:func:`review_project` runs all of it for a project's model (``workbench evaluate``).
The training helpers (:func:`split_data`, :func:`train_model`) build the default model for the
project's task; :func:`train_project_model` trains the project's own ``model.py`` when it has one
(:mod:`workbench.evaluate.model_code`).
"""

from workbench.evaluate.baselines import ChampionModel, load_champion
from workbench.evaluate.explain import ExplanationReport, explain, explain_row
from workbench.evaluate.fairness import FairnessReport, GroupMetrics, assess_fairness
from workbench.evaluate.gates import evaluation_gates
from workbench.evaluate.metrics import MetricsReport, evaluate_model
from workbench.evaluate.review import ProjectReview, review_project
from workbench.evaluate.training import (
    Split,
    build_pipeline,
    feature_columns,
    split_data,
    train_model,
    train_project_model,
)

__all__ = [
    "ChampionModel",
    "ExplanationReport",
    "FairnessReport",
    "GroupMetrics",
    "MetricsReport",
    "ProjectReview",
    "Split",
    "assess_fairness",
    "build_pipeline",
    "evaluate_model",
    "evaluation_gates",
    "explain",
    "explain_row",
    "feature_columns",
    "load_champion",
    "review_project",
    "split_data",
    "train_model",
    "train_project_model",
]

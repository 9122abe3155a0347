"""Evaluate: metrics against a baseline, fairness (fairlearn), SHAP explanations, and gates."""

from workbench.evaluate.training import (
    Split,
    build_pipeline,
    feature_columns,
    split_data,
    train_model,
)

__all__ = ["Split", "build_pipeline", "feature_columns", "split_data", "train_model"]

"""The flat figures alert rules read, and what the monitor knows of the model's reference."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import ReportError, WorkbenchError

__all__ = ["figures", "reference_metrics", "reference_predictions"]

REFERENCE_ROWS = 20_000


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def figures(drift: Any, performance: Mapping[str, Any], service: Mapping[str, Any],
            reference: Mapping[str, float], windows: Sequence[Any] = ()) -> dict[str, Any]:
    """Every metric a rule may name (None when unknown); ``windows`` is the performance per window."""
    found: dict[str, Any] = dict.fromkeys(
        ("drift_share", "latest_drift_share", "n_drifted", "dataset_drift", "prediction_drift"))
    if drift is not None:
        found.update(drift_share=drift.drift_share, n_drifted=drift.n_drifted, dataset_drift=float(drift.dataset_drift))
        found["latest_drift_share"] = drift.windows[-1].drift_share if drift.windows else drift.drift_share
        found["prediction_drift"] = drift.prediction.drift_score if drift.prediction is not None else None
        drifted = set(drift.drifted_columns())
        found["top_features_drifted"] = lambda k: sum(c in drifted for c in drift.top_features(k))
    accuracy, auc = _finite(performance.get("accuracy")), _finite(performance.get("roc_auc"))
    found.update(accuracy=accuracy, roc_auc=auc)
    found["auc_drop"] = reference["roc_auc"] - auc if auc is not None and "roc_auc" in reference else None
    found["accuracy_drop"] = (reference["accuracy"] - accuracy
                              if accuracy is not None and "accuracy" in reference else None)
    latest = _finite(windows[-1].roc_auc) if windows else None
    found["latest_auc_drop"] = reference["roc_auc"] - latest if latest is not None and "roc_auc" in reference else None
    for key in ("p50_latency_ms", "p99_latency_ms", "failure_rate", "reject_rate", "requests"):
        found[key] = _finite(service.get(key))
    return found


def reference_metrics(project: Any) -> dict[str, float]:
    """ROC AUC and accuracy from Evaluate's metrics report (``.workbench/reports/metrics.json``)."""
    from workbench.reports import load_report

    path = project.state_dir / "reports" / "metrics.json"
    if not path.is_file():
        return {}
    try:
        metrics = getattr(load_report(path), "metrics", {})
    except ReportError:
        return {}
    return {k: float(metrics[k]) for k in ("roc_auc", "accuracy") if _finite(metrics.get(k)) is not None}


def reference_predictions(project: Any, reference: pd.DataFrame, log: pd.DataFrame,
                          notes: list[str]) -> np.ndarray | None:
    """The logged model's positive-class probability on the reference, for prediction drift."""
    if log["probability"].isna().all():
        return None
    latest = log.iloc[-1]
    name, version = latest["model_name"], latest["model_version"]
    if not name or not version:
        notes.append("The log does not name a registered model version: no prediction drift.")
        return None
    try:
        import mlflow.sklearn

        from workbench.tracking import Tracker

        Tracker(project)  # points MLflow at the project's store
        model = mlflow.sklearn.load_model(f"models:/{name}/{version}")
        sample = reference.sample(min(len(reference), REFERENCE_ROWS), random_state=0) \
            if len(reference) > REFERENCE_ROWS else reference
        scores = np.full(len(reference), np.nan)
        scores[reference.index.get_indexer(sample.index)] = model.predict_proba(sample)[:, -1]
        return scores
    except (WorkbenchError, Exception) as err:  # a missing or unloadable model only costs the prediction drift
        notes.append(f"Could not score the reference with models:/{name}/{version} ({type(err).__name__}): "
                     "no prediction drift.")
        return None

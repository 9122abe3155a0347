"""[[alerts]] rules against the project's task: a rule that could never fire is refused when the project opens."""

from __future__ import annotations

import pytest

from workbench.config import load_config
from workbench.exceptions import ConfigError
from workbench.monitor.rules import METRICS, PERFORMANCE_METRICS, applies_to
from workbench.tasks import TASKS

from .conftest import task_config


def _write(tmp_path, task, metric):
    path = tmp_path / "workbench.toml"
    path.write_text(task_config("p", task, [("performance", metric, ">", 0.1)]))
    return path


@pytest.mark.parametrize(
    ("task", "metric", "reads", "scored_by"),
    [
        ("regression", "latest_auc_drop", "roc_auc", "binary classification"),
        ("regression", "accuracy", "accuracy", "binary classification and multiclass classification"),
        ("multiclass", "auc_drop", "roc_auc", "binary classification"),
        ("multiclass", "latest_mae_rise", "mae", "regression"),
        ("binary", "latest_f1_macro_drop", "f1_macro", "multiclass classification"),
        ("classification", "rmse", "rmse", "regression"),
    ],
)
def test_a_rule_on_a_metric_the_task_never_scores_is_refused(tmp_path, task, metric, reads, scored_by):
    path = _write(tmp_path, task, metric)
    name = TASKS["binary"].name if task == "classification" else task
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    err = caught.value
    assert str(err).startswith(
        f"{path}: [[alerts]] rule 'performance': the metric '{metric}' does not apply to a {name} project "
        f"(it reads {reads}, which Monitor scores for {scored_by} only).")
    fitting = [m for m in PERFORMANCE_METRICS if applies_to(m, TASKS[name])]
    assert err.key == "alerts.metric" and err.value == metric and err.expected == f"one of {', '.join(fitting)}"
    assert err.hint.startswith(f"For {TASKS[name].title}, performance rules use {', '.join(fitting)}")


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_metric_the_task_scores_and_every_other_metric_loads(tmp_path, task):
    usable = [m for m in METRICS if applies_to(m, TASKS[task])]
    path = tmp_path / "workbench.toml"
    path.write_text(task_config("p", task, [(f"r{i}", m, ">", 0.1) for i, m in enumerate(usable)]))
    rules = load_config(path).sections["alerts"]
    assert [r.metric for r in rules] == usable
    assert {"drift_share", "prediction_drift", "p99_latency_ms"} <= set(usable)
    expected = {"binary": {"roc_auc", "accuracy", "auc_drop", "accuracy_drop", "latest_auc_drop",
                           "latest_accuracy_drop"},
                "multiclass": {"accuracy", "f1_macro", "accuracy_drop", "latest_accuracy_drop",
                               "latest_f1_macro_drop"},
                "regression": {"mae", "rmse", "latest_mae_rise", "latest_rmse_rise"}}[task]
    assert set(usable) & set(PERFORMANCE_METRICS) == expected


def test_every_performance_metric_is_a_known_alert_metric():
    assert set(PERFORMANCE_METRICS) <= set(METRICS)
    scored = {m for task in TASKS.values() for m in task.monitor_metrics}
    assert {spec.reads for spec in PERFORMANCE_METRICS.values()} == scored

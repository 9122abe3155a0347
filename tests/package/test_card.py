"""The model card: built from the logged Evaluate reports, written for the stakeholder view."""

from __future__ import annotations

import json

import pytest

from workbench.package.card import SUMMARY_KEYS, ModelCard
from workbench.reports.base import load_report


@pytest.fixture(scope="module")
def card(demo_bundle):
    reports = demo_bundle.project.state_dir / "reports"
    return SimpleCard(
        json=json.loads((reports / "model_card.json").read_text()),
        html=(reports / "model_card.html").read_text(),
        markdown=(reports / "model_card.md").read_text(),
        metrics=load_report(reports / "metrics.json"),
        fairness=load_report(reports / "fairness.json"),
        explanation=load_report(reports / "explanation.json"),
    )


class SimpleCard:
    def __init__(self, **parts):
        self.__dict__.update(parts)


def test_card_files_match_the_bundle_and_hold_the_summary(demo_bundle, card):
    assert card.json == json.loads((demo_bundle.path / "model_card.json").read_text())
    assert set(SUMMARY_KEYS) <= set(card.json)
    bundled = load_report(demo_bundle.path / "model_card.json")
    assert isinstance(bundled, ModelCard) and bundled.summary_dict() == {k: card.json[k] for k in SUMMARY_KEYS}
    assert card.json["name"] == demo_bundle.project.config.model_name
    assert card.json["version"] == json.loads((demo_bundle.path / "bundle.json").read_text())["version"]
    assert "plotly" not in card.html.lower()  # no figures, so no 4 MB of plotly.js


def test_metrics_carry_their_intervals(card):
    for name, value in card.metrics.metrics.items():
        low, high = card.metrics.intervals[name]
        assert card.json["metrics"][name] == pytest.approx({"value": value, "low": low, "high": high})
    auc = card.json["metrics"]["roc_auc"]
    assert f"| roc_auc | {auc['value']:.3f} | {auc['low']:.3f} | {auc['high']:.3f} |" in card.markdown
    assert "Metrics (with 95% intervals)" in card.html


def test_fairness_table_lists_every_group_and_disparity(card):
    groups = card.json["fairness"]["groups"]
    assert len(groups) == sum(len(g.groups) for g in card.fairness.groupings)
    for grouping in card.fairness.groupings:
        rows = {row["group"]: row for row in groups if row["feature"] == grouping.feature}
        for i, group in enumerate(grouping.groups):
            assert rows[group]["rows"] == grouping.counts[i]
            assert rows[group]["selection_rate"] == pytest.approx(grouping.metrics["selection_rate"][i])
    disparities = {(d["feature"], d["disparity"]): d["value"] for d in card.json["fairness"]["disparities"]}
    assert disparities[("sex", "demographic_parity_difference")] == pytest.approx(
        card.fairness.disparities["demographic_parity_difference[sex]"]
    )


def test_top_drivers_follow_the_shap_importance(card):
    importance = card.explanation.importance_by_column()
    ranked = sorted(importance, key=lambda c: abs(importance[c]), reverse=True)
    drivers = card.json["top_drivers"]
    assert [d["column"] for d in drivers] == ranked[: len(drivers)]
    assert drivers[0]["share"] == pytest.approx(abs(importance[ranked[0]]) / sum(abs(v) for v in importance.values()))


def test_intended_use_data_and_limitations(demo_bundle, card):
    section = demo_bundle.project.config.sections["package"]
    assert card.json["intended_use"] == section["intended_use"]
    assert card.json["limitations"][0] == section["limitations"][0]
    assert any("held-out rows" in note for note in card.json["limitations"])
    assert card.json["data"]["fingerprint"].startswith("sha256:")
    for heading in ("Intended use", "Data", "Fairness", "Top drivers", "Limitations", "Lineage"):
        assert f"## {heading}" in card.markdown and heading in card.html


def test_a_card_without_reviews_says_so_and_the_gates_fail(packaged):
    card, gates = packaged.bundle.card, packaged.bundle.gates
    assert card.metrics == {} and card.top_drivers == []
    assert "No metrics review was logged for this model; the card has no metrics section." in card.limitations
    failed = {r.name for r in gates.results if not r.passed}
    assert failed == {"evaluate_gates", "card_reports"}
    name = packaged.project.config.model_name
    aliases = packaged.tracker.client.get_registered_model(name).aliases
    assert "challenger" not in aliases  # registered, but not moved on by failing gates


def test_a_card_leads_with_its_tasks_metrics_and_records_the_classes(project):
    import dataclasses

    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.metrics import r2_score

    from workbench.evaluate import evaluate_model
    from workbench.package.card import build_model_card

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    report = evaluate_model(Ridge().fit(X, y), X, y, task="regression", n_bootstrap=20)
    shuffled = dataclasses.replace(report, metrics=dict(reversed(list(report.metrics.items()))))
    card = build_model_card(project, reports={"metrics": shuffled}, sources={}, model_uri="runs:/r/model",
                            model_type="Ridge", version="1", lineage={}, gates=[], task="regression")
    assert list(card.metrics) == ["r2", "mae", "rmse"]  # the task's order, its primary metric first
    assert card.metrics["r2"]["value"] == pytest.approx(r2_score(y, Ridge().fit(X, y).predict(X)), abs=1e-12)
    assert card.summary().endswith(f"(Ridge, regression): r2 {card.metrics['r2']['value']:.3f}")
    assert card.classes is None and card.data["positive_label"] is None  # the demo's positive label is binary-only
    multiclass = build_model_card(project, reports={}, sources={}, model_uri="runs:/r/model", model_type="M",
                                  version=None, lineage={}, gates=[], task="multiclass", classes=["a", "b", "c"])
    assert (multiclass.task, multiclass.classes) == ("multiclass", ["a", "b", "c"])
    assert "multiclass · classes: a, b, c" in multiclass.to_markdown()
    assert load_report(multiclass.to_json()) == multiclass

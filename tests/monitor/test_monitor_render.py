"""The drift and monitor renderings: HTML pages and widgets redrawn from report data."""

from __future__ import annotations

import shutil

import pytest

import workbench as wb
from workbench.datasets import TARGET, TIME_COLUMN, make_credit_risk
from workbench.render import drift as drift_render
from workbench.render._live import figure_of


@pytest.fixture(scope="module")
def reports(logged, tmp_path_factory):
    root = tmp_path_factory.mktemp("render") / "proj"
    shutil.copytree(logged.root, root)
    report = wb.monitor(wb.Project.load(root))
    return report, report.drift


def test_drift_html_shows_badges_distributions_and_windows(reports, tmp_path):
    _, drift = reports
    page = drift.save(tmp_path / "drift.html").read_text()
    for text in ("Columns by impact", "Drift per window", "Distributions", drift.columns[0].column, "wb-fail"):
        assert text in page
    assert page.count("plotly-graph-div") >= 4


def test_monitor_html_has_timelines_and_alert_history(reports, tmp_path):
    monitor, _ = reports
    page = monitor.save(tmp_path / "monitor.html").read_text()
    for text in ("Performance per window", "Service per window", "Alert history", "ALERT drift", "drift_share = "):
        assert text in page


def test_drift_widget_redraws_the_picked_column(reports):
    _, drift = reports
    tabs = drift.widget()
    picker, chart = tabs.children[1].children
    assert picker.options[0][1] == drift.columns[0].column
    assert picker.options[0][0].startswith("●")  # drifted badge
    other = picker.options[-1][1]
    picker.value = other
    assert figure_of(chart).layout.title.text.startswith(f"{other}:")


def test_monitor_widget_has_every_view(reports):
    monitor, _ = reports
    tabs = monitor.widget()
    titles = [tabs.get_title(i) for i in range(len(tabs.children))]
    assert titles == ["Overview", "Drift", "Performance", "Service", "Alert history"]


def test_categorical_distribution_overlay():
    report = wb.drift(make_credit_risk(2000, seed=1), make_credit_risk(800, seed=2, scenario="new_category"),
                      exclude=[TARGET, TIME_COLUMN])
    fig = drift_render.distribution_figure(report.column("loan_purpose"))
    assert "crypto" in list(fig.data[1].x)
    assert sum(fig.data[0].y) == pytest.approx(1.0)

"""The figures behind the four answers, folded under the first screen of the stakeholder page.

Tables say things in words (``true positive rate``, ``Jensen-Shannon distance``); figures are
aggregates only: no individual's row, no sample of rows (the regression row samples are left out).
"""

from __future__ import annotations

import html as _html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from workbench.stakeholder._svg import line_chart
from workbench.stakeholder.answers import DISPARITY_WORDS, alert_words, disparity_finding, human

#: Drift statistics in words (the registry :data:`workbench.monitor.stats.STATTESTS` names them for code).
STATTEST_WORDS = {
    "ks": "Kolmogorov-Smirnov p-value",
    "chisquare": "chi-square p-value",
    "z": "z-test p-value",
    "wasserstein": "Wasserstein distance (in standard deviations)",
    "jensenshannon": "Jensen-Shannon distance",
    "psi": "population stability index",
}
# Curves that are aggregates (the regression row samples are not): name -> (title, diagonal).
_CURVES = {
    "roc": ("ROC curve", True),
    "pr": ("Precision and recall", False),
    "calibration": ("Calibration", True),
    "residual_histogram": ("Errors (actual minus predicted)", False),
}
_LIGHT_WORDS = {"green": "within the limit", "amber": "not enough evidence", "red": "above the limit"}


def fold(summary: str, *parts: str) -> str:
    """A closed ``<details>`` block: ``summary`` as its line, ``parts`` underneath."""
    return f"<details class='wb-sh-fold'><summary>{_html.escape(summary)}</summary>{''.join(parts)}</details>"


def table(rows: Sequence[Mapping[str, Any]]) -> str:
    """A table with words for values: no ``True``/``None``/``nan`` ever reaches the page."""
    from workbench.render.html import table as _table

    return _table([{k: _word(v) for k, v in row.items()} for row in rows])


def _word(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    return value


def _range(pair: Any) -> str:
    if not isinstance(pair, Sequence) or len(pair) != 2:
        return "–"
    low, high = pair
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (low, high)):
        return "–"
    return f"{low:.3g} to {high:.3g}"


# -- accuracy ------------------------------------------------------------------------------------------
def accuracy_details(metrics: Any) -> str:
    """Every measure with its 95% range and the baseline's; the aggregate curves as small charts."""
    from workbench.evaluate.metrics import OVR_ROC_PREFIX, metric_label

    if metrics is None:
        return fold("Accuracy: every measure and curve", "<p>Not evaluated yet.</p>")
    baseline = metrics.comparison("baseline")
    rows = [
        {"measure": metric_label(metrics.task, name), "value": value,
         f"{metrics.confidence:.0%} range": _range(metrics.intervals.get(name)),
         "simple baseline": baseline.metrics.get(name) if baseline else None}
        for name, value in metrics.metrics.items()
    ]
    charts = []
    for name, curve in metrics.curves.items():
        title, diagonal = _CURVES.get(name, (None, False))
        if name.startswith(OVR_ROC_PREFIX):  # multiclass one-vs-rest: one chart, a line per class
            continue
        if title is not None:
            charts.append(line_chart(title, [(title, curve.x, curve.y)], x_label=curve.x_label,
                                     y_label=curve.y_label, diagonal=diagonal))
    per_class = [(n[len(OVR_ROC_PREFIX):], c.x, c.y) for n, c in metrics.curves.items() if n.startswith(OVR_ROC_PREFIX)]
    if per_class:
        charts.insert(0, line_chart("ROC curve of each class against the rest", per_class[:6],
                                    x_label="false positive rate", y_label="true positive rate", diagonal=True))
    note = (f"<p>Measured on {metrics.n_rows:,} held-out rows; the range is where the value lies with "
            f"{metrics.confidence:.0%} confidence (bootstrap).</p>")
    return fold("Accuracy: every measure and curve", note, table(rows), f"<div class='wb-sh-charts'>{''.join(charts)}</div>")


# -- fairness ------------------------------------------------------------------------------------------
def fairness_details(fairness: Any) -> str:
    """The gated disparities with their ranges and limits, then the metrics of each group."""
    if fairness is None:
        return fold("Fairness: the figures by group", "<p>Not reviewed yet.</p>")
    if not fairness.applicable:
        return fold("Fairness: the figures by group", f"<p>Not applicable: {_html.escape(fairness.reason)}.</p>")
    from workbench.evaluate._verdict import disparity_verdict, evidence_mode

    mode = evidence_mode(fairness.thresholds)
    judged = []
    for name in fairness.gated_disparities:
        for grouping in fairness.groupings:
            verdict = disparity_verdict(grouping, name, limit=fairness.limit(name), evidence=mode,
                                        sensitive=fairness.sensitive)
            finding = disparity_finding(verdict, fairness.confidence)
            if finding is None:
                continue
            judged.append({"difference": DISPARITY_WORDS.get(name, human(name)), "between groups of": _groups_of(verdict),
                           "estimate": verdict.estimate, f"{fairness.confidence:.0%} range": _range(verdict.interval),
                           "limit": verdict.limit, "reading": _LIGHT_WORDS[finding.light]})
    parts = [table(judged)] if judged else ["<p>No difference could be held against a limit.</p>"]
    for grouping in fairness.groupings:
        rows = [{human(k) if k != "rows" else "rows": v for k, v in _group_row(row).items()} for row in grouping.rows()]
        parts.append(f"<h4>{_html.escape(human(grouping.feature))}</h4>{table(rows)}")
    return fold("Fairness: the figures by group", *parts)


def _groups_of(verdict: Any) -> str:
    features = " and ".join(human(f) for f in str(verdict.feature).split(" & "))
    return features + (f" (class {verdict.worst_class})" if verdict.worst_class else "")


# A group too small to judge may be one or two people: its outcomes are not shown on the page.
_ALWAYS_SHOWN = ("group", "rows", "judged")
WITHHELD = "withheld (too few rows)"


def _group_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A group's row with metric names in words (``selection_rate[b]`` -> ``selection rate (b)``);
    a group too small to judge shows its size only, never its members' outcomes."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if row.get("judged") is False and key not in _ALWAYS_SHOWN:
            value = WITHHELD
        base, _, label = str(key).partition("[")
        name = human(base) + (f" ({label.rstrip(']')})" if label else "")
        out[name if key != "judged" else "large enough to judge"] = value
    return out


# -- drivers -------------------------------------------------------------------------------------------
def driver_details(explanation: Any, top: int = 12) -> str:
    """Each input's share of the model's total influence (mean |SHAP|), as bars."""
    if explanation is None:
        return fold("Drivers: the influence of each input", "<p>Not explained yet.</p>")
    importance = explanation.importance_by_column()
    total = sum(v for v in importance.values() if math.isfinite(v)) or 1.0
    bars = "".join(
        f"<div class='wb-sh-bar'><span class='wb-sh-bar-name'>{_html.escape(human(c))}</span>"
        f"<span class='wb-sh-bar-track'><span style='width:{100 * v / total:.1f}%'></span></span>"
        f"<span class='wb-sh-bar-value'>{v / total:.0%}</span></div>"
        for c, v in list(importance.items())[:top] if math.isfinite(v)
    )
    note = (f"<p>Share of the total influence on the model's {_html.escape(explanation.output)}, averaged over "
            f"{explanation.n_explained:,} rows (SHAP values).</p>")
    return fold("Drivers: the influence of each input", note, f"<div class='wb-card'>{bars}</div>")


# -- production ----------------------------------------------------------------------------------------
def production_details(monitor: Any, drift: Any) -> str:
    """The latest review's alerts (once), its drift statistics per column and performance per window."""
    if monitor is None and drift is None:
        return fold("Production: alerts, drift and performance", "<p>Not reviewed yet.</p>")
    parts = []
    if monitor is not None:
        alerts = [{"alert": alert_words(a), "rule": human(str(a.get("rule") or "")), "limit": a.get("threshold")}
                  for a in monitor.alerts]
        parts.append("<h4>Alerts of the latest review</h4>" + (table(alerts) if alerts else "<p>No alert fired.</p>"))
        parts.append(_performance(monitor))
    reviewed = (monitor.drift if monitor is not None and monitor.drift is not None else drift)
    if reviewed is not None:
        rows = [{"input": human(c.column), "test": STATTEST_WORDS.get(c.stattest, human(c.stattest)),
                 "score": c.drift_score, "drift when": _threshold_words(c), "drifted": c.drifted}
                for c in reviewed.columns]
        share = f"{reviewed.n_drifted} of {len(reviewed.columns)} inputs drifted"
        parts.append(f"<h4>Drift of each input ({share})</h4>{table(rows)}")
    return fold("Production: alerts, drift and performance", *parts)


def _threshold_words(column: Any) -> str:
    from workbench.monitor.stats import STATTESTS

    kind = STATTESTS.get(column.stattest, ("distance", 0.0))[0]
    return f"below {column.threshold:.3g}" if kind == "p_value" else f"at or above {column.threshold:.3g}"


def _performance(monitor: Any) -> str:
    from workbench.monitor.performance import METRIC_TITLES

    rows = [{"from": p.start[:10], "to": p.end[:10], "labelled predictions": p.n_labelled,
             **{METRIC_TITLES.get(m, human(m)): v for m, v in p.metrics.items()}} for p in monitor.performance]
    service = [{"from": s.start[:10], "to": s.end[:10], "requests": s.requests,
                "median latency (ms)": s.p50_latency_ms, "99th percentile latency (ms)": s.p99_latency_ms,
                "failed requests": s.failures, "rejected requests": s.rejects} for s in monitor.service]
    out = "<h4>Accuracy on labelled predictions, week by week</h4>" + (table(rows) if rows else "<p>No labels yet.</p>")
    return out + ("<h4>Service</h4>" + table(service) if service else "")


# -- release checks and history ------------------------------------------------------------------------
def checks_details(gates: Any, fairness: Any = None) -> str:
    """The release checks recorded with the version described, each passed or failed.

    A disparity check that passed on the lower end of its interval while the estimate is above
    the limit shows amber, "passed, not conclusive", as the fairness answer does.
    """
    if gates is None or not gates.results:
        return fold("Release checks of this version", "<p>No release check was recorded with this version.</p>")
    lines = []
    for result in gates.results:
        css, word = ("wb-pass", "passed") if result.passed else ("wb-fail", "failed")
        if result.passed and _estimate_above(result, fairness):
            css, word = "wb-warn", "passed, not conclusive"
        lines.append(f"<li><span class='wb-light {css}'></span><strong>{word}</strong> {_html.escape(result.reason)}</li>")
    return fold("Release checks of this version", f"<ul class='wb-sh-checks'>{''.join(lines)}</ul>")


def _estimate_above(result: Any, fairness: Any) -> bool:
    """Whether gate ``result`` holds a disparity whose estimate, for a gated feature, is above its limit."""
    name = result.name.removeprefix("max_")
    if fairness is None or not fairness.applicable or name not in fairness.gated_disparities:
        return False
    limit = result.threshold
    return isinstance(limit, int | float) and any(
        g.disparities.get(name, math.nan) > limit for g in fairness.groupings if g.feature in fairness.sensitive
    )


def history_details(moves: Sequence[Mapping[str, Any]]) -> str:
    """Every move of the production alias, newest first."""
    rows = [{"when": str(m.get("time", "")).replace("T", " ")[:16], "what": _move_words(m),
             "by": m.get("user"), "reason": _no_paths(str(m.get("reason") or ""))} for m in reversed(list(moves))]
    return fold("Production history", table(rows) if rows else "<p>No promotion recorded yet.</p>")


def _no_paths(text: str) -> str:
    """``packaged into /srv/demo/.workbench/bundle`` -> ``packaged into bundle``: no server path on the page."""
    return re.sub(r"(?<![^\s(])(?:[A-Za-z]:)?[/\\](?:[^\s/\\]+[/\\])*([^\s/\\]+)[/\\]?", r"\1", text)


def _move_words(move: Mapping[str, Any]) -> str:
    alias, version, previous = move.get("alias"), move.get("version"), move.get("previous")
    verb = "rolled back to" if move.get("action") == "rollback" else "moved to"
    since = f" (was version {previous})" if previous else ""
    return f"{alias} {verb} version {version}{since}"

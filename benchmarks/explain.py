"""``wb.explain`` against raw ``shap.TreeExplainer``, in the same run: the demo model and a deep forest.

1. The demo Pipeline (ColumnTransformer + HistGradientBoostingClassifier) trained on seeded credit
   data with 20 input columns; both sides explain the same 10,000 rows: shap on the transformed
   features (transform included), ``wb.explain`` on the raw rows (transform, SHAP, columns summed
   back, importance, the stored sample). Each is run ``--repeat`` times, alternating, and the best
   time is kept. Target: ``wb.explain`` at least 3× faster, values within 1e-6 of shap's.
2. A RandomForestClassifier (100 trees, depth 30, 20 features, trained on 10,000 rows) reviewed on
   10,000 other rows with ``wb.explain(..., budget_s=10)``; shap's time for all 10,000 rows is
   extrapolated from ``--forest-reference-rows`` rows. Then ``wb.explain_row`` on single rows.
   Targets: the review ≤ 10 s, one row ≤ 1 s.

The load average (1 minute) is printed with each case: the machine is shared.

    python benchmarks/explain.py [--rows N] [--repeat K] [--forest-reference-rows M] [--skip-forest]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
import shap

from workbench.datasets import make_credit_risk
from workbench.evaluate import build_pipeline, explain, explain_row
from workbench.evaluate._tree_shap import tree_shap


def raw_shap(model, X) -> np.ndarray:
    return shap.TreeExplainer(model[-1]).shap_values(model[:-1].transform(X))


def best_of(repeat: int, *runs) -> list[float]:
    """The best wall time of each function in ``runs`` over ``repeat`` alternating rounds."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for position, run in enumerate(runs):
            started = time.perf_counter()
            run()
            best[position] = min(best[position], time.perf_counter() - started)
    return best


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def demo_case(rows_wanted: int, repeat: int) -> None:
    frame = make_credit_risk(rows_wanted + 5_000, seed=1)
    X = frame.drop(columns=["default", "application_date", "age_band"])
    y = frame["default"]
    model = build_pipeline(X.iloc[:5_000], seed=0).fit(X.iloc[:5_000], y.iloc[:5_000])
    rows = X.iloc[5_000:]
    print(f"1. demo HistGradientBoosting Pipeline: {len(rows):,} rows × {rows.shape[1]} columns "
          f"({model[:-1].transform(rows.head()).shape[1]} model features), {model[-1].n_iter_} trees")
    raw_shap(model, rows.head(100)), explain(model, rows.head(100))  # warm both paths up
    reference, ours = best_of(repeat, lambda: raw_shap(model, rows), lambda: explain(model, rows, max_rows=len(rows)))
    report = explain(model, rows, max_rows=len(rows))
    every_row = explain(model, rows, max_rows=len(rows), display_rows=len(rows))
    values = np.asarray(raw_shap(model, rows))
    by_row = np.abs(np.asarray(every_row.values).sum(axis=1) - values.sum(axis=1)).max()
    score = model[-1].decision_function(model[:-1].transform(rows))
    additivity = np.abs(np.asarray(every_row.outputs) - score).max()
    print(f"   shap.TreeExplainer: {reference:.2f} s")
    print(f"   wb.explain:         {ours:.2f} s (report JSON {len(report.to_json()) / 1e6:.1f} MB)")
    print(f"   ratio:              {reference / ours:.2f}× faster (target ≥ 3×); {load()}")
    explainer, features = shap.TreeExplainer(model[-1]), model[:-1].transform(rows)
    one, two = best_of(repeat, lambda: tree_shap(explainer, features, parallel=False),
                       lambda: tree_shap(explainer, features, parallel=True))
    print(f"   SHAP core alone: {one:.2f} s in one process, {two:.2f} s split over two (wb.explain splits only "
          f"when the load average leaves a core free); {load()}")
    print(f"   max |ours − shap| per row (columns summed): {by_row:.1e}; max |base + Σ SHAP − model score|: {additivity:.1e}")


def forest_case(reference_rows: int) -> None:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(n_samples=20_000, n_features=20, n_informative=10, flip_y=0.1, random_state=0)
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)])
    model = RandomForestClassifier(n_estimators=100, max_depth=30, n_jobs=2, random_state=0).fit(X[:10_000], y[:10_000])
    rows = X.iloc[10_000:]
    depth = max(tree.tree_.max_depth for tree in model.estimators_)
    leaves = np.mean([tree.tree_.n_leaves for tree in model.estimators_])
    print(f"2. deep forest: RandomForest, 100 trees, depth {depth}, {leaves:,.0f} leaves per tree, "
          f"20 features, {len(rows):,} rows")
    started = time.perf_counter()
    shap.TreeExplainer(model).shap_values(rows.iloc[:reference_rows].to_numpy())
    per_thousand = (time.perf_counter() - started) / reference_rows * 1_000
    print(f"   shap.TreeExplainer: {per_thousand:.1f} s per 1,000 rows (timed on {reference_rows} rows), "
          f"{per_thousand * len(rows) / 1_000:.0f} s for all {len(rows):,} extrapolated; {load()}")
    started = time.perf_counter()
    report = explain(model, rows, budget_s=10)
    review = time.perf_counter() - started
    widths = [(high - low) / report.column_importance[c] for c, (low, high) in report.column_importance_interval.items()]
    print(f"   wb.explain(budget_s=10): {review:.2f} s (target ≤ 10 s); {report.sample_note}")
    print(f"   interval width / estimate: median {np.median(widths):.0%}, largest {max(widths):.0%}; {report.interval_note}")
    times = []
    for position in (0, 1, 2, 3, 4):
        started = time.perf_counter()
        explain_row(model, rows.iloc[[position]])
        times.append(time.perf_counter() - started)
    print(f"   wb.explain_row: median {np.median(times):.2f} s, worst {max(times):.2f} s over 5 rows (target ≤ 1 s); {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--forest-reference-rows", type=int, default=50)
    parser.add_argument("--skip-forest", action="store_true")
    args = parser.parse_args()
    demo_case(args.rows, args.repeat)
    if not args.skip_forest:
        forest_case(args.forest_reference_rows)


if __name__ == "__main__":
    main()

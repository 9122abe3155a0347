"""``wb.explain`` against raw ``shap.TreeExplainer`` on 10,000 rows × 20 features, in the same run.

The model is the demo Pipeline (ColumnTransformer + HistGradientBoostingClassifier) trained on
seeded credit data with 20 input columns. Both sides explain the same 10,000 rows: shap on the
transformed features (transform included), ``wb.explain`` on the raw rows (transform, SHAP,
columns summed back, importance, the stored sample). Each is run ``--repeat`` times,
alternating, and the best time is kept. Target: ``wb.explain`` at most 1.2× raw shap.

    python benchmarks/explain.py [--rows N] [--repeat K]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shap

from workbench.datasets import make_credit_risk
from workbench.evaluate import build_pipeline, explain


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = make_credit_risk(args.rows + 5_000, seed=1)
    X = frame.drop(columns=["default", "application_date", "age_band"])
    y = frame["default"]
    model = build_pipeline(X.iloc[:5_000], seed=0).fit(X.iloc[:5_000], y.iloc[:5_000])
    rows = X.iloc[5_000:]
    print(f"{len(rows):,} rows × {rows.shape[1]} columns ({model[:-1].transform(rows.head()).shape[1]} model features), "
          f"{model[-1].n_iter_} trees")
    raw_shap(model, rows.head(100)), explain(model, rows.head(100))  # warm both paths up
    reference, ours = best_of(args.repeat, lambda: raw_shap(model, rows), lambda: explain(model, rows, max_rows=len(rows)))
    report = explain(model, rows, max_rows=len(rows))
    print(f"shap.TreeExplainer: {reference:.2f} s")
    print(f"wb.explain:         {ours:.2f} s (report JSON {len(report.to_json()) / 1e6:.1f} MB)")
    print(f"ratio:              {ours / reference:.2f}× (target ≤ 1.2×)")


if __name__ == "__main__":
    main()

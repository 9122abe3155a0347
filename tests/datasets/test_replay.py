"""``replay_weeks``: seeded weeks of held-out rows with generic drift, checked with scipy and sklearn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_absolute_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from workbench.datasets import DEFAULT_WEEKS, REPLAY_SCENARIOS, replay_weeks
from workbench.exceptions import DataError, ParameterError


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame


def _mixed(n_rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "x": rng.normal(size=n_rows), "count": rng.integers(0, 10, n_rows),
        "colour": rng.choice(["red", "blue"], n_rows), "y": rng.choice(["a", "b", "c"], n_rows),
    })


def test_weeks_are_seeded_samples_of_the_rows(cancer) -> None:
    weeks = replay_weeks(cancer, target="target", rows_per_week=80, seed=3)
    again = replay_weeks(cancer, target="target", rows_per_week=80, seed=3)
    other = replay_weeks(cancer, target="target", rows_per_week=80, seed=4)
    assert [w.scenario for w in weeks] == list(DEFAULT_WEEKS)
    for a, b in zip(weeks, again, strict=True):
        pd.testing.assert_frame_equal(a.frame, b.frame)
    assert not weeks[0].frame.equals(other[0].frame)
    quiet = weeks[0].frame
    assert len(quiet) == 80 and weeks[0].changed == ()
    assert quiet.merge(cancer.drop_duplicates(), how="left", indicator=True)["_merge"].eq("both").all()


def test_covariate_shift_moves_the_most_important_numeric_columns(cancer) -> None:
    importance = {"worst radius": 3.0, "mean texture": 2.0, "worst area": 1.0, "mean radius": 0.5}
    kwargs = {"target": "target", "rows_per_week": 200, "importance": importance, "seed": 1}
    shifted = replay_weeks(cancer, scenarios=("covariate_shift",), **kwargs)[0]
    quiet = replay_weeks(cancer, scenarios=("none",), **kwargs)[0]  # the same rows (same seed and week)
    assert shifted.changed == ("worst radius", "mean texture", "worst area")
    for column in shifted.changed:
        step = shifted.frame[column] - quiet.frame[column]
        assert np.allclose(step, 2.0 * cancer[column].std())
        assert ks_2samp(shifted.frame[column], cancer[column]).pvalue < 1e-6
    untouched = [c for c in cancer.columns if c not in shifted.changed]
    pd.testing.assert_frame_equal(shifted.frame[untouched], quiet.frame[untouched])
    assert ks_2samp(quiet.frame["worst radius"], cancer["worst radius"]).pvalue > 0.05


def test_whole_number_columns_stay_whole_and_flags_stay_put() -> None:
    frame = _mixed().assign(flag=lambda f: (f["x"] > 0).astype(int))
    week = replay_weeks(frame, target="y", scenarios=("covariate_shift",), features=["flag", "count", "colour"], seed=0)[0]
    assert week.changed == ("count",) and week.frame["count"].dtype == frame["count"].dtype


def test_new_category_appears_in_the_first_categorical_column() -> None:
    frame = _mixed(400)
    week = replay_weeks(frame, target="y", scenarios=("new_category",), rows_per_week=400, seed=0)[0]
    unseen = week.frame["colour"] == "never-seen-before"
    assert week.changed == ("colour",) and 0.25 < unseen.mean() < 0.35
    assert week.note == f"{int(unseen.sum())} rows of colour = 'never-seen-before', a category never seen in training"
    numeric_only = replay_weeks(frame[["x", "y"]], target="y", scenarios=("new_category",), seed=0)[0]
    assert numeric_only.changed == () and numeric_only.note == "no categorical column: rows unchanged"


def test_concept_drift_relabels_half_the_rows_and_hurts_a_real_model(cancer) -> None:
    X, y = cancer.drop(columns="target"), cancer["target"]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    kwargs = {"target": "target", "rows_per_week": 400, "task": "binary", "seed": 2}
    quiet = replay_weeks(cancer, scenarios=("none",), **kwargs)[0]
    drifted = replay_weeks(cancer, scenarios=("concept_drift",), **kwargs)[0]
    pd.testing.assert_frame_equal(drifted.frame.drop(columns="target"), quiet.frame.drop(columns="target"))
    changed = drifted.frame["target"] != quiet.frame["target"]
    assert 0.4 < changed.mean() < 0.6 and set(drifted.frame["target"]) == {0, 1}
    before = accuracy_score(quiet.frame["target"], model.predict(quiet.frame[X.columns]))
    after = accuracy_score(drifted.frame["target"], model.predict(drifted.frame[X.columns]))
    assert before > 0.9 and before - after > 0.3


def test_concept_drift_of_a_regression_target_reshuffles_values() -> None:
    diabetes = load_diabetes(as_frame=True).frame
    X = diabetes.drop(columns="target")
    model = LinearRegression().fit(X, diabetes["target"])
    kwargs = {"target": "target", "rows_per_week": 300, "seed": 0}
    quiet = replay_weeks(diabetes, scenarios=("none",), **kwargs)[0]
    drifted = replay_weeks(diabetes, scenarios=("concept_drift",), **kwargs)[0]
    assert sorted(drifted.frame["target"]) == sorted(quiet.frame["target"])
    mae = [mean_absolute_error(w.frame["target"], model.predict(w.frame[X.columns])) for w in (quiet, drifted)]
    assert (mae[1] - mae[0]) / mae[0] > 0.2  # what the regression alert latest_mae_rise reads


def test_multiclass_labels_move_to_another_class() -> None:
    frame = _mixed()
    quiet, drifted = (replay_weeks(frame, target="y", scenarios=(s,), rows_per_week=300, seed=5)[0]
                      for s in ("none", "concept_drift"))
    moved = drifted.frame["y"] != quiet.frame["y"]
    assert moved.any() and set(drifted.frame["y"]) <= {"a", "b", "c"}


def test_no_row_is_replayed_twice(cancer) -> None:
    numbered = cancer.assign(row=np.arange(len(cancer)))
    weeks = replay_weeks(numbered, target="target", rows_per_week=50, seed=0)
    rows = np.concatenate([w.frame["row"].to_numpy() for w in weeks])
    assert len(rows) == 300 and len(set(rows)) == 300
    small = replay_weeks(numbered.head(100), target="target", rows_per_week=50, seed=0)
    rows = np.concatenate([w.frame["row"].to_numpy() for w in small])
    assert [len(w.frame) for w in small] == [16] * 6 and len(set(rows)) == 96


def test_refusals() -> None:
    frame = _mixed()
    with pytest.raises(ParameterError) as info:
        replay_weeks(frame, target="y", scenarios=("none", "tsunami"))
    assert str(info.value) == f"Unknown replay scenario(s): 'tsunami'. Use any of: {', '.join(REPLAY_SCENARIOS)}."
    with pytest.raises(DataError) as info:
        replay_weeks(frame.drop(columns="y"), target="y")
    assert str(info.value).startswith("The rows to replay have no target column 'y'.")

"""Small datasets written as a user would have them: CSV or Parquet files of mixed columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def _mixed_frame(n_rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Numeric, integer, categorical and boolean features with a binary text target."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50_000, 12_000, n_rows).round(2)
    score = rng.integers(300, 850, n_rows)
    region = rng.choice(["north", "south", "east", "west"], n_rows)
    churned = np.where(rng.random(n_rows) < 1 / (1 + np.exp((score - 600) / 60)), "yes", "no")
    return pd.DataFrame({
        "income": income,
        "score": score,
        "region": region,
        "member": rng.random(n_rows) < 0.4,
        "group": rng.choice(["a", "b"], n_rows),
        "churned": churned,
    })


@pytest.fixture
def mixed_frame():
    """``mixed_frame(n_rows=400, seed=0)``: the frame of :func:`_mixed_frame`."""
    return _mixed_frame


@pytest.fixture
def write_data(tmp_path: Path):
    """``write_data(frame, name="data.csv")``: the frame written as CSV or Parquet (by suffix)."""

    def write(frame: pd.DataFrame, name: str = "data.csv") -> Path:
        path = tmp_path / "source" / name
        path.parent.mkdir(exist_ok=True)
        if path.suffix == ".csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        return path

    return write

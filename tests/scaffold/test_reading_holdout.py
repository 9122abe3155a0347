"""Reading the user's file (types settled once) and choosing the held-out production rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench.exceptions import DataError
from workbench.scaffold.columns import column_roles
from workbench.scaffold.holdout import MIN_PRODUCTION_ROWS, holdout_mask
from workbench.scaffold.reading import read_source
from workbench.tasks import MIN_CLASS_ROWS


def test_parquet_types_are_settled(tmp_path: Path) -> None:
    table = pa.table({
        "city": pa.array(["a", "b", "a"]).dictionary_encode(),
        "day": pa.array([dt.date(2024, 1, 1), dt.date(2024, 1, 2), None], type=pa.date32()),
        "price": pa.array(["1.50", "2.25", "3.00"]).cast(pa.decimal128(5, 2)),
        "blob": pa.array([b"x", b"y", b"z"]),
    })
    path = tmp_path / "d.parquet"
    pq.write_table(table, path)
    read = read_source(path)
    assert read.schema.field("city").type == pa.string()
    assert pa.types.is_timestamp(read.schema.field("day").type)
    assert read.schema.field("price").type == pa.float64()
    assert read.schema.field("blob").type == pa.string()
    frame = read.to_pandas()
    assert pd.api.types.is_datetime64_any_dtype(frame["day"]) and frame["price"].tolist() == [1.5, 2.25, 3.0]


def test_csv_empty_fields_are_missing_and_dates_are_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("name,when,x\nann,2024-01-01,1\n,2024-02-01,\nbob,,3\n")
    frame = read_source(path).to_pandas()
    assert frame["name"].isna().tolist() == [False, True, False]
    assert pd.api.types.is_datetime64_any_dtype(frame["when"]) and frame["x"].isna().sum() == 1


def test_duplicated_and_blank_column_names(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(DataError) as info:
        read_source(path)
    assert str(info.value) == f"{path} has duplicated column names: 'a'. Give every column a unique name."
    path.write_text("a,,c\n1,2,3\n")
    with pytest.raises(DataError) as info:
        read_source(path)
    assert str(info.value).startswith(f"{path} has a column without a name (column 2).")


def test_nested_columns_are_dropped_with_a_note(tmp_path: Path) -> None:
    frame = pd.DataFrame({"tags": [[1, 2], [3], []] * 10, "x": np.arange(30.0)})
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    roles = column_roles(read_source(path).to_pandas(), named=())
    assert [n.column for n in roles.dropped] == ["tags"]
    assert roles.dropped[0].message.startswith("'tags' holds nested values (")


def test_unique_amounts_are_features_but_numbered_rows_are_ids() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "amount": rng.permutation(np.arange(10_000, 10_100)),    # unique whole numbers, not consecutive from a name
        "row_number": np.arange(100),                            # consecutive: an ID
        "account_key": rng.permutation(100) * 7 + 3,             # named like an ID
        "measure": rng.normal(size=100),                         # unique floats: a feature
    })
    frame["amount"] = frame["amount"] * 3
    roles = column_roles(frame, named=())
    assert roles.id_columns == ("row_number", "account_key")
    assert roles.numeric == ("amount", "measure")


def test_time_holdout_takes_the_latest_rows() -> None:
    times = pd.Series(pd.to_datetime("2024-01-01") + pd.to_timedelta(np.random.default_rng(0).permutation(500), "D"))
    mask = holdout_mask(n_rows=500, share=0.2, seed=0, times=times)
    assert mask.sum() == 100 and times[mask].min() > times[~mask].max()


def test_stratified_holdout_keeps_every_class_trainable() -> None:
    target = pd.Series(["a"] * 300 + ["b"] * 100 + ["c"] * 6)
    mask = holdout_mask(n_rows=len(target), share=0.2, seed=1, target=target)
    held = target[mask].value_counts()
    assert held["a"] == 60 and held["b"] == 20
    assert (~mask & (target == "c")).sum() >= MIN_CLASS_ROWS
    again = holdout_mask(n_rows=len(target), share=0.2, seed=1, target=target)
    assert (mask == again).all()


def test_small_data_still_holds_out_enough_rows_to_send() -> None:
    assert holdout_mask(n_rows=50, share=0.05, seed=0).sum() == MIN_PRODUCTION_ROWS

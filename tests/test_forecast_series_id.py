"""One rule for the series key ``unique_id``: ``data.series.series_id`` (pandas) and
``series_id_sql`` (DuckDB, used by ``to_series``) agree, and the forecast package names
series by it (manager forecasts, bottom-up groups)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from lean_analysis import data, forecast
from lean_analysis.data.series import series_id, series_id_sql

# One column per SQL type, awkward values included; NULL in every column.
ROWS = [
    # i BIGINT, f DOUBLE, g FLOAT, b BOOLEAN, s VARCHAR
    (3, 1.0, 2.0, True, "红塔山(软)"),
    (-7, 2.5, 1.5, False, "a|b"),
    (None, -0.0, None, None, None),
    (0, None, 0.25, True, ""),
    (12345678901, 1e20, -3.0, False, "(missing)"),
    (1, 0.1, 4.0, None, "1.0"),
]
TYPES = {"i": "BIGINT", "f": "DOUBLE", "g": "FLOAT", "b": "BOOLEAN", "s": "VARCHAR"}
# The ids by hand: integer-valued floats without a decimal point, NULL -> (missing).
EXPECTED = {
    ("i", "f", "b", "s"): ["3|1|true|红塔山(软)", "-7|2.5|false|a|b",
                           "(missing)|0|(missing)|(missing)", "0|(missing)|true|",
                           "12345678901|100000000000000000000|false|(missing)",
                           "1|0.1|(missing)|1.0"],
    ("g",): ["2", "1.5", "(missing)", "0.25", "-3", "4"],
}


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    cols = ", ".join(f"{k} {t}" for k, t in TYPES.items())
    c.execute(f"CREATE TABLE t (k INTEGER, {cols})")
    c.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
                  [(k, *r) for k, r in enumerate(ROWS)])
    c.execute("INSERT INTO t VALUES (99, NULL, 'NaN'::DOUBLE, 'NaN'::FLOAT, NULL, NULL)")
    yield c
    c.close()


@pytest.mark.parametrize("level", list(EXPECTED))
def test_sql_and_python_agree_on_awkward_values(con, level):
    level = list(level)
    sql = con.execute(f"SELECT {series_id_sql(level)} AS uid FROM t ORDER BY k").df()["uid"]
    # the same values as pandas reads them from DuckDB (nullable Int64 / boolean, float32,
    # NaN for NULL in floats), and with the integers as float64 (what a gap makes of them) ...
    frame = con.execute(f"SELECT {', '.join(level)} FROM t ORDER BY k").df()
    assert series_id(frame, level).tolist() == sql.tolist()
    if "i" in level:
        floats = frame.astype({"i": "float64"})
        assert floats["i"].dtype == np.float64
        assert series_id(floats, level).tolist() == sql.tolist()
    # ... and as plain Python values (ints, floats, bools, None) in object columns
    raw = pd.DataFrame([r for r in ROWS] + [(None, float("nan"), float("nan"), None, None)],
                       columns=list(TYPES), dtype=object)
    assert series_id(raw, level).tolist() == sql.tolist()
    assert sql.tolist()[:-1] == EXPECTED[tuple(level)]
    assert sql.tolist()[-1] == "|".join(["(missing)"] * len(level))  # NaN reads as NULL


def test_one_series_values_and_total(con):
    assert series_id((True, 1.0, "卷烟"), ["is_key_brand", "price_class", "brand"]) == "true|1|卷烟"
    assert series_id(np.int64(5), "price_class") == "5"
    assert series_id((), "total") == "total"
    assert series_id({"brand": ["x", None]}, []).tolist() == ["total", "total"]
    assert con.execute(f"SELECT {series_id_sql([])}").fetchone()[0] == "total"
    assert series_id(pd.DataFrame({"a": [pd.NA, np.float32(2.0)]}, dtype=object), "a").tolist() \
        == ["(missing)", "2"]
    with pytest.raises(ValueError, match="missing level column"):
        series_id(pd.DataFrame({"a": [1]}), ["b"])
    with pytest.raises(ValueError, match="2 value"):
        series_id((1, 2), ["a"])


def test_to_series_and_forecast_name_series_alike(small_tables):
    level = ["brand", "price_class", "is_key_brand"]
    s = data.to_series(small_tables, level=level, freq="MS")
    assert s["unique_id"].tolist() == series_id(s, level).tolist()
    # products with a float price_class (as after a merge with gaps): the same ids
    products = small_tables["products"].astype({"price_class": float})
    groups = products.rename(columns={"product_id": "unique_id"})
    bottom = data.to_series(small_tables, level=["product_id"], freq="MS")
    bt = bottom.loc[bottom["ds"] >= bottom["ds"].max() - pd.DateOffset(months=1),
                    ["unique_id", "ds", "y"]].assign(model="naive", forecast=1.0,
                                                     cutoff=bottom["ds"].min(), step=1)
    agg, _ = forecast.aggregate(bt, bottom, groups, level)
    assert set(agg["unique_id"]) <= set(s["unique_id"])
    mgr = forecast.manager_frame(small_tables, level=level)
    assert set(mgr["unique_id"]) <= set(series_id(products, level))
    assert set(mgr["unique_id"]) & set(s["unique_id"])

"""to_series against an independent pandas computation, capped share, spans and filters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_data_common import good_frames, write

from lean_analysis import config, data


@pytest.fixture(scope="module")
def frames():
    return good_frames()


@pytest.fixture(scope="module")
def tables(frames, tmp_path_factory):
    return data.load(write(tmp_path_factory.mktemp("series"), frames))


def reference(frames, level, freq, value, unit, keep=None):
    """The same series computed with pandas from the frames (not from the loaded tables)."""
    o = frames["orders"].copy()
    o["week"] = pd.to_datetime(o["week"])
    p = frames["products"].copy()
    p["is_key_brand"] = p["is_key_brand"].map({"true": True, "false": False})
    p["launch_date"] = pd.to_datetime(p["launch_date"])
    c = frames["customers"].copy()
    c["tier_band"] = c["tier"].map(config.tier_band)
    m = o.merge(p, on="product_id", how="left").merge(c, on="customer_id", how="left")
    m["ds"] = m["week"].dt.to_period("M").dt.start_time if freq == "MS" else m["week"]
    end = m["ds"].max()
    start = m["ds"].min()
    if keep is not None:
        m = m[keep(m)]
    keys = list(level) or ["_all"]
    m["_all"] = "total"
    m["at_cap"] = m["cap_qty"].notna() & (m["order_qty"] >= m["cap_qty"])
    m["has_cap"] = m["cap_qty"].notna()
    g = m.groupby(keys + ["ds"])
    agg = pd.DataFrame({"y": g[value].sum(), "n_lines": g.size(), "n_cap": g["has_cap"].sum(),
                        "n_at": g["at_cap"].sum()}).reset_index()
    step = "MS" if freq == "MS" else "W-MON"
    out = []
    for key, s in agg.groupby(keys):
        key = key if isinstance(key, tuple) else (key,)
        nz = s.loc[s["y"] != 0, "ds"]
        if nz.empty:
            continue
        first = nz.min()
        if "product_id" in level:
            launch = p.set_index("product_id").loc[key[keys.index("product_id")], "launch_date"]
            if pd.notna(launch):
                launch = launch.to_period("M").start_time if freq == "MS" else \
                    launch - pd.Timedelta(days=launch.weekday())
                first = max(start, min(first, launch))
        grid = pd.DataFrame({"ds": pd.date_range(first, end, freq=step)})
        s = grid.merge(s, on="ds", how="left")
        for k, v in zip(keys, key, strict=True):
            s[k] = v
        out.append(s)
    r = pd.concat(out, ignore_index=True)
    r[["y", "n_lines", "n_cap", "n_at"]] = r[["y", "n_lines", "n_cap", "n_at"]].fillna(0)
    r["capped_share"] = np.where(r["n_cap"] > 0, r["n_at"] / r["n_cap"].where(r["n_cap"] > 0), np.nan)
    if unit == "case" and value != "amount":
        r["y"] = r["y"] / 250

    def uid(row):
        if not level:
            return "total"
        return "|".join(str(row[k]).lower() if isinstance(row[k], bool | np.bool_) else str(row[k])
                        for k in level)

    r["unique_id"] = r.apply(uid, axis=1)
    return r.sort_values(["unique_id", "ds"]).reset_index(drop=True)


CASES = [
    (["product_id"], "MS", "order_qty", "carton"),
    (["product_id"], "W", "demand_qty", "case"),
    (["brand"], "W", "order_qty", "case"),
    (["price_class"], "MS", "cap_qty", "carton"),
    (["is_key_brand", "area"], "MS", "order_qty", "case"),
    (["tier_band"], "MS", "amount", "case"),
    (["tier"], "W", "order_qty", "carton"),
    (["format", "manager_id"], "MS", "demand_qty", "carton"),
    (["customer_id"], "W", "amount", "carton"),
    ([], "MS", "order_qty", "case"),
    ([], "W", "cap_qty", "case"),
]


@pytest.mark.parametrize("level,freq,value,unit", CASES)
def test_against_pandas(tables, frames, level, freq, value, unit):
    got = data.to_series(tables, level=level, freq=freq, value=value, unit=unit)
    want = reference(frames, level, freq, value, unit)
    assert list(got.columns) == ["unique_id", "ds", "y", *level, "n_lines", "n_cap_lines",
                                 "capped_share"]
    assert got["unique_id"].tolist() == want["unique_id"].tolist()
    assert got["ds"].tolist() == want["ds"].tolist()
    np.testing.assert_allclose(got["y"], want["y"], rtol=1e-12, atol=1e-9)
    assert got["n_lines"].tolist() == want["n_lines"].astype(int).tolist()
    assert got["n_cap_lines"].tolist() == want["n_cap"].astype(int).tolist()
    np.testing.assert_allclose(got["capped_share"], want["capped_share"], rtol=1e-12)
    for k in level:
        assert [str(v) for v in got[k]] == [str(v) for v in want[k]]
    assert got["ds"].dtype == "datetime64[ns]"


def test_zero_months_and_launch(tables, frames):
    s = data.to_series(tables, level="product_id", freq="month")
    p3 = s[s.unique_id == "P03"].set_index("ds")
    # P03 has no orders in February 2025: a zero, not a gap
    assert p3.loc["2025-02-01", "y"] == 0 and p3.loc["2025-02-01", "n_lines"] == 0
    # product 0004 launched 2025-01-20, first ordered in February: starts in January at 0
    p4 = s[s.unique_id == "0004"]
    assert p4["ds"].min() == pd.Timestamp("2025-01-01") and p4["y"].iloc[0] == 0
    w = data.to_series(tables, level="product_id", freq="week")
    assert w[w.unique_id == "0004"]["ds"].min() == pd.Timestamp("2025-01-20")
    assert s.attrs["all_zero_series"] == 0 and s.attrs["partial_period_dropped"] is None


def test_capped_share_by_hand(tables, frames):
    """P01, January 2025: lines with a cap whose order reached it ÷ lines with a cap."""
    o = frames["orders"]
    jan = o[(o.product_id == "P01") & (o.week < "2025-02-01")]
    capped = jan[jan.cap_qty.notna()]
    share = (capped.order_qty >= capped.cap_qty).sum() / len(capped)
    s = data.to_series(tables, level=["product_id"], freq="MS")
    row = s[(s.unique_id == "P01") & (s.ds == "2025-01-01")].iloc[0]
    assert row["capped_share"] == pytest.approx(share)
    assert row["n_cap_lines"] == len(capped) and row["n_lines"] == len(jan)
    assert 0 < share < 1
    # P02 is never rationed: no capped lines, no share
    p2 = s[s.unique_id == "P02"]
    assert p2["capped_share"].isna().all() and (p2["n_cap_lines"] == 0).all()


def test_case_is_carton_over_250(tables):
    a = data.to_series(tables, level=["brand"], unit="carton")
    b = data.to_series(tables, level=["brand"], unit="case")
    np.testing.assert_allclose(b["y"], a["y"] / 250)
    m1 = data.to_series(tables, level=["brand"], value="amount", unit="carton")
    m2 = data.to_series(tables, level=["brand"], value="amount", unit="case")
    np.testing.assert_array_equal(m1["y"], m2["y"])  # ¥ stay ¥


def test_where_as_sql_or_dict(tables, frames):
    a = data.to_series(tables, level=["product_id"], where="area = 'urban' AND is_key_brand")
    b = data.to_series(tables, level=["product_id"], where={"area": "urban",
                                                            "is_key_brand": True})
    pd.testing.assert_frame_equal(a, b)
    want = reference(frames, ["product_id"], "MS", "order_qty", "carton",
                     keep=lambda m: (m["area"] == "urban") & m["is_key_brand"])
    assert a["unique_id"].tolist() == want["unique_id"].tolist()
    np.testing.assert_allclose(a["y"], want["y"])
    c = data.to_series(tables, level=[], where={"customer_id": ["007", "C002"]})
    o = frames["orders"]
    assert c["y"].sum() == o[o.customer_id.isin(["007", "C002"])]["order_qty"].sum()
    with pytest.raises(ValueError, match="unknown column"):
        data.to_series(tables, where={"region": "x"})


def test_start_and_end(tables):
    full = data.to_series(tables, level=["product_id"], freq="W")
    part = data.to_series(tables, level=["product_id"], freq="W", start="2025-02-05",
                          end="2025-03-10")
    assert part["ds"].min() == pd.Timestamp("2025-02-03")
    assert part["ds"].max() == pd.Timestamp("2025-03-10")
    merged = part.merge(full, on=["unique_id", "ds"], suffixes=("", "_full"))
    assert len(merged) == len(part)
    np.testing.assert_array_equal(merged["y"], merged["y_full"])


def test_incomplete_last_month_is_dropped(frames, tmp_path):
    fr = {k: v.copy() for k, v in frames.items()}
    extra = fr["orders"][fr["orders"].week == "2025-03-31"].copy()
    extra["week"] = "2025-04-07"  # April's first week only
    fr["orders"] = pd.concat([fr["orders"], extra], ignore_index=True)
    t = data.load(write(tmp_path, fr))
    s = data.to_series(t, level=[])
    assert s["ds"].max() == pd.Timestamp("2025-03-01")
    assert s.attrs["partial_period_dropped"] == "2025-04-01"
    kept = data.to_series(t, level=[], partial="keep")
    assert kept["ds"].max() == pd.Timestamp("2025-04-01")
    assert kept["y"].iloc[-1] == extra["order_qty"].sum()
    assert data.to_series(t, level=[], end="2025-04")["ds"].max() == pd.Timestamp("2025-04-01")
    assert data.to_series(t, level=[], freq="W")["ds"].max() == pd.Timestamp("2025-04-07")


def test_same_output_twice(tables):
    a = data.to_series(tables, level=["customer_id"], freq="W", value="amount")
    b = data.to_series(tables, level=["customer_id"], freq="W", value="amount")
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("kwargs,match", [
    ({"level": ["region"]}, "unknown level"),
    ({"freq": "D"}, "freq"),
    ({"value": "qty"}, "value"),
    ({"unit": "box"}, "unit"),
    ({"partial": "maybe"}, "partial"),
])
def test_bad_arguments(tables, kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.to_series(tables, **kwargs)

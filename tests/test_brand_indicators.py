"""Cultivation indicators on hand-made order lines and shelf checks, values computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_analysis import brand

PRICE = {"P": 200.0, "Q": 100.0}
BRAND = {"P": "X", "Q": "Y"}


@pytest.fixture()
def lines() -> pd.DataFrame:
    rows = [
        # week (Monday), customer, product, order, cap
        ("2026-01-05", "A", "P", 10, 10), ("2026-01-05", "B", "Q", 5, None),
        ("2026-01-05", "C", "Q", 3, None), ("2026-01-05", "D", "P", 0, 5),
        ("2026-02-02", "A", "Q", 2, None), ("2026-02-02", "D", "Q", 4, None),
        ("2026-03-02", "B", "P", 6, 10), ("2026-03-02", "A", "P", 4, 10),
        ("2026-03-30", "B", "P", 1, None),  # Monday 30 March: the week belongs to March
        ("2026-04-06", "A", "P", 5, None), ("2026-04-06", "E", "P", 2, None),
        ("2026-04-06", "C", "Q", 1, None), ("2026-04-13", "B", "Q", 1, None),
    ]
    df = pd.DataFrame(rows, columns=["week", "customer_id", "product_id", "order_qty", "cap_qty"])
    df["week"] = pd.to_datetime(df["week"])
    df["order_qty"] = df["order_qty"].astype(float)
    df["cap_qty"] = df["cap_qty"].astype(float)
    df["demand_qty"] = df["order_qty"]
    df["amount"] = df["order_qty"] * df["product_id"].map(PRICE)
    df["brand"] = df["product_id"].map(BRAND)
    df["group"] = np.where(df["customer_id"].isin(["A", "B"]), "target", "comparison")
    return df


@pytest.fixture()
def checks() -> pd.DataFrame:
    rows = [("2026-04-07", "A", "P", False), ("2026-04-20", "A", "P", True),
            ("2026-04-10", "B", "P", True), ("2026-04-12", "C", "P", False),
            ("2026-03-20", "D", "P", True)]  # D checked in March only
    df = pd.DataFrame(rows, columns=["date", "customer_id", "product_id", "on_shelf"])
    df["date"] = pd.to_datetime(df["date"])
    df["brand"] = df["product_id"].map(BRAND)
    return df


def at(df: pd.DataFrame, period: str, **keys) -> pd.Series:
    m = df["period"] == pd.Timestamp(period)
    for k, v in keys.items():
        m &= df[k] == v
    assert m.sum() == 1, (period, keys, df)
    return df[m].iloc[0]


def test_sales_cases_and_value_per_case(lines):
    s = brand.sales(lines, by=["product_id"])
    mar = at(s, "2026-03", product_id="P")
    assert mar["cartons"] == 11  # 6 + 4 + the week of Monday 30 March
    assert mar["cases"] == pytest.approx(11 / 250)
    assert mar["amount"] == 2200
    assert mar["value_per_case"] == pytest.approx(50_000)  # ¥200/carton × 250
    assert mar["customers"] == 2


def test_share_by_brand(lines):
    s = brand.share(lines, item="brand")
    assert at(s, "2026-01", brand="X")["share"] == pytest.approx(10 / 18)
    assert at(s, "2026-03", brand="X")["share"] == 1.0
    v = brand.share(lines, item="brand", value="amount")
    assert at(v, "2026-01", brand="X")["share"] == pytest.approx(2000 / 2800)


def test_coverage_active_base(lines):
    c = brand.coverage(lines, item="product_id")
    apr = at(c, "2026-04", product_id="P")
    # active in April: ordered anything in Jan–Mar: A, B, C, D (D's January line has order 0
    # but D ordered Q in February); P ordered in April by A and E (new): 1 / 4
    assert (apr["n_active"], apr["n_ordered"], apr["n_ordered_not_active"]) == (4, 1, 1)
    assert apr["coverage"] == pytest.approx(0.25)
    assert bool(apr["window_complete"])
    every = brand.coverage(lines, item="product_id", numerator="all")
    assert at(every, "2026-04", product_id="P")["coverage"] == pytest.approx(0.5)
    assert not bool(at(c, "2026-02", product_id="P")["window_complete"])


def test_sell_through_and_repurchase(lines):
    st = brand.sell_through(lines, item="product_id")
    apr = at(st, "2026-04", product_id="P")
    # base: ordered P in Jan–Mar = A, B; of them A orders P in April: 1 / 2
    assert (apr["n_base"], apr["n_ordered"], apr["sell_through"]) == (2, 1, 0.5)
    rp = brand.repurchase_rate(lines, item="product_id")
    a = at(rp, "2026-04", product_id="P")
    assert (a["n_ordered"], a["n_repeat"], a["repurchase_rate"]) == (2, 1, 0.5)  # A in Mar and Apr
    assert at(rp, "2026-03", product_id="P")["repurchase_rate"] == 0.0  # nobody ordered P in Feb


def test_order_fill_and_at_cap_share(lines):
    f = brand.order_fill(lines, item="product_id")
    jan = at(f, "2026-01", product_id="P")
    assert jan["order_fill_rate"] == pytest.approx(10 / 15)
    assert jan["order_at_cap_share"] == pytest.approx(0.5)
    mar = at(f, "2026-03", product_id="P")
    assert mar["order_fill_rate"] == pytest.approx(0.5)  # (4 + 6) / (10 + 10)
    assert (mar["n_at_cap"], mar["n_lines"], mar["n_uncapped"]) == (0, 2, 1)


def test_on_shelf_rate(checks):
    targets = ["A", "B", "C", "D"]
    r = brand.on_shelf_rate(checks, targets, item="product_id")
    apr = at(r, "2026-04", product_id="P")
    # latest April check: A on (20 April), B on, C off, D unchecked -> 2 / 4
    assert (apr["n_on_shelf"], apr["n_checked"], apr["n_targets"]) == (2, 3, 4)
    assert apr["on_shelf_rate"] == 0.5
    ex = brand.on_shelf_rate(checks, targets, item="product_id", unchecked="exclude")
    assert at(ex, "2026-04", product_id="P")["on_shelf_rate"] == pytest.approx(2 / 3)
    latest = brand.on_shelf_rate(checks, targets, freq=None, as_of="2026-04-30")
    assert latest.iloc[0]["on_shelf_rate"] == 0.75  # D's March check counts when no period


def test_new_product_launch_and_days_to_shelf(lines, checks):
    d = brand.days_to_shelf(checks, "2026-04-01", ["A", "B", "C", "D"], "P")
    assert d.set_index("customer_id")["days_to_shelf"].to_dict() == pytest.approx(
        {"A": 19, "B": 9, "C": np.nan, "D": np.nan}, nan_ok=True)
    products = pd.DataFrame({"product_id": ["P", "Q"], "brand": ["X", "Y"],
                             "launch_date": [pd.Timestamp("2026-04-01"), pd.NaT]})
    out, days = brand.new_product_launches(products, lines, checks, targets=["A", "B", "C", "D"],
                                           as_of="2026-04-30", return_days=True)
    assert days.set_index("customer_id")["days_to_shelf"].to_dict() == pytest.approx(
        {"A": 19, "B": 9, "C": np.nan, "D": np.nan}, nan_ok=True)
    assert list(out["product_id"]) == ["P"]
    row = out.iloc[0]
    # ordered since launch: B (week of Monday 30 March holds 1 April) and A -> 2 / 4
    assert (row["n_targets"], row["n_ordered"], row["coverage"]) == (4, 2, 0.5)
    # on the shelf among the checked since launch: A (latest on), B (on), C (off); D's only
    # check is before launch -> 2 / 3, with 3 of 4 targets checked
    assert (row["n_on_shelf"], row["n_checked"]) == (2, 3)
    assert row["on_shelf_rate"] == pytest.approx(2 / 3) and row["checked_share"] == 0.75
    assert row["median_days_to_shelf"] == 14.0 and row["n_never_on_shelf"] == 2
    assert not row["coverage_met"] and not row["on_shelf_met"]


def test_indicator_panel_by_group(lines, checks):
    targets = pd.DataFrame({"customer_id": ["A", "B", "C", "D"],
                            "group": ["target", "target", "comparison", "comparison"]})
    panel = brand.indicator_panel(lines, item="brand", by=["group"], checks=checks, targets=targets,
                                  items=["X"])
    assert set(panel["brand"]) == {"X"}
    tgt_mar = at(panel, "2026-03", group="target")
    assert tgt_mar["cartons"] == 11 and tgt_mar["share"] == 1.0
    tgt_apr = at(panel, "2026-04", group="target")
    # target group in April: active A, B; brand X ordered by A -> coverage 1/2; on shelf A, B
    assert tgt_apr["coverage"] == 0.5
    assert tgt_apr["on_shelf_rate"] == 1.0
    assert tgt_apr["share"] == pytest.approx(5 / 6)  # A: 5 cartons of P, B: 1 of Q
    cmp_apr = at(panel, "2026-04", group="comparison")
    assert cmp_apr["on_shelf_rate"] == 0.0  # C off; D not checked in April: not counted
    assert cmp_apr["checked_share"] == 0.5 and tgt_apr["checked_share"] == 1.0


def test_missing_column_is_named(lines):
    with pytest.raises(ValueError, match="lack column\\(s\\) \\['amount'\\]"):
        brand.sales(lines.drop(columns="amount"))

"""lean_analysis.kpis on the small sample county: the planted truth and an independent
pandas computation from the CSV files."""

from __future__ import annotations

import pandas as pd
import pytest

from lean_analysis import kpis
from lean_analysis.report.metrics import metric, read_metrics, write_metrics

PERIOD = "2026-10"


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-12)


@pytest.fixture(scope="module")
def raw(small_dir):
    """The orders joined to products and customers, read with pandas (not through kpis)."""
    orders = pd.read_csv(small_dir / "orders.csv", dtype={"customer_id": str, "product_id": str})
    products = pd.read_csv(small_dir / "products.csv", dtype={"product_id": str})
    customers = pd.read_csv(small_dir / "customers.csv", dtype={"customer_id": str})
    df = orders.merge(products, on="product_id").merge(customers, on="customer_id")
    df["month"] = pd.to_datetime(df["week"]).dt.to_period("M").astype(str)
    return df


def buyers(df, months, product=None):
    d = df[df["month"].isin(months) & (df["order_qty"] > 0)]
    if product is not None:
        d = d[d["product_id"] == product]
    return set(d["customer_id"])


def test_all_data_shares_equal_the_planted_truth(small_tables, small_truth):
    assert kpis.key_brand_share(small_tables, None, span="all") == approx(
        small_truth["key_brand_share"]["value"])
    assert kpis.key_brand_share(small_tables, None, span="all", basis="volume") == approx(
        small_truth["key_brand_share"]["volume"])
    assert kpis.retailer_margin(small_tables, None, span="all") == approx(small_truth["retailer_margin"])
    first, last = kpis.covered_months(small_tables)
    assert str(last) == small_truth["last_full_month"]
    assert str(first) == small_truth["first_week"][:7]       # the sample starts on a first Monday


def test_sales_match_pandas(small_tables, raw):
    s = kpis.sales(small_tables, PERIOD, by="price_class").set_index("price_class")
    for pc, g in raw.groupby("price_class"):
        now = g.loc[g["month"] == PERIOD, "order_qty"].sum() / 250
        ly = g.loc[g["month"] == "2025-10", "order_qty"].sum() / 250
        assert s.loc[pc, "cases"] == approx(now)
        assert s.loc[pc, "cases_yoy"] == approx(now / ly - 1)
    total = kpis.sales(small_tables, PERIOD).iloc[0]
    cur = raw[raw["month"] == PERIOD]
    assert total["value_10k"] == approx(cur["amount"].sum() / 1e4)
    assert total["value_per_case"] == approx(cur["amount"].sum() / (cur["order_qty"].sum() / 250))
    area = kpis.sales(small_tables, PERIOD, by="area")
    assert area["cases"].sum() == approx(total["cases"])


def test_customer_indicators_match_pandas(small_tables, raw):
    active = buyers(raw, ["2026-07", "2026-08", "2026-09"])
    assert kpis.active_customers(small_tables, PERIOD) == len(active)
    pi = kpis.product_indicators(small_tables, PERIOD).set_index("product_id")
    for pid in pi.index:
        now = buyers(raw, [PERIOD], pid)
        base = buyers(raw, ["2026-07", "2026-08", "2026-09"], pid)
        prev = buyers(raw, ["2026-09"], pid)
        assert pi.loc[pid, "coverage"] == approx(len(now & active) / len(active))
        if base:
            assert pi.loc[pid, "sell_through"] == approx(len(now & base) / len(base))
        if now:
            assert pi.loc[pid, "repurchase_rate"] == approx(len(now & prev) / len(now))
        lines = raw[(raw["month"] == PERIOD) & (raw["product_id"] == pid)]
        capped = lines[lines["cap_qty"] > 0]
        if len(capped):
            assert pi.loc[pid, "order_fill_rate"] == approx(capped["order_qty"].sum() / capped["cap_qty"].sum())
            assert pi.loc[pid, "order_at_cap_share"] == approx(
                (capped["order_qty"] >= capped["cap_qty"]).mean())
        demand = lines[lines["demand_qty"] > 0]
        assert pi.loc[pid, "stock_out_rate"] == approx((demand["order_qty"] == 0).mean())
    assert pi["order_fill_rate"].notna().any()               # the sample has rationed lines


def test_manager_scores_match_the_table(small_tables, small_dir, small_truth):
    tests = pd.read_csv(small_dir / "manager_tests.csv")
    tests["month"] = tests["month"].str[:7]
    ytd = tests[(tests["month"] >= "2026-01") & (tests["month"] <= PERIOD)]
    m = kpis.manager_scores(small_tables, PERIOD).set_index("manager_id")
    assert set(m.index) == set(ytd["manager_id"]) <= set(small_truth["manager_ids"])
    for mid, g in ytd.groupby("manager_id"):
        assert m.loc[mid, "ytd_mean"] == approx(g["score"].mean())
        assert m.loc[mid, "score"] == approx(g.loc[g["month"] == PERIOD, "score"].iloc[0])


def test_scorecard_statuses_with_planted_metrics(small_tables, small_truth, raw, tmp_path):
    ytd = raw[(raw["month"] >= "2026-01") & (raw["month"] <= PERIOD)]
    margin = ((ytd["order_qty"] * (ytd["retail_price"] - ytd["wholesale_price"])).sum()
              / (ytd["order_qty"] * ytd["retail_price"]).sum())
    share = ytd.loc[ytd["is_key_brand"], "amount"].sum() / ytd["amount"].sum()
    targets = {
        "retailer_margin": {"value": margin - 0.001, "unit": "share", "direction": ">="},
        "key_brand_share": {"value": 100 * share + 0.1, "unit": "%", "direction": ">="},
        "satisfaction": {"value": 90, "unit": "index", "direction": ">="},
        "target_on_shelf_rate": {"value": 1.0, "unit": "share", "direction": ">="},
        "new_product_coverage": {"value": 1.0, "unit": "share", "direction": ">="},
    }
    write_metrics(tmp_path, "03_satisfaction_survey", PERIOD,
                  {"satisfaction_index": metric(92.5, "index", "planted")})
    write_metrics(tmp_path, "02_brand_cultivation", PERIOD,
                  {"target_on_shelf_rate": metric(0.8, "share", "planted")})
    others = {r: read_metrics(tmp_path, r) for r in ("03_satisfaction_survey", "02_brand_cultivation")}
    sc = kpis.scorecard(small_tables, PERIOD, targets, others).set_index("indicator")
    assert sc.loc["retailer_margin", "actual"] == approx(margin)
    assert sc.loc["retailer_margin", "status"] == "met"
    assert sc.loc["key_brand_share", "actual"] == approx(100 * share)
    assert sc.loc["key_brand_share", "status"] == "not_met"
    assert sc.loc["satisfaction", "status"] == "met" and sc.loc["satisfaction", "actual"] == 92.5
    assert sc.loc["target_on_shelf_rate", "status"] == "not_met"
    launched = {y: {n["product_id"] for n in small_truth["new_products"]
                    if n["launch_date"][:4] == y} for y in ("2025", "2026")}
    if not launched["2026"]:
        assert sc.loc["new_product_coverage", "status"] == "not_measured"
    # without the other reports' metrics those two are not measured
    bare = kpis.scorecard(small_tables, PERIOD, targets, {"03_satisfaction_survey": None})
    bare = bare.set_index("indicator")
    assert bare.loc["satisfaction", "status"] == "not_measured"
    assert bare.loc["target_on_shelf_rate", "status"] == "not_measured"
    # 2025: the products the sample launched in 2025, coverage against independent counts
    sc25 = kpis.scorecard(small_tables, "2025-12", targets).set_index("indicator")
    npc = kpis.new_product_coverage(small_tables, "2025-12").set_index("product_id")
    assert set(npc.index) == launched["2025"] and launched["2025"]
    active = buyers(raw, ["2025-09", "2025-10", "2025-11"])
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    expected = [len(buyers(raw, months, pid) & active) / len(active) for pid in sorted(launched["2025"])]
    assert list(npc.loc[sorted(launched["2025"]), "coverage"]) == [approx(x) for x in expected]
    assert sc25.loc["new_product_coverage", "actual"] == approx(sum(expected) / len(expected))

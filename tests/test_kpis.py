"""lean_analysis.kpis on hand-made tables: every expected value is worked by hand below."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from lean_analysis import kpis
from lean_analysis.data.schemas import SCHEMAS
from lean_analysis.data.tables import Tables

DUCK_TYPES = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "date": "DATE"}

# --------------------------------------------------------------------------- toy county

PRODUCTS = [
    # product_id, brand, name, price_class, wholesale, retail, key, launch
    ("K", "芙蓉王", "芙蓉王(硬)", 1, 300.0, 330.0, True, "2020-01-01"),
    ("H", "红塔山", "红塔山(经典)", 2, 100.0, 115.0, True, ""),
    ("N", "白沙", "白沙(精品)", 3, 50.0, 56.0, False, ""),
    ("NEW", "芙蓉王", "芙蓉王(新)", 1, 200.0, 230.0, True, "2026-05-15"),
]
CUSTOMERS = [
    # customer_id, area, manager
    ("A", "urban", "M1"), ("B", "rural", "M1"), ("C", "rural", "M2"),
    ("D", "rural", "M2"), ("E", "urban", "M2"),
]


def make_tables(tmp_path: Path, orders, products=PRODUCTS, customers=CUSTOMERS,
                **extra: pd.DataFrame) -> Tables:
    """Write the tables as CSV files to ``tmp_path`` and load them.

    ``orders``: (week, customer, product, order) or (week, customer, product, demand, cap,
    order); amount = order × wholesale price. Loaded with ``lean_analysis.data.load`` when it
    exists, else as DuckDB views over the CSV files (what ``load`` builds).
    """
    prod = pd.DataFrame(products, columns=["product_id", "brand", "product_name", "price_class",
                                           "wholesale_price", "retail_price", "is_key_brand",
                                           "launch_date"])
    cust = pd.DataFrame(customers, columns=["customer_id", "area", "manager_id"])
    cust.insert(1, "customer_name", "店" + cust["customer_id"])
    cust["tier"] = 10
    cust["format"] = "便利店"
    cust["is_modern_terminal"] = False
    cust["active_from"] = "2020-01-01"
    cust["active_to"] = ""
    cust = cust[["customer_id", "customer_name", "area", "tier", "format", "manager_id",
                 "is_modern_terminal", "active_from", "active_to"]]
    price = dict(zip(prod["product_id"], prod["wholesale_price"], strict=True))
    rows = []
    for line in orders:
        if len(line) == 4:
            week, c, p, q = line
            demand, cap = q, None
        else:
            week, c, p, demand, cap, q = line
        rows.append({"week": week, "customer_id": c, "product_id": p, "demand_qty": demand,
                     "cap_qty": cap, "order_qty": q, "amount": q * price[p]})
    frames = {"customers": cust, "products": prod, "orders": pd.DataFrame(rows), **extra}
    for name, df in frames.items():
        df.to_csv(tmp_path / f"{name}.csv", index=False)
    try:
        import lean_analysis.data.validate  # noqa: F401  (load validates through it)
        from lean_analysis.data.load import load
    except ImportError:
        load = None
    if load is not None:
        return load(tmp_path)
    con = duckdb.connect()
    for name in frames:
        path = str(tmp_path / f"{name}.csv").replace("'", "''")
        types = ", ".join(f"'{c.name}': '{DUCK_TYPES[c.dtype]}'" for c in SCHEMAS[name].columns)
        con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM "
                    f"read_csv('{path}', header=true, types={{{types}}})")
    return Tables(con=con, names=list(frames), source=tmp_path)


def approx(x, rel=1e-12):
    return pytest.approx(x, rel=rel, abs=1e-12)


# --------------------------------------------------------------------------- sales

SALES_ORDERS = [
    ("2025-02-03", "A", "K", 400),   # 2025-02: 1,250 cartons = 5 cases, ¥175,000
    ("2025-02-10", "B", "H", 250),
    ("2025-02-24", "B", "N", 600),
    ("2026-01-05", "A", "K", 100),   # 2026-01: 250 cartons = 1 case, ¥37,500
    ("2026-01-26", "B", "N", 150),
    ("2026-02-02", "A", "K", 200),   # 2026-02: 500 cartons = 2 cases, ¥75,000
    ("2026-02-23", "B", "N", 300),
]


@pytest.fixture
def sales_tables(tmp_path):
    return make_tables(tmp_path, SALES_ORDERS)


def test_covered_months(tmp_path, sales_tables):
    # first week 2025-02-03 is February's first Monday; last 2026-02-23 is its last Monday
    assert kpis.covered_months(sales_tables) == (pd.Period("2025-02", "M"), pd.Period("2026-02", "M"))
    part = make_tables(tmp_path, [("2025-02-10", "A", "K", 1), ("2026-02-16", "A", "K", 1)])
    # Feb 2025 misses its first Monday (3rd), Feb 2026 its last (23rd)
    assert kpis.covered_months(part) == (pd.Period("2025-03", "M"), pd.Period("2026-01", "M"))
    assert kpis.is_covered(part, "2025-12") and not kpis.is_covered(part, "2026-02")


def test_sales_total_mom_yoy(sales_tables):
    s = kpis.sales(sales_tables, "2026-02")
    assert len(s) == 1
    r = s.iloc[0]
    assert (r["cases"], r["cases_prev_month"], r["cases_prev_year"]) == (2.0, 1.0, 5.0)
    assert r["cases_mom"] == approx(1.0) and r["cases_yoy"] == approx(2 / 5 - 1)
    assert (r["value_10k"], r["value_10k_prev_month"], r["value_10k_prev_year"]) == (7.5, 3.75, 17.5)
    assert r["value_10k_yoy"] == approx(7.5 / 17.5 - 1)
    assert r["value_per_case"] == approx(37_500) and r["value_per_case_prev_year"] == approx(35_000)
    assert r["value_per_case_mom"] == approx(0.0)
    assert r["value_per_case_yoy"] == approx(37_500 / 35_000 - 1)


def test_sales_by_brand_price_class_area(sales_tables):
    b = kpis.sales(sales_tables, "2026-02", by="brand").set_index("brand")
    assert list(b.index) == sorted(["白沙", "红塔山", "芙蓉王"])
    assert b.loc["芙蓉王", "cases"] == approx(0.8) and b.loc["芙蓉王", "cases_yoy"] == approx(-0.5)
    assert b.loc["白沙", "cases_mom"] == approx(1.0)
    # 红塔山 sold only in 2025-02: 0 cases now, change against 0 is NaN, YoY −100 %
    assert b.loc["红塔山", "cases"] == 0 and b.loc["红塔山", "cases_prev_year"] == 1.0
    assert math.isnan(b.loc["红塔山", "cases_mom"]) and b.loc["红塔山", "cases_yoy"] == -1.0
    assert math.isnan(b.loc["红塔山", "value_per_case"])
    pc = kpis.sales(sales_tables, "2026-02", by="price_class").set_index("price_class")
    assert list(pc.index) == [1, 2, 3]
    assert pc.loc[3, "value_10k"] == approx(1.5) and pc.loc[1, "value_per_case"] == approx(75_000)
    ar = kpis.sales(sales_tables, "2026-02", by="area").set_index("area")
    # rural = B: 红塔山 + 白沙; 2025-02 850 cartons = 3.4 cases, now 300 = 1.2
    assert ar.loc["rural", "cases"] == approx(1.2)
    assert ar.loc["rural", "cases_yoy"] == approx(1.2 / 3.4 - 1)
    # the groups add up to the total
    assert pc["cases"].sum() == approx(2.0) and ar["value_10k_prev_year"].sum() == approx(17.5)


def test_sales_comparison_month_not_covered(sales_tables):
    s = kpis.sales(sales_tables, "2025-03").iloc[0]      # 2024-03 is not in the data
    assert s["cases"] == 0 and s["cases_prev_month"] == 5 and s["cases_mom"] == -1
    assert math.isnan(s["cases_prev_year"]) and math.isnan(s["cases_yoy"])
    first = kpis.sales(sales_tables, "2025-02").iloc[0]  # 2025-01 is not covered
    assert first["cases"] == 5 and math.isnan(first["cases_prev_month"])


def test_period_not_covered_is_a_clear_error(sales_tables):
    with pytest.raises(kpis.PeriodNotCovered, match=r"2026-03.*'orders'.*week.*2025-02 \.\. 2026-02"):
        kpis.sales(sales_tables, "2026-03")
    with pytest.raises(kpis.PeriodNotCovered, match="2025-01 .. 2025-02"):
        kpis.key_brand_share(sales_tables, "2025-02", span="ytd")
    with pytest.raises(ValueError, match="YYYY-MM"):
        kpis.sales(sales_tables, "2026/02")
    with pytest.raises(ValueError, match="cannot group by 'colour'"):
        kpis.sales(sales_tables, "2026-02", by="colour")


def test_monthly_sales(sales_tables):
    m = kpis.monthly_sales(sales_tables, "2026-02", months=24)
    assert m["month"].iloc[0] == "2025-02"            # clipped to the first covered month
    assert m.set_index("month").loc["2026-01", "cases"] == 1.0
    assert m["cases"].sum() == approx(8.0)             # 5 + 1 + 2; months with no lines absent
    by = kpis.monthly_sales(sales_tables, "2026-02", months=2, by="price_class")
    assert list(zip(by["month"], by["price_class"], by["cartons"], strict=True)) == [
        ("2026-01", 1, 100), ("2026-01", 3, 150), ("2026-02", 1, 200), ("2026-02", 3, 300)]


def test_sales_value_and_value_per_case(sales_tables):
    assert kpis.sales_value(sales_tables, "2026-02") == approx(7.5)
    assert kpis.value_per_case(sales_tables, "2026-02") == approx(37_500)
    # Jan + Feb 2026: 750 cartons = 3 cases, ¥112,500
    assert kpis.sales_value(sales_tables, "2026-02", span="ytd") == approx(11.25)
    assert kpis.value_per_case(sales_tables, "2026-02", span="ytd") == approx(37_500)
    # all: 2,000 cartons = 8 cases, ¥287,500
    assert kpis.value_per_case(sales_tables, None, span="all") == approx(287_500 / 8)


def test_key_brand_share(tmp_path, sales_tables):
    # 2026-02: key (芙蓉王) ¥60,000 of ¥75,000; 200 of 500 cartons
    assert kpis.key_brand_share(sales_tables, "2026-02") == approx(0.8)
    assert kpis.key_brand_share(sales_tables, "2026-02", basis="volume") == approx(0.4)
    # docstring example: key 100 cartons worth ¥30,000, others 200 cartons worth ¥10,000
    t = make_tables(tmp_path, [("2026-03-02", "A", "K", 100), ("2026-03-30", "B", "N", 200)])
    assert kpis.key_brand_share(t, "2026-03") == approx(0.75)
    assert kpis.key_brand_share(t, "2026-03", basis="volume") == approx(1 / 3)
    with pytest.raises(ValueError, match="basis"):
        kpis.key_brand_share(t, "2026-03", basis="cases")


def test_retailer_margin(tmp_path):
    prods = [("R1", "甲", "甲", 2, 90.0, 100.0, False, ""), ("R2", "乙", "乙", 3, 40.0, 50.0, False, "")]
    t = make_tables(tmp_path, [("2026-03-02", "A", "R1", 10), ("2026-03-30", "B", "R2", 30)],
                    products=prods)
    # (10·10 + 30·10) ÷ (10·100 + 30·50) = 400 ÷ 2,500
    assert kpis.retailer_margin(t, "2026-03") == approx(0.16)
    # plain mean over the specifications: (0.10 + 0.20) ÷ 2
    assert kpis.retailer_margin(t, "2026-03", weighting="spec") == approx(0.15)
    assert kpis.retailer_margin(t, None, span=("2026-03", "2026-03")) == approx(0.16)


# --------------------------------------------------------------------------- customers

CUSTOMER_ORDERS = [
    ("2026-07-06", "A", "K", 10),   # A: July only
    ("2026-09-14", "B", "K", 10),   # B: September and October
    ("2026-09-07", "D", "N", 5),    # D: September only
    ("2026-08-10", "E", "N", 5, None, 0),  # E: a demand line with no order: never ordered
    ("2026-10-05", "B", "K", 10),
    ("2026-10-26", "C", "K", 10),   # C: October only
]


@pytest.fixture
def cust_tables(tmp_path):
    return make_tables(tmp_path, CUSTOMER_ORDERS)


def test_active_customers(cust_tables):
    # 2026-10: orders in July..September → A, B, D
    assert kpis.active_customers(cust_tables, "2026-10") == 3
    by = kpis.active_customers(cust_tables, "2026-10", by="area")
    assert list(zip(by["area"], by["active_customers"], strict=True)) == [("rural", 2), ("urban", 1)]
    # include_current: August..October → B, C, D (all rural)
    by = kpis.active_customers(cust_tables, "2026-10", include_current=True, by="area")
    assert list(zip(by["area"], by["active_customers"], strict=True)) == [("rural", 3)]
    assert kpis.active_customers(cust_tables, "2026-10", window=1) == 2   # September: B, D
    with pytest.raises(kpis.PeriodNotCovered, match="2026-06 .. 2026-08"):
        kpis.active_customers(cust_tables, "2026-09")


def test_coverage(cust_tables):
    c = kpis.coverage(cust_tables, "2026-10")
    # only K has October lines: B (active) and C (not active) ordered it; 3 active customers
    assert list(c["product_id"]) == ["K"]
    r = c.iloc[0]
    assert (r["ordered"], r["ordered_not_active"], r["active"]) == (2, 1, 3)
    assert r["coverage"] == approx(1 / 3)
    assert kpis.coverage(cust_tables, "2026-10", numerator="all").iloc[0]["coverage"] == approx(2 / 3)
    b = kpis.coverage(cust_tables, "2026-10", by="brand")
    assert list(b["brand"]) == ["芙蓉王"] and b.iloc[0]["coverage"] == approx(1 / 3)


def test_coverage_counts_items_with_zero_orders(tmp_path):
    t = make_tables(tmp_path, [
        ("2026-07-06", "A", "K", 1), ("2026-08-03", "B", "K", 1), ("2026-09-07", "C", "K", 1),
        ("2026-09-14", "D", "N", 1),
        ("2026-10-05", "A", "K", 1), ("2026-10-05", "B", "K", 1), ("2026-10-12", "E", "K", 1),
        ("2026-10-26", "C", "N", 3, 0, 0),     # N offered, not ordered
    ])
    c = kpis.coverage(t, "2026-10").set_index("product_id")
    # docstring example: 4 active, 2 of them and 1 new customer ordered K
    assert c.loc["K", "coverage"] == approx(0.5) and c.loc["K", "ordered_not_active"] == 1
    assert c.loc["N", "ordered"] == 0 and c.loc["N", "coverage"] == 0.0
    assert kpis.coverage(t, "2026-10", numerator="all").set_index("product_id").loc[
        "K", "coverage"] == approx(0.75)


def test_sell_through(cust_tables):
    s = kpis.sell_through(cust_tables, "2026-10").set_index("product_id")
    # K: base July..Sept {A, B}; October {B, C} → 1 of 2 in the base
    assert tuple(s.loc["K", ["base", "ordered", "ordered_in_base"]]) == (2, 2, 1)
    assert s.loc["K", "sell_through"] == approx(0.5)
    # N: base {D}, no order in October
    assert s.loc["N", "sell_through"] == 0.0
    assert kpis.sell_through(cust_tables, "2026-10", numerator="all").set_index(
        "product_id").loc["K", "sell_through"] == approx(1.0)
    overall = kpis.sell_through(cust_tables, "2026-10", by=None).iloc[0]
    # base {A, B, D}, October {B, C}
    assert (overall["base"], overall["ordered"], overall["ordered_in_base"]) == (3, 2, 1)
    assert overall["sell_through"] == approx(1 / 3)


def test_repurchase_rate(cust_tables):
    r = kpis.repurchase_rate(cust_tables, "2026-10").set_index("product_id")
    # K: October {B, C}, September {B}
    assert list(r.index) == ["K"]
    assert tuple(r.loc["K", ["ordered", "ordered_both"]]) == (2, 1)
    assert r.loc["K", "repurchase_rate"] == approx(0.5)
    overall = kpis.repurchase_rate(cust_tables, "2026-10", by=None).iloc[0]
    assert overall["repurchase_rate"] == approx(0.5)   # October {B, C}; September {B, D}
    # August: nobody ordered (E's line has order 0) → no item rows, overall rate undefined
    assert kpis.repurchase_rate(cust_tables, "2026-08").empty
    aug = kpis.repurchase_rate(cust_tables, "2026-08", by=None).iloc[0]
    assert aug["ordered"] == 0 and math.isnan(aug["repurchase_rate"])
    with pytest.raises(kpis.PeriodNotCovered):
        kpis.repurchase_rate(cust_tables, "2026-07")


# --------------------------------------------------------------------------- caps

CAP_ORDERS = [
    # week, customer, product, demand, cap, order
    ("2026-03-02", "A", "K", 12, 10, 10),    # at the cap
    ("2026-03-09", "B", "K", 25, 20, 5),
    ("2026-03-16", "C", "N", 8, None, 8),    # not rationed
    ("2026-03-23", "D", "K", 4, 0, 0),       # cap 0: demand not supplied
    ("2026-03-30", "A", "N", 0, None, 0),    # no demand
]


@pytest.fixture
def cap_tables(tmp_path):
    return make_tables(tmp_path, CAP_ORDERS)


def test_order_fill_rate(cap_tables):
    f = kpis.order_fill_rate(cap_tables, "2026-03", by=None).iloc[0]
    # capped lines: caps 10 + 20, orders 10 + 5
    assert (f["capped_lines"], f["capped_order"], f["capped_cap"]) == (2, 15, 30)
    assert (f["uncapped_lines"], f["zero_cap_lines"]) == (2, 1)
    assert f["order_fill_rate"] == approx(0.5)
    p = kpis.order_fill_rate(cap_tables, "2026-03").set_index("product_id")
    assert p.loc["K", "order_fill_rate"] == approx(0.5) and math.isnan(p.loc["N", "order_fill_rate"])
    assert p.loc["N", "uncapped_lines"] == 2


def test_order_at_cap_share(cap_tables):
    a = kpis.order_at_cap_share(cap_tables, "2026-03", by=None).iloc[0]
    assert (a["capped_lines"], a["at_cap_lines"]) == (2, 1)
    assert a["order_at_cap_share"] == approx(0.5)
    by = kpis.order_at_cap_share(cap_tables, "2026-03", by="area").set_index("area")
    assert by.loc["urban", "order_at_cap_share"] == 1.0 and by.loc["rural", "order_at_cap_share"] == 0.0


def test_stock_out_rate(cap_tables):
    s = kpis.stock_out_rate(cap_tables, "2026-03", by=None).iloc[0]
    assert (s["demand_lines"], s["unfilled_demand_lines"]) == (4, 1)
    assert s["stock_out_rate"] == approx(0.25)
    p = kpis.stock_out_rate(cap_tables, "2026-03").set_index("product_id")
    assert p.loc["K", "stock_out_rate"] == approx(1 / 3) and p.loc["N", "stock_out_rate"] == 0.0


# --------------------------------------------------------------------------- new products

NEW_ORDERS = [
    ("2026-01-05", "E", "N", 5),
    ("2026-06-01", "E", "NEW", 5),   # E ordered the new product but is not active in October
    ("2026-07-06", "A", "K", 5),
    ("2026-08-03", "B", "K", 5),
    ("2026-09-07", "C", "NEW", 5),
    ("2026-09-14", "D", "N", 5),
    ("2026-10-05", "A", "NEW", 5),
    ("2026-10-26", "B", "NEW", 5),
]


def programmes(*rows):
    progs = pd.DataFrame([r[:4] for r in rows], columns=["programme_id", "name", "brand", "product_id"])
    progs["start"], progs["end"], progs["kind"] = "2026-05-15", "", "cultivation"
    targets = pd.DataFrame([(r[0], c) for r in rows for c in r[4]],
                           columns=["programme_id", "customer_id"])
    return {"programmes": progs, "programme_targets": targets}


@pytest.fixture
def new_tables(tmp_path):
    return make_tables(tmp_path, NEW_ORDERS, **programmes(
        ("P1", "新品培育", "", "NEW", ["A", "E"]),
        ("P2", "白沙培育", "白沙", "", ["D"]),
    ))


def test_new_product_coverage_active_base(new_tables):
    n = kpis.new_product_coverage(new_tables, "2026-10")
    # only NEW (launched 2026-05-15) is new in 2026; active in October: A, B, C, D;
    # NEW ordered by E, C, A, B → 3 of 4 active customers
    assert list(n["product_id"]) == ["NEW"]
    r = n.iloc[0]
    assert (r["base"], r["ordered"], r["ordered_in_base"]) == (4, 4, 3)
    assert r["coverage"] == approx(0.75)
    assert kpis.new_product_coverage(new_tables, "2026-04").empty    # not launched yet


def test_new_product_coverage_target_base(new_tables, tmp_path):
    r = kpis.new_product_coverage(new_tables, "2026-10", base="target").iloc[0]
    # P1 targets A, E for NEW; both ordered it
    assert (r["base"], r["ordered_in_base"], r["coverage"]) == (2, 2, 1.0)
    # a brand programme (no product) covers the brand's new products too
    (tmp_path / "b").mkdir()
    t = make_tables(tmp_path / "b", NEW_ORDERS, **programmes(
        ("P1", "新品培育", "", "NEW", ["A", "E"]), ("P3", "芙蓉王培育", "芙蓉王", "", ["D"])))
    r = kpis.new_product_coverage(t, "2026-10", base="target").iloc[0]
    assert (r["base"], r["ordered_in_base"]) == (3, 2) and r["coverage"] == approx(2 / 3)


# --------------------------------------------------------------------------- managers

def test_manager_scores(tmp_path):
    tests = pd.DataFrame([("2026-01-01", "M1", 80), ("2026-02-01", "M1", 90), ("2026-02-01", "M2", 70),
                          ("2025-12-01", "M3", 60), ("2026-03-01", "M1", 100), ("2026-01-01", "M4", 75)],
                         columns=["month", "manager_id", "score"])
    t = make_tables(tmp_path, SALES_ORDERS, manager_tests=tests)
    m = kpis.manager_scores(t, "2026-02")
    assert list(m["manager_id"]) == ["M1", "M2", "M4"]   # M3 last year, sorted by score
    m = m.set_index("manager_id")
    assert (m.loc["M1", "score"], m.loc["M1", "ytd_mean"], m.loc["M1", "ytd_tests"]) == (90, 85, 2)
    assert (m.loc["M2", "score"], m.loc["M2", "ytd_mean"]) == (70, 70)
    assert math.isnan(m.loc["M4", "score"]) and m.loc["M4", "latest_month"] == "2026-01"


def test_manager_scores_missing_table(sales_tables):
    with pytest.raises(LookupError, match="manager_tests"):
        kpis.manager_scores(sales_tables, "2026-02")


# --------------------------------------------------------------------------- headline

def test_headline(sales_tables):
    h = kpis.headline(sales_tables, "2026-02").set_index("indicator")
    assert h.loc["sales_cases", "value"] == 2 and h.loc["sales_cases", "yoy"] == approx(-0.6)
    assert h.loc["key_brand_share", "value"] == approx(0.8)
    # shares change as differences: January 2026 key share 30,000 ÷ 37,500 = 0.8
    assert h.loc["key_brand_share", "mom"] == approx(0.0)
    # 2025-02: key (芙蓉王 + 红塔山) ¥145,000 of ¥175,000
    assert h.loc["key_brand_share", "yoy"] == approx(0.8 - 145_000 / 175_000)
    # active customers of 2026-02 need Nov..Jan: A and B
    assert h.loc["active_customers", "value"] == 2
    assert math.isnan(h.loc["active_customers", "prev_year"])    # 2024-11.. not covered


# --------------------------------------------------------------------------- scorecard

TARGETS = {
    "retailer_margin": {"value": 11.2, "unit": "%", "direction": ">="},
    "satisfaction": {"value": 90, "unit": "points", "direction": ">="},
    "key_brand_share": {"value": 89.5, "unit": "%", "direction": ">="},
    "new_product_coverage": {"value": 100, "unit": "%", "direction": ">="},
    "target_on_shelf_rate": {"value": 100, "unit": "%", "direction": ">="},
}


def survey_metrics(value, period="2026-10"):
    return {"report": "03_satisfaction_survey", "period": period,
            "figures": {"satisfaction_index": {"value": value, "unit": "points", "definition": "x"}}}


def test_scorecard(new_tables):
    sc = kpis.scorecard(new_tables, "2026-10", TARGETS,
                        {"03_satisfaction_survey": survey_metrics(91.2)})
    assert list(sc["indicator"]) == list(TARGETS)
    s = sc.set_index("indicator")
    # year to date, every line 5 cartons: K ×2 (300/330), N ×2 (50/56), NEW ×4 (200/230)
    # margin (2·30 + 2·6 + 4·30) ÷ (2·330 + 2·56 + 4·230) = 192 ÷ 1,692
    assert s.loc["retailer_margin", "actual"] == approx(100 * 192 / 1692)
    assert s.loc["retailer_margin", "status"] == "met"
    # key-brand value share: (2·1,500 + 4·1,000) ÷ 7,500
    assert s.loc["key_brand_share", "actual"] == approx(100 * 7000 / 7500)
    assert s.loc["key_brand_share", "status"] == "met"
    assert s.loc["new_product_coverage", "actual"] == approx(75.0)
    assert s.loc["new_product_coverage", "status"] == "not_met"
    assert s.loc["satisfaction", "actual"] == 91.2 and s.loc["satisfaction", "status"] == "met"
    assert s.loc["satisfaction", "source"] == "03_satisfaction_survey:satisfaction_index"
    assert s.loc["target_on_shelf_rate", "status"] == "not_measured"
    assert "02_brand_cultivation" in s.loc["target_on_shelf_rate", "note"]
    assert s.loc["target_on_shelf_rate", "reason"] == "no_metrics" and s.loc["retailer_margin", "reason"] == ""
    assert s.loc["retailer_margin", "span"] == "2026-01 .. 2026-10"


def test_scorecard_options_and_not_measured(new_tables):
    on_shelf = {"report": "02_brand_cultivation", "period": "2026-10",
                "figures": {"target_on_shelf_rate": {"value": 1.0, "unit": "share"}}}
    sc = kpis.scorecard(
        new_tables, "2026-10", {**TARGETS, "foo": {"value": 1, "unit": "%"}},
        {"03_satisfaction_survey": survey_metrics(88.0), "02_brand_cultivation": on_shelf},
        key_brand_basis="volume", new_product_base="target").set_index("indicator")
    assert sc.loc["satisfaction", "status"] == "not_met"
    # a share 1.0 against a target in % → 100 ≥ 100
    assert sc.loc["target_on_shelf_rate", "actual"] == 100 and sc.loc["target_on_shelf_rate", "status"] == "met"
    assert sc.loc["key_brand_share", "actual"] == approx(75.0)        # 30 of 40 cartons
    assert sc.loc["key_brand_share", "status"] == "not_met"
    assert sc.loc["new_product_coverage", "actual"] == approx(100.0)  # P1's targets A, E
    assert sc.loc["new_product_coverage", "status"] == "met"
    assert sc.loc["foo", "status"] == "not_measured" and "no source" in sc.loc["foo", "note"]
    assert sc.loc["foo", "reason"] == "no_source"
    # other period's metrics, a missing figure, and an unknown report are not measured
    stale = kpis.scorecard(new_tables, "2026-10", TARGETS,
                           {"03_satisfaction_survey": survey_metrics(95, period="2026-09")}
                           ).set_index("indicator")
    assert stale.loc["satisfaction", "status"] == "not_measured"
    assert "2026-09" in stale.loc["satisfaction", "note"]
    assert stale.loc["satisfaction", "reason"] == "other_period"
    custom = kpis.scorecard(new_tables, "2026-10", TARGETS,
                            {"03_satisfaction_survey": survey_metrics(95)},
                            sources={"satisfaction": {"report": "03_satisfaction_survey",
                                                      "figure": "csi"}}).set_index("indicator")
    assert custom.loc["satisfaction", "status"] == "not_measured"
    assert "no figure csi" in custom.loc["satisfaction", "note"]
    assert custom.loc["satisfaction", "reason"] == "no_figure"
    # a target above the actual is not met
    hi = kpis.scorecard(new_tables, "2026-10", {"retailer_margin": {"value": 12, "unit": "%"}})
    assert hi.iloc[0]["status"] == "not_met"
    # no new product launched by April
    apr = kpis.scorecard(new_tables, "2026-04", TARGETS).set_index("indicator")
    assert apr.loc["new_product_coverage", "status"] == "not_measured"
    assert "no new product" in apr.loc["new_product_coverage", "note"]
    assert apr.loc["new_product_coverage", "reason"] == "no_new_product"


def test_scorecard_errors(new_tables):
    with pytest.raises(kpis.PeriodNotCovered):
        kpis.scorecard(new_tables, "2026-11", TARGETS)
    with pytest.raises(ValueError, match="direction"):
        kpis.scorecard(new_tables, "2026-10", {"retailer_margin": {"value": 1, "direction": "≥"}})
    with pytest.raises(ValueError, match="cannot compare"):
        kpis.scorecard(new_tables, "2026-10", {"retailer_margin": {"value": 1, "unit": "¥"}})


def test_convert_unit():
    assert kpis.convert_unit(0.112, "share", "%") == approx(11.2)
    assert kpis.convert_unit(91.0, "points", "%") == 91.0
    assert kpis.convert_unit(89.5, "%", "share") == approx(0.895)


def test_scorecard_takes_the_targets_file_form(new_tables):
    doc = {"year": 2026, "targets": {
        "retailer_margin": {"value": 0.112, "unit": "share", "direction": ">=",
                            "label_zh": "零售户毛利率", "label_en": "retailer gross margin"},
        "satisfaction": {"value": 90, "unit": "index", "direction": ">="},
        "key_brand_share": {"value": 0.895, "unit": "share", "direction": ">=", "basis": "volume"},
    }}
    sc = kpis.scorecard(new_tables, "2026-10", doc,
                        {"03_satisfaction_survey": survey_metrics(90.0)}).set_index("indicator")
    assert sc.loc["retailer_margin", "actual"] == approx(192 / 1692)
    assert sc.loc["retailer_margin", "label_zh"] == "零售户毛利率"
    assert sc.loc["satisfaction", "status"] == "met"                # 90 ≥ 90, points = index
    assert sc.loc["key_brand_share", "actual"] == approx(0.75)      # the target's basis: volume
    assert sc.loc["key_brand_share", "status"] == "not_met"
    other_year = kpis.scorecard(new_tables, "2026-10", {**doc, "year": 2025})
    assert other_year["note"].str.contains("targets are for 2025").all()
    assert list(other_year["reason"]) == ["targets_year", "no_metrics;targets_year", "targets_year"]


def test_scorecard_on_the_shipped_targets(new_tables):
    from lean_analysis import config
    from lean_analysis.params import load_targets

    if not config.TARGETS_FILE.exists():
        pytest.skip("params/targets.yaml not written yet")
    targets = load_targets()
    assert {"retailer_margin", "satisfaction", "key_brand_share", "new_product_coverage",
            "target_on_shelf_rate"} <= set(targets)
    sc = kpis.scorecard(new_tables, "2026-10", targets).set_index("indicator")
    # computed from the toy orders whatever the target values are
    assert sc.loc["new_product_coverage", "actual"] == approx(
        kpis.convert_unit(0.75, "share", targets["new_product_coverage"]["unit"]))
    assert sc.loc["satisfaction", "status"] == "not_measured"
    assert set(sc["status"]) <= {"met", "not_met", "not_measured"}


def test_monthly_indicators(sales_tables):
    m = kpis.monthly_indicators(sales_tables, "2026-02", months=24).set_index("month")
    assert list(m.index) == [str(x) for x in pd.period_range("2025-02", "2026-02", freq="M")]
    assert m.loc["2025-06", "cases"] == 0 and math.isnan(m.loc["2025-06", "key_brand_share"])
    assert m.loc["2025-02", "key_brand_share"] == approx(145_000 / 175_000)
    assert m.loc["2026-02", "value_per_case"] == approx(37_500)
    # 2026-01: 芙蓉王 100 × (330 − 300) + 白沙 150 × (56 − 50) over 100 × 330 + 150 × 56
    assert m.loc["2026-01", "retailer_margin"] == approx(3_900 / 41_400)
    vol = kpis.monthly_indicators(sales_tables, "2026-02", months=1, key_brand_basis="volume")
    assert list(vol["month"]) == ["2026-02"] and vol["key_brand_share"].iloc[0] == approx(0.4)


def test_product_indicators(cust_tables):
    p = kpis.product_indicators(cust_tables, "2026-10").set_index("product_id")
    assert list(p.index) == ["K"]                      # the only product with October lines
    k = p.loc["K"]
    assert k["brand"] == "芙蓉王" and k["cases"] == approx(20 / 250)
    assert k["coverage"] == approx(1 / 3) and k["sell_through"] == approx(0.5)
    assert k["repurchase_rate"] == approx(0.5) and k["stock_out_rate"] == 0.0
    assert math.isnan(k["order_fill_rate"])            # no rationed line


def test_window_covered_follows_the_window_in_use(tmp_path):
    # orders from August 2026: the window of 2026-10 with the current month (Aug–Oct) is
    # covered, the default one (Jul–Sep) is not. The overview used to check July (M−3)
    # whatever the window, and showed "no history" for the first.
    rows = [r for r in CUSTOMER_ORDERS if r[0] >= "2026-08"] + [("2026-08-03", "D", "N", 5)]
    tables = make_tables(tmp_path, rows)
    assert kpis.covered_months(tables) == (pd.Period("2026-08", "M"), pd.Period("2026-10", "M"))
    assert kpis.window_covered(tables, "2026-10", include_current=True)
    assert not kpis.window_covered(tables, "2026-10")
    assert kpis.window_covered(tables, "2026-10", window=2)               # Aug–Sep
    # the same window rule as active_customers, which needs exactly these months
    assert kpis.active_customers(tables, "2026-10", include_current=True) == 3   # B, C, D
    with pytest.raises(kpis.PeriodNotCovered):
        kpis.active_customers(tables, "2026-10")

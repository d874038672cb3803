"""The synthetic county: reproducible bytes, the table contract, and truths that plain
aggregation of the written files recovers (lean_analysis.sample)."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_analysis.calendar import spring_festival_regressor
from lean_analysis.cli import cli_sample
from lean_analysis.config import tier_band
from lean_analysis.data.schemas import SCHEMAS
from lean_analysis.sample import parse_size, write_sample

SURVEY_DIMENSIONS = ["货源供应", "订货服务", "配送服务", "客户经理服务", "品牌宣传", "投诉处理", "市场管理"]


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def small(small_dir):
    """The small sample's tables as plain pandas frames (read with pandas, not our loader)."""
    return {name: _read(small_dir, name) for name in SCHEMAS}


@pytest.fixture(scope="module")
def lines(small):
    o = small["orders"].merge(small["products"], on="product_id")
    return o.merge(small["customers"], on="customer_id")


# ---- reproducibility ------------------------------------------------------------------------

def test_same_seed_same_bytes_and_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    ta = write_sample(a, "small", seed=11)
    tb = write_sample(b, "small", seed=11)
    write_sample(c, "small", seed=12)
    da, db, dc = _digest(a), _digest(b), _digest(c)
    assert set(da) == {f"{n}.csv" for n in SCHEMAS} | {"truth.json"}
    assert da == db
    assert ta == tb
    assert da["orders.csv"] != dc["orders.csv"]
    assert da["survey_responses.csv"] != dc["survey_responses.csv"]


def test_rewrite_replaces_other_format(tmp_path):
    write_sample(tmp_path, "small", seed=3, fmt="parquet")
    assert (tmp_path / "orders.parquet").exists()
    write_sample(tmp_path, "small", seed=3, fmt="csv")
    assert not (tmp_path / "orders.parquet").exists() and (tmp_path / "orders.csv").exists()


def test_parquet_holds_the_same_rows_as_csv(tmp_path, small_dir, small_truth):
    write_sample(tmp_path, "small", seed=small_truth["seed"], fmt="parquet")
    for name in ("orders", "customers", "survey_responses"):
        pq = pd.read_parquet(tmp_path / f"{name}.parquet")
        csv = _read(small_dir, name)
        assert list(pq.columns) == list(csv.columns)
        assert len(pq) == len(csv)
    o_pq = pd.read_parquet(tmp_path / "orders.parquet")
    o_csv = _read(small_dir, "orders")
    assert np.allclose(o_pq["amount"], o_csv["amount"])
    assert o_pq["customer_id"].tolist() == o_csv["customer_id"].tolist()


def test_parts_hold_the_same_rows(tmp_path, small_dir, small_truth):
    """The chunked writer of county*K (folders of parts) on the small sample."""
    write_sample(tmp_path, "small", seed=small_truth["seed"], fmt="parquet", parts=True)
    parts = sorted((tmp_path / "orders").glob("part-*.parquet"))
    assert [p.name for p in parts] == ["part-00000.parquet"]
    for name in ("orders", "shelf_checks"):
        got = pd.concat([pd.read_parquet(p) for p in sorted((tmp_path / name).glob("*.parquet"))])
        want = _read(small_dir, name)
        assert len(got) == len(want)
        assert got["customer_id"].tolist() == want["customer_id"].tolist()
        assert got["product_id"].tolist() == want["product_id"].tolist()


def test_parse_size():
    assert parse_size("small").n_customers == 60
    assert parse_size("county").n_weeks == 156
    k4 = parse_size("county*4")
    assert (k4.n_customers, k4.scale, k4.chunked) == (4000, 4, True)
    with pytest.raises(ValueError, match="county\\*K"):
        parse_size("province")


# ---- the table contract ---------------------------------------------------------------------

def test_every_table_has_the_schema_columns(small, small_truth):
    for name, schema in SCHEMAS.items():
        cols = list(small[name].columns)
        if name == "survey_responses":
            items = small["survey_items"]["item_id"].tolist()
            assert set(cols) == set(schema.column_names) | set(items)
        else:
            assert cols == schema.column_names, name
    assert len(small["customers"]) == small_truth["n_customers"] == 60
    assert len(small["products"]) == small_truth["n_products"] == 12
    assert len(small["orders"]) == small_truth["n_order_lines"]


def test_small_sample_validates_without_errors(small_dir, small_tables):
    from lean_analysis import data

    problems = data.validate(small_dir)
    assert [p for p in problems if p.severity == "error"] == []
    assert small_tables.count("orders") == len(_read(small_dir, "orders"))


def test_calendar_of_the_orders(small, small_truth):
    weeks = pd.to_datetime(small["orders"]["week"])
    assert (weeks.dt.dayofweek == 0).all()
    assert weeks.max() == pd.Timestamp("2026-10-26") == pd.Timestamp(small_truth["last_week"])
    assert weeks.min() == pd.Timestamp("2024-11-04") == pd.Timestamp(small_truth["first_week"])
    assert weeks.nunique() == small_truth["n_weeks"] == 104
    assert small_truth["last_full_month"] == "2026-10"
    key = small["orders"][["week", "customer_id", "product_id"]]
    assert not key.duplicated().any()
    o = small["orders"]
    assert list(o.index) == list(o.sort_values(["week", "customer_id", "product_id"]).index)


# ---- order lines ------------------------------------------------------------------------------

def test_order_lines_follow_the_rules(lines):
    o = lines
    assert (o["demand_qty"] > 0).all()
    for col in ("demand_qty", "order_qty", "cap_qty"):
        v = o[col].dropna()
        assert (v == np.round(v)).all(), col  # whole cartons
    capped = o["cap_qty"].notna()
    assert (o.loc[capped, "order_qty"] <= o.loc[capped, "cap_qty"]).all()
    assert (o["order_qty"] == np.fmin(o["demand_qty"], o["cap_qty"])).all()
    assert (o.loc[~capped, "order_qty"] == o.loc[~capped, "demand_qty"]).all()
    assert np.allclose(o["amount"], np.round(o["order_qty"] * o["wholesale_price"], 2), atol=1e-9)
    # only scarce specifications are rationed, and they are class 1 or 2
    rationed = o.loc[capped, "price_class"].unique()
    assert set(rationed) <= {1, 2} and len(rationed) > 0


def test_no_orders_before_launch_or_outside_the_licence(lines, small, small_truth):
    o = lines
    week = pd.to_datetime(o["week"])
    launch = pd.to_datetime(o["launch_date"])
    assert (week[launch.notna()] >= launch[launch.notna()]).all()
    new = small["products"].dropna(subset=["launch_date"])
    assert len(new) == len(small_truth["new_products"]) >= 1
    first_week, last_week = pd.Timestamp(small_truth["first_week"]), pd.Timestamp(small_truth["last_week"])
    for d in pd.to_datetime(new["launch_date"]):
        assert first_week < d < last_week  # launches inside the data
    for p in small_truth["new_products"]:
        first = pd.to_datetime(o.loc[o["product_id"] == p["product_id"], "week"]).min()
        assert first == pd.Timestamp(p["first_order_week"]) >= pd.Timestamp(p["launch_date"])
    assert (week >= pd.to_datetime(o["active_from"])).all()
    to = pd.to_datetime(o["active_to"])
    assert (week[to.notna()] <= to[to.notna()]).all()


def test_capped_share_key_brand_share_and_margin_by_plain_aggregation(lines, small_truth):
    o = lines
    capped = (o["cap_qty"].notna() & (o["order_qty"] >= o["cap_qty"])).mean()
    assert capped == pytest.approx(small_truth["capped_line_share"], rel=1e-12)
    key = o["is_key_brand"].astype(str).str.lower() == "true"
    value = o.loc[key, "amount"].sum() / o["amount"].sum()
    volume = o.loc[key, "order_qty"].sum() / o["order_qty"].sum()
    assert value == pytest.approx(small_truth["key_brand_share"]["value"], rel=1e-9)
    assert volume == pytest.approx(small_truth["key_brand_share"]["volume"], rel=1e-9)
    margin = ((o["order_qty"] * (o["retail_price"] - o["wholesale_price"])).sum()
              / (o["order_qty"] * o["retail_price"]).sum())
    assert margin == pytest.approx(small_truth["retailer_margin"], rel=1e-9)
    # realistic ranges (DESIGN §1: targets 11.2 % margin, 89.5 % key-brand share)
    assert 0.105 <= margin <= 0.12
    assert 0.85 <= value <= 0.92
    assert 0.02 <= capped <= 0.25


def test_price_classes_follow_the_wholesale_price(small):
    p = small["products"]
    w = p["wholesale_price"]
    expected = np.select([w >= 100, w >= 70, w >= 30, w >= 16.5], [1, 2, 3, 4], 5)
    assert (p["price_class"] == expected).all()
    assert (p["retail_price"] > p["wholesale_price"]).all()
    assert {"芙蓉王", "红塔山"} <= set(p["brand"]) or {"芙蓉王"} <= set(p["brand"])


def test_spring_festival_weeks_show_the_uplift(lines, small_truth):
    """Weeks wholly inside the 28-day run-up against the 4 weeks on either side."""
    o = lines[lines["cap_qty"].isna()]  # uncensored demand
    weekly = o.groupby("week")["demand_qty"].sum()
    weekly.index = pd.to_datetime(weekly.index)
    share = pd.Series(spring_festival_regressor(weekly.index, freq="W"), index=weekly.index)
    uplift = small_truth["spring_festival"]["uplift"]
    assert small_truth["spring_festival"]["dates"] == {"2025": "2025-01-29", "2026": "2026-02-17"}
    for day in small_truth["spring_festival"]["dates"].values():
        sf = pd.Timestamp(day)
        near = weekly[(weekly.index > sf - pd.Timedelta(days=70)) & (weekly.index < sf + pd.Timedelta(days=42))]
        full = near[share[near.index] == 0.25]
        quiet = near[share[near.index] == 0]
        assert len(full) >= 3 and len(quiet) >= 6
        ratio = full.mean() / quiet.mean()
        assert ratio == pytest.approx(1 + uplift, abs=0.15)


def test_managers_forecast_bias(small, small_truth):
    o = small["orders"].assign(month=lambda d: pd.to_datetime(d["week"]).dt.to_period("M"))
    actual = o.groupby(["month", "product_id"])["order_qty"].sum().rename("A")
    f = small["manager_forecasts"].assign(month=lambda d: pd.to_datetime(d["month"]).dt.to_period("M"))
    j = f.set_index(["month", "product_id"]).join(actual, how="left")
    assert j["A"].notna().all()  # a forecast for every product-month with orders ...
    assert len(j) == len(actual)  # ... and only those
    bias = (j["forecast_qty"] - j["A"]).sum() / j["A"].sum()
    assert bias == pytest.approx(small_truth["manager_forecast_bias_realised"], rel=1e-9)
    assert bias == pytest.approx(small_truth["manager_forecast_bias"], abs=0.03)
    assert small_truth["manager_forecast_bias"] == 0.08


# ---- programmes -------------------------------------------------------------------------------

def test_cultivation_targets_are_comparable_urban_modern_terminals(small, lines, small_truth):
    cu = small["customers"].set_index("customer_id")
    cult = small_truth["cultivation"]
    assert cult["programme_id"] == "P1" and cult["lift"] == 0.5
    targets = cult["target_customers"]
    assert len(targets) == 2
    assert (cu.loc[targets, "area"] == "urban").all()
    assert cu.loc[targets, "is_modern_terminal"].astype(str).str.lower().eq("true").all()
    tg = small["programme_targets"]
    assert sorted(tg.loc[tg["programme_id"] == "P1", "customer_id"]) == sorted(targets)
    prog = small["programmes"].set_index("programme_id")
    assert prog.loc["P1", "product_id"] == cult["product_id"]
    assert prog.loc["P1", "kind"] == "cultivation" and prog.loc["P2", "kind"] == "terminal"
    assert str(prog.loc["P1", "start"]) == cult["start"] == "2025-09-01"
    # never capped, so the lift is not censored
    on = lines[lines["product_id"] == cult["product_id"]]
    assert on["cap_qty"].isna().all()
    # pre-period monthly sales of the targets inside the range of the comparison pool
    pre = on[pd.to_datetime(on["week"]) < pd.Timestamp(cult["start"])]
    level = pre.groupby("customer_id")["order_qty"].sum() / cult["pre_months"]
    pool = level.reindex(cult["comparison_pool"]).fillna(0)
    assert cult["pre_months"] >= 8
    assert len(pool) >= 3
    assert pool.min() <= level[targets].min() and level[targets].max() <= pool.max()
    assert cult["effect_cartons_per_month"] == pytest.approx(0.5 * cult["baseline_cartons_per_month"])
    assert set(small_truth["placebo"]["customer_ids"]).isdisjoint(targets)
    placebo = cu.loc[small_truth["placebo"]["customer_ids"]]
    assert (placebo["area"] == "urban").all()
    assert placebo["is_modern_terminal"].astype(str).str.lower().eq("true").all()


def test_benchmark_terminals_per_manager(small, small_truth):
    cu = small["customers"].set_index("customer_id")
    term = small_truth["terminal"]
    targets = term["target_customers"]
    tg = small["programme_targets"]
    assert sorted(tg.loc[tg["programme_id"] == "P2", "customer_id"]) == sorted(targets)
    assert set(targets).isdisjoint(small_truth["cultivation"]["target_customers"])
    assert set(targets).isdisjoint(small_truth["placebo"]["customer_ids"])
    per = cu.loc[targets].groupby(["manager_id", "area"]).size()
    for (_m, area), n in per.items():
        assert (3 <= n <= 4) if area == "urban" else (1 <= n <= 2)
    assert set(per.index.get_level_values(0)) == set(cu["manager_id"])
    assert 0 < term["effect_cartons_per_month"] <= term["effect_demand_cartons_per_month"]
    assert term["lift"] == 0.12


def test_shelf_checks_cover_the_targets(small, small_truth):
    s = small["shelf_checks"]
    assert not s[["date", "customer_id", "product_id"]].duplicated().any()
    cult = small_truth["cultivation"]
    months = pd.to_datetime(s["date"]).dt.to_period("M")
    for c in cult["target_customers"] + small_truth["terminal"]["target_customers"]:
        assert months[s["customer_id"] == c].nunique() == 24  # visited every month
    after = s[(s["customer_id"].isin(cult["target_customers"])) & (s["product_id"] == cult["product_id"])
              & (pd.to_datetime(s["date"]) >= pd.Timestamp(cult["start"]))]
    assert len(after) > 0 and after["on_shelf"].astype(str).str.lower().eq("true").all()
    new = {p["product_id"]: p["launch_date"] for p in small_truth["new_products"]}
    checked = s[s["product_id"].isin(list(new))]
    assert (pd.to_datetime(checked["date"]) >= pd.to_datetime(checked["product_id"].map(new))).all()


# ---- survey -----------------------------------------------------------------------------------

def test_survey_items(small, small_truth):
    it = small["survey_items"]
    dims = it[it["item_id"] != "overall"].groupby("dimension").size()
    assert sorted(dims.index) == sorted(SURVEY_DIMENSIONS)
    assert dims.between(2, 3).all()
    o = it.set_index("item_id").loc["overall"]
    assert (o["dimension"], o["scale_min"], o["scale_max"], o["weight"]) == ("overall", 1, 10, 0)
    assert 1 <= it["reverse"].astype(str).str.lower().eq("true").sum() <= 2
    assert it.loc[it["item_id"] != "overall", "weight"].sum() == pytest.approx(1.0)
    sv = small_truth["survey"]
    w = sv["driver_weights"]
    assert sorted(w) == sorted(SURVEY_DIMENSIONS)
    assert sum(w.values()) == pytest.approx(1.0) and len(set(w.values())) == 7
    assert sv["driver_order"] == sorted(w, key=w.get, reverse=True)


def test_survey_answers_within_scale_with_a_few_missing(small):
    r, it = small["survey_responses"], small["survey_items"].set_index("item_id")
    for item, row in it.iterrows():
        v = r[item].dropna()
        assert v.between(row["scale_min"], row["scale_max"]).all() and (v == np.round(v)).all()
    answers = r[[i for i in it.index if i != "overall"]]
    assert 0 < answers.isna().to_numpy().mean() < 0.05
    assert r["comment"].isna().any() and r["comment"].notna().any()


def test_survey_sample_is_stratified(small, small_truth):
    r, cu = small["survey_responses"], small["customers"]
    sv = small_truth["survey"]
    assert sv["waves"] == sorted(r["wave"].unique()) == ["2026-04", "2026-10"]
    cu = cu.assign(stratum=cu["area"] + "|" + cu["tier"].map(tier_band))
    fractions = {}
    for wave in sv["waves"]:
        day = pd.Timestamp(wave + "-01")
        to = pd.to_datetime(cu["active_to"])
        frame = cu[(pd.to_datetime(cu["active_from"]) <= day) & (to.isna() | (to >= day))]
        N = frame.groupby("stratum").size()
        resp = r[r["wave"] == wave].merge(cu, on="customer_id")
        assert resp["customer_id"].isin(frame["customer_id"]).all()
        n = resp.groupby("stratum").size()
        for label, counts in sv["strata"][wave].items():
            assert counts["N"] == N.get(label, 0) and counts["n"] == n.get(label, 0)
            if counts["N"] >= 5:
                fractions[label] = counts["n"] / counts["N"]
        assert len(resp) == sv["n_respondents"][wave]
    assert max(fractions.values()) - min(fractions.values()) > 0.15  # weights matter


def _weighted_index(responses: pd.DataFrame, items: pd.DataFrame, customers: pd.DataFrame,
                    truth: dict, wave: str) -> tuple[float, float]:
    """Stratified (N_h / n_h weighted) mean of the respondent index and of top-2-box overall,
    computed from the files by the definition in truth.json."""
    it = items[items["item_id"] != "overall"].set_index("item_id")
    r = responses[responses["wave"] == wave].merge(customers, on="customer_id")
    x = r[it.index].astype(float)
    score = (x - it["scale_min"]) / (it["scale_max"] - it["scale_min"]) * 100
    rev = it["reverse"].astype(str).str.lower().eq("true")
    score.loc[:, rev] = 100 - score.loc[:, rev]
    w = it["weight"]
    index = (score * w).sum(axis=1) / (score.notna() * w).sum(axis=1)
    stratum = r["area"] + "|" + r["tier"].map(tier_band)
    counts = truth["survey"]["strata"][wave]
    pw = stratum.map(lambda s: counts[s]["N"] / counts[s]["n"])
    ok = r["overall"].notna()
    satisfied = ((r.loc[ok, "overall"] >= 9) * pw[ok]).sum() / pw[ok].sum()
    return float((index * pw).sum() / pw.sum()), float(satisfied)


def test_survey_truth_index_is_near_the_target(small, small_truth):
    sv = small_truth["survey"]
    for wave in sv["waves"]:
        assert 86 <= sv["population_index"][wave] <= 94
        assert 0.3 <= sv["population_satisfied_share"][wave] <= 0.9
        est, sat = _weighted_index(small["survey_responses"], small["survey_items"],
                                   small["customers"], small_truth, wave)
        assert est == pytest.approx(sv["population_index"][wave], abs=4.0)  # ~25 respondents
        assert sat == pytest.approx(sv["population_satisfied_share"][wave], abs=0.3)


def test_escaping_values_are_present(small, small_truth):
    names = small["customers"]["customer_name"]
    assert names.str.contains("<script>", regex=False).any()
    assert (names.str.contains("&", regex=False) & names.str.contains('"', regex=False)).any()
    comments = small["survey_responses"]["comment"].dropna()
    assert comments.str.contains("<b>", regex=False).any()
    assert comments.str.contains("<script>", regex=False).any()
    assert len(small_truth["escape"]["customer_ids"]) == 2


# ---- command line -----------------------------------------------------------------------------

def test_cli_sample_writes_and_reports(tmp_path, capsys):
    args = argparse.Namespace(size="small", out=str(tmp_path / "s"), seed=5, format=None)
    assert cli_sample(args) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "s") in out and "60 customers" in out
    truth = json.loads((tmp_path / "s" / "truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 5 and truth["format"] == "csv"


# ---- county size (slow) ---------------------------------------------------------------------

@pytest.mark.slow
def test_county_size_and_truths(county_dir, county_truth, county_tables):
    t = county_truth
    assert (t["n_customers"], t["n_products"], t["n_weeks"]) == (1000, 80, 156)
    assert t["first_week"] == "2023-11-06"
    assert county_tables.count("orders") == t["n_order_lines"] >= 2_000_000
    managers = county_tables.sql("SELECT manager_id, count(*) AS n FROM customers GROUP BY 1")
    assert managers["n"].between(100, 200).all()
    agg = county_tables.sql("""
        SELECT sum(CASE WHEN cap_qty IS NOT NULL AND order_qty >= cap_qty THEN 1 ELSE 0 END)
                   / count(*) AS capped,
               sum(CASE WHEN p.is_key_brand THEN amount ELSE 0 END) / sum(amount) AS key_value,
               sum(order_qty * (retail_price - wholesale_price)) / sum(order_qty * retail_price) AS margin
        FROM orders o JOIN products p USING (product_id)""").iloc[0]
    assert agg["capped"] == pytest.approx(t["capped_line_share"], rel=1e-9)
    assert agg["key_value"] == pytest.approx(t["key_brand_share"]["value"], rel=1e-9)
    assert agg["margin"] == pytest.approx(t["retailer_margin"], rel=1e-9)
    cult = t["cultivation"]
    assert cult["start"] == "2025-09-01" and cult["pre_months"] >= 12
    assert len(cult["comparison_pool"]) >= 20
    # the planted lift shows in a plain difference of post/pre ratios (targets vs pool)
    m = county_tables.sql(f"""
        SELECT customer_id, week >= DATE '{cult['start']}' AS post, sum(order_qty) AS q
        FROM orders WHERE product_id = '{cult['product_id']}' GROUP BY 1, 2""")
    m = m.pivot(index="customer_id", columns="post", values="q").fillna(0)
    pre_m, post_m = cult["pre_months"], cult["post_months"]
    ratio = (m[True] / post_m) / (m[False] / pre_m)
    pool_ratio = ((m.loc[m.index.isin(cult["comparison_pool"]), True].sum() / post_m)
                  / (m.loc[m.index.isin(cult["comparison_pool"]), False].sum() / pre_m))
    lift = ratio.loc[cult["target_customers"]].mean() / pool_ratio - 1
    assert lift == pytest.approx(cult["lift"], abs=0.25)
    share = t["survey"]["n_respondents"]["2026-10"] / t["n_customers"]
    assert 0.35 <= share <= 0.45
    files = {n: _read(county_dir, n) for n in ("survey_responses", "survey_items", "customers")}
    for wave in t["survey"]["waves"]:
        est, sat = _weighted_index(files["survey_responses"], files["survey_items"],
                                   files["customers"], t, wave)
        assert est == pytest.approx(t["survey"]["population_index"][wave], abs=1.5)
        assert sat == pytest.approx(t["survey"]["population_satisfied_share"][wave], abs=0.08)

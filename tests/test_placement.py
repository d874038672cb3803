"""Placement: supply table and truth of the generator, evaluation, caps (small sample)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_analysis import placement
from lean_analysis.placement.recommend import TIERS


def test_supply_table_covers_the_rationed_lines(small_tables, small_truth):
    sup = small_tables["supply"]
    assert set(sup["product_id"]) == set(small_truth["scarce_products"])
    assert (sup["supply_qty"] >= 0).all()
    placement.check_supply(small_tables, "2026-10")


def test_actual_served_share_matches_truth(small_tables, small_truth):
    truth = small_truth["placement"]
    bt = placement.backtest(small_tables, policy="actual", months=12, period="2026-10")
    s = bt.summary().set_index(["product_id", "policy"])
    assert s.loc[("all", "actual"), "served_share"] == pytest.approx(truth["served_share_actual"], rel=1e-9)
    assert truth["served_share_oracle"] >= truth["served_share_actual"]


def test_evaluate_month(small_tables, small_truth):
    ev = placement.evaluate(small_tables, "2026-10", by=["tier_band"])
    g = ev.to_frame()
    for pid, band in g[["product_id", "tier_band"]].itertuples(index=False):
        want = small_truth["placement"]["products"][pid]["demand_by_band"][band]
        assert g.set_index(["product_id", "tier_band"]).loc[(pid, band), "demand"] == want
    assert ((g["fill_rate"] <= 1) & (g["served_share"] <= 1)).all()
    assert 0 <= ev.total["gini"] < 1
    assert 0 < ev.total["supply_used"] <= 1


def test_gini():
    assert placement.gini([0.5, 0.5, 0.5]) == 0
    assert placement.gini([0, 1], [1, 1]) == pytest.approx(0.5)


@pytest.mark.parametrize("seed", range(6))
def test_solve_caps_respects_supply_and_monotone_on_random_supplies(seed):
    rng = np.random.default_rng(seed)
    n = rng.integers(0, 20, 30).astype(float) * rng.random(30)
    mu = np.exp(0.1 * TIERS) * rng.uniform(0.5, 2)
    k = np.arange(1, 41)
    gain = n[:, None] * np.exp(-k[None, :] / mu[:, None])
    supply = float(rng.uniform(n.sum(), 8 * n.sum()))
    caps = placement.solve_caps(gain, n, supply, floor=1)
    assert caps is not None
    assert (caps * n).sum() <= supply + 1e-9
    assert (np.diff(caps) >= 0).all() and (caps >= 1).all()
    prop = placement.proportional_caps(n, supply, 0.1, floor=1)
    assert (prop * n).sum() <= supply + 1e-9 and (np.diff(prop) >= 0).all()


@pytest.mark.parametrize("policy", placement.POLICIES)
def test_recommend_respects_supply(small_tables, policy):
    rng = np.random.default_rng(1)
    for _ in range(2):
        pids = sorted(small_tables["supply"]["product_id"].unique())
        sup = {p: float(rng.uniform(5, 200)) for p in pids}
        rec = placement.recommend(small_tables, sup, "2026-10", policy=policy)
        for pid, g in rec.groupby("product_id"):
            g = g.sort_values("tier")
            assert (g["cap"] * g["customers"]).sum() <= sup[pid] + 1e-9
            assert (np.diff(g["cap"].to_numpy()) >= 0).all()
            assert (g["cap"] == g["cap"].round()).all()


def test_bad_supply(small_tables):
    with pytest.raises(ValueError, match="not rationed"):
        placement.recommend(small_tables, {"P002": 10.0}, "2026-10")
    pid = small_tables["supply"]["product_id"].iloc[0]
    with pytest.raises(ValueError, match="finite and ≥ 0"):
        placement.recommend(small_tables, {pid: -1.0}, "2026-10")
    with pytest.raises(ValueError, match="table 'supply'"):
        placement.recommend(small_tables, None, "2026-12")


def test_uncensor_on_complete_records_is_exact(small_tables, small_truth):
    u = placement.uncensor(small_tables, "2026-10", months=1)
    b = u.by()
    assert not b["censored"].any()
    truth = small_truth["placement"]["products"]
    for r in b.itertuples():
        assert r.demand_est == pytest.approx(truth[r.product_id]["demand_by_band"][r.tier_band])


def test_censoring_rule():
    df = pd.DataFrame({"product_id": ["a"] * 3, "demand_qty": [np.nan, 2.0, 5.0],
                       "cap_qty": [2.0, 2.0, 2.0], "order_qty": [2.0, 2.0, 2.0]})
    out = placement.censoring(df)
    assert out["censored"].tolist() == [True, False, False]  # 5 > cap recorded: 2 is exact
    out = placement.censoring(df.iloc[:2])
    assert out["censored"].tolist() == [True, True]  # nothing above the cap recorded


# --------------------------------------------------------------------------- bad supply
def _sample_with(src, dst, supply: pd.DataFrame | None):
    """A copy of the sample folder ``src`` with ``supply`` as its supply table (None: none)."""
    import shutil

    dst.mkdir()
    for f in src.iterdir():
        if f.suffix in (".csv", ".json") and f.name != "supply.csv":
            shutil.copy(f, dst / f.name)
    if supply is not None:
        supply.to_csv(dst / "supply.csv", index=False)
    return dst


def test_supply_of_a_product_not_rationed_names_table_column_and_row(small_dir, small_tables,
                                                                     tmp_path):
    from lean_analysis import data

    sup = small_tables["supply"].copy()
    sup["week"] = pd.to_datetime(sup["week"]).dt.date.astype(str)
    extra = sup.iloc[[0]].assign(product_id="P002")
    sup = pd.concat([sup, extra], ignore_index=True)
    folder = _sample_with(small_dir, tmp_path / "s", sup)
    # validation refuses it (so `lean-analysis validate` exits 1) ...
    problems = [p for p in data.validate(folder) if p.severity == "error"]
    assert [(p.table, p.column, p.rule, p.rows) for p in problems] == [
        ("supply", "product_id", "product is rationed", [len(sup)])]
    assert "value 'P002' is not a rationed specification" in problems[0].message
    # ... and the placement's own check says the same of tables opened without validation
    tables = data.load(folder, validate=False)
    with pytest.raises(placement.SupplyError) as e:
        placement.check_supply(tables, "2026-10")
    msg = str(e.value)
    assert "table 'supply'" in msg and "column product_id" in msg and f"rows [{len(sup)}]" in msg
    assert "not rationed" in msg
    assert e.value.table == "supply" and e.value.column == "product_id" and e.value.rows == [len(sup)]


def test_supply_that_does_not_cover_the_rationed_lines_fails_validate(small_dir, small_tables,
                                                                    tmp_path):
    """Rule supply coverage (issue 14): a (product, week) of rationed order lines without a
    supply row inside the supply's weeks is an error of `validate` (exit 1) naming the
    table, columns, product and week; supply ending before the orders is a counted
    warning (exit 0), and the placement's own check still refuses the uncovered month."""
    from lean_analysis import data
    from lean_analysis.cli import main

    sup = small_tables["supply"].copy()
    sup["week"] = pd.to_datetime(sup["week"]).dt.date.astype(str)
    weeks = sorted(sup["week"].unique())
    # one pair inside the span: independent count of what must be reported
    gone = sup[(sup["week"] == weeks[len(weeks) // 2])].iloc[[0]]
    inside = _sample_with(small_dir, tmp_path / "inside", sup.drop(index=gone.index))
    problems = [p for p in data.validate(inside) if p.rule == "supply coverage"]
    assert [(p.table, p.column, p.severity) for p in problems] == [("supply", "week", "error")]
    pid, wk = gone.iloc[0]["product_id"], gone.iloc[0]["week"]
    assert "1 (product, week) pair inside the supply weeks" in problems[0].message
    assert f"{pid} week {wk}" in problems[0].message
    assert main(["validate", "--data", str(inside)]) == 1

    # the last month's supply missing: the weeks after the supply are counted, a warning
    last_month = [w for w in weeks if w[:7] == weeks[-1][:7]]
    cut = sup[~sup["week"].isin(last_month)]
    late = _sample_with(small_dir, tmp_path / "late", cut)
    orders = small_tables["orders"]
    rationed = orders[orders["cap_qty"].fillna(0) > 0]
    after = rationed[pd.to_datetime(rationed["week"]) > pd.Timestamp(max(cut["week"]))]
    n_pairs = len(after[["product_id", "week"]].drop_duplicates())
    problems = [p for p in data.validate(late) if p.rule == "supply coverage"]
    assert [(p.severity, p.column) for p in problems] == [("warning", "week")]
    assert f"ends at {max(cut['week'])}, but {n_pairs:,} (product, week) pairs" in problems[0].message
    assert main(["validate", "--data", str(late)]) == 0
    with pytest.raises(placement.SupplyError, match="does not cover"):
        placement.check_supply(data.load(late), weeks[-1][:7])


def test_negative_supply_names_table_column_and_row(small_dir, small_tables, tmp_path):
    from lean_analysis import data
    from lean_analysis.data import ValidationError

    sup = small_tables["supply"].copy()
    sup["week"] = pd.to_datetime(sup["week"]).dt.date.astype(str)
    sup.loc[4, "supply_qty"] = -3.0
    with pytest.raises(ValidationError) as e:
        data.load(_sample_with(small_dir, tmp_path / "s", sup))
    msg = str(e.value)
    assert "supply" in msg and "supply_qty" in msg and "-3" in msg
    assert "row 6" in msg or "row 5" in msg or "rows 5" in msg or "rows 6" in msg, msg
    pid = sup["product_id"].iloc[0]
    with pytest.raises(ValueError, match="finite and ≥ 0"):  # a supply passed by hand
        placement.recommend(small_tables, {pid: -1.0}, "2026-10")


def test_supply_not_covering_the_period_names_table_column_and_week(small_dir, small_tables,
                                                                    tmp_path):
    from lean_analysis import data

    sup = small_tables["supply"].copy()
    weeks = pd.to_datetime(sup["week"])
    sup["week"] = weeks.dt.date.astype(str)
    gone = weeks == weeks[weeks.dt.strftime("%Y-%m") == "2026-10"].max()
    pid = sup.loc[gone, "product_id"].iloc[0]
    sup = sup[~(gone & (sup["product_id"] == pid))]
    folder = _sample_with(small_dir, tmp_path / "s", sup)
    # validate refuses it (rule supply coverage) ...
    errors = [p for p in data.validate(folder) if p.severity == "error"]
    assert [(p.table, p.rule) for p in errors] == [("supply", "supply coverage")]
    assert pid in errors[0].message
    # ... and the placement's own check says it of tables opened without validation
    tables = data.load(folder, validate=False)
    with pytest.raises(placement.SupplyError) as e:
        placement.check_supply(tables, "2026-10")
    msg = str(e.value)
    assert "table 'supply'" in msg and "does not cover 2026-10" in msg and pid in msg
    assert e.value.column == "week"
    with pytest.raises(ValueError, match="table 'supply'"):
        placement.recommend(tables, None, "2026-12")


# --------------------------------------------------------------------------- the report
def test_figures_are_declared_and_written(small_tables, tmp_path):
    from lean_analysis import targets
    from lean_analysis.report.metrics import read_metrics, write_metrics

    ev = placement.evaluate(small_tables, "2026-10")
    bt = placement.backtest(small_tables, policy=["actual", "demand"], months=3, period="2026-10")
    sup, source = placement.next_supply(small_tables, "2026-11", fallback="2026-10")
    assert source == "fallback"
    rec = placement.recommend(small_tables, sup, "2026-11")
    figs = placement.figures(ev, bt, rec)
    need = {"served_share_actual", "served_share_recommended_backtest", "unused_supply_share",
            "placement_gini"}
    assert need <= set(figs)
    for name in need:
        spec = targets.lookup(name, "04_market_placement")
        assert spec.unit == "share" and spec.basis in ("month", "backtest")
        assert 0 <= figs[name]["value"] <= 1
    assert figs["served_share_actual"]["value"] == pytest.approx(ev.total["served_share"])
    write_metrics(tmp_path, "04_market_placement", "2026-10", figs)
    assert read_metrics(tmp_path, "04_market_placement")["figures"].keys() == figs.keys()


def test_without_supply_the_figures_are_not_measured(small_dir, tmp_path):
    from lean_analysis import data

    tables = data.load(_sample_with(small_dir, tmp_path / "s", None),
                       tables=["customers", "products", "orders", "supply"])
    assert placement.readiness(tables, "2026-10") == placement.NO_SUPPLY
    figs = placement.figures(None, None, None)
    assert all(f["value"] is None for f in figs.values())


def test_nothing_rationed_is_said(small_tables):
    assert placement.readiness(small_tables, "2026-10") == placement.READY
    assert placement.readiness(small_tables, "2019-01") == placement.NO_RATIONED


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plots_and_tables(small_tables, lang):
    from lean_analysis.report import plots_placement as pp
    from lean_analysis.report import show
    from lean_analysis.report.texts import keys, t

    ev = placement.evaluate(small_tables, "2026-10")
    bt = placement.backtest(small_tables, policy=["actual", "demand"], months=2, period="2026-10")
    rec = placement.recommend(small_tables, placement.supply_of(small_tables, "2026-10"), "2026-10")
    rec.attrs["period"] = "2026-11"
    figs = placement.figures(ev, bt, rec)
    fig = pp.served_by_band_plot(ev, lang)
    assert len(fig.axes[0].patches) == ev.groups["tier_band"].nunique()
    names = set(small_tables["products"]["product_name"])
    for tbl, fmts in (pp.backtest_display(bt, lang), pp.unserved_display(ev, small_tables["products"], lang),
                      pp.caps_display(rec, small_tables["products"], lang)):
        assert len(tbl) <= 15
        show.table_html(tbl, formats=fmts, lang=lang)
    tbl, _ = pp.caps_display(rec, small_tables["products"], lang)
    assert set(tbl[t("pl_product", lang)]) <= names
    pts = pp.summary_points(figs, ev, 2, rec, "fallback", "demand", lang)
    assert "%" in pts[0] and (("箱" in pts[0]) if lang == "zh" else ("cases" in pts[0]))
    html = show.summary_html(pp.summary_findings(figs, ev, 2, rec, "fallback", "demand", lang), lang,
                             title=t("pl_summary", lang), cards=pp.summary_cards(figs, lang))
    assert 'data-la-summary="1"' in html and all(show.esc(p) in html for p in pts)
    assert all(k for k in keys() if k.startswith("pl_"))


# --------------------------------------------------------------------------- county (slow)
def _hide_demand_at_cap(tables):
    """Recorded demand hidden (NULL) on a hash of half the lines ordered at the cap."""
    con = tables.con
    con.execute("ALTER VIEW orders RENAME TO orders_recorded")
    con.execute("""CREATE VIEW orders AS SELECT week, customer_id, product_id,
        CASE WHEN hash(customer_id || CAST(week AS VARCHAR) || product_id) % 2 = 0
             AND order_qty >= cap_qty THEN NULL ELSE demand_qty END AS demand_qty,
        cap_qty, order_qty, amount FROM orders_recorded""")


@pytest.fixture(scope="module")
def county_hidden(county_dir):
    from lean_analysis import data

    tables = data.load(county_dir, tables=["customers", "products", "orders", "supply"])
    _hide_demand_at_cap(tables)
    return tables


@pytest.mark.slow
def test_county_uncensor_within_5_percent_by_band(county_hidden, county_truth):
    u = placement.uncensor(county_hidden, "2026-10", months=1)
    b = u.by()
    assert b["censored"].sum() > 0.2 * b["lines"].sum()  # a real test: many lines hidden
    truth = county_truth["placement"]["products"]
    b["truth"] = [truth[p]["demand_by_band"][band] for p, band in zip(b.product_id, b.tier_band,
                                                                       strict=True)]
    band = b.groupby("tier_band")[["demand_est", "truth", "orders"]].sum()
    err = band["demand_est"] / band["truth"] - 1
    assert (err.abs() <= 0.05).all(), err
    assert (band["orders"] < 0.9 * band["truth"]).any()  # orders alone would be far off


@pytest.mark.slow
def test_county_backtest_closes_half_the_gap(county_tables, county_truth):
    truth = county_truth["placement"]
    bt = placement.backtest(county_tables, policy=["actual", "demand"], months=12, period="2026-10")
    s = bt.summary().set_index(["product_id", "policy"])["served_share"]
    actual, oracle = truth["served_share_actual"], truth["served_share_oracle"]
    assert s[("all", "actual")] == pytest.approx(actual, rel=1e-9)
    closed = (s[("all", "demand")] - actual) / (oracle - actual)
    assert closed >= 0.5, closed
    assert s[("all", "demand")] <= oracle + 1e-9


@pytest.mark.slow
def test_county_recommendation_feasible_and_monotone(county_tables):
    sup = placement.supply_of(county_tables, "2026-10")
    for policy in ("demand", "demand_fair"):
        rec = placement.recommend(county_tables, sup, "2026-11", policy=policy)
        assert set(rec["product_id"]) == set(sup.index)
        for pid, g in rec.groupby("product_id"):
            g = g.sort_values("tier")
            assert (g["cap"] * g["customers"]).sum() <= sup[pid] + 1e-9, (policy, pid)
            assert (np.diff(g["cap"].to_numpy()) >= 0).all(), (policy, pid)
            assert (g["cap"] >= 1).all() or (g["note"] == "floor_infeasible").all()


@pytest.mark.notebooks
def test_notebook_without_supply_says_so_and_publishes_not_measured(small_dir, tmp_path):
    import json

    from conftest import PERIOD, write_batch

    from lean_analysis import runner

    src = _sample_with(small_dir, tmp_path / "nosupply", None)
    res = runner.run_batch(write_batch(tmp_path), period=PERIOD, data=src,
                           only=["04_market_placement"], outputs=tmp_path / "out", progress=False)
    (rep,) = [r for r in res.reports if r.name == "04_market_placement"]
    assert rep.status == "ok", rep.note
    folder = tmp_path / "out" / PERIOD
    page = (folder / "04_market_placement.html").read_text(encoding="utf-8")
    assert "没有货源表" in page
    doc = json.loads((folder / "04_market_placement.metrics.json").read_text(encoding="utf-8"))
    assert doc["readiness"] == "no_supply"
    assert all(f["value"] is None for f in doc["figures"].values())

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

"""brand on the sample counties: panels from the tables, and the planted truths recovered.

Small sample: the SQL panel against a plain pandas computation. County sample (slow): the
cultivation lift of truth.json inside the reported interval, a placebo programme on untreated
stores finding nothing, the benchmark-terminal programme's DiD covering its planted effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_analysis import brand


def test_cultivation_panel_matches_pandas(small_dir, small_tables, small_truth):
    cult = small_truth["cultivation"]
    panel = brand.cultivation_panel(small_tables, cult["programme_id"])
    assert panel.attrs["product_ids"] == [cult["product_id"]]
    assert sorted(panel.loc[panel["is_target"], "customer_id"].unique()) == sorted(cult["target_customers"])
    assert panel.attrs["start"] == pd.Timestamp(cult["start"])
    assert not panel.duplicated(["customer_id", "month"]).any()

    orders = pd.read_csv(small_dir / "orders.csv", parse_dates=["week"])
    o = orders[orders["product_id"] == cult["product_id"]]
    by_month = o.groupby([o["customer_id"], o["week"].dt.to_period("M").dt.to_timestamp()])["order_qty"].sum()
    got = panel.set_index(["customer_id", "month"])["order_qty"]
    assert got.loc[by_month.index].to_numpy() == pytest.approx(by_month.to_numpy())
    # every other licensed customer-month is there with 0
    assert (got.drop(by_month.index) == 0).all()
    customers = pd.read_csv(small_dir / "customers.csv", parse_dates=["active_from", "active_to"])
    months = pd.date_range(panel["month"].min(), panel["month"].max(), freq="MS")
    expected = sum(
        ((months + pd.offsets.MonthEnd(0) >= c.active_from)
         & (pd.isna(c.active_to) | (months <= c.active_to))).sum()
        for c in customers.itertuples()
    )
    assert len(panel) == expected


def test_unknown_programme_is_named(small_tables):
    with pytest.raises(ValueError, match="no programme_id 'P9'"):
        brand.cultivation_panel(small_tables, "P9")


# --- county (slow) ---------------------------------------------------------------------------
# As the report runs it: brand.evaluate_programme (matched comparison customers, effect,
# indicators, shelves, power) with the notebook's defaults.


@pytest.fixture(scope="module")
def all_targets(county_tables):
    return brand.all_target_customers(county_tables)


@pytest.mark.slow
def test_county_cultivation_lift_inside_interval(county_tables, county_truth, all_targets):
    cult = county_truth["cultivation"]
    ev = brand.evaluate_programme(county_tables, cult["programme_id"], "2026-10", exclude=all_targets)
    assert ev.status == "evaluated" and sorted(ev.targets) == sorted(cult["target_customers"])
    r = ev.effect
    assert r.method == "synth"  # 2 target stores
    truth = cult["effect_cartons_per_month"]  # 4.62 cartons per store and month
    assert r.ci_low <= truth <= r.ci_high
    assert r.ci_low > 0  # and the programme is found to work
    # the relative lift (planted 0.5 of the counterfactual level): the interval over the
    # targets' pre-period level contains it
    baseline = r.table.set_index("unit").loc["all", "baseline"]
    assert r.ci_low / baseline <= cult["lift"] <= r.ci_high / baseline
    # comparison customers are matched, never targets of any programme
    assert not set(ev.comparison["customer_id"]) & set(all_targets)
    # the targets are checked every month in the sample and carry the cultivated product
    assert ev.on_shelf_rate == 1.0


@pytest.mark.slow
def test_county_placebo_programme_finds_nothing(county_tables, county_truth, all_targets):
    cult = county_truth["cultivation"]
    placebo = county_truth["placebo"]["customer_ids"]
    ev = brand.evaluate_programme(county_tables, cult["programme_id"], "2026-10",
                                  exclude=all_targets, targets=placebo)
    assert sorted(ev.targets) == sorted(placebo)
    assert ev.effect.ci_low <= 0 <= ev.effect.ci_high
    assert ev.effect.p_value > 0.05


@pytest.mark.slow
def test_county_terminal_programme_did(county_tables, county_truth, all_targets):
    term = county_truth["terminal"]
    ev = brand.evaluate_programme(county_tables, term["programme_id"], "2026-10", exclude=all_targets)
    r = ev.effect
    assert r.method == "did" and r.detail.n_treated == len(term["target_customers"])
    # the programmes row names 芙蓉王: its planted effect on that brand's orders
    assert r.ci_low <= term["effect_brand_cartons_per_month"] <= r.ci_high
    assert list(r.detail.event_study["rel_time"]) == list(range(-6, 7))
    assert np.isfinite(r.detail.pretrend_p)
    # indicators for both groups, every month from 12 months before the start
    ind = ev.indicators
    assert set(ind["group"]) == {"target", "comparison"}
    assert ind["period"].min() == pd.Timestamp(term["start"]) - pd.DateOffset(months=12)

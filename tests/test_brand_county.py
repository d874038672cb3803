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
def test_county_cultivation_lift_inside_interval(county_evals, county_truth, all_targets):
    cult = county_truth["cultivation"]
    ev = county_evals[cult["programme_id"]]
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


@pytest.fixture(scope="module")
def county_evals(county_tables, all_targets):
    """P1 and P2 evaluated as the report does (notebook defaults)."""
    return {pid: brand.evaluate_programme(county_tables, pid, "2026-10", exclude=all_targets)
            for pid in ("P1", "P2")}


@pytest.mark.slow
def test_county_terminal_programme_measures_every_key_brand(county_evals, county_tables, county_truth):
    term = county_truth["terminal"]
    ev = county_evals["P2"]
    r = ev.effect
    assert r.method == "did" and r.detail.n_treated == len(term["target_customers"])
    # a benchmark terminal lifts every key brand at its stores (truth: lift_applies_to), so
    # its outcome is all key-brand sales, not the programmes row's focus brand
    assert ev.scope == "key_brands" and "key-brand" in term["lift_applies_to"]
    products = county_tables.sql("SELECT product_id FROM products WHERE is_key_brand ORDER BY 1")
    assert ev.product_ids == products["product_id"].tolist()
    truth = term["effect_cartons_per_month"]  # 47.1 cartons of key brands per store and month
    assert r.ci_low <= truth <= r.ci_high
    assert r.ci_low > 0
    baseline = r.table.set_index("unit").loc["all", "baseline"]
    assert r.ci_low / baseline <= term["lift"] <= r.ci_high / baseline  # the planted 12 %
    # and the stores' total sales beside it: only key brands were lifted, so the same
    # cartons (inside its interval too)
    tot = ev.secondary["all_sales"]
    assert tot.ci_low <= truth <= tot.ci_high
    assert list(r.detail.event_study["rel_time"]) == list(range(-6, 7))
    assert np.isfinite(r.detail.pretrend_p)
    ind = ev.indicators
    assert set(ind["group"]) == {"target", "comparison"}
    assert ind["period"].min() == pd.Timestamp(term["start"]) - pd.DateOffset(months=12)


@pytest.mark.slow
def test_county_stated_power_holds_in_simulation(county_evals):
    """The report's "smallest effect detected with 80 % power" is the estimator's own: planting
    an effect of exactly that size and re-estimating (resampled noise for DiD, resampled
    placebo assignment for synthetic control) rejects about 80 % of the time."""
    from lean_analysis.brand import power as bp

    p2 = county_evals["P2"]
    pw = p2.power
    assert pw["basis"] == "did_se" and pw["power"] == 0.8
    # MDE = (t + t) × the DiD's own clustered SE
    assert pw["se"] == pytest.approx(p2.effect.detail.se)
    assert pw["mde"] == pytest.approx(bp.mde_from_se(p2.effect.detail.se, 0.05, 0.8, pw["df"]))
    # the interval beside it agrees: its half-width is t × SE, and MDE > half-width
    half = (p2.effect.ci_high - p2.effect.ci_low) / 2
    assert half < pw["mde"] < 2 * half
    sim = bp.simulate_power_did(p2.panel, "customer_id", "month", "order_qty", "is_target", p2.start,
                                pw["mde"], reps=200, seed=1)
    assert sim == pytest.approx(pw["power"], abs=0.10)

    p1 = county_evals["P1"]
    pw1 = p1.power
    assert pw1["basis"] == "synth_placebo"
    d = p1.effect.detail
    assert bp.synth_power(d, pw1["mde"]) >= 0.8 > bp.synth_power(d, 0.9 * pw1["mde"])
    # the programme's own estimate (p = 0.11) lies below what it can detect
    assert p1.effect.estimate < pw1["mde"]
    donors = sorted(p1.comparison["customer_id"].unique())
    sim1 = bp.simulate_power_synth(p1.panel, "customer_id", "month", "order_qty",
                                   d.placebo_units("interval"), donors, len(p1.targets), p1.start,
                                   pw1["mde"], reps=200, seed=1)
    assert sim1 == pytest.approx(pw1["power"], abs=0.10)


@pytest.mark.slow
def test_county_on_shelf_rate_among_the_checked(county_evals, county_dir):
    """Comparison stores are checked now and then: their on-shelf rate is among the checked
    (recomputed from shelf_checks.csv), not the 7 % that counted unchecked stores as empty."""
    ev = county_evals["P1"]
    pid = ev.items[0]
    comp = set(ev.comparison["customer_id"])
    checks = pd.read_csv(county_dir / "shelf_checks.csv", parse_dates=["date"])
    c = checks[(checks["product_id"] == pid) & checks["customer_id"].isin(comp)
               & (checks["date"] >= "2026-10-01") & (checks["date"] <= "2026-10-31")]
    latest = c.sort_values("date").groupby("customer_id").tail(1)
    on = latest["on_shelf"].astype(str).str.lower().isin(["true", "1"])
    row = ev.indicators.set_index(["period", "group"]).loc[(pd.Timestamp("2026-10-01"), "comparison")]
    assert row["on_shelf_rate"] == pytest.approx(on.mean())
    assert row["checked_share"] == pytest.approx(len(latest) / len(comp))

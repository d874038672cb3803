"""Comparisons: wave change, segment differences with Holm/BH, empirical-Bayes league."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lean_analysis import survey

FIXTURES = Path(__file__).parent / "fixtures"


def test_prob_at_least():
    assert survey.prob_at_least(91.0, 1.0, 90.0) == pytest.approx(stats.norm.cdf(1.0))
    assert survey.prob_at_least(91.0, 1.0, 90.0) == pytest.approx(0.841, abs=1e-3)
    assert survey.prob_at_least(89.0, 0.0, 90.0) == 0.0


def test_wave_change_is_difference_of_independent_srs_means():
    rng = np.random.default_rng(3)
    a, b = rng.normal(80, 10, 60), rng.normal(84, 12, 90)
    df = pd.DataFrame({"wave": ["2026-04"] * 60 + ["2026-10"] * 90, "y": np.r_[a, b]})
    ch = survey.wave_change(df, "y", prev_wave="2026-04", wave="2026-10")
    se = math.sqrt(a.var(ddof=1) / 60 + b.var(ddof=1) / 90)
    assert ch.estimate == pytest.approx(b.mean() - a.mean())
    assert ch.se == pytest.approx(se)
    assert ch.p_value == pytest.approx(2 * stats.norm.sf(abs(ch.estimate / se)))
    assert (ch.n_prev, ch.n_curr) == (60, 90)
    with pytest.raises(ValueError, match="no responses in wave '2025-01'"):
        survey.wave_change(df, "y", prev_wave="2025-01", wave="2026-10")


def test_segment_pairs_of_strata_are_independent():
    """Segments that are whole strata have independent estimates: SE of a difference is
    sqrt(SE_a² + SE_b²); Holm's adjustment by hand."""
    api = pd.read_csv(FIXTURES / "apistrat.csv", comment="#")
    kw = {"weight": "pw", "strata": "stype", "fpc": "fpc"}
    dom = survey.design_by(api, "api00", "stype", **kw).set_index("stype")
    out = survey.segment_differences(api, "api00", "stype", compare="pairs", **kw)
    assert out[["segment", "versus"]].values.tolist() == [["E", "H"], ["E", "M"], ["H", "M"]]
    for _, r in out.iterrows():
        a, b = dom.loc[r["segment"]], dom.loc[r["versus"]]
        assert r["difference"] == pytest.approx(a["estimate"] - b["estimate"])
        assert r["se"] == pytest.approx(math.hypot(a["se"], b["se"]), rel=1e-10)
    p = out["p_value"].to_numpy()
    order = np.argsort(p)
    holm = np.minimum(1, np.maximum.accumulate(p[order] * np.array([3, 2, 1])))
    expected = np.empty(3)
    expected[order] = holm
    np.testing.assert_allclose(out["p_adjusted"], expected)


def test_segment_vs_rest_matches_design_difference():
    api = pd.read_csv(FIXTURES / "apiclus1.csv", comment="#")
    d = survey.Design(api, weight="pw", psu="dnum", fpc="fpc")
    out = survey.segment_differences(d, "api00", "stype", correction="fdr_bh").set_index(
        "segment")
    e = api["stype"].eq("E")
    ref = survey.design_difference(d, "api00", e, ~e)
    assert out.loc["E", "difference"] == pytest.approx(ref["estimate"])
    assert out.loc["E", "se"] == pytest.approx(ref["se"])
    assert out.attrs["correction"] == "fdr_bh"


def test_eb_shrink_docstring_example():
    r = survey.eb_shrink([60.0, 80.0, 100.0], [100.0, 100.0, 100.0])
    assert r["tau2"] == pytest.approx(300.0)
    np.testing.assert_allclose(r["B"], 0.25)
    np.testing.assert_allclose(r["shrunk"], [65.0, 80.0, 95.0])
    np.testing.assert_allclose(r["post_se"], math.sqrt(75.0 + 0.25**2 * 400 / 3))


def test_eb_no_between_variance_pools_to_the_mean():
    r = survey.eb_shrink([79.0, 80.0, 81.0], [100.0, 100.0, 100.0])
    assert r["tau2"] == 0.0
    np.testing.assert_allclose(r["shrunk"], 80.0)
    np.testing.assert_allclose(r["post_se"], math.sqrt(100 / 3))  # the SE of the mean


def test_manager_league_planted():
    """Planted: 40 managers, true means N(80, 5²), answers N(θ_m, 15²), 3 to 120 answers.
    EB recovers τ roughly, pulls the small managers most, and beats the raw means."""
    rng = np.random.default_rng(2026)
    m = 40
    theta = rng.normal(80, 5, m)
    sizes = np.r_[[3, 3, 4, 5], rng.integers(10, 121, m - 4)]
    rows = [(f"M{i:02d}", y) for i in range(m) for y in rng.normal(theta[i], 15, sizes[i])]
    df = pd.DataFrame(rows, columns=["manager_id", "index"])
    lg = survey.manager_league(df, "index").set_index("manager_id")
    truth = pd.Series(theta, index=[f"M{i:02d}" for i in range(m)])
    assert 2.5 < math.sqrt(lg.attrs["tau2"]) < 7.5
    assert lg.attrs["s2"] == pytest.approx(225, rel=0.1)
    err_raw = ((lg["raw_mean"] - truth) ** 2).mean()
    err_eb = ((lg["shrunk"] - truth) ** 2).mean()
    assert err_eb < err_raw
    small = lg.loc[["M00", "M01", "M02", "M03"], "shrinkage"]
    assert small.min() > lg.loc[lg["n"] >= 60, "shrinkage"].max()
    # shrunk values lie between the raw mean and the overall mean
    mu = lg.attrs["mu"]
    lo = np.minimum(lg["raw_mean"], mu) - 1e-9
    hi = np.maximum(lg["raw_mean"], mu) + 1e-9
    assert ((lg["shrunk"] >= lo) & (lg["shrunk"] <= hi)).all()
    assert sorted(lg["rank"]) == list(range(1, m + 1))


def test_manager_league_by_hand():
    df = pd.DataFrame({"manager_id": list("AAABBBCCC"),
                       "y": [60, 62, 58, 80, 78, 82, 100, 99, 101.0]})
    lg = survey.manager_league(df, "y").set_index("manager_id")
    s2 = (8 + 8 + 2) / (9 - 3)  # pooled within variance
    v = s2 / 3
    ref = survey.eb_shrink([60.0, 80.0, 100.0], [v, v, v])
    np.testing.assert_allclose(lg.loc[["A", "B", "C"], "shrunk"], ref["shrunk"])
    assert lg.attrs["s2"] == pytest.approx(s2)
    assert lg.loc["C", "rank"] == 1


def test_target_comparison():
    est = survey.DesignEstimate(estimate=91.0, se=1.0, ci_low=91 - 1.959964, ci_high=92.959964,
                                n=100, deff=1.0, df=99)
    r = survey.target_comparison(est, 90, ">=", "index", "index")
    # 91 with 95 % interval 89.04–92.96 contains 90: the survey cannot tell met from not met
    assert r["status"] == "within_margin" and r["interval"] == "straddles"
    assert r["prob_meeting"] == pytest.approx(0.841, abs=1e-3)
    share = survey.DesignEstimate(estimate=0.85, se=0.02, ci_low=0.81, ci_high=0.89, n=100,
                                  deff=1.0, df=99)
    r = survey.target_comparison(share, 90, ">=", "share", "index")  # 90 index = 0.90 share
    assert r["target"] == pytest.approx(0.90) and r["status"] == "not_met"
    assert r["interval"] == "below"
    assert r["prob_meeting"] == pytest.approx(stats.norm.cdf(-2.5))
    with pytest.raises(ValueError, match="cannot compare"):
        survey.target_comparison(est, 90, ">=", "index", "cases")


def test_target_status_within_margin_is_published():
    # the reviewers' case: 89.62 with interval 89.2–90.0 against ≥ 90 (the end is included)
    est = survey.DesignEstimate(estimate=89.62, se=0.2, ci_low=89.2, ci_high=90.0, n=400,
                                deff=1.0, df=390)
    r = survey.target_comparison(est, 90, ">=", "index", "index")
    assert (r["status"], r["interval"]) == ("within_margin", "straddles")
    share = survey.DesignEstimate(0.7, 0.02, 0.66, 0.74, 400, 1.0, 390)
    figs = survey.figures(est, share, r, "satisfaction_index", pd.DataFrame(
        columns=["variable", "estimate", "se", "ci_low", "ci_high", "n"]), 0.95)
    si = figs["satisfaction_index"]
    assert (si["status"], si["ci_low"], si["ci_high"]) == ("within_margin", 89.2, 90.0)
    # wholly above the target → met; wholly below → not met
    up = survey.DesignEstimate(91.0, 0.2, 90.6, 91.4, 400, 1.0, 390)
    assert survey.target_comparison(up, 90, ">=", "index", "index")["status"] == "met"
    down = survey.DesignEstimate(89.0, 0.2, 88.6, 89.4, 400, 1.0, 390)
    assert survey.target_comparison(down, 90, ">=", "index", "index")["status"] == "not_met"

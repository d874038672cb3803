"""Design-based estimates against R `survey`'s published figures and independent computations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from lean_analysis import survey

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def apistrat() -> pd.DataFrame:
    # tests/fixtures/apistrat.csv: R package survey (data api), first line names the source
    return pd.read_csv(FIXTURES / "apistrat.csv", comment="#")


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "apiclus1.csv", comment="#")


# --- published figures (R survey; see the shared references README) --------------------------
def test_apistrat_with_fpc_matches_r(apistrat):
    # svymean(~api00, svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc)): 662.29, SE 9.4089
    est = survey.design_mean(apistrat, "api00", weight="pw", strata="stype", fpc="fpc")
    assert est.estimate == pytest.approx(662.29, abs=0.01)
    assert est.se == pytest.approx(9.4089, rel=1e-3)
    assert est.n == 200 and est.df == 200 - 3
    # R's confint(svymean(...)) uses the normal quantile
    z = stats.norm.ppf(0.975)
    assert est.ci_low == pytest.approx(est.estimate - z * est.se)
    assert est.ci_high == pytest.approx(est.estimate + z * est.se)


def test_apistrat_without_fpc_matches_r(apistrat):
    est = survey.design_mean(apistrat, "api00", weight="pw", strata="stype")
    assert est.estimate == pytest.approx(662.29, abs=0.01)
    assert est.se == pytest.approx(9.5361, rel=1e-3)


def test_apiclus1_one_stage_cluster_matches_r(apiclus1):
    # svymean(~api00, svydesign(id=~dnum, weights=~pw, fpc=~fpc)): 644.17, SE 23.542
    est = survey.design_mean(apiclus1, "api00", weight="pw", psu="dnum", fpc="fpc")
    assert est.estimate == pytest.approx(644.17, abs=0.01)
    assert est.se == pytest.approx(23.542, rel=1e-3)
    assert est.df == 15 - 1  # 15 districts, one stratum
    # without weights R derives them from the fpc (757 districts / 15 sampled)
    est2 = survey.design_mean(apiclus1, "api00", psu="dnum", fpc="fpc")
    assert est2.se == pytest.approx(23.542, rel=1e-3)


def test_apiclus1_domains_match_r_svyby(apiclus1):
    # svyby(~api00, ~stype, dclus1, svymean) as R survey prints it (E, H, M), with the design df
    # R recomputes for each domain (PSUs the domain retains − strata): 14, 7, 11
    out = survey.design_by(apiclus1, "api00", "stype", weight="pw", psu="dnum", fpc="fpc")
    assert out["stype"].tolist() == ["E", "H", "M"]
    np.testing.assert_allclose(out["estimate"], [648.8681, 618.5714, 631.4400], atol=1e-4)
    np.testing.assert_allclose(out["se"], [22.36241, 38.02025, 31.60947], rtol=1e-5)
    assert out["df"].tolist() == [14, 7, 11]
    assert out["n"].tolist() == [144, 14, 25]


def test_domain_difference_matches_r_svyglm(apiclus1):
    # svyglm(api00 ~ sch.wide, dclus1): the coefficient's t statistic is 2.108989847792919
    # (the regression on a 0/1 regressor is the difference of the two domain means).
    d = survey.Design(apiclus1, weight="pw", psu="dnum", fpc="fpc")
    yes = apiclus1["sch.wide"].eq("Yes")
    r = survey.design_difference(d, "api00", yes, ~yes)
    assert r["z"] == pytest.approx(2.108989847792919, rel=1e-9)
    means = survey.design_by(d, "api00", "sch.wide").set_index("sch.wide")["estimate"]
    assert r["estimate"] == pytest.approx(means["Yes"] - means["No"])


# --- independent computations ------------------------------------------------------------
def test_deff_is_r_deff_true(apistrat):
    """deff = V(ȳ) / [svyvar · (N̂ − n) / (N̂ n)], svyvar = n/(n−1) Σw(y−ȳ)²/Σw."""
    est = survey.design_mean(apistrat, "api00", weight="pw", strata="stype", fpc="fpc")
    y, w = apistrat["api00"].to_numpy(float), apistrat["pw"].to_numpy(float)
    n, big_n = len(y), w.sum()
    ybar = (w * y).sum() / big_n
    s2 = n / (n - 1) * (w * (y - ybar) ** 2).sum() / big_n
    assert est.deff == pytest.approx(est.se**2 / (s2 * (big_n - n) / (big_n * n)), rel=1e-12)
    assert est.pop_size == pytest.approx(big_n)


def test_srs_se_is_sd_over_root_n():
    y = pd.DataFrame({"y": [3.0, 5.0, 4.0, 8.0, 1.0, 6.0]})
    est = survey.design_mean(y, "y")
    assert est.estimate == pytest.approx(y["y"].mean())
    assert est.se == pytest.approx(y["y"].std(ddof=1) / math.sqrt(6))


def test_stratum_domains_are_independent_strata(apistrat):
    """A domain that is a whole stratum has the within-stratum SRS variance with fpc:
    (1 − n_h/N_h) s_h² / n_h."""
    out = survey.design_by(apistrat, "api00", "stype", weight="pw", strata="stype", fpc="fpc")
    for _, row in out.iterrows():
        g = apistrat[apistrat["stype"] == row["stype"]]
        n, big_n = len(g), g["fpc"].iloc[0]
        se = math.sqrt((1 - n / big_n) * g["api00"].var(ddof=1) / n)
        assert row["se"] == pytest.approx(se, rel=1e-10)
        assert row["estimate"] == pytest.approx(g["api00"].mean())


def test_missing_values_are_a_domain_and_counted(apiclus1):
    df = apiclus1.copy()
    df.loc[df.index[:10], "api00"] = np.nan
    est = survey.design_mean(df, "api00", weight="pw", psu="dnum", fpc="fpc")
    df["answered"] = df["api00"].notna()
    dom = survey.design_by(df, "api00", "answered", weight="pw", psu="dnum", fpc="fpc")
    row = dom[dom["answered"]].iloc[0]
    assert est.n == 173 and est.n_missing == 10
    assert est.se == pytest.approx(row["se"], rel=1e-12)
    # not the naive subset design (which would lose the PSUs' zero contributions)
    sub = survey.design_mean(df[df["answered"]], "api00", weight="pw", psu="dnum", fpc="fpc")
    assert est.estimate == pytest.approx(sub.estimate)


def test_share_logit_interval_by_hand():
    """3 of 4 satisfied, SRS: p = 0.75, SE = sqrt(p(1−p)/(n−1)) = 0.25; logit interval
    expit(logit p ± t_3 · SE / (p(1−p))) as R svyciprop(method="logit")."""
    df = pd.DataFrame({"sat": [True, True, True, False]})
    est = survey.design_share(df, "sat")
    assert est.estimate == 0.75 and est.se == pytest.approx(0.25)
    h = stats.t.ppf(0.975, 3) * 0.25 / (0.75 * 0.25)
    lg = math.log(3)
    assert est.ci_low == pytest.approx(1 / (1 + math.exp(-(lg - h))))
    assert est.ci_high == pytest.approx(1 / (1 + math.exp(-(lg + h))))


def test_share_wilson_uses_effective_n(apistrat):
    df = apistrat.assign(high=apistrat["api00"] > 700)
    est = survey.design_share(df, "high", weight="pw", strata="stype", fpc="fpc", method="wilson")
    n_eff = est.estimate * (1 - est.estimate) / est.se**2
    lo, hi = proportion_confint(est.estimate * n_eff, n_eff, method="wilson")
    assert (est.ci_low, est.ci_high) == pytest.approx((lo, hi), rel=1e-9)
    assert est.ci_low < est.estimate < est.ci_high


def test_share_all_satisfied_has_an_interval():
    df = pd.DataFrame({"sat": [1, 1, 1, 1, 1]})
    est = survey.design_share(df, "sat")
    assert est.estimate == 1.0 and est.ci_high == 1.0 and 0.4 < est.ci_low < 1.0


def test_share_rejects_non_binary():
    with pytest.raises(ValueError, match=r"survey\.x.*rows \[1\].*0/1"):
        survey.design_share(pd.DataFrame({"x": [0, 2, 1]}), "x")


def test_ci_df_design_uses_t(apiclus1):
    est = survey.design_mean(apiclus1, "api00", weight="pw", psu="dnum", fpc="fpc",
                             ci_df="design")
    q = stats.t.ppf(0.975, 14)
    assert est.ci_high - est.estimate == pytest.approx(q * est.se)


def test_clear_errors(apistrat):
    bad = apistrat.copy()
    bad.loc[3, "stype"] = None
    with pytest.raises(ValueError, match=r"survey\.stype.*rows \[3\].*rule"):
        survey.design_mean(bad, "api00", weight="pw", strata="stype")
    bad = apistrat.copy()
    bad.loc[5, "fpc"] = 1
    with pytest.raises(ValueError, match=r"survey\.fpc.*not constant within stratum"):
        survey.design_mean(bad, "api00", weight="pw", strata="stype", fpc="fpc")
    bad = apistrat.copy()
    bad.loc[7, "pw"] = 0
    with pytest.raises(ValueError, match=r"survey\.pw.*\[7\].*positive"):
        survey.design_mean(bad, "api00", weight="pw", strata="stype")
    one = apistrat.iloc[[0, 1, 2]].assign(s=["a", "a", "b"])
    with pytest.raises(ValueError, match="lonely PSU"):
        survey.design_mean(one, "api00", strata="s")
    removed = survey.design_mean(one, "api00", strata="s", lonely_psu="remove")
    a = one["api00"].iloc[:2].to_numpy(float)
    # stratum a: N̂_a = 2 of N̂ = 3; V = (2/3)² · var(a)/2; stratum b contributes nothing
    assert removed.se == pytest.approx(math.sqrt((2 / 3) ** 2 * a.var(ddof=1) / 2))


def test_stratified_weights_from_population_counts():
    pop = pd.DataFrame({"area": ["urban"] * 10 + ["rural"] * 6})
    smp = pd.DataFrame({"area": ["urban", "urban", "rural", "rural", "rural"], "y": range(5)})
    out = survey.stratified_weights(smp, pop, "area")
    assert out["weight"].tolist() == [5.0, 5.0, 2.0, 2.0, 2.0]
    assert out["fpc"].tolist() == [10.0, 10.0, 6.0, 6.0, 6.0]
    assert out["weight"].sum() == 16
    tab = survey.strata_table(smp, pop, "area").set_index("area")
    assert tab.loc["rural", "fraction"] == 0.5


def test_stratified_weights_errors():
    pop = pd.DataFrame({"area": ["urban"] * 3 + ["rural"] * 2})
    with pytest.raises(ValueError, match="no population units"):
        survey.stratified_weights(pd.DataFrame({"area": ["town"]}), pop, "area")
    with pytest.raises(ValueError, match=r"n_h ≤ N_h"):
        survey.stratified_weights(pd.DataFrame({"area": ["rural"] * 3}), pop, "area")
    with pytest.raises(ValueError, match=r"without respondents: \['rural'\] \(2 population"):
        survey.stratified_weights(pd.DataFrame({"area": ["urban"]}), pop, "area")
    with pytest.warns(UserWarning, match="without respondents"):
        out = survey.stratified_weights(pd.DataFrame({"area": ["urban"]}), pop, "area",
                                        on_empty="warn")
    assert out["weight"].tolist() == [3.0]


@pytest.mark.parametrize("lonely", ["remove", "adjust"])
def test_partition_domains_equal_indicator_domains(apiclus1, lonely):
    """design_by's O(n) partition path equals the indicator-matrix path (Design.means)."""
    df = apiclus1.copy()
    df.loc[df.index[::7], "api00"] = np.nan
    df["s"] = np.where(df["dnum"] == df["dnum"].iloc[0], "solo", df["stype"])  # a lonely stratum
    d = survey.Design(df, weight="pw", strata="s", psu="dnum", fpc="fpc", lonely_psu=lonely)
    out = survey.design_by(d, "api00", "awards")
    levels = sorted(df["awards"].unique())
    a = np.column_stack([df["awards"].eq(v).to_numpy() for v in levels])
    y = np.broadcast_to(df["api00"].to_numpy(float)[:, None], a.shape)
    r, _ = d.means(y, a)
    for key in ("estimate", "se", "n", "n_missing", "deff", "df", "pop_size"):
        np.testing.assert_allclose(out[key].to_numpy(float), np.asarray(r[key], float),
                                   rtol=1e-10, err_msg=key)


def test_weighted_sample_frame_and_exclusions():
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"], "area": ["urban", "urban", "rural", "rural",
                                                           "rural"],
        "tier": [5, 25, 3, 4, 12], "format": "便利店", "manager_id": "M1",
        "is_modern_terminal": False,
        "active_from": pd.to_datetime(["2020-01-01"] * 4 + ["2026-10-02"]),
        "active_to": pd.to_datetime([None, None, None, "2026-09-30", None]),
    })
    resp = pd.DataFrame({"wave": ["2026-10"] * 3 + ["2026-04"], "customer_id": ["a", "c", "d", "a"],
                         "y": [1.0, 2.0, 3.0, 4.0]})
    pop = survey.population_frame(customers, "2026-10")
    assert pop["customer_id"].tolist() == ["a", "b", "c"]  # d closed, e opened after day 1
    smp = survey.weighted_sample(resp, customers, "2026-10", strata=["area"])
    assert smp.excluded == {"not_in_frame": 1, "all_empty": 0}  # d is outside the frame
    assert smp.data.set_index("customer_id")["weight"].to_dict() == {"a": 2.0, "c": 1.0}
    assert smp.data["tier_band"].tolist() == ["1-10", "1-10"]
    with pytest.raises(ValueError, match=r"customer_id: rows \[1\] name customers not in"):
        survey.weighted_sample(resp.assign(customer_id=["a", "zz", "c", "a"]), customers,
                               "2026-10")


def test_design_means_equals_design_mean(apistrat):
    kw = {"weight": "pw", "strata": "stype", "fpc": "fpc"}
    out = survey.design_means(apistrat, ["api00", "api99"], **kw).set_index("variable")
    for v in ("api00", "api99"):
        one = survey.design_mean(apistrat, v, **kw)
        assert out.loc[v, "estimate"] == pytest.approx(one.estimate)
        assert out.loc[v, "se"] == pytest.approx(one.se)
        assert out.loc[v, "df"] == one.df

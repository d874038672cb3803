"""forecast.reconcile: coherent forecasts across levels (hierarchicalforecast), no leakage,
scores per level, the report's table and sentences; the county comparison (slow)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from lean_analysis import data, forecast
from lean_analysis.report import plots_reconcile as pr

R = sys.modules["lean_analysis.forecast.reconcile"]  # forecast.reconcile is the function
LEVELS = ["total", "price_class", "brand"]


@pytest.fixture(scope="module")
def small(small_tables):
    """The small sample at product level (24 months), a quick backtest, the products as groups."""
    series = data.to_series(small_tables, level=["product_id"], freq="MS")
    bt = forecast.backtest(series, models=["naive", "snaive"], h=1, n_windows=7, season_length=12,
                           level=(), n_jobs=1)
    groups = small_tables["products"].rename(columns={"product_id": "unique_id"})
    return series, bt, groups


@pytest.fixture(scope="module")
def small_result(small):
    series, bt, groups = small
    # naive is linear (the total's naive is the sum of the members'): snaive above the
    # bottom makes the base forecasts incoherent, as any model fitted per level does
    return R.reconcile_levels(bt, series, groups, LEVELS, model="naive", upper_model="snaive",
                              n_jobs=1, min_history=3)


# --------------------------------------------------------------------------- hierarchy
def test_summing_matrix_matches_hierarchicalforecast_aggregate(small):
    from hierarchicalforecast.utils import aggregate as hf_aggregate

    _, _, groups = small
    hier = R.hierarchy(groups, LEVELS)
    g = groups[["unique_id", "price_class", "brand"]].astype(str).rename(
        columns={"unique_id": "product_id"}).assign(total="total", ds=pd.Timestamp("2026-01-01"), y=1.0)
    spec = [["total"], ["total", "price_class"], ["total", "brand"],
            ["total", "price_class", "brand", "product_id"]]
    _, S_hf, _ = hf_aggregate(g, spec)
    # membership of every upper node, by names: hierarchicalforecast's "total/<value>" and
    # bottom columns "total/<class>/<brand>/<id>" against ours
    ours = {}
    for _, row in hier.nodes[hier.nodes["level"] != "product_id"].iterrows():
        members = hier.S.set_index("unique_id").loc[row["node"]]
        ours[(row["level"], row["unique_id"])] = {c.split("/", 1)[1] for c in members[members == 1].index}
    theirs = {}
    S_hf = S_hf.set_index("unique_id")
    for uid, r in S_hf.iterrows():
        parts = uid.split("/")
        if len(parts) == 4:
            continue
        key = ("total", "total") if len(parts) == 1 else (
            ("price_class" if parts[1] in set(g["price_class"]) else "brand"), parts[1])
        theirs[key] = {c.split("/")[-1] for c in r[r == 1].index}
    assert ours == theirs
    assert len(hier.tags["product_id"]) == groups["unique_id"].nunique()


def test_hierarchy_bad_input_names_column_row_and_rule(small):
    _, _, groups = small
    with pytest.raises(ValueError, match=r"groups: missing level column\(s\) \['segment'\]"):
        R.hierarchy(groups, ["total", "segment"])
    bad = pd.concat([groups, groups.iloc[[0]].assign(brand="另一个品牌")])
    uid = groups["unique_id"].iloc[0]
    with pytest.raises(ValueError, match=rf"unique_id='{uid}' belongs to more than one group.*rule"):
        R.hierarchy(bad, LEVELS)


# --------------------------------------------------------------------------- coherence
def test_reconciled_forecasts_sum_exactly_up_the_hierarchy(small, small_result):
    _, _, groups = small
    pts = small_result.points
    assert set(pts["method"]) == {"base", "bottom_up", "mint_shrink", "erm"}
    g = groups.set_index("unique_id")
    for method in ["bottom_up", "mint_shrink", "erm"]:
        p = pts[pts["method"] == method]
        bottom = p[p["level"] == "product_id"].copy()
        assert (bottom["forecast"] >= 0).all()  # clipped at 0
        bottom["price_class"] = bottom["unique_id"].map(g["price_class"]).astype(int).astype(str)
        bottom["brand"] = bottom["unique_id"].map(g["brand"])
        for lv, by in (("total", []), ("price_class", ["price_class"]), ("brand", ["brand"])):
            want = bottom.groupby(["cutoff", "ds", *by])["forecast"].sum()
            up = p[p["level"] == lv].copy()
            if by:
                up[by[0]] = up["unique_id"]
            got = up.set_index(["cutoff", "ds", *by])["forecast"]
            got = got.reindex(want.index)
            assert np.isfinite(got).all(), (method, lv)
            np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-9)
    # the base forecasts of the upper levels are the levels' own: not coherent
    base = pts[pts["method"] == "base"]
    tot = base[base["level"] == "total"].set_index("cutoff")["forecast"]
    bsum = base[base["level"] == "product_id"].groupby("cutoff")["forecast"].sum()
    assert (tot - bsum).abs().max() > 1e-6


def test_bottom_up_equals_the_existing_bottom_up_sums(small, small_result):
    series, bt, groups = small
    pts = small_result.points
    bu = pts[(pts["method"] == "bottom_up") & (pts["level"] == "brand")]
    members = small_result.hierarchy.nodes.query("level == 'product_id'")["unique_id"]
    sub = bt[bt["unique_id"].isin(set(members))]
    agg, _ = forecast.aggregate(sub, series, groups, "brand", common_models=["naive"])
    agg = agg[agg["model"] == "naive"].set_index(["unique_id", "cutoff"])["forecast"]
    got = bu.set_index(["unique_id", "cutoff"])["forecast"]
    np.testing.assert_allclose(got.to_numpy(), agg.reindex(got.index).to_numpy(), atol=1e-9)


def test_numpy_path_equals_hierarchical_reconciliation_api(small_result):
    """reconcile_arrays calls the reconcilers directly; the public HierarchicalReconciliation
    frame API gives the same numbers (without clipping)."""
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import BottomUp, MinTrace

    hier = small_result.hierarchy
    pts = small_result.points
    base = pts[pts["method"] == "base"]
    cut = sorted(base["cutoff"].unique())
    now, hist = base[base["cutoff"] == cut[-1]], base[base["cutoff"] < cut[-1]]
    # all earlier base windows: the ones reconcile_backtest had (min_history included)
    nodes = hier.S["unique_id"].tolist()
    Y_hat = now.rename(columns={"node": "unique_id_"})[["unique_id_", "ds", "forecast"]].rename(
        columns={"unique_id_": "unique_id", "forecast": "m"})
    Y = hist.assign(t=hist["cutoff"].rank(method="dense").astype(int)).rename(
        columns={"node": "unique_id_"})[["unique_id_", "t", "y", "forecast"]].rename(
        columns={"unique_id_": "unique_id", "t": "ds", "forecast": "m"})
    hrec = HierarchicalReconciliation([BottomUp(), MinTrace(method="mint_shrink")])
    api = hrec.reconcile(Y_hat_df=Y_hat, tags=hier.tags, S_df=hier.S, Y_df=Y).set_index("unique_id")
    F = now.set_index("node").loc[nodes, ["forecast"]].to_numpy(float)
    yh = hist.pivot(index="node", columns="cutoff", values="y").loc[nodes].to_numpy(float)
    fh = hist.pivot(index="node", columns="cutoff", values="forecast").loc[nodes].to_numpy(float)
    ours = R.reconcile_arrays(hier.matrix(), F, yh, fh, ["bottom_up", "mint_shrink"],
                              nonnegative=False)
    np.testing.assert_allclose(ours["bottom_up"][:, 0], api.loc[nodes, "m/BottomUp"], atol=1e-8)
    np.testing.assert_allclose(ours["mint_shrink"][:, 0],
                               api.loc[nodes, "m/MinTrace_method-mint_shrink"], rtol=1e-8, atol=1e-6)


def test_erm_at_lambda_max_is_bottom_up(small_result):
    """λ = λ_max keeps the lasso at P = P_BU: the definition of the relative penalty."""
    hier = small_result.hierarchy
    base = small_result.points.query("method == 'base'")
    nodes = hier.S["unique_id"].tolist()
    cut = sorted(base["cutoff"].unique())
    now, hist = base[base["cutoff"] == cut[-1]], base[base["cutoff"] < cut[-1]]
    F = now.set_index("node").loc[nodes, ["forecast"]].to_numpy(float)
    yh = hist.pivot(index="node", columns="cutoff", values="y").loc[nodes].to_numpy(float)
    fh = hist.pivot(index="node", columns="cutoff", values="forecast").loc[nodes].to_numpy(float)
    at_max = R.reconcile_arrays(hier.matrix(), F, yh, fh, ["erm", "bottom_up"], erm_relative=1.0)
    np.testing.assert_allclose(at_max["erm"], at_max["bottom_up"], atol=1e-6)
    small_pen = R.reconcile_arrays(hier.matrix(), F, yh, fh, ["erm"], erm_relative=1e-3)
    assert np.abs(small_pen["erm"] - at_max["bottom_up"]).max() > 1e-3


# --------------------------------------------------------------------------- leakage
def test_no_leakage_later_errors_do_not_change_earlier_windows(small_result):
    hier = small_result.hierarchy
    base = small_result.points.query("method == 'base'").drop(columns="method")
    cut = sorted(base["cutoff"].unique())
    r0 = R.reconcile_backtest(base, hier, min_history=2)
    changed = base.copy()
    last = changed["cutoff"] == cut[-1]
    changed.loc[last, "y"] *= 3.0
    changed.loc[last, "forecast"] *= 0.5
    r1 = R.reconcile_backtest(changed, hier, min_history=2)
    key = ["node", "cutoff", "method"]
    a = r0[r0["cutoff"] < cut[-1]].set_index(key)["forecast"].sort_index()
    b = r1[r1["cutoff"] < cut[-1]].set_index(key)["forecast"].sort_index()
    assert len(a) > 0
    pd.testing.assert_series_equal(a, b)
    # ...while the errors of an earlier window do change the later ones (the history is used)
    changed = base.copy()
    first = changed["cutoff"] == cut[0]
    changed.loc[first, "y"] *= 3.0
    r2 = R.reconcile_backtest(changed, hier, min_history=2)
    m = r2[(r2["cutoff"] == cut[-1]) & (r2["method"] == "mint_shrink")].set_index("node")["forecast"]
    m0 = r0[(r0["cutoff"] == cut[-1]) & (r0["method"] == "mint_shrink")].set_index("node")["forecast"]
    assert (m - m0).abs().max() > 1e-6
    # the first min_history windows are history only
    assert r0.attrs["windows"] == [str(pd.Timestamp(c).date()) for c in cut[2:]]
    assert set(r0.attrs["skipped_windows"].values()) == {"history"}


# --------------------------------------------------------------------------- scores
def test_scores_per_level_match_an_independent_computation(small_result):
    """Weighted accuracy and MASE of the total recomputed with raw pandas."""
    pts = small_result.points
    hier = small_result.hierarchy
    sc = small_result.scores.set_index(["level", "method"])
    tot = pts[pts["level"] == "total"]
    for method in ["base", "bottom_up", "mint_shrink"]:
        p = tot[tot["method"] == method]
        acc = 1 - (p["forecast"] - p["y"]).abs().sum() / p["y"].sum()
        assert sc.loc[("total", method), "accuracy_weighted"] == pytest.approx(acc, abs=1e-12)
    assert sc.loc[("total", "base"), "n_windows"] == len(tot["cutoff"].unique())
    assert set(sc.index.get_level_values("level")) == {"total", "price_class", "brand", "product_id"}
    assert hier.nodes["level"].tolist()[0] == "total"


def test_mase_of_the_total_by_hand(small, small_result):
    series, _, _ = small
    members = small_result.hierarchy.nodes.query("level == 'product_id'")["unique_id"]
    total = (series[series["unique_id"].isin(set(members))].groupby("ds")["y"].sum()
             .sort_index())
    d = (total - total.shift(12)).abs()
    pts = small_result.points.query("level == 'total' and method == 'mint_shrink'")
    errs = []
    for _, r in pts.iterrows():
        scale = d[d.index <= r["cutoff"]].mean()
        errs.append(abs(r["forecast"] - r["y"]) / scale)
    got = small_result.scores.set_index(["level", "method"]).loc[("total", "mint_shrink"), "mase"]
    assert got == pytest.approx(np.mean(errs), rel=1e-10)


def test_recommendation_is_the_lowest_mase_per_level(small_result):
    tab = small_result.table
    assert tab["level"].tolist() == ["total", "price_class", "brand", "product_id"]
    for _, r in tab.iterrows():
        m = {k: r[f"mase_{k}"] for k in ["bottom_up", "mint_shrink", "erm"]}
        assert r["recommended"] == min(m, key=m.get)
        assert r["mase_recommended"] == m[r["recommended"]]
        assert r["base_better"] == (r["mase_base"] < r["mase_recommended"])
    # the bottom level's own forecasts are the bottom-up ones
    bottom = tab.set_index("level").loc["product_id"]
    assert bottom["mase_base"] == pytest.approx(bottom["mase_bottom_up"], abs=1e-12)
    gm = tab.attrs["overall_mase_geomean"]
    want = np.exp(np.log(tab["mase_mint_shrink"]).mean())
    assert gm["mint_shrink"] == pytest.approx(want)
    assert tab.attrs["overall"] == min(gm, key=gm.get)


# --------------------------------------------------------------------------- report
def _table():
    tab = pd.DataFrame({
        "level": ["total", "brand"], "n_series": [1, 3], "n_windows": [1, 1],
        "mase_base": [0.2, 0.5], "accuracy_base": [0.97, 0.9],
        "mase_bottom_up": [0.33, 0.4], "accuracy_bottom_up": [0.95, 0.93],
        "mase_mint_shrink": [0.28, 0.45], "accuracy_mint_shrink": [0.96, 0.92],
        "mase_erm": [0.35, 0.6], "accuracy_erm": [0.94, 0.9],
        "recommended": ["mint_shrink", "bottom_up"], "mase_recommended": [0.28, 0.4],
        "base_better": [True, False]})
    tab.attrs = {"overall": "mint_shrink", "min_history": 3, "model": "ets", "excluded": ["P9"],
                 "overall_mase_geomean": {"bottom_up": 0.363, "mint_shrink": 0.355, "erm": 0.458}}
    return tab


def test_levels_display_and_text_in_both_languages():
    tab = _table()
    d, fmts = pr.levels_display(tab, "en")
    assert d.columns.tolist() == ["level", "series", "MASE before (own forecast)", "MASE · bottom-up",
                                  "MASE · MinTrace (shrinkage)", "MASE · ERM", "recommended",
                                  "MASE after (recommended)", "weighted accuracy after"]
    assert d["recommended"].tolist() == ["MinTrace (shrinkage)", "bottom-up"]
    assert d["weighted accuracy after"].tolist() == [0.96, 0.93]
    assert fmts["weighted accuracy after"] == "percent"
    en = pr.levels_text(tab, "en")
    assert en == ("County total: MinTrace (shrinkage) is recommended, MASE 0.280 (bottom-up 0.330, "
                  "own forecast before reconciliation 0.200). The level's own forecast is more "
                  "accurate still (MASE 0.200) but does not add up with the other levels. Brand: "
                  "bottom-up is recommended, no reconciliation is more accurate (MASE 0.400; "
                  "MinTrace (shrinkage) 0.450, ERM 0.600). Only one method for all levels keeps "
                  "them adding up: overall, MinTrace (shrinkage) is recommended (geometric mean of "
                  "MASE over the levels 0.355, bottom-up 0.363).")
    zh = pr.levels_text(tab, "zh")
    assert zh.startswith("全县合计：推荐最小迹法（收缩），MASE 0.280（自下而上 0.330")
    assert "品牌：推荐自下而上" in zh
    dz, _ = pr.levels_display(tab, "zh")
    assert dz["推荐方法"].tolist() == ["最小迹法（收缩）", "自下而上"]


def test_note_states_the_min_history_rule_with_plurals():
    tab = _table()
    en = pr.note_text(tab, "en")
    assert "the first 3 windows serve only as history" in en
    assert "scored on the 1 window after them" in en
    assert " 1 specification without a forecast in every window (e.g. a new product) is left out" in en
    tab2 = _table()
    tab2["n_windows"] = 9
    tab2.attrs["excluded"] = ["P1", "P2"]
    en2 = pr.note_text(tab2, "en")
    assert "scored on the 9 windows after them" in en2 and "2 specifications without" in en2
    assert "前 3 个窗口只作为历史" in pr.note_text(tab2, "zh")
    assert "backtested with exponential smoothing (ETS), then" in en2
    tab2.attrs["upper_model"] = "theta"
    assert ("backtested with exponential smoothing (ETS) for the specifications and Theta for "
            "the levels above, then" in pr.note_text(tab2, "en"))
    assert "分别回测（规格层用指数平滑（ETS），以上各层用Theta 法）" in pr.note_text(tab2, "zh")
    tab2.attrs["excluded"] = []
    assert "left out" not in pr.note_text(tab2, "en")


def test_report_table_is_escaped():
    from lean_analysis.report import show

    tab = _table()
    tab.loc[1, "level"] = "<b>brand</b>"
    d, fmts = pr.levels_display(tab, "en")
    html = show.table_html(d, formats=fmts, lang="en")
    assert "<b>brand</b>" not in html and "&lt;b&gt;brand&lt;/b&gt;" in html


# --------------------------------------------------------------------------- county (slow)
@pytest.mark.slow
def test_county_mintrace_against_bottom_up_at_county_level(county_tables):
    """On the county sample (notebook settings, ETS at every level): MinTrace against
    bottom-up at the county level, computed; what the data showed when this was written:
    bottom-up MASE 0.380, MinTrace 0.285, own county forecast 0.305, ERM worst at the
    specification level (1.21 against 0.52)."""
    series = data.to_series(county_tables, level=["product_id"], freq="MS")
    bt = forecast.backtest(series, models=["ets"], h=1, n_windows=12, season_length=12,
                           refit=forecast.DEFAULT_REFIT, n_jobs=1, calendar_adjust="weeks",
                           festival_adjust=True, level=())
    groups = county_tables["products"].rename(columns={"product_id": "unique_id"})
    res = R.reconcile_levels(bt, series, groups, LEVELS, model="ets", n_jobs=1)
    tab = res.table.set_index("level")
    assert tab.loc["total", "n_windows"] == 12 - 3
    assert tab.loc["brand", "n_series"] == groups["brand"].nunique()
    # the data: MinTrace no worse than bottom-up at the county level ...
    assert tab.loc["total", "mase_mint_shrink"] <= tab.loc["total", "mase_bottom_up"]
    # ... and ERM (one window of history in its fit) worse than bottom-up for specifications
    assert tab.loc["product_id", "mase_erm"] > tab.loc["product_id", "mase_bottom_up"]
    # coherent: the county's reconciled forecast is the sum of the specifications'
    p = res.points.query("method == 'mint_shrink'")
    tot = p[p["level"] == "total"].set_index("cutoff")["forecast"]
    bsum = p[p["level"] == "product_id"].groupby("cutoff")["forecast"].sum()
    np.testing.assert_allclose(tot.to_numpy(), bsum.reindex(tot.index).to_numpy(), atol=1e-9)


def test_reconcile_frame_api_equals_the_backtest_points(small_result):
    """forecast.reconcile on one window's frame gives the points reconcile_backtest made
    (its history at the last window: every earlier window, the first min_history included)."""
    pts, base = small_result.points, small_result.base
    cut = sorted(base["cutoff"].unique())
    now = base[base["cutoff"] == cut[-1]][["node", "ds", "forecast"]]
    hist = base[base["cutoff"] < cut[-1]].assign(t=lambda d: d["cutoff"])
    got = forecast.reconcile(now, small_result.hierarchy, history=hist, method="mint_shrink")
    want = pts[(pts["cutoff"] == cut[-1]) & (pts["method"] == "mint_shrink")].set_index("node")
    got = got.set_index("node")["forecast"]
    np.testing.assert_allclose(got.to_numpy(), want["forecast"].reindex(got.index).to_numpy(),
                               atol=1e-9)
    with pytest.raises(ValueError, match=r"base: no forecast for node\(s\) \['total'\]"):
        forecast.reconcile(now[now["node"] != "total"], small_result.hierarchy, history=hist)
    with pytest.raises(ValueError, match="needs history"):
        forecast.reconcile(now, small_result.hierarchy, method="mint_shrink")


def test_report_pieces_take_the_result_object(small_result):
    d1, f1 = pr.levels_display(small_result, "en")
    d2, f2 = pr.levels_display(small_result.table, "en")
    pd.testing.assert_frame_equal(d1, d2)
    assert f1 == f2
    assert pr.note_text(small_result, "en") == pr.note_text(small_result.table, "en")
    text = pr.levels_text(small_result, "en")
    tab = small_result.table.set_index("level")
    assert f"MASE {tab.loc['total', 'mase_recommended']:.3f}" in text
    assert "window after them" not in pr.note_text(small_result, "en")  # several windows


def test_too_few_windows_is_a_clear_error(small):
    series, bt, groups = small
    with pytest.raises(ValueError, match=r"no window could be reconciled.*7 earlier windows"):
        R.reconcile_levels(bt, series, groups, LEVELS, model="naive", upper_model="snaive",
                           min_history=7)
    with pytest.raises(ValueError, match=r"bt: no forecasts of model 'ets'"):
        R.reconcile_levels(bt, series, groups, LEVELS, model="ets")


def test_an_upper_model_that_needs_a_longer_history_falls_back_to_the_bottom_model(small):
    """ETS needs 24 months before its first fit; the small sample has 24 months in all, so
    above the specifications it forecasts no window: the bottom model takes the upper levels
    (the notebook's default upper model must not fail the report on short data), and the
    note says so."""
    series, bt, groups = small
    rc = R.reconcile_levels(bt, series, groups, LEVELS, model="naive", upper_model="ets",
                            n_jobs=1, min_history=3)
    assert rc.table.attrs["upper_model"] == "naive" and rc.table.attrs["upper_fallback"] == "ets"
    assert set(rc.upper_bt["model"]) == {"naive"}
    up = R.upper_series(series, rc.hierarchy)
    assert set(rc.upper_bt["unique_id"]) == set(up["unique_id"])
    # same numbers as asking for the bottom model above in the first place
    direct = R.reconcile_levels(bt, series, groups, LEVELS, model="naive", n_jobs=1, min_history=3)
    pd.testing.assert_frame_equal(rc.scores, direct.scores)
    assert "ETS" in pr.note_text(rc, "en") and "longer history" in pr.note_text(rc, "en")
    assert "需要更长的历史" in pr.note_text(rc, "zh")
    assert direct.table.attrs["upper_fallback"] is None
    assert "longer history" not in pr.note_text(direct, "en")


# --------------------------------------------------------------------------- one table per level
def test_sums_and_reconciliations_are_compared_on_the_same_points(small, small_result):
    """``rc.scope(bt)`` holds the hierarchy's members at the scored windows only, so each
    model's sums ranked there (compare_levels) and the reconciliations are on one set of
    points: the sums of the reconciled model (naive) by the aggregate path equal the
    reconciliation's own bottom-up, level by level; each level's choice is the lowest MASE
    of its options."""
    series, bt, groups = small
    rc = small_result
    sc = rc.scope(bt)
    windows = set(pd.to_datetime(pd.Series(rc.table.attrs["windows"])))
    assert set(pd.to_datetime(sc["cutoff"])) == windows and len(windows) < bt["cutoff"].nunique()
    bottom = rc.hierarchy.nodes
    assert set(sc["unique_id"]) == set(bottom.loc[bottom["level"] == "product_id", "unique_id"])
    sums = forecast.compare_levels(sc, series, groups, ["brand", "price_class", "total"], bottom=["product_id"])
    comb = forecast.combine_levels(sums, rc)
    assert comb["level"].tolist() == ["total", "price_class", "brand", "product_id"]
    for lv in ("total", "price_class", "brand"):
        agg, s_agg = forecast.aggregate(sc, series, groups, lv)
        naive = forecast.evaluate(agg[agg["model"] == "naive"], train=s_agg, by=["model"])
        row = comb.set_index("level").loc[lv]
        assert naive["mase"].iloc[0] == pytest.approx(row["mase_bottom_up"], rel=1e-9), lv
    for r in comb.to_dict("records"):
        options = {"sum": r["mase_best"], **{m: r[f"mase_{m}"] for m in ("bottom_up", "mint_shrink", "erm")}}
        assert r["mase_choice"] == pytest.approx(min(options.values()))
        assert r["mase_best"] <= r["mase_bottom_up"] + 1e-12  # the best model's sums: naive's included
    # the specifications: the reconciled (recommended) model's own forecasts stand for the
    # sums, whatever model is lowest on these points; the league table chose the model
    spec = comb.iloc[-1]
    assert spec["best_model"] == rc.table.attrs["model"] == "naive"
    assert spec["mase_best"] == spec["mase_bottom_up"]
    # its figures: one value per level, the specifications' being recommended_model itself
    figs = forecast.figures(pd.DataFrame({"model": ["naive"], "accuracy": [0.9],
                                          "accuracy_weighted": [0.9], "mase": [0.5],
                                          "bias_pct": [0.0]}),
                            {"model": "naive"}, None, pd.DataFrame({"forecast": [1.0]}), comb,
                            bottom=["product_id"])
    assert "recommended_model_product_id" not in figs
    for r in comb.iloc[:-1].to_dict("records"):
        summed = r["choice"] == "sum"
        assert figs[f"recommended_model_{r['level']}"]["value"] == (r["best_model"] if summed else "naive")
        assert figs[f"recommended_method_{r['level']}"]["value"] == ("bottom_up" if summed else r["choice"])
    from lean_analysis import targets

    targets.check_figures("01_demand_forecast_backtest", figs)


def _combined():
    tab = pd.DataFrame({
        "level": ["total", "product_id"], "n_series": [1, 3], "n_windows": [9, 9],
        "best_model": ["arima", "ensemble"], "mase_best": [0.22, 0.48], "accuracy_best": [0.97, 0.93],
        "baseline_mase": [0.39, 0.74],
        "mase_bottom_up": [0.32, 0.48], "accuracy_bottom_up": [0.96, 0.93],
        "mase_mint_shrink": [0.26, 0.49], "accuracy_mint_shrink": [0.97, 0.93],
        "mase_erm": [0.21, 1.2], "accuracy_erm": [0.98, 0.9],
        "choice": ["erm", "sum"], "mase_choice": [0.21, 0.48], "accuracy_choice": [0.98, 0.93]})
    tab.attrs = {"overall": "mint_shrink", "model": "ensemble", "methods": ["bottom_up", "mint_shrink", "erm"],
                 "overall_mase_geomean": {"bottom_up": 0.39, "mint_shrink": 0.35, "erm": 0.5}}
    return tab


def test_combined_display_and_text_in_both_languages():
    d, fmts = pr.combined_display(_combined(), "en")
    assert d.columns.tolist() == [
        "level", "series", "best model (sums)", "MASE · best model", "MASE · bottom-up",
        "MASE · MinTrace (shrinkage)", "MASE · ERM", "recommended", "MASE (recommended)",
        "weighted accuracy", "seasonal naive MASE"]
    assert d["recommended"].tolist() == ["ERM of ensemble", "ensemble"]
    en = pr.combined_text(_combined(), "en")
    assert en.startswith("County total: ERM of ensemble is recommended, MASE 0.210 (sums of ARIMA")
    assert "seasonal naive 0.390" in en and "use MinTrace (shrinkage) of ensemble at every level" in en
    # the bottom level's bottom-up is its own forecasts: not listed as another option
    assert "Specification: ensemble is recommended, MASE 0.480 (MinTrace (shrinkage) of ensemble 0.490" in en
    zh = pr.combined_text(_combined(), "zh")
    assert "全县合计：推荐组合预测·经验风险最小化，MASE 0.210（ARIMA" in zh and "季节朴素法 0.390" in zh

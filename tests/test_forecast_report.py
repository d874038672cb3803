"""The demand-forecast report's summary, next-month section, league ranking and bias chart
(lean_analysis.forecast.summary, lean_analysis.report.plots_forecast)."""

from __future__ import annotations

import calendar as pycal

import numpy as np
import pandas as pd
import pytest

from lean_analysis import data, forecast
from lean_analysis.report import plots_forecast as pf
from lean_analysis.report import show

PERIOD = "2026-10"
MODELS = ["naive", "snaive", "ses", "manager"]  # ets needs 24 months: the small sample has 24


def mondays(year: int, month: int) -> int:
    """Mondays of a month, counted with the standard library's calendar (independent of
    lean_analysis.calendar)."""
    return sum(1 for week in pycal.monthcalendar(year, month) if week[pycal.MONDAY] != 0)


@pytest.fixture(scope="module")
def small_run(small_tables):
    series = data.to_series(small_tables, level=["product_id"], freq="MS", value="order_qty",
                            unit="case", end=PERIOD)
    models, mgr = forecast.with_manager(MODELS, small_tables, level=["product_id"], unit="case")
    bt = forecast.backtest(series, models=models, manager=mgr, h=1, n_windows=6, refit=3,
                           level=[80], calendar_adjust="weeks")
    return series, mgr, bt


# --------------------------------------------------------------------------- item 4
def test_ranking_uses_the_same_points_for_every_model(small_run):
    series, _, bt = small_run
    old = forecast.evaluate(bt, train=series, by=["model"])
    assert old["n"].nunique() > 1  # the models forecast different numbers of points
    sc = forecast.evaluate(bt, train=series, by=["model"], common="all but manager")
    # the points every statistical model forecast, counted with raw pandas
    stat = bt[(bt["model"] != "manager") & bt["forecast"].notna() & bt["y"].notna()]
    per_key = stat.groupby(["unique_id", "cutoff", "ds"])["model"].nunique()
    n_common = int((per_key == stat["model"].nunique()).sum())
    assert set(sc["n"]) == {n_common}  # managers included: they forecast every month here
    c = sc.attrs["common"]
    assert c["n_points"] == n_common and c["n_left_out"] == len(per_key) - n_common > 0
    kept = per_key[per_key == stat["model"].nunique()].reset_index()
    assert c["n_series"] == kept["unique_id"].nunique() and c["n_cutoffs"] == 6
    # the league note states those numbers, in both languages
    assert f"{n_common} 个点" in pf.league_note(sc, "zh")
    en = pf.league_note(sc, "en")
    assert f"the {n_common} points of {c['n_series']} series and 6 backtest months" in en
    assert "all backtest points" not in en
    # an independent score: ses's MAE on the common points
    e = stat[stat["model"] == "ses"].merge(kept[["unique_id", "cutoff", "ds"]])
    mae = float((e["forecast"] - e["y"]).abs().mean())
    assert sc.set_index("model").loc["ses", "mae"] == pytest.approx(mae)
    rec = forecast.recommend(sc).iloc[0]
    assert rec["mase"] == sc[sc["model"] != "manager"]["mase"].min()


def test_common_rejects_an_unknown_model(small_run):
    series, _, bt = small_run
    with pytest.raises(ValueError, match="not in bt"):
        forecast.evaluate(bt, train=series, common=["ets", "prophet"])


# --------------------------------------------------------------------------- item 2
def test_next_month_change_counts_ordering_weeks(small_run):
    series, _, bt = small_run
    pred = forecast.predict(series, models=["ses"], h=1, level=[80], calendar_adjust="weeks",
                            backtest=bt)
    bt_total, _ = forecast.aggregate(bt, series, series[["unique_id"]].drop_duplicates(), "total")
    ch = forecast.next_month_change(series, pred, bt_total, "ses")
    assert (ch["month"], ch["last_month"]) == ("2026-11", PERIOD)
    assert (ch["weeks"], ch["weeks_last"]) == (mondays(2026, 11), mondays(2026, 10)) == (5, 4)
    total = pred["forecast"].sum()
    last = series.loc[series["ds"] == pd.Timestamp(PERIOD), "y"].sum()
    assert ch["total"] == pytest.approx(total) and ch["last_total"] == pytest.approx(last)
    assert ch["change"] == pytest.approx(total / last - 1)
    assert ch["change_per_week"] == pytest.approx((total / 5) / (last / 4) - 1)
    # the interval of the total: the 6 backtest months' relative errors; 80 % takes the
    # ⌈7 · 0.8⌉ = 6th smallest, the largest
    b = bt_total[(bt_total["model"] == "ses") & (bt_total["step"] == 1)]
    q = np.sort(np.abs(b["y"] / b["forecast"] - 1))[5]
    assert ch["n_months"] == 6 and ch["lo"] == pytest.approx(total * (1 - q))
    assert ch["hi"] == pytest.approx(total * (1 + q))
    zh = pf.next_total_text(ch, None, "zh")
    assert "11 月有 5 个订货周（10 月 4 个）" in zh
    assert f"按订货周计较10 月 {ch['change_per_week'] * 100:+.1f}%" in zh
    en = pf.next_total_text(ch, None, "en")
    assert "November has 5 ordering weeks (October 4)" in en
    assert f"{ch['change_per_week'] * 100:+.1f}% per ordering week" in en


def test_same_weeks_month_says_so():
    s = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2026-06-01")], "y": [100.0]})
    p = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2026-07-01")], "step": 1,
                      "model": "ets", "forecast": [110.0]})
    ch = forecast.next_month_change(s, p)
    assert (ch["weeks"], ch["weeks_last"]) == (mondays(2026, 7), mondays(2026, 6)) == (4, 5)
    s2 = s.assign(ds=pd.Timestamp("2026-09-01"))  # September and October: 4 Mondays each
    p2 = p.assign(ds=pd.Timestamp("2026-10-01"))
    ch2 = forecast.next_month_change(s2, p2)
    assert ch2["change"] == pytest.approx(0.1) == pytest.approx(ch2["change_per_week"])
    assert "both have 4 ordering weeks" in pf.next_weeks_text(ch2, "en")


# --------------------------------------------------------------------------- item 3
def test_managers_column_only_when_they_forecast_the_month(small_run, small_tables):
    series, mgr, bt = small_run
    assert pd.to_datetime(small_tables["manager_forecasts"]["month"]).max() == pd.Timestamp(PERIOD)
    pred = forecast.predict(series, models=["naive"], h=1, level=[80])
    nxt = forecast.manager_next(mgr, pred)
    assert nxt is None  # the table stops at 2026-10: nothing for 2026-11
    for lang in ("zh", "en"):
        col = pf.t("fc_col_manager_forecast", lang)
        tbl, _ = pf.next_display(pred, {}, mgr, lang)  # the whole frame: no match either
        assert col not in tbl.columns
    assert pf.manager_missing_text(mgr, "2026-11", "zh") == (
        "客户经理对 2026-11 的预测尚未录入数据（manager_forecasts 表最后一个月为 2026-10），"
        "表中不列客户经理预测。")
    assert "not in the data yet" in pf.manager_missing_text(mgr, "2026-11", "en")
    # one month earlier the managers' October forecasts exist: shown, row by row
    s_sep = series[series["ds"] <= pd.Timestamp("2026-09-01")]
    pred_oct = forecast.predict(s_sep, models=["naive"], h=1, level=[80])
    got = forecast.manager_next(mgr, pred_oct)
    in_oct = mgr[(mgr["ds"] == pd.Timestamp(PERIOD)) & mgr["unique_id"].isin(pred_oct["unique_id"])]
    assert got is not None and len(got) == len(in_oct) > 0
    tbl, _ = pf.next_display(pred_oct, {}, got, "en")
    want = mgr[mgr["ds"] == pd.Timestamp(PERIOD)].set_index("unique_id")["forecast"]
    shown = tbl.set_index("series")["managers (cases)"]
    assert shown.to_dict() == pytest.approx(want.reindex(shown.index).to_dict())
    assert pf.manager_missing_text(mgr, PERIOD, "en") is None
    assert "The managers forecast" in pf.next_total_text(
        forecast.next_month_change(s_sep, pred_oct), got, "en")


# --------------------------------------------------------------------------- item 1
def test_summary_findings(small_run):
    series, _, bt = small_run
    sc = forecast.evaluate(bt, train=series, by=["model"], common="all but manager")
    rec = forecast.recommend(sc).iloc[0]
    va = forecast.value_added(forecast.evaluate(bt, train=series, by=["model"], common=True))
    bm = forecast.evaluate(bt, train=series, by=["model", "ds"], common="all but manager")
    pred = forecast.predict(series, models=[rec["model"]], h=1, level=[80])
    ch = forecast.next_month_change(series, pred)
    num = forecast.summary_numbers(sc, rec, va, bm, ch, level=80)
    s = sc.set_index("model")
    best = s.loc[rec["model"]]
    assert num["accuracy_weighted"] == best["accuracy_weighted"]
    months = bm[bm["model"] == rec["model"]]["accuracy_weighted"]
    assert (num["acc_month_min"], num["acc_month_max"]) == (months.min(), months.max())
    cov = num["coverage"]
    assert cov["value"] == best["coverage_80"] and cov["n"] == best["n_interval_80"]
    assert cov["off"] == (abs(best["coverage_80"] - 0.80) > 0.05)
    assert cov["ci_low"] < cov["value"] < cov["ci_high"]
    m = num["manager"]
    v = va[(va["benchmark_role"] == "best") & (va["metric"] == "accuracy_weighted")]
    assert m["value_added"] == pytest.approx(float(v["value_added"].iloc[0]))
    for lang in ("zh", "en"):
        found = pf.summary_findings(num, lang)
        assert 3 <= len(found) <= 5
        assert all(f["text"] and f["uncertainty"] and f["action"] for f in found)
        assert f"{best['accuracy_weighted'] * 100:.1f}%" in found[0]["text"]
        assert f"{s.loc['snaive', 'accuracy_weighted'] * 100:.1f}%" in found[0]["text"]
        assert f"{abs(m['value_added']) * 100:.1f}" in found[1]["text"]
        assert f"{cov['value'] * 100:.1f}%" in found[2]["text"]
        assert f"{ch['total']:,.1f}" in found[3]["text"]
        html = show.summary_html(found, lang)
        assert html.count('class="la-finding"') == len(found)
    zh = pf.summary_findings(num, "zh")
    assert "11 月有 5 个订货周（10 月 4 个）" in zh[3]["text"]
    # the report feeds no yearly target, so no target finding (none is listed)
    from lean_analysis import targets

    assert not [f for f in targets.FIGURES if f.report == "01_demand_forecast_backtest" and f.feeds]
    assert not any(f.get("status") for f in zh)
    # no managers: their finding is left out
    no_mgr = forecast.summary_numbers(sc[sc["model"] != "manager"], rec, None, bm, ch)
    assert len(pf.summary_findings(no_mgr, "en")) == 3


def test_coverage_off_by_more_than_five_points_warns():
    sc = pd.DataFrame({"model": ["ets", "snaive"], "n": [200, 200], "accuracy_weighted": [0.9, 0.85],
                       "mase": [0.6, 1.0], "coverage_80": [0.70, 0.82], "n_interval_80": [180, 180],
                       "bias_pct": [0.0, 0.0]})
    rec = {"model": "ets", "improvement": 0.4}
    num = forecast.summary_numbers(sc, rec, None, None, None)
    assert num["coverage"]["off"] and num["coverage"]["n"] == 180
    f = pf.summary_findings(num, "zh")
    assert f[1]["text"].startswith("注意：") and "偏离名义 80% 达 10.0 个百分点，区间偏窄" in f[1]["text"]
    assert "too narrow" in pf.summary_findings(num, "en")[1]["text"]
    sc.loc[0, "coverage_80"] = 0.84  # 4 points off: no warning
    ok = forecast.summary_numbers(sc, rec, None, None, None)
    assert not ok["coverage"]["off"]
    assert "within 5" in pf.summary_findings(ok, "en")[1]["text"]


# --------------------------------------------------------------------------- item 6
def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("bias", [[-0.12, -0.02, 0.03, 0.08], [-0.30, -0.25, -0.01, 0.004],
                                  [0.01, 0.05, 0.2, 0.31]])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bias_chart_value_labels_clear_of_axis_labels(bias, lang):
    import matplotlib.pyplot as plt

    sc = pd.DataFrame({"model": ["manager", "snaive", "ets", "ensemble"], "bias_pct": bias})
    fig = pf.bias_plot(sc, lang)
    ax = fig.axes[0]
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    values = [tx for tx in ax.texts if tx.get_text()]
    assert sorted(tx.get_text() for tx in values) == sorted(f"{v * 100:+.1f}%" for v in bias)
    ticks = [tl for tl in ax.get_yticklabels() + ax.get_xticklabels()
             if tl.get_visible() and tl.get_text()]
    axis_labels = [ax.xaxis.label, ax.yaxis.label]
    others = [x.get_window_extent(r) for x in ticks + axis_labels if x.get_text()]
    assert len(ticks) >= 4
    for tx in values:
        box = tx.get_window_extent(r)
        assert not any(_overlaps(box, o) for o in others), tx.get_text()
        # inside the axes, so nothing is cut at the figure's edge
        axes_box = ax.get_window_extent(r)
        assert axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1
    plt.close(fig)


def test_level_recommendation_ranks_on_the_same_common_points(small_run, small_tables):
    series, _, bt = small_run
    sc = forecast.evaluate(bt, train=series, by=["model"], common="all but manager")
    rec = forecast.recommend(sc).iloc[0]
    groups = small_tables["products"].rename(columns={"product_id": "unique_id"})
    rows = forecast.compare_levels(bt, series, groups, ["total"], bottom=["product_id"])
    bottom = rows.iloc[0]
    # the bottom row is the league table's recommendation (same points, same MASE)
    assert bottom["model"] == rec["model"] and bottom["mase"] == pytest.approx(rec["mase"])
    mgr = sc.set_index("model").loc["manager"]
    assert bottom["manager_accuracy_weighted"] == pytest.approx(mgr["accuracy_weighted"])

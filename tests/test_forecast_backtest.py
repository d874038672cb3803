"""forecast.backtest: cutoffs, windows, refits, leakage, hand values, skipped series, managers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsforecast.models import AutoETS, HistoricAverage

from lean_analysis import forecast

ALL = ["naive", "snaive", "ses", "ets", "theta", "arima", "ensemble"]


def monthly(values, uid="a", start="2020-01-01") -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(values), freq="MS"),
                         "y": values})


def seasonal(n=40, seed=0, level=100.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return level * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 3, n)


# --------------------------------------------------------------------------- cutoffs
def test_cutoffs_steps_and_hand_values_of_naive_and_snaive():
    s = monthly(np.arange(1, 31))  # y_t = t, 2020-01 … 2022-06
    bt = forecast.backtest(s, models=["naive", "snaive"], h=2, n_windows=3, step=2,
                           season_length=12, level=[80])
    # test_size = h + step·(n_windows − 1) = 6; cutoffs at rows 30 − 6 + 2k − 1 = 23, 25, 27
    cut = pd.to_datetime(["2021-12-01", "2022-02-01", "2022-04-01"])
    assert sorted(bt["cutoff"].unique()) == list(cut)
    nv = bt[bt["model"] == "naive"].reset_index(drop=True)
    assert nv["ds"].tolist() == list(pd.to_datetime(
        ["2022-01-01", "2022-02-01", "2022-03-01", "2022-04-01", "2022-05-01", "2022-06-01"]))
    assert nv["step"].tolist() == [1, 2, 1, 2, 1, 2]
    assert nv["y"].tolist() == [25, 26, 27, 28, 29, 30]
    # naive: the value at the cutoff (rows 23, 25, 27 hold 24, 26, 28) for both steps
    assert nv["forecast"].tolist() == [24, 24, 26, 26, 28, 28]
    # seasonal naive: the value 12 months before the target
    sn = bt[bt["model"] == "snaive"]
    assert sn["forecast"].tolist() == [13, 14, 15, 16, 17, 18]
    assert list(bt.columns) == ["unique_id", "cutoff", "ds", "step", "model", "y", "forecast",
                                "lo_80", "hi_80"]


def test_expanding_vs_sliding_window():
    y = np.arange(1, 31, dtype=float) ** 1.5
    s = monthly(y)
    mean = HistoricAverage(alias="mean")
    exp = forecast.backtest(s, models=[mean], h=1, n_windows=3, level=[])
    sli = forecast.backtest(s, models=[HistoricAverage(alias="mean")], h=1, n_windows=3, level=[],
                            window="sliding", input_size=12)
    # cutoffs at rows 26, 27, 28: expanding = mean of rows 0…c, sliding = rows c−11…c
    assert exp["forecast"].to_numpy() == pytest.approx([y[: c + 1].mean() for c in (26, 27, 28)])
    assert sli["forecast"].to_numpy() == pytest.approx([y[c - 11: c + 1].mean() for c in (26, 27, 28)])
    with pytest.raises(ValueError, match="input_size"):
        forecast.backtest(s, models=["naive"], window="sliding")


def test_refit_every_k_windows_reestimates_then_only_updates():
    y = 100 + np.cumsum(np.random.default_rng(1).normal(0, 5, 30))
    s = monthly(y)
    bt = forecast.backtest(s, models=["ses"], h=1, n_windows=6, refit=3, level=[])
    f = bt["forecast"].to_numpy()
    cuts = [30 - 6 + k - 1 for k in range(6)]  # rows 23 … 28
    for k in (0, 3):  # re-estimated at windows 0 and 3: a fresh fit on the data up to the cutoff
        fresh = AutoETS(season_length=1, model="ANN").forecast(y=y[: cuts[k] + 1], h=1)["mean"][0]
        assert f[k] == pytest.approx(fresh, rel=1e-9)
    # windows 1 and 2 keep window 0's alpha and initial level and run the SES recursion
    # l_t = l_{t-1} + α (y_t − l_{t-1}) over the longer history (worked here, not by the library)
    fit0 = AutoETS(season_length=1, model="ANN").fit(y[: cuts[0] + 1]).model_["par"]
    alpha, level0 = fit0[0], fit0[4]
    for k in (1, 2):
        lvl = level0
        for t in range(cuts[k] + 1):
            lvl = lvl + alpha * (y[t] - lvl)
        assert f[k] == pytest.approx(lvl, rel=1e-9)
        assert f[k] != pytest.approx(AutoETS(season_length=1, model="ANN").forecast(
            y=y[: cuts[k] + 1], h=1)["mean"][0], rel=1e-9)


# --------------------------------------------------------------------------- leakage
@pytest.mark.parametrize("refit, adjust", [(True, False), (2, False), (2, True)])
def test_no_future_data_in_any_fit(refit, adjust):
    """Two series equal up to a cutoff, the second jumps from ~100 to ~1000 right after it:
    forecasts made at that cutoff (and before) are identical; the next cutoff sees the jump."""
    base = seasonal(40, seed=3)
    shifted = base.copy()
    shifted[37:] += 900  # cutoffs (n_windows=4, h=1) at rows 35, 36, 37, 38: the jump follows 36
    s = pd.concat([monthly(base, "calm"), monthly(shifted, "jump")], ignore_index=True)
    bt = forecast.backtest(s, models=ALL, h=1, n_windows=4, refit=refit, level=[80],
                           calendar_adjust="weeks" if adjust else None, festival_adjust=adjust)
    w = bt.pivot_table(index=["model", "cutoff"], columns="unique_id", values="forecast")
    cutoffs = sorted(bt["cutoff"].unique())
    assert cutoffs[1] == pd.Timestamp("2023-01-01")  # row 36
    for model in ALL:
        for c in cutoffs[:2]:
            assert w.loc[(model, c), "calm"] == w.loc[(model, c), "jump"], (model, c)
            assert w.loc[(model, c), "jump"] < 200
    for model in ["naive", "ses", "ets", "theta", "arima", "ensemble"]:
        assert w.loc[(model, cutoffs[2]), "jump"] != w.loc[(model, cutoffs[2]), "calm"], model
    if not adjust:
        assert w.loc[("naive", cutoffs[2]), "jump"] == shifted[37]


# --------------------------------------------------------------------------- outputs
@pytest.fixture(scope="module")
def panel_bt():
    s = pd.concat([monthly(seasonal(40, seed=i, level=100 * (i + 1)), f"s{i}") for i in range(3)],
                  ignore_index=True)
    bt = forecast.backtest(s, models=ALL, h=2, n_windows=3, refit=True, level=[80, 95],
                           intervals="model")
    return s, bt


def test_intervals_are_ordered_and_present(panel_bt):
    _, bt = panel_bt
    assert bt[["lo_80", "hi_80", "lo_95", "hi_95"]].notna().all().all()
    assert (bt["lo_95"] <= bt["lo_80"] + 1e-9).all()
    assert (bt["lo_80"] <= bt["forecast"] + 1e-9).all()
    assert (bt["forecast"] <= bt["hi_80"] + 1e-9).all()
    assert (bt["hi_80"] <= bt["hi_95"] + 1e-9).all()
    # 3 series × 3 cutoffs × 2 steps × 7 models
    assert len(bt) == 3 * 3 * 2 * 7
    assert bt.groupby("model").size().to_dict() == {m: 18 for m in ALL}


def test_ensemble_is_the_median_of_its_members(panel_bt):
    """The ensemble's forecast and each bound are the medians of its five members' (computed
    here from the members' own rows of the same backtest)."""
    s, _ = panel_bt
    assert forecast.ENSEMBLE_MEMBERS == ("ets", "theta", "arima", "ces", "ces_log")
    bt = forecast.backtest(s, models=[*forecast.ENSEMBLE_MEMBERS, "ensemble"], h=2, n_windows=3,
                           refit=True, level=[80, 95], intervals="model")
    w = bt.pivot_table(index=["unique_id", "cutoff", "ds"], columns="model",
                       values=["forecast", "lo_80", "hi_95"])
    for col in ("forecast", "lo_80", "hi_95"):
        members = np.column_stack([w[(col, m)] for m in forecast.ENSEMBLE_MEMBERS])
        np.testing.assert_allclose(w[(col, "ensemble")], np.median(members, axis=1))
        # not the mean: the rule matters on these series
        assert not np.allclose(w[(col, "ensemble")], members.mean(axis=1))


def test_actuals_come_from_the_series(panel_bt):
    s, bt = panel_bt
    j = bt.merge(s.rename(columns={"y": "y_series"}), on=["unique_id", "ds"])
    assert len(j) == len(bt)
    assert (j["y"] == j["y_series"]).all()
    assert (bt["ds"] > bt["cutoff"]).all()


def test_only_requested_models_are_returned():
    s = monthly(seasonal(40))
    bt = forecast.backtest(s, models=["snaive", "ensemble"], h=1, n_windows=2)
    assert sorted(bt["model"].unique()) == ["ensemble", "snaive"]


# --------------------------------------------------------------------------- skipped
def test_short_series_are_reported_not_dropped():
    long_ = monthly(seasonal(40), "long")
    mid = monthly(seasonal(20)[:20], "mid", start="2021-09-01")  # ends with the others
    tiny = monthly([5, 6, 7, 8, 9], "tiny", start="2022-12-01")
    s = pd.concat([long_, mid, tiny], ignore_index=True)
    bt = forecast.backtest(s, models=["naive", "snaive", "ets", "ensemble"], h=1, n_windows=12)
    sk = forecast.skipped(bt)
    assert list(sk.columns) == ["unique_id", "model", "reason", "n_points", "n_windows_missing",
                                "code", "need"]
    # mid: 20 points, 8 up to the first cutoff: naive runs; snaive (12), ets (24) and the
    # ensemble (24) cannot
    mid_sk = sk[sk["unique_id"] == "mid"].set_index("model")
    assert sorted(mid_sk.index) == ["ensemble", "ets", "snaive"]
    assert (mid_sk["n_points"] == 8).all() and (mid_sk["n_windows_missing"] == 12).all()
    assert "needs 12" in mid_sk.loc["snaive", "reason"]
    assert mid_sk.loc["snaive", "code"] == "too_short" and mid_sk.loc["ets", "need"] == 24
    # tiny: 5 points < the 12 windows: no model at all, each named
    tiny_sk = sk[sk["unique_id"] == "tiny"]
    assert sorted(tiny_sk["model"]) == ["ensemble", "ets", "naive", "snaive"]
    assert tiny_sk["reason"].str.contains("too short").all()
    assert (tiny_sk["code"] == "too_short_windows").all() and (tiny_sk["need"] == 13).all()
    # tiny starts 2022-12, after the first cutoff (2022-04, from the backtest itself): it
    # has no point up to it, so 0 (it was 5 − 13 + 1 = −7 before), never negative
    first_cutoff = bt["cutoff"].min()
    assert first_cutoff == pd.Timestamp("2022-04-01")
    assert (tiny_sk["n_points"] == int((tiny["ds"] <= first_cutoff).sum())).all()
    assert (tiny_sk["n_points"] == 0).all() and (sk["n_points"] >= 0).all()
    got = bt.groupby("model")["unique_id"].unique().map(sorted).to_dict()
    assert got == {"naive": ["long", "mid"], "snaive": ["long"], "ets": ["long"], "ensemble": ["long"]}


def test_series_ending_early_is_reported():
    s = pd.concat([monthly(seasonal(40), "a"), monthly(seasonal(30), "b")], ignore_index=True)
    bt = forecast.backtest(s, models=["naive"], h=1, n_windows=2)
    sk = forecast.skipped(bt)
    assert sk["unique_id"].tolist() == ["b"]
    assert "before the panel's last period" in sk["reason"].iloc[0]
    assert bt["unique_id"].unique().tolist() == ["a"]
    # n_points counts b's observations up to the panel's first cutoff (2023-02): all 30
    b = s[s["unique_id"] == "b"]
    assert sk["n_points"].iloc[0] == int((b["ds"] <= bt["cutoff"].min()).sum()) == 30


# --------------------------------------------------------------------------- managers
def test_manager_forecasts_are_joined_at_step_one():
    s = pd.concat([monthly(seasonal(40), "a"), monthly(seasonal(40, seed=9), "b")], ignore_index=True)
    ds = pd.date_range("2022-11-01", periods=6, freq="MS")  # rows 34 … 39
    mgr = pd.DataFrame({"unique_id": ["a"] * 6 + ["b"] * 2,
                        "ds": list(ds) + list(ds[-2:]),
                        "forecast": [10.0, 11, 12, 13, 14, 15, 20, 21]})
    bt = forecast.backtest(s, models=["naive", "manager"], manager=mgr, h=2, n_windows=3, level=[80])
    # cutoffs at rows 40 − 4 + k − 1 = 35, 36, 37 -> step-1 targets rows 36, 37, 38 (2023-01 … 03)
    m = bt[bt["model"] == "manager"]
    assert (m["step"] == 1).all() and m["lo_80"].isna().all()
    a = m[m["unique_id"] == "a"]
    assert a["ds"].tolist() == list(pd.to_datetime(["2023-01-01", "2023-02-01", "2023-03-01"]))
    assert a["forecast"].tolist() == [12.0, 13.0, 14.0]
    b = m[m["unique_id"] == "b"]
    assert b["ds"].tolist() == [pd.Timestamp("2023-03-01")] and b["forecast"].tolist() == [20.0]
    naive_y = bt[(bt["model"] == "naive") & (bt["step"] == 1)].set_index(["unique_id", "ds"])["y"]
    assert (m.set_index(["unique_id", "ds"])["y"] == naive_y.loc[m.set_index(["unique_id", "ds"]).index]).all()
    sk = forecast.skipped(bt)
    row = sk[(sk["unique_id"] == "b") & (sk["model"] == "manager")].iloc[0]
    assert row["n_windows_missing"] == 2 and "2023-01" in row["reason"] and row["code"] == "no_manager"
    # 8 rows given, 4 used (a: 3, b: 1)
    assert bt.attrs["manager_rows_unused"] == 4


def test_manager_frame_from_the_table():
    table = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]),
                          "product_id": ["P1", "P2", "P1"], "forecast_qty": [500.0, 250.0, 750.0]})
    products = pd.DataFrame({"product_id": ["P1", "P2"], "brand": ["红塔山", "红塔山"]})
    f = forecast.manager_frame(table)
    assert f["unique_id"].tolist() == ["P1", "P1", "P2"]
    by_brand = forecast.manager_frame(table, level=["brand"], unit="case", products=products)
    assert by_brand["forecast"].tolist() == [3.0, 3.0]  # (500 + 250)/250, 750/250
    with pytest.raises(ValueError, match="product attribute"):
        forecast.manager_frame(table, level=["area"])


def test_with_manager_keeps_the_managers_only_where_they_compare(small_tables):
    models = ["manager", "snaive", "ets"]
    run, mgr = forecast.with_manager(models, small_tables, level=["product_id"], unit="case")
    assert run == ["snaive", "ets", "manager"]
    pd.testing.assert_frame_equal(
        mgr, forecast.manager_frame(small_tables, level=["product_id"], unit="case"))
    run, mgr = forecast.with_manager(models, small_tables, level=["brand"])
    assert run[-1] == "manager" and set(mgr["unique_id"]) <= set(small_tables["products"]["brand"])
    # not what the managers forecast / not a product level / not asked for
    assert forecast.with_manager(models, small_tables, level=["product_id"],
                                 quantity="demand_qty") == (["snaive", "ets"], None)
    assert forecast.with_manager(models, small_tables,
                                 level=["manager_id", "product_id"]) == (["snaive", "ets"], None)
    assert forecast.with_manager(["snaive"], small_tables) == (["snaive"], None)


# --------------------------------------------------------------------------- bad input
def test_bad_input_gets_clear_errors():
    s = monthly(seasonal(30))
    with pytest.raises(ValueError, match="is missing 2020-05-01"):
        forecast.backtest(s.drop(index=4), models=["naive"], freq="MS")
    bad = s.copy()
    bad.loc[3, "y"] = np.nan
    with pytest.raises(ValueError, match="row 3"):
        forecast.backtest(bad, models=["naive"])
    with pytest.raises(ValueError, match="appear 2 times"):
        forecast.backtest(pd.concat([s, s.iloc[[0]]], ignore_index=True), models=["naive"])
    with pytest.raises(ValueError, match="unknown model 'prophet'"):
        forecast.backtest(s, models=["prophet"])
    with pytest.raises(ValueError, match="manager="):
        forecast.backtest(s, models=["manager"])
    with pytest.raises(ValueError, match="refit"):
        forecast.backtest(s, models=["naive"], refit=0)
    with pytest.raises(NotImplementedError, match="engine"):
        forecast.backtest(s, models=["naive"], engine=object())


def test_predict_next_periods():
    s = monthly(np.arange(1, 41))
    p = forecast.predict(s, models=["snaive", "arima"], h=2, level=[80])
    assert p["ds"].unique().tolist() == list(pd.to_datetime(["2023-05-01", "2023-06-01"]))
    sn = p[p["model"] == "snaive"]
    assert sn["forecast"].tolist() == [29.0, 30.0]  # the same months a year before
    assert (p["lo_80"] <= p["forecast"]).all() and (p["forecast"] <= p["hi_80"]).all()


# --------------------------------------------------------------------------- adjustments
def test_order_weeks_per_month_by_hand():
    from lean_analysis.forecast.panel import weeks_in_month

    # Mondays: 2025-11: 3, 10, 17, 24 (4); 2025-12: 1, 8, 15, 22, 29 (5); 2026-02: 2, 9, 16, 23 (4);
    # 2026-03: 2, 9, 16, 23, 30 (5)
    ds = pd.to_datetime(["2025-11-01", "2025-12-01", "2026-02-01", "2026-03-01"])
    assert weeks_in_month(ds).tolist() == [4.0, 5.0, 4.0, 5.0]


def test_calendar_adjustment_models_orders_per_week():
    ds = pd.date_range("2023-01-01", periods=30, freq="MS")
    from lean_analysis.forecast.panel import weeks_in_month

    weeks = weeks_in_month(ds)
    s = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 100.0 * weeks})  # 100 cartons a week
    plain = forecast.backtest(s, models=["naive"], h=2, n_windows=2, level=[80])
    adj = forecast.backtest(s, models=["naive"], h=2, n_windows=2, level=[80],
                            calendar_adjust="weeks")
    # per week the series is flat at 100: the adjusted naive forecast is 100 × the target's weeks
    tw = weeks_in_month(adj["ds"])
    assert adj["forecast"].tolist() == pytest.approx((100 * tw).tolist())
    assert adj["y"].tolist() == plain["y"].tolist()  # actuals are never rescaled
    assert (plain["forecast"] != plain["y"]).any()
    with pytest.raises(ValueError, match="monthly"):
        forecast.backtest(s.assign(ds=pd.date_range("2023-01-02", periods=30, freq="W-MON")),
                          models=["naive"], calendar_adjust="weeks")


def test_festival_coefficient_recovers_a_planted_effect():
    from lean_analysis.calendar import spring_festival_regressor
    from lean_analysis.forecast.adjust import festival_coefficient

    ds = pd.date_range("2022-01-01", periods=48, freq="MS")
    x = spring_festival_regressor(ds, "MS")
    month_effect = np.tile([5.0, -3, 2, 0, 1, 4, -2, 0, 3, -1, 2, -4], 4)
    y = 200 + month_effect + 50 * x  # a fixed monthly pattern plus 50 × the run-up share
    assert festival_coefficient(y, x, 12) == pytest.approx(50.0)
    import doctest

    from lean_analysis.forecast import adjust

    assert doctest.testmod(adjust).failed == 0  # the docstring's worked example (β = 20)


def test_festival_adjusted_models_see_no_future_and_keep_beta_between_refits():
    base = seasonal(40, seed=5)
    s = monthly(base)
    bt = forecast.backtest(s, models=["ses", "ets", "theta"], h=1, n_windows=4, refit=2,
                           festival_adjust=True, level=[80], intervals="model")
    changed = base.copy()
    changed[38:] += 500
    bt2 = forecast.backtest(monthly(changed), models=["ses", "ets", "theta"], h=1, n_windows=4,
                            refit=2, festival_adjust=True, level=[80])
    cut = sorted(bt["cutoff"].unique())  # rows 35 … 38; the change starts at row 38
    early = bt["cutoff"] <= cut[2]
    assert np.allclose(bt.loc[early, "forecast"], bt2.loc[early, "forecast"])
    assert not np.allclose(bt.loc[~early, "forecast"], bt2.loc[~early, "forecast"])
    assert (bt["lo_80"] <= bt["forecast"]).all() and (bt["forecast"] <= bt["hi_80"]).all()

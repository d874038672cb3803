"""forecast.prepare / ForecastSpec shared by backtest and predict; predict by hand and as the
backtest's last window."""

from __future__ import annotations

import pandas as pd
import pytest
from forecast_panels import panel

from lean_analysis import data, forecast
from lean_analysis.forecast.panel import weeks_in_month


def test_prepare_resolves_models_once_for_both():
    spec = forecast.prepare(["snaive", "ensemble", "manager"], season_length=12, level=[95, 80],
                            calendar_adjust="weeks", festival_adjust=True)
    assert isinstance(spec, forecast.ForecastSpec)
    assert spec.names == ("snaive", "ensemble", "manager")
    assert [s.name for s in spec.run] == ["snaive", *forecast.ENSEMBLE_MEMBERS]  # + members
    assert spec.level == (80, 95) and spec.interval_columns == ["lo_80", "hi_80", "lo_95", "hi_95"]
    # the festival regressor goes to arima and (festival_adjust) to ets, theta and the CES models
    assert {s.name for s in spec.run if s.uses_exog} == {"ets", "theta", "arima", "ces", "ces_log"}
    assert forecast.prepare(["ets", "manager"], manager=False).names == ("ets",)
    assert forecast.prepare(["ets"], manager=True).names == ("ets", "manager")
    with pytest.raises(ValueError, match="strictly between 0 and 100"):
        forecast.prepare(["ets"], level=[100])
    with pytest.raises(ValueError, match="season_length"):
        forecast.prepare(["ets"], season_length=0)
    with pytest.raises(ValueError, match="calendar_adjust"):
        forecast.prepare(["ets"], calendar_adjust="days")
    with pytest.raises(NotImplementedError, match="engine"):
        forecast.predict(panel(), models=["naive"], engine=object())


def test_predict_seasonal_naive_per_order_week_by_hand():
    s = panel((30,))
    p = forecast.predict(s, models=["snaive"], h=2, level=[], calendar_adjust="weeks")
    # 2021-11 … 2024-04: the next months are 2024-05 and 2024-06
    # per week: the same month a year before ÷ its weeks, × the target month's weeks
    y = s.set_index("ds")["y"]
    want = []
    for d in pd.to_datetime(["2024-05-01", "2024-06-01"]):
        base = d - pd.DateOffset(years=1)
        want.append(y[base] / weeks_in_month([base])[0] * weeks_in_month([d])[0])
    assert p["ds"].tolist() == list(pd.to_datetime(["2024-05-01", "2024-06-01"]))
    assert p["forecast"].tolist() == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("adjust", [dict(), dict(calendar_adjust="weeks", festival_adjust=True)])
def test_predict_is_the_backtests_last_window(adjust):
    """Both run on one spec: forecasting from the data up to a cutoff gives the backtest's
    forecast at that cutoff (refit at every window, h = 1)."""
    s = panel()
    models = ["naive", "snaive", "ses", "ets", "theta", "arima", "ensemble"]
    bt = forecast.backtest(s, models=models, h=1, n_windows=1, refit=True, level=[80],
                           intervals="model", **adjust)
    cutoff = bt["cutoff"].iloc[0]
    p = forecast.predict(s[s["ds"] <= cutoff], models=models, h=1, level=[80], **adjust)
    # the fallback rows (p2 is too short for ets, theta, arima and so the ensemble) aside
    assert set(map(tuple, p.loc[p["fallback"], ["unique_id", "model"]].to_numpy())) == {
        ("p2", m) for m in ("ets", "theta", "arima", "ensemble")}
    p = p[~p["fallback"]]
    cols = ["unique_id", "ds", "model", "forecast", "lo_80", "hi_80"]
    got = p[cols].sort_values(["unique_id", "model"]).reset_index(drop=True)
    want = bt[cols].sort_values(["unique_id", "model"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)
    # the 21-point series (20 up to the cutoff) is too short for ets, theta and arima in both
    skipped = {(r["unique_id"], r["model"]) for r in p.attrs["skipped"]}
    assert skipped == {("p2", m) for m in ("ets", "theta", "arima")}
    assert skipped <= {(r["unique_id"], r["model"]) for r in bt.attrs["skipped"]}


def test_every_active_product_is_forecast_with_marked_fallbacks(small_tables):
    """Every product ordered in the last 3 months (found from the orders, not the series)
    has a forecast; the products too short for the model get the marked fallback (the
    mean of their last ≤ 3 months per order week); the total is the sum of the rows."""
    series = data.to_series(small_tables, level=["product_id"], freq="MS", unit="case")
    last = series["ds"].max()
    o = small_tables["orders"]
    month = pd.to_datetime(o["week"]).dt.to_period("M").dt.to_timestamp()
    recent = (month > last - pd.DateOffset(months=3)) & (month <= last) & (o["order_qty"] > 0)
    active = set(o.loc[recent, "product_id"])
    p = forecast.predict(series, models=["ensemble"], h=1, level=[80],
                         calendar_adjust="weeks")
    assert active <= set(p["unique_id"])
    assert p.groupby("unique_id").size().eq(1).all()
    n = series.groupby("unique_id").size()
    short = set(n[n < 24].index)  # the ensemble's members need 2 × 12 months
    assert short, "the small sample has recently launched products"
    assert set(p.loc[p["fallback"], "unique_id"]) == short
    assert p.loc[p["fallback"], ["lo_80", "hi_80"]].isna().all().all()
    assert p.loc[~p["fallback"], ["lo_80", "hi_80"]].notna().all().all()
    # the fallback by hand: last ≤ 3 months ÷ their order weeks, mean, × the target's weeks
    target = p["ds"].iloc[0]
    for uid in short:
        g = series[series["unique_id"] == uid].tail(3)
        want = (g["y"] / weeks_in_month(g["ds"])).mean() * weeks_in_month([target])[0]
        assert p.loc[p["unique_id"] == uid, "forecast"].iloc[0] == pytest.approx(want, rel=1e-12)
    # the county total of the published figure is the sum of the rows
    figs = forecast.figures(pd.DataFrame({"model": ["ensemble"], "accuracy": [1.0],
                                          "accuracy_weighted": [1.0], "mase": [0.5],
                                          "bias_pct": [0.0]}),
                            {"model": "ensemble"}, None, p)
    assert figs["next_period_forecast_total"]["value"] == pytest.approx(
        float(p["forecast"].sum()), rel=1e-12)
    # without the fallback the short products are left out, as the model skips them
    bare = forecast.predict(series, models=["ensemble"], h=1, level=[80],
                            calendar_adjust="weeks", fallback=False)
    assert set(bare["unique_id"]) == set(n.index) - short

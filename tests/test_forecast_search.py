"""search="first": ETS and ARIMA choose their form at a series' first fit and at the last
re-estimation; the re-estimations in between fit that form again (lean_analysis.forecast.search)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsforecast.models import ARIMA, AutoARIMA, AutoETS

from lean_analysis import forecast
from lean_analysis.forecast.search import SearchFirst, chosen_form
from tests.forecast_panels import panel

N_WINDOWS, REFIT = 7, 3  # fits at windows 0, 3 (fixed form) and 6 (searched again)


def _series(n=(44, 40), seed=4) -> pd.DataFrame:
    """p0's searched form changes between window 0 and window 3, for ARIMA and ETS both."""
    return panel(n=n, seed=seed)


def _bt(s, model, **kw):
    opts = dict(models=[model], h=1, n_windows=N_WINDOWS, refit=REFIT, level=[],
                spring_festival=False, intervals="model")
    return forecast.backtest(s, **{**opts, **kw})


@pytest.mark.parametrize("model", ["arima", "ets"])
def test_middle_refit_reestimates_the_form_chosen_at_the_first_window(model):
    """Worked with statsforecast itself: window 0 searches (the automatic model); window 3
    fits the form chosen at window 0 on the data up to its cutoff; window 6, the last
    re-estimation, searches again."""
    s = _series()
    bt = _bt(s, model)
    auto = (AutoARIMA(season_length=12, **forecast.models.ARIMA_DEFAULTS) if model == "arima"
            else AutoETS(season_length=12))
    changed = 0
    for uid, g in s.groupby("unique_id"):
        y = g["y"].to_numpy()
        n = len(y)
        cut = [n - N_WINDOWS + k - 1 for k in range(N_WINDOWS)]  # last training row per window
        f = bt[bt["unique_id"] == uid].sort_values("cutoff")["forecast"].to_numpy()
        first = auto.new().fit(y[: cut[0] + 1])
        form = chosen_form(first)
        assert f[0] == pytest.approx(first.predict(h=1)["mean"][0], rel=1e-9)
        refit = form.new().fit(y[: cut[3] + 1])
        assert f[3] == pytest.approx(refit.predict(h=1)["mean"][0], rel=1e-9)
        last = auto.new().fit(y[: cut[6] + 1])
        assert f[6] == pytest.approx(last.predict(h=1)["mean"][0], rel=1e-9)
        # the middle window did not search: where a search there chooses another form, the
        # backtest's forecast is not that search's
        searched = auto.new().fit(y[: cut[3] + 1])
        key = "arma" if model == "arima" else "components"
        if searched.model_[key] != first.model_[key]:
            changed += 1
            assert f[3] != pytest.approx(searched.predict(h=1)["mean"][0], rel=1e-6)
    assert changed >= 1  # the panel has a series whose form changes


def test_every_searches_at_each_reestimation_as_statsforecast_does():
    s = _series()
    bt = _bt(s, "arima", search="every")
    for uid, g in s.groupby("unique_id"):
        y = g["y"].to_numpy()
        n = len(y)
        c3 = n - N_WINDOWS + 3 - 1
        f = bt[bt["unique_id"] == uid].sort_values("cutoff")["forecast"].to_numpy()
        fresh = AutoARIMA(season_length=12, **forecast.models.ARIMA_DEFAULTS).fit(y[: c3 + 1])
        assert f[3] == pytest.approx(fresh.predict(h=1)["mean"][0], rel=1e-9)


def test_same_rows_in_one_process_or_two_and_with_or_without_the_forecast_ahead():
    s = _series(n=(44, 40, 38, 41))
    one = _bt(s, "arima", n_jobs=1)
    two = _bt(s, "arima", n_jobs=2)
    alone = _bt(s, "arima", n_jobs=1, forecast_ahead=False)
    cols = ["unique_id", "cutoff", "ds", "forecast"]
    pd.testing.assert_frame_equal(one[cols], two[cols])
    pd.testing.assert_frame_equal(one[cols], alone[cols])


def test_the_forecast_after_the_data_is_the_searched_last_fit():
    """predict() reuses the last re-estimation: a model searched on the data up to window 6's
    cutoff, its states run on to the last month (forward)."""
    s = _series()
    bt = _bt(s, "arima")
    fc = forecast.predict(s, models=["arima"], h=1, level=[], spring_festival=False,
                          backtest=bt, intervals="model")
    for uid, g in s.groupby("unique_id"):
        y = g["y"].to_numpy()
        k0 = len(y) - N_WINDOWS + 6 - 1
        fit = AutoARIMA(season_length=12, **forecast.models.ARIMA_DEFAULTS).fit(y[: k0 + 1])
        want = fit.forward(y=y, h=1)["mean"][0]
        assert fc.loc[fc["unique_id"] == uid, "forecast"].iloc[0] == pytest.approx(want, rel=1e-9)


def test_chosen_form_keeps_orders_constant_and_components():
    y = 50 + 8 * np.sin(2 * np.pi * np.arange(40) / 12) + np.random.default_rng(2).normal(0, 2, 40)
    a = AutoARIMA(season_length=12).fit(y)
    form = chosen_form(a)
    assert isinstance(form, ARIMA)
    p, q, P, Q, m, d, D = a.model_["arma"]
    assert (form.order, form.seasonal_order, form.season_length) == ((p, d, q), (P, D, Q), m)
    assert form.include_mean == ("intercept" in a.model_["coef"])
    refit = form.fit(y)
    assert refit.model_["arma"] == a.model_["arma"]
    assert refit.predict(h=1)["mean"][0] == pytest.approx(a.predict(h=1)["mean"][0], rel=1e-6)
    e = AutoETS(season_length=12).fit(y)
    ef = chosen_form(e).fit(y)
    assert ef.model_["components"] == e.model_["components"]
    assert ef.predict(h=1)["mean"][0] == pytest.approx(e.predict(h=1)["mean"][0], rel=1e-6)


def test_another_series_or_a_sliding_window_searches():
    rng = np.random.default_rng(4)
    a, b = rng.normal(50, 5, 40), rng.normal(80, 5, 40)
    w = SearchFirst(AutoETS(season_length=1)).for_call(0)
    w.fit(a[:30])
    assert w._j == 0
    w.fit(a[:33])  # the same series, longer: re-estimates the chosen form
    assert w._j == 1 and w.model is not w.auto
    w.fit(b[:30])  # another series: searches
    assert w._j == 0
    w.fit(b[3:33])  # a sliding window does not extend the previous data: searches
    assert w._j == 0
    with pytest.raises(ValueError, match="search must be"):
        forecast.backtest(_series(), models=["ets"], search="sometimes")


def test_the_method_paragraph_says_when_the_form_is_chosen():
    from lean_analysis.report.plots_forecast import intro_text

    args = ("2026-10", "order_qty", ["product_id"], 1, 12)
    assert forecast.n_fits(12, 3) == 4 and forecast.n_fits(12, 6) == 2  # windows 0,3,6,9 / 0,6
    fits3 = forecast.n_fits(12, 3)
    assert "at the first window and at the last re-estimation" in intro_text(
        *args, 3, "en", "first", fits=fits3)
    assert "第一个窗口和最后一次重新估计" in intro_text(*args, 3, "zh", "first", fits=fits3)
    assert "choose their form" not in intro_text(*args, 3, "en", "every", fits=fits3)
    # refit every 6 of 12 windows: fits at windows 0 and 6, both search; nothing to say
    assert "choose their form" not in intro_text(*args, 6, "en", "first",
                                                 fits=forecast.n_fits(12, 6))

"""Models on the log scale (lean_analysis.forecast.transform): ``ets_log``, ``ces_log``.

Each forecast is checked against an independent computation: the plain statsforecast model
fitted to ``log(y + c)`` by hand and its forecasts exponentiated; and, for a planted
log-normal random walk, the exact quantiles of the distribution the model claims."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from statsforecast.models import AutoCES, AutoETS, Naive

from lean_analysis import forecast
from lean_analysis.forecast.search import chosen_form
from lean_analysis.forecast.transform import LogTransformed, log_offset
from tests.forecast_panels import panel


def _growing(n=48, seed=1) -> np.ndarray:
    """Multiplicative seasonality on an exponential trend: swings grow with the level."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.exp(3 + 0.02 * t + 0.2 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.05, n))


@pytest.mark.parametrize("make", [lambda: AutoETS(season_length=12),
                                  lambda: AutoCES(season_length=12)])
def test_forecast_is_the_log_model_exponentiated(make):
    y = _growing()
    got = LogTransformed(make(), alias="m").forecast(y=y, h=6, level=[80])
    ref = make().forecast(y=np.log(y), h=6, level=[80])
    for k in ("mean", "lo-80", "hi-80"):
        np.testing.assert_allclose(got[k], np.exp(ref[k]), rtol=1e-10)
    assert (got["lo-80"] < got["mean"]).all() and (got["mean"] < got["hi-80"]).all()


def test_zero_in_training_uses_log1p_and_negative_is_untransformed():
    y = _growing()
    y0 = y.copy()
    y0[5] = 0.0
    got = LogTransformed(AutoETS(season_length=12)).forecast(y=y0, h=3)
    ref = AutoETS(season_length=12).forecast(y=np.log1p(y0), h=3)
    np.testing.assert_allclose(got["mean"], np.expm1(ref["mean"]), rtol=1e-10)
    yn = y - y.min() - 1.0  # one value −1: no transform
    assert log_offset(yn) is None
    got = LogTransformed(AutoETS(season_length=12)).forecast(y=yn, h=3)
    np.testing.assert_allclose(got["mean"], AutoETS(season_length=12).forecast(y=yn, h=3)["mean"])


def test_fit_then_forward_keeps_the_fits_offset_and_floors_a_later_zero():
    y = _growing()
    m = LogTransformed(AutoETS(season_length=12, model="MAM")).fit(y[:40])
    assert m.offset_ == 0.0 and m.floor_ == pytest.approx(y[:40].min() / 2)
    y2 = y.copy()
    y2[44] = 0.0  # a zero after a fit that saw only positive values
    got = m.forward(y=y2, h=2)
    z = np.log(np.where(y2 > 0, y2, y[:40].min() / 2))
    ref = m.model.forward(y=z, h=2)
    np.testing.assert_allclose(got["mean"], np.exp(ref["mean"]))


def test_intervals_are_the_planted_log_normal_quantiles():
    """A log random walk with N(0, σ²) steps: Naive on the log scale claims
    log y_{T+h} ~ N(log y_T, h σ̂²); back-transformed, the 80 % bounds are
    y_T · exp(∓ z₀.₉ σ̂ √h), with σ̂ from the fit's own residuals."""
    rng = np.random.default_rng(7)
    z = np.cumsum(rng.normal(0, 0.1, 400)) + 5
    y = np.exp(z)
    got = LogTransformed(Naive()).forecast(y=y, h=4, level=[80])
    sigma = np.sqrt(np.mean(np.diff(z) ** 2))
    h = np.arange(1, 5)
    np.testing.assert_allclose(got["mean"], np.full(4, y[-1]))
    np.testing.assert_allclose(got["hi-80"], y[-1] * np.exp(norm.ppf(0.9) * sigma * np.sqrt(h)),
                               rtol=1e-3)
    np.testing.assert_allclose(got["lo-80"], y[-1] * np.exp(-norm.ppf(0.9) * sigma * np.sqrt(h)),
                               rtol=1e-3)


def test_chosen_form_of_a_log_model_is_the_log_of_the_chosen_form():
    y = _growing()
    fitted = LogTransformed(AutoETS(season_length=12), alias="ets_log").fit(y)
    form = chosen_form(fitted)
    assert isinstance(form, LogTransformed) and form.alias == "ets_log"
    comp = fitted.model.model_["components"]
    assert form.model.model == comp[:3]
    np.testing.assert_allclose(form.new().fit(y).predict(h=3)["mean"],
                               fitted.predict(h=3)["mean"], rtol=1e-6)


def test_backtest_of_the_log_models_matches_statsforecast_on_the_log_scale():
    """The project's backtest of ``ets_log`` (search at every fit, refit every window, no
    festival) equals AutoETS cross-validated by hand on log(y), exponentiated."""
    s = panel(n=(40, 36), seed=5)
    bt = forecast.backtest(s, models=["ets_log"], h=1, n_windows=3, refit=True, level=[],
                           spring_festival=False, intervals="model", search="every")
    for (uid, cutoff), row in bt.set_index(["unique_id", "cutoff"]).iterrows():
        y = s[(s["unique_id"] == uid) & (s["ds"] <= cutoff)]["y"].to_numpy()
        ref = np.exp(AutoETS(season_length=12).forecast(y=np.log(y), h=1)["mean"][0])
        assert row["forecast"] == pytest.approx(ref, rel=1e-8)
    assert set(bt["model"]) == {"ets_log"} and len(bt) == 6


def test_log_models_are_named_and_festival_adjusted_on_the_log_scale():
    from lean_analysis.forecast.adjust import FestivalAdjusted
    from lean_analysis.forecast.search import SearchFirst

    specs = {s.name: s for s in forecast.models.resolve(["ets_log", "ces_log"],
                                                        festival_adjust=True)}
    ets = specs["ets_log"].model
    assert isinstance(ets, SearchFirst) and repr(ets) == "ets_log"
    assert isinstance(ets.auto, LogTransformed) and isinstance(ets.auto.model, FestivalAdjusted)
    ces = specs["ces_log"].model
    assert isinstance(ces, LogTransformed) and isinstance(ces.model, FestivalAdjusted)
    assert specs["ces_log"].uses_exog and ces.uses_exog



def test_ces_normal_intervals_from_in_sample_residuals():
    """``ces``'s intervals: its own point forecasts, bounds f ± z σ̂ √j with σ̂ the RMS of the
    one-step in-sample residuals (computed here from statsforecast's fitted values)."""
    from lean_analysis.forecast.normal_intervals import NormalIntervals

    y = _growing(seed=3)
    got = NormalIntervals(AutoCES(season_length=12)).forecast(y=y, h=3, level=[80, 95])
    ref = AutoCES(season_length=12).forecast(y=y, h=3, fitted=True)
    np.testing.assert_allclose(got["mean"], ref["mean"])
    sigma = np.sqrt(np.nanmean((y - ref["fitted"]) ** 2))
    for lv in (80, 95):
        half = norm.ppf(0.5 + lv / 200) * sigma * np.sqrt([1, 2, 3])
        np.testing.assert_allclose(got[f"hi-{lv}"], ref["mean"] + half)
        np.testing.assert_allclose(got[f"lo-{lv}"], ref["mean"] - half)
    assert list(got) == ["mean", "lo-95", "lo-80", "hi-80", "hi-95"]
    # fit + forward: the same rule on the data the forecast starts from
    m = NormalIntervals(AutoCES(season_length=12)).fit(y[:40])
    fw = m.forward(y=y, h=1, level=[80])
    inner = m.model.forward(y=y, h=1, fitted=True)
    s = np.sqrt(np.nanmean((y - inner["fitted"]) ** 2))
    np.testing.assert_allclose(fw["hi-80"], inner["mean"] + norm.ppf(0.9) * s)


def test_method_paragraph_names_the_ensemble_members():
    from lean_analysis.report import plots_forecast as pf

    zh = pf.intro_text("2026-10", "order_qty", ["product_id"], 1, 12, 3, "zh",
                       ensemble=forecast.ENSEMBLE_MEMBERS)
    assert ("组合预测取指数平滑（ETS）、Theta 法、ARIMA（含春节因子）、复指数平滑（CES）和"
            "对数复指数平滑（对数 CES）的预测中位数") in zh
    en = pf.intro_text("2026-10", "order_qty", ["product_id"], 1, 12, 3, "en",
                       ensemble=("ets", "ces_log"))
    assert "median of the forecasts of exponential smoothing (ETS) and CES on the log scale" in en
    assert "组合预测" not in pf.intro_text("2026-10", "order_qty", ["product_id"], 1, 12, 3, "zh")

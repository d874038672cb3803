"""Conformal intervals (forecast.conformal): coverage on planted series of known
distribution, no future data in a window's calibration, the forecast's factors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from lean_analysis import forecast
from lean_analysis.forecast import conformal


def planted(n=100, T=48, seed=7) -> pd.DataFrame:
    """``n`` monthly series: level × (1 + 0.3 sin(2πt/12)) + N(0, (0.05·level)²)."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)
    parts = []
    for i in range(n):
        lvl = rng.uniform(50, 500)
        y = lvl * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 0.05 * lvl, T)
        parts.append(pd.DataFrame({"unique_id": f"s{i:03d}", "y": y,
                                   "ds": pd.date_range("2020-01-01", periods=T, freq="MS")}))
    return pd.concat(parts, ignore_index=True)


def test_conformal_coverage_of_a_planted_seasonal_series_is_nominal():
    s = planted()
    bt = forecast.backtest(s, models=["snaive"], h=1, n_windows=24, level=[80, 95],
                           spring_festival=False)  # intervals="conformal" by default
    assert bt.attrs["params"]["intervals"] == "conformal"
    # the first window has no earlier residuals: no conformal interval
    first = bt["cutoff"] == bt["cutoff"].min()
    assert bt.loc[first, "lo_80"].isna().all() and bt.loc[~first, "lo_80"].notna().all()
    sc = forecast.evaluate(bt, by=["model"]).set_index("model")
    # 100 series × 23 windows: the binomial standard error at 80 % is 0.8 points
    assert sc.loc["snaive", "coverage_80"] == pytest.approx(0.80, abs=0.03)
    assert sc.loc["snaive", "coverage_95"] == pytest.approx(0.95, abs=0.03)
    # coverage by hand on the windows that have intervals
    b = bt[~first]
    inside = (b["y"] >= b["lo_80"]) & (b["y"] <= b["hi_80"])
    assert sc.loc["snaive", "coverage_80"] == pytest.approx(inside.mean(), abs=1e-12)


def test_too_narrow_intervals_are_stretched_to_the_nominal_coverage():
    """Forecast 0 of N(0, 1) actuals with intervals half as wide as the true ones: the
    conformal factor is ≈ 2 and the calibrated intervals cover the nominal share."""
    rng = np.random.default_rng(11)
    n_series, n_cut = 200, 20
    cut = pd.date_range("2022-01-01", periods=n_cut, freq="MS")
    bt = pd.DataFrame({"unique_id": np.tile(np.arange(n_series), n_cut),
                       "cutoff": np.repeat(cut, n_series), "model": "m", "step": 1,
                       "forecast": 0.0, "y": rng.normal(0, 1, n_series * n_cut)})
    bt["ds"] = bt["cutoff"] + pd.offsets.MonthBegin(1)
    for lv in (80, 95):
        z = norm.ppf(0.5 + lv / 200) / 2  # half the true half-width
        bt[f"lo_{lv}"], bt[f"hi_{lv}"] = -z, z
    narrow = ((bt["y"] >= bt["lo_80"]) & (bt["y"] <= bt["hi_80"])).mean()
    assert narrow == pytest.approx(2 * norm.cdf(norm.ppf(0.9) / 2) - 1, abs=0.02)  # ≈ 0.52
    fac = conformal.factors(bt, [80, 95]).set_index("level")
    assert fac.loc[80, "q"] == pytest.approx(2.0, abs=0.1)
    assert fac.loc[95, "q"] == pytest.approx(2.0, abs=0.15)
    cal = conformal.calibrate_backtest(bt.copy(), [80, 95])
    later = cal["cutoff"] > cut[0]
    for lv in (80, 95):
        c = cal[later]
        cov = ((c["y"] >= c[f"lo_{lv}"]) & (c["y"] <= c[f"hi_{lv}"])).mean()
        assert cov == pytest.approx(lv / 100, abs=0.03)


def test_a_windows_calibration_uses_no_later_actuals():
    """Changing the actuals after a cutoff leaves that window's conformal bounds alone."""
    s = planted(n=40, T=40)
    bt = forecast.backtest(s, models=["snaive"], h=2, n_windows=6, level=[80],
                           spring_festival=False)
    cut = sorted(bt["cutoff"].unique())
    s2 = s.copy()
    s2.loc[s2["ds"] > cut[3], "y"] *= 3  # targets after the fourth cutoff
    bt2 = forecast.backtest(s2, models=["snaive"], h=2, n_windows=6, level=[80],
                            spring_festival=False)
    early = bt["cutoff"] <= cut[3]
    a, b = bt.loc[early], bt2.loc[early]
    np.testing.assert_allclose(a["hi_80"] - a["forecast"], b["hi_80"] - b["forecast"],
                               rtol=1e-12)
    late = bt["cutoff"] == cut[5]
    assert not np.allclose(bt.loc[late, "hi_80"] - bt.loc[late, "forecast"],
                           bt2.loc[late, "hi_80"] - bt2.loc[late, "forecast"])


def test_predict_uses_the_backtests_factors():
    s = planted(n=40, T=40)
    bt = forecast.backtest(s, models=["snaive"], h=1, n_windows=12, level=[80],
                           spring_festival=False)
    own = forecast.predict(s, models=["snaive"], h=1, level=[80], spring_festival=False)
    cal = forecast.predict(s, models=["snaive"], h=1, level=[80], spring_festival=False,
                           backtest=bt)
    assert cal.attrs["intervals"] == "conformal" and own.attrs["intervals"] == "model"
    q = pd.DataFrame(bt.attrs["conformal"]).set_index("level").loc[80, "q"]
    np.testing.assert_allclose(cal["hi_80"] - cal["forecast"],
                               q * (own["hi_80"] - own["forecast"]), rtol=1e-12)
    np.testing.assert_allclose(cal["forecast"], own["forecast"], rtol=0)
    with pytest.raises(ValueError, match="backtest"):
        forecast.predict(s, models=["snaive"], intervals="conformal")


def test_a_run_away_forecast_scores_without_numpy_warnings():
    """CES can run away on a series (forecasts near the float maximum): the differences
    overflow. The score still tells inside (≤ 1) from outside (> 1), and numpy
    prints no RuntimeWarning into the report."""
    import warnings

    big = np.finfo(float).max / 2
    y = [1.0, -1.5 * big, 5.0]  # inside (true score 0.4), outside (true 25), inside
    f = [big, big, 5.0]
    lo = [-1.5 * big, big * 0.9, 4.0]  # f − lo overflows in the first
    hi = [big * 1.5, big * 1.9, 6.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = conformal.scores(y, f, lo, hi)
        lo_c, hi_c = conformal._apply(np.array(f), np.array(lo), np.array(hi), 3.0)
    assert s[0] <= 1 and s[1] > 1 and s[2] == 0.0
    assert np.isinf(lo_c[0]) and lo_c[2] == 2.0 and hi_c[2] == 8.0

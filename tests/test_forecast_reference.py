"""A published accuracy figure reproduced through forecast.backtest + forecast.evaluate.

Data: the Box & Jenkins airline passengers (AirPassengers, Series G: monthly international
airline passengers, thousands, 1949–1960), shipped offline by statsforecast as
``statsforecast.utils.AirPassengersDF``.

Published figure: "Benchmark Forecasts in R: Naive, Seasonal Naive, and Drift"
(selva86.github.io, Benchmark-Forecasts-in-R.html, code run against R 4.6.0 with the
``forecast`` package): ``snaive(window(AirPassengers, end = c(1958, 12)), h = 24)`` scored by
``accuracy()`` on 1959–1960 gives

    Training set  RMSE 32.51  MAE 28.57  MAPE 11.41
    Test set      RMSE 76.99  MAE 71.25  MAPE 15.52

The training-set MAE of the seasonal naive method is the MASE scale of Hyndman & Koehler
(2006), so the test-set MASE is 71.25 / 28.57 = 2.494. Tolerance: half a unit of the last
published digit (the figures are rounded to 2 decimals).
"""

from __future__ import annotations

import pandas as pd
import pytest
from statsforecast.utils import AirPassengersDF

from lean_analysis import forecast

PUBLISHED_TEST = {"rmse": 76.99, "mae": 71.25, "mape": 15.52}  # MAPE in percent
PUBLISHED_TRAIN_MAE = 28.57
HALF_UNIT = 0.005


@pytest.fixture(scope="module")
def air() -> pd.DataFrame:
    return pd.DataFrame({"unique_id": "AirPassengers", "ds": AirPassengersDF["ds"],
                         "y": AirPassengersDF["y"].astype(float)})


def test_seasonal_naive_on_airpassengers_matches_published_accuracy(air):
    assert len(air) == 144 and air["y"].iloc[0] == 112 and air["y"].iloc[-1] == 432
    bt = forecast.backtest(air, models=["snaive"], h=24, n_windows=1, season_length=12,
                           level=[80, 95])
    assert bt["cutoff"].unique().tolist() == [pd.Timestamp("1958-12-31")]
    assert bt["step"].tolist() == list(range(1, 25))
    sc = forecast.evaluate(bt, train=air, by=["model"], season_length=12).iloc[0]
    assert sc["rmse"] == pytest.approx(PUBLISHED_TEST["rmse"], abs=HALF_UNIT)
    assert sc["mae"] == pytest.approx(PUBLISHED_TEST["mae"], abs=HALF_UNIT)
    assert 100 * sc["mape"] == pytest.approx(PUBLISHED_TEST["mape"], abs=HALF_UNIT)
    # MASE: test MAE over the in-sample seasonal naive MAE of 1949–1958 (published 28.57)
    assert sc["mase"] == pytest.approx(PUBLISHED_TEST["mae"] / PUBLISHED_TRAIN_MAE, rel=2e-4)

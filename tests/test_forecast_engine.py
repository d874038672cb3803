"""forecast.backtest on a local Dask cluster gives the local engine's result (issue 7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_analysis import forecast

distributed = pytest.importorskip("dask.distributed")


def test_dask_engine_equals_local():
    rng = np.random.default_rng(0)
    s = pd.concat([pd.DataFrame({"unique_id": f"s{i}",
                                 "ds": pd.date_range("2020-01-01", periods=40, freq="MS"),
                                 "y": 100 + 10 * np.sin(np.arange(40) * np.pi / 6) + rng.normal(0, 3, 40)})
                   for i in range(4)], ignore_index=True)
    models = ["naive", "snaive", "ets", "arima", "ensemble"]
    local = forecast.backtest(s, models=models, h=2, n_windows=3, refit=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = forecast.backtest(s, models=models, h=2, n_windows=3, refit=2, engine=client)
    pd.testing.assert_frame_equal(on_dask, local, check_exact=True)
    assert on_dask.attrs["skipped"] == local.attrs["skipped"]


def test_predict_on_dask_equals_local():
    rng = np.random.default_rng(1)
    s = pd.concat([pd.DataFrame({"unique_id": f"s{i}",
                                 "ds": pd.date_range("2020-01-01", periods=n, freq="MS"),
                                 "y": 100 + 10 * np.sin(np.arange(n) * np.pi / 6)
                                 + rng.normal(0, 3, n)})
                   for i, n in enumerate([40, 40, 36, 14])], ignore_index=True)
    # arima and the festival-adjusted ets/theta get the Spring Festival's future values (X_df);
    # the short series s3 gets only naive/snaive (a second statsforecast call)
    kwargs = dict(models=["naive", "snaive", "ets", "arima", "ensemble"], h=2, level=[80, 95],
                  calendar_adjust="weeks", festival_adjust=True)
    local = forecast.predict(s, **kwargs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = forecast.predict(s, engine=client, **kwargs)
    pd.testing.assert_frame_equal(on_dask, local, check_exact=True)
    assert on_dask.attrs == local.attrs
    assert set(local["model"]) == set(kwargs["models"])
    assert {r["unique_id"] for r in local.attrs["skipped"]} == {"s3"}

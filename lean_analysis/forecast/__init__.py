"""Demand-forecast backtesting: models by name, rolling-origin backtests, accuracy.

>>> from lean_analysis import data, forecast
>>> series = data.to_series(tables, level=["product_id"], freq="MS")          # doctest: +SKIP
>>> bt = forecast.backtest(series, models=["snaive", "ets", "theta", "arima", "ensemble"],
...                        h=1, n_windows=12, season_length=12, level=[80, 95])  # doctest: +SKIP
>>> scores = forecast.evaluate(bt, train=series, by=["model"])               # doctest: +SKIP
"""

import warnings

with warnings.catch_warnings():  # statsforecast imports tqdm.auto, which warns in a kernel
    warnings.filterwarnings("ignore", message="IProgress not found")  # without ipywidgets
    import statsforecast  # noqa: F401

from . import metrics  # noqa: E402
from .aggregate import aggregate, compare_levels
from .backtest import backtest, skipped
from .evaluate import evaluate, recommend, value_added
from .manager import manager_frame, with_manager
from .models import BASELINE, DEFAULT_MODELS, DEFAULT_REFIT, ENSEMBLE_MEMBERS, MODEL_NAMES
from .predict import predict

__all__ = [
    "BASELINE",
    "DEFAULT_MODELS",
    "DEFAULT_REFIT",
    "ENSEMBLE_MEMBERS",
    "MODEL_NAMES",
    "aggregate",
    "backtest",
    "compare_levels",
    "evaluate",
    "manager_frame",
    "with_manager",
    "metrics",
    "predict",
    "recommend",
    "skipped",
    "value_added",
]

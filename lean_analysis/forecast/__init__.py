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
from .backtest import backtest, n_fits, skipped
from .evaluate import censor_flags, censoring, evaluate, recommend, value_added
from .figures import figures
from .manager import manager_frame, with_manager
from .models import (
    BASELINE,
    DEFAULT_MODELS,
    DEFAULT_REFIT,
    ENSEMBLE_MEMBERS,
    ENSEMBLE_RULE,
    MODEL_NAMES,
)
from .predict import predict
from .reconcile import (
    combine_levels,
    compare_reconciled,
    hierarchy,
    reconcile,
    reconcile_backtest,
    reconcile_levels,
)
from .spec import ForecastSpec, prepare
from .summary import manager_next, next_month_change, summary_numbers

__all__ = [
    "BASELINE",
    "DEFAULT_MODELS",
    "DEFAULT_REFIT",
    "ENSEMBLE_MEMBERS",
    "ENSEMBLE_RULE",
    "ForecastSpec",
    "MODEL_NAMES",
    "aggregate",
    "backtest",
    "censor_flags",
    "censoring",
    "combine_levels",
    "compare_reconciled",
    "compare_levels",
    "evaluate",
    "figures",
    "hierarchy",
    "manager_frame",
    "manager_next",
    "next_month_change",
    "with_manager",
    "metrics",
    "predict",
    "prepare",
    "recommend",
    "reconcile",
    "reconcile_backtest",
    "reconcile_levels",
    "n_fits",
    "skipped",
    "summary_numbers",
    "value_added",
]

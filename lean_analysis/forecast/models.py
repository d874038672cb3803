"""The forecasting models, by name, on statsforecast.

=============  ==================================================================  ==============
name           model                                                               needs (points)
=============  ==================================================================  ==============
``naive``      last value (statsforecast ``Naive``)                                1
``snaive``     value of the same season one cycle back (``SeasonalNaive``)         ``m``
``ses``        simple exponential smoothing as the state-space model ETS(A,N,N)    3
               (``AutoETS(model="ANN")``: alpha and the initial level by maximum
               likelihood, analytic prediction intervals)
``ets``        automatic ETS (``AutoETS``, model "ZZZ" chosen by AICc;             max(2m, 8)
               Hyndman et al. 2002)
``theta``      the standard Theta method (``Theta``: Assimakopoulos &              max(2m, 8)
               Nikolopoulos 2000 as formulated by Hyndman & Billah 2003, with a
               classical multiplicative seasonal adjustment when a 90 % seasonality
               test passes)
``autotheta``  ``AutoTheta`` (chooses among the standard, optimised and dynamic    max(2m, 8)
               Theta variants; Fiorucci et al. 2016). Slower; not in the ensemble
``dotm``       ``DynamicOptimizedTheta`` (the dynamic optimised Theta model,         max(2m, 8)
               Fiorucci et al. 2016: theta, alpha and the initial level by
               likelihood; the same seasonal adjustment as ``theta``)
``ces``        automatic complex exponential smoothing (``AutoCES``; Svetunkov,     max(2m, 8)
               Kourentzes & Ord 2022: simple, partial, full or no seasonality
               chosen by AIC); normal intervals from its in-sample residuals
               (:mod:`lean_analysis.forecast.normal_intervals`: statsforecast's
               simulated ones cost 30× the fit)
``arima``      automatic ARIMA (``AutoARIMA``, Hyndman & Khandakar 2008) with the   max(2m, 8)
               Spring Festival regressor of :func:`lean_analysis.calendar.
               spring_festival_regressor` on monthly or weekly data. The order
               search is limited by default to p, q, P, Q ≤ 1 and p + q + P + Q ≤ 3
               (``ARIMA_DEFAULTS``): two or three years of monthly data cannot
               identify more, and on the county sample it costs 0.7 % MASE for 2.4×
               less time; ``model_options={"arima": {"max_p": 5, "max_q": 5,
               "max_P": 2, "max_Q": 2, "max_order": 5}}`` restores statsforecast's
               full search
``ets_log``    ``ets`` fitted to log(y) (log(1 + y) when a value is 0), forecasts     max(2m, 8)
               transformed back (:mod:`lean_analysis.forecast.transform`)
``ces_log``    ``ces`` on the log scale, likewise                                   max(2m, 8)
``ensemble``   median of the ``ets``, ``theta``, ``arima``, ``ces`` and ``ces_log``  members'
               point forecasts; interval bounds are the medians of the members'
               bounds (quantile combination, Lichtendahl, Grushka-Cockayne &
               Winkler 2013). With five members, two of them CES, the median stays
               within the range of ets, theta and arima even when both CES
               forecasts run away (as they do on a few county series)
``manager``    the customer managers' submitted forecasts (step 1 only, no          0
               intervals): joined, not fitted
=============  ==================================================================  ==============

``m`` is the season length. "Needs" is the number of observations a series must have up
to (and including) the first cutoff for the model to be run on it; a shorter series is
reported as skipped for that model (see :func:`lean_analysis.forecast.backtest`). The
thresholds are conventions (two full seasons before a seasonal model is trusted), not
library limits; ``min_train=`` overrides them.

The Spring Festival regressor is built from lunar calendar dates, which are known years
in advance, so using its future values (``X_df``) never leaks information. With
``festival_adjust=True`` (``backtest`` / ``predict``) ``ses``, ``ets``, ``theta``,
``autotheta``, ``dotm``, ``ces`` and the log models (on the log scale) are wrapped in
:class:`lean_analysis.forecast.adjust.FestivalAdjusted`: each fit estimates the
festival's effect on its own training data and the model forecasts the rest. On the county sample (with ``calendar_adjust="weeks"``) this lowers their MASE by
15–20 % and makes the ensemble the best model; without it the ensemble trails ARIMA, the
only model that knows the festival, by 7 %.

In a backtest, ``ets`` and ``arima`` choose their form (ETS components, ARIMA orders) at a
series' first fit and at the last re-estimation; the re-estimations in between fit that
form again (``search="first"``, :mod:`lean_analysis.forecast.search`).

Any statsforecast model object may also be passed in ``models``; it is named by its
``alias``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from statsforecast.models import (
    AutoARIMA,
    AutoCES,
    AutoETS,
    AutoTheta,
    DynamicOptimizedTheta,
    Naive,
    SeasonalNaive,
    Theta,
)

from .adjust import FestivalAdjusted
from .normal_intervals import NormalIntervals
from .transform import LogTransformed

LOGGED = ("ets_log", "ces_log")  # fitted on the log scale (lean_analysis.forecast.transform)
STATISTICAL = ("naive", "snaive", "ses", "ets", "theta", "autotheta", "dotm", "ces", "arima",
               *LOGGED)
ENSEMBLE = "ensemble"
# The ensemble: the median of five forecasts, chosen on M1 monthly and the county backtest
# (benchmarks/bench_m1.py, benchmarks/RESULTS.md section M1).
ENSEMBLE_MEMBERS = ("ets", "theta", "arima", "ces", "ces_log")
ENSEMBLE_RULE = "median"
MANAGER = "manager"
MODEL_NAMES = STATISTICAL + (ENSEMBLE, MANAGER)
DEFAULT_MODELS = ("naive", "snaive", "ses", "ets", "theta", "arima", "ensemble")
BASELINE = "snaive"
# The notebook's refit (re-estimate every 3 windows, update in between). On the county sample
# with the notebook's settings (benchmarks/bench_backtest.py) the ensemble's MASE is 0.513
# refitting at every window, 0.528 (+3 %) every 3 and 0.545 (+6 %) every 12, for 98, 35 and
# 13 CPU-seconds of backtest: every 3 keeps the notebook within 60 s on 2 cores.
DEFAULT_REFIT = 3
# statsforecast options applied unless model_options overrides them (see the module doc).
ARIMA_DEFAULTS = {"max_p": 1, "max_q": 1, "max_P": 1, "max_Q": 1, "max_order": 3}


@dataclass(frozen=True)
class ModelSpec:
    """One model to run: its name, statsforecast object and data needs."""

    name: str
    model: Any = None  # statsforecast model object (None for ensemble / manager)
    min_train: int = 1
    uses_exog: bool = False  # gets the Spring Festival regressor
    has_forward: bool = True  # supports refit every k windows
    members: tuple[str, ...] = field(default=())


def default_min_train(name: str, season_length: int) -> int:
    """Points needed up to the first cutoff for the built-in model ``name`` (see module doc)."""
    m = max(int(season_length), 1)
    table = {
        "naive": 1,
        "snaive": m,
        "ses": 3,
        "ets": max(2 * m, 8),
        "theta": max(2 * m, 8),
        "autotheta": max(2 * m, 8),
        "dotm": max(2 * m, 8),
        "ces": max(2 * m, 8),
        "arima": max(2 * m, 8),
        "ets_log": max(2 * m, 8),
        "ces_log": max(2 * m, 8),
        MANAGER: 0,
    }
    if name == ENSEMBLE:
        return max(table[n] for n in ENSEMBLE_MEMBERS)
    return table[name]


def make_model(name: str, season_length: int = 12, **options: Any):
    """The statsforecast model object for the built-in name ``name`` (alias = ``name``).

    ``options`` are passed to the statsforecast constructor (e.g. ``approximation=True``
    for ``arima``).
    """
    m = max(int(season_length), 1)
    if name in LOGGED:
        return LogTransformed(make_model(name.removesuffix("_log"), m, **options), alias=name)
    if name == "naive":
        return Naive(alias=name, **options)
    if name == "snaive":
        return SeasonalNaive(season_length=m, alias=name, **options)
    if name == "ses":
        return AutoETS(season_length=1, model="ANN", alias=name, **options)
    if name == "ets":
        return AutoETS(season_length=m, alias=name, **options)
    if name == "theta":
        return Theta(season_length=m, alias=name, **options)
    if name == "autotheta":
        return AutoTheta(season_length=m, alias=name, **options)
    if name == "dotm":
        return DynamicOptimizedTheta(season_length=m, alias=name, **options)
    if name == "ces":
        return NormalIntervals(AutoCES(season_length=m, alias=name, **options), alias=name)
    if name == "arima":
        return AutoARIMA(season_length=m, alias=name, **{**ARIMA_DEFAULTS, **options})
    raise ValueError(f"model {name!r} is not a statistical model; known: {', '.join(STATISTICAL)}")


FESTIVAL_ADJUSTED = ("ses", "ets", "theta", "autotheta", "dotm", "ces", *LOGGED)


def resolve(models, season_length: int = 12, spring_festival: bool = True,
            model_options: dict[str, dict] | None = None,
            min_train: dict[str, int] | None = None,
            festival_adjust: bool = False, search: str = "first") -> list[ModelSpec]:
    """Turn ``models`` (names and/or statsforecast objects) into :class:`ModelSpec` s.

    The result keeps the requested order; the ensemble's members are *not* added here
    (the backtest runs them when needed). With ``search="first"`` the built-in ``ets`` and
    ``arima`` choose their form at a series' first fit and last re-estimation in a backtest
    (:class:`lean_analysis.forecast.search.SearchFirst`); ``"every"``: at every fit.
    """
    from .search import SEARCHED, SearchFirst, check

    check(search)
    if isinstance(models, str):
        models = [models]
    model_options = dict(model_options or {})
    min_train = dict(min_train or {})
    unknown_opts = set(model_options) - set(STATISTICAL)
    if unknown_opts:
        raise ValueError(f"model_options for unknown models {sorted(unknown_opts)}; "
                         f"known: {', '.join(STATISTICAL)}")
    specs: list[ModelSpec] = []
    seen: set[str] = set()
    for item in models:
        if isinstance(item, str):
            name = item
            if name not in MODEL_NAMES:
                raise ValueError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)} "
                                 "(or pass a statsforecast model object)")
            need = int(min_train.get(name, default_min_train(name, season_length)))
            if name == ENSEMBLE:
                spec = ModelSpec(name, None, need, members=ENSEMBLE_MEMBERS)
            elif name == MANAGER:
                spec = ModelSpec(name, None, 0)
            else:
                base = name.removesuffix("_log") if name in LOGGED else name
                obj = make_model(base, season_length, **model_options.get(name, {}))
                exog = spring_festival and (name == "arima" or (
                    festival_adjust and name in FESTIVAL_ADJUSTED))
                if exog and name != "arima":
                    obj = FestivalAdjusted(obj, season_length, alias=name)
                if name in LOGGED:  # the festival's effect is estimated on the log scale
                    obj = LogTransformed(obj, alias=name)
                if search == "first" and name in SEARCHED:
                    obj = SearchFirst(obj)
                spec = ModelSpec(name, obj, need, uses_exog=exog)
        else:
            obj = item
            if not hasattr(obj, "forecast"):
                raise TypeError(f"model {obj!r} is neither a name nor a statsforecast model")
            name = repr(obj)
            if name in MODEL_NAMES:
                raise ValueError(f"custom model alias {name!r} clashes with a built-in model name")
            spec = ModelSpec(name, obj, int(min_train.get(name, 1)), uses_exog=False,
                             has_forward=hasattr(obj, "forward"))
        if name in seen:
            raise ValueError(f"model {name!r} is listed twice")
        seen.add(name)
        specs.append(spec)
    return specs

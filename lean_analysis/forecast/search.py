"""Choose an automatic model's form once per series in a backtest; refits re-estimate it.

``AutoETS`` and ``AutoARIMA`` search at every fit: ETS over its error, trend, season and
damping options by AICc, ARIMA over its orders (stepwise, Hyndman & Khandakar 2008). In a
backtest that re-estimates every ``refit`` windows (statsforecast's ``cross_validation``
with ``refit=k``), ``search="first"`` searches at a series' first fit and at its last
re-estimation only. The re-estimations in between fit the parameters of the form chosen at
the first (the same ETS components; the same ARIMA orders, constant and drift), on all the
data up to their cutoff. Between re-estimations the states run on (``forward``), as before.
Tashman (2000) describes this kind of re-estimation without re-identification.

The last re-estimation searches too: its fit makes the forecast after the data
(:func:`lean_analysis.forecast.backtest`, ``forecast_ahead``), which should be a model
chosen on all the data, as a forecast from scratch would be. So every series' form is
searched twice, at its first window and at the last re-estimation, whether the backtest
runs in one cross-validation call or (with the forecast after the data) in two, and
whichever engine runs it. A forecast made from scratch (``forecast``) always searches.

On the county sample (2026-10, the notebook's settings, 12 windows, refit 3;
``benchmarks/bench_backtest.py --skip-part1 --refits 3 --search every|first``) the
backtest's CPU time fell from 55.7 s to 35.4 s, and MASE went from 0.514 to 0.486 for
``arima``, 0.525 to 0.527 for ``ets`` and 0.482 to 0.477 for the ensemble
(``benchmarks/RESULTS.md``).

A fit continues the same series when its training data extend the previous fit's: with an
expanding window, statsforecast fits each series' windows one after another. Anything else
(another series, a sliding window, a first fit) searches. The fits of a series are
counted, so that the last of the call searches (:meth:`SearchFirst.for_call`). A series
whose first fit continued another series' data exactly would reuse that form, which is
still a valid model.

Reference: L. J. Tashman (2000), "Out-of-sample tests of forecasting accuracy: an analysis
and review", *International Journal of Forecasting* 16(4), 437–450.
"""

from __future__ import annotations

import numpy as np
from statsforecast.models import ARIMA, AutoARIMA, AutoETS

from .adjust import FestivalAdjusted
from .transform import LogTransformed
from .wrapper import ModelWrapper

SEARCHES = ("first", "every")
SEARCHED = ("ets", "arima", "ets_log")  # the built-in models whose fit searches for a form


def check(search: str) -> str:
    if search not in SEARCHES:
        raise ValueError(f"search must be 'first' or 'every', not {search!r}")
    return search


def chosen_form(model):
    """A new, unfitted model of the form the fitted automatic ``model`` chose: an
    ``AutoETS`` restricted to its components, an ``ARIMA`` of its orders (or the same
    wrapper around one).

    >>> import numpy as np
    >>> y = 10 + np.sin(np.arange(36) * np.pi / 6) + np.arange(36) * 0.1
    >>> form = chosen_form(AutoETS(season_length=12).fit(y))
    >>> form.model, form.damped
    ('MAA', False)
    """
    if isinstance(model, LogTransformed):
        return LogTransformed(chosen_form(model.model), alias=model.alias)
    if isinstance(model, FestivalAdjusted):
        return FestivalAdjusted(chosen_form(model.model), model.season_length, alias=model.alias)
    if isinstance(model, AutoETS):
        comp = model.model_["components"]  # e.g. "MAAD": error, trend, season, damped (D/N)
        return AutoETS(season_length=model.season_length, model=comp[:3],
                       damped=comp[3] == "D", phi=model.phi, alias=model.alias)
    if isinstance(model, AutoARIMA):
        p, q, P, Q, m, d, D = (int(v) for v in model.model_["arma"])
        coef = model.model_["coef"]
        return ARIMA(order=(p, d, q), season_length=m, seasonal_order=(P, D, Q),
                     include_mean="intercept" in coef, include_drift="drift" in coef,
                     blambda=model.blambda, biasadj=model.biasadj, alias=model.alias)
    raise TypeError(f"no chosen form for {type(model).__name__}")


class SearchFirst(ModelWrapper):
    """A statsforecast model (``AutoETS``, ``AutoARIMA``, or a :class:`FestivalAdjusted`
    around one) that searches at a series' first fit and at the last fit of the call, and
    re-estimates the chosen form in between (see the module doc). Named, and given
    exogenous data, as the model it wraps."""

    def __init__(self, model):
        super().__init__(model)
        self.auto = model
        self.n_fits = 0  # fits per series in the call; its last one searches (0: none does)
        self._form = None
        self._y = None
        self._j = 0

    def for_call(self, n_fits: int = 0) -> SearchFirst:
        """A fresh copy for one cross-validation call that fits each series ``n_fits`` times
        and searches at the last of them (``0``: at the first only)."""
        b = self.new()
        b.n_fits = int(n_fits)
        return b

    def _renew(self) -> None:
        self.auto = self.auto.new()
        self.model, self._form, self._y, self._j = self.auto, None, None, 0

    def _continues(self, y: np.ndarray) -> bool:
        p = self._y
        return (self._form is not None and p is not None and len(y) > len(p)
                and np.array_equal(y[: len(p)], p, equal_nan=True))

    def fit(self, y, X=None):
        y = np.asarray(y, dtype=float)
        fitted = None
        self._j = self._j + 1 if self._continues(y) else 0
        if self._j > 0 and self._j != self.n_fits - 1:
            try:
                fitted = self._form.new().fit(y=y, X=X)
            except Exception:  # the chosen form does not fit the longer data: search again
                fitted = None
        if fitted is None:
            fitted = self.auto.new().fit(y=y, X=X)
            self._form = chosen_form(fitted)
        self.model, self._y = fitted, y.copy()
        return self

    def forward(self, y, h, X=None, X_future=None, level=None, fitted=False):
        return self.model.forward(y=y, h=h, X=X, X_future=X_future, level=level, fitted=fitted)

    def predict(self, h, X=None, level=None):
        return self.model.predict(h=h, X=X, level=level)

    def forecast(self, y, h, X=None, X_future=None, level=None, fitted=False):
        return self.auto.new().forecast(y=y, h=h, X=X, X_future=X_future, level=level,
                                        fitted=fitted)

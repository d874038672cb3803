"""Models fitted on the log scale: ``ets_log`` and ``ces_log``.

:class:`LogTransformed` fits its model to ``z = log(y + c)`` and forecasts
``exp(f_z) − c``, bounds alike. ``c = 0`` when every training value is positive, ``c = 1``
(``log1p``) when some are 0; a series with a negative value is modelled as it is (no
transform). Because the log is monotone, the back-transformed bounds are the quantiles of
the same level on the original scale, and the point forecast is the forecast *median*
(no bias adjustment): the combination the ensemble makes of it is a median as well.

A trend on the log scale is a growth rate, and a seasonal pattern a proportional one, so
on series whose swings grow with their level the log models behave unlike their plain
twins, which is what a combination needs. On the M1 monthly data (617 series, h = 18;
``benchmarks/bench_m1.py``) the median of ``ets``, ``ces``, ``ets_log`` and ``ces_log``,
chosen on an earlier validation window, is 4.3 % below AutoETS on sMAPE and 4.4 % on MASE
(``benchmarks/RESULTS.md``, section M1).

``c`` is chosen at each fit from that fit's data, and kept by ``forward`` (the states run on
over new data with the fit's parameters). A value ``y + c ≤ 0`` arriving after a fit that
saw only positive values is read as half the smallest ``y + c`` that fit saw.

Reference: G. E. P. Box & D. R. Cox (1964), "An analysis of transformations", *Journal of
the Royal Statistical Society B* 26(2), 211–252 (the log is their λ = 0); Hyndman &
Athanasopoulos, *Forecasting: Principles and Practice* (3rd ed.), §5.6 and §13.3
(back-transformed forecasts are medians; intervals transform with them).
"""

from __future__ import annotations

import numpy as np

from .wrapper import ModelWrapper


def log_offset(y: np.ndarray) -> float | None:
    """The ``c`` of ``log(y + c)`` for training data ``y``: 0 when all are positive, 1 when
    the smallest is 0, None (no transform) when one is negative or missing.

    >>> log_offset(np.array([3.0, 1.0])), log_offset(np.array([0.0, 2.0])), log_offset(np.array([-1.0, 2.0]))
    (0.0, 1.0, None)
    """
    y = np.asarray(y, dtype=float)
    if not len(y) or not np.isfinite(y).all() or y.min() < 0:
        return None
    return 0.0 if y.min() > 0 else 1.0


class LogTransformed(ModelWrapper):
    """A statsforecast model (or a wrapper around one) fitted to ``log(y + c)``; its
    forecasts, bounds and fitted values are transformed back (see the module doc). Named,
    and given exogenous data, as the model it wraps."""

    def __init__(self, model, alias: str | None = None):
        super().__init__(model, alias)
        self.offset_ = None
        self.floor_ = None

    @staticmethod
    def _to(y: np.ndarray, c: float | None, floor: float | None = None) -> np.ndarray:
        if c is None:
            return y
        v = y + c
        if floor is not None:
            v = np.where(v > 0, v, floor)
        return np.log(v)

    @staticmethod
    def _back(res: dict, c: float | None) -> dict:
        if c is None:
            return res
        return {k: (np.exp(v) - c if (k in ("mean", "fitted")
                                       or k.startswith(("lo-", "hi-", "fitted-"))) else v)
                for k, v in res.items()}

    def fit(self, y, X=None):
        y = np.asarray(y, dtype=float)
        c = log_offset(y)
        self.offset_ = c
        self.floor_ = None if c is None else float((y + c).min()) / 2
        self.model = self.model.fit(y=self._to(y, c), X=X)
        return self

    def predict(self, h, X=None, level=None):
        return self._back(self.model.predict(h=h, X=X, level=level), self.offset_)

    def forward(self, y, h, X=None, X_future=None, level=None, fitted=False):
        z = self._to(np.asarray(y, dtype=float), self.offset_, self.floor_)
        res = self.model.forward(y=z, h=h, X=X, X_future=X_future, level=level, fitted=fitted)
        return self._back(res, self.offset_)

    def forecast(self, y, h, X=None, X_future=None, level=None, fitted=False):
        y = np.asarray(y, dtype=float)
        c = log_offset(y)
        res = self.model.forecast(y=self._to(y, c), h=h, X=X, X_future=X_future, level=level,
                                  fitted=fitted)
        return self._back(res, c)

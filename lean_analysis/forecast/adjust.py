"""Spring Festival adjustment for models without exogenous regressors."""

from __future__ import annotations

import numpy as np

from .wrapper import ModelWrapper


def festival_coefficient(y: np.ndarray, x: np.ndarray, season_length: int) -> float:
    """Least-squares effect β of the regressor ``x`` on ``y`` after seasonal differencing:
    ``β = Σ Δx·Δy / Σ Δx²`` with ``Δz_t = z_t − z_{t−m}`` (regression with seasonally
    differenced errors, no intercept; cf. Hyndman & Athanasopoulos, *Forecasting: Principles
    and Practice*, §10 "Dynamic regression"). Differencing removes the fixed monthly pattern,
    so β measures what the moving festival adds. 0 when ``x`` does not vary between years.

    Example (m = 3; the festival moves from the 2nd to the 1st period of the cycle): with
    ``x = [0, 1, 0, 1, 0, 0]`` and ``y = [10, 30, 10, 30, 10, 10]``, ``Δx = [1, −1, 0]``,
    ``Δy = [20, −20, 0]``, so ``β = (20 + 20) / (1 + 1) = 20``:

    >>> festival_coefficient(np.array([10., 30, 10, 30, 10, 10]), np.array([0., 1, 0, 1, 0, 0]), 3)
    20.0
    """
    m = int(season_length)
    if len(y) <= m:
        return 0.0
    dy, dx = y[m:] - y[:-m], x[m:] - x[:-m]
    den = float(dx @ dx)
    return float(dx @ dy) / den if den > 0 else 0.0


class FestivalAdjusted(ModelWrapper):
    """A statsforecast model wrapped to see ``y − β·x`` (``x``: the Spring Festival
    regressor, the first exogenous column) and to forecast ``f + β·x_future`` (bounds
    shifted alike). β is estimated on each fit's training data only
    (:func:`festival_coefficient`) and kept by ``forward``, like the model's own parameters.
    Without exogenous data the wrapper is the model itself.
    """

    def __init__(self, model, season_length: int, alias: str | None = None):
        super().__init__(model, alias)
        self.uses_exog = True  # it needs the regressor, whatever the model inside does
        self.season_length = int(season_length)
        self.beta_ = 0.0

    def _x(self, X):
        return None if X is None else np.asarray(X, dtype=float).reshape(len(X), -1)[:, 0]

    @staticmethod
    def _shift(res: dict, add: np.ndarray | float) -> dict:
        return {k: (v + add if (k == "mean" or k.startswith(("lo-", "hi-"))) else v)
                for k, v in res.items()}

    def forecast(self, y, h, X=None, X_future=None, level=None, fitted=False):
        x, xf = self._x(X), self._x(X_future)
        if x is None or xf is None:
            return self.model.forecast(y=y, h=h, level=level, fitted=fitted)
        beta = festival_coefficient(np.asarray(y, float), x, self.season_length)
        res = self.model.forecast(y=np.asarray(y, float) - beta * x, h=h, level=level, fitted=fitted)
        out = self._shift(res, beta * xf)
        if fitted and "fitted" in out:
            out["fitted"] = out["fitted"] + beta * x
        return out

    def fit(self, y, X=None):
        x = self._x(X)
        y = np.asarray(y, float)
        self.beta_ = 0.0 if x is None else festival_coefficient(y, x, self.season_length)
        self.model = self.model.fit(y=y - (0 if x is None else self.beta_ * x))
        return self

    def forward(self, y, h, X=None, X_future=None, level=None, fitted=False):
        x, xf = self._x(X), self._x(X_future)
        y = np.asarray(y, float)
        if x is None or xf is None:
            return self.model.forward(y=y, h=h, level=level, fitted=fitted)
        res = self.model.forward(y=y - self.beta_ * x, h=h, level=level, fitted=fitted)
        return self._shift(res, self.beta_ * xf)

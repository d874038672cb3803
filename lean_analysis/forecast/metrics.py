"""Forecast accuracy measures: one flat function per measure.

Notation: ``A_t`` actual, ``F_t`` forecast, ``e_t = F_t − A_t`` (positive = over-forecast),
``n`` points. Every function takes aligned array-likes and returns a float; fractions are
returned as fractions (0.12, not 12 %). The examples below are checked by
``tests/test_forecast_metrics.py`` (and worked by hand there).

The common example: ``A = [100, 50, 0, 20]``, ``F = [90, 80, 0, 5]``, so ``e = [−10, 30, 0,
−15]``, ``Σ|e| = 55``, ``ΣA = 170``.
"""

from __future__ import annotations

import numpy as np


def _arrays(*xs):
    out = [np.asarray(x, dtype=float) for x in xs]
    n = out[0].shape
    for x in out[1:]:
        if x.shape != n:
            raise ValueError(f"arrays differ in shape: {[a.shape for a in out]}")
    return out


def point_accuracy(actual, forecast) -> np.ndarray:
    """Industry forecast accuracy (预测准确率) of each point: ``max(0, 1 − |F − A| / |A|)``.

    ``A = 0``: 1 when ``F = 0`` (nothing forecast, nothing sold), else 0 (any forecast of a
    month without sales counts as a complete miss). The formula is the one tobacco commercial
    enterprises report for monthly demand forecasts (1 − relative error, floored at 0);
    YC/T-style indicator, see DESIGN §2.

    >>> point_accuracy([100, 50, 0, 20], [90, 80, 0, 5]).tolist()
    [0.9, 0.4, 1.0, 0.25]
    """
    a, f = _arrays(actual, forecast)
    err = np.abs(f - a)
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = np.where(a != 0, 1.0 - err / np.abs(a), np.where(err == 0, 1.0, 0.0))
    return np.clip(acc, 0.0, None)


def accuracy(actual, forecast) -> float:
    """Mean industry accuracy: ``(1/n) Σ max(0, 1 − |F_t − A_t| / |A_t|)`` (see
    :func:`point_accuracy` for ``A_t = 0``). Higher is better; 1 = perfect.

    >>> round(accuracy([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.6375
    """
    return float(np.mean(point_accuracy(actual, forecast)))


def accuracy_weighted(actual, forecast) -> float:
    """Volume-weighted accuracy: ``1 − Σ|F_t − A_t| / Σ|A_t|`` = 1 − WAPE (not floored, so
    it can be negative when the errors exceed the volume). NaN when ``Σ|A| = 0``.

    >>> round(accuracy_weighted([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.6765
    """
    return 1.0 - wape(actual, forecast)


def wape(actual, forecast) -> float:
    """Weighted absolute percentage error ``Σ|F_t − A_t| / Σ|A_t|`` (also MAD/mean ratio;
    Kolassa & Schütz 2007, *Foresight* 6). NaN when ``Σ|A| = 0``.

    >>> round(wape([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.3235
    """
    a, f = _arrays(actual, forecast)
    denom = np.abs(a).sum()
    return float(np.abs(f - a).sum() / denom) if denom > 0 else float("nan")


def mae(actual, forecast) -> float:
    """Mean absolute error ``(1/n) Σ|F_t − A_t|`` (Hyndman & Koehler 2006).

    >>> mae([100, 50, 0, 20], [90, 80, 0, 5])
    13.75
    """
    a, f = _arrays(actual, forecast)
    return float(np.mean(np.abs(f - a)))


def rmse(actual, forecast) -> float:
    """Root mean squared error ``√((1/n) Σ(F_t − A_t)²)`` (Hyndman & Koehler 2006).

    >>> rmse([100, 50, 0, 20], [90, 80, 0, 5])
    17.5
    """
    a, f = _arrays(actual, forecast)
    return float(np.sqrt(np.mean((f - a) ** 2)))


def mape(actual, forecast) -> float:
    """Mean absolute percentage error ``(1/n') Σ_{A_t ≠ 0} |F_t − A_t| / |A_t|`` over the
    ``n'`` points with a nonzero actual (undefined where ``A_t = 0``: those points are left
    out; NaN when all are zero). Hyndman & Koehler 2006, §3.2.

    >>> round(mape([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.4833
    """
    a, f = _arrays(actual, forecast)
    nz = a != 0
    if not nz.any():
        return float("nan")
    return float(np.mean(np.abs(f[nz] - a[nz]) / np.abs(a[nz])))


def smape(actual, forecast) -> float:
    """Symmetric MAPE ``(1/n) Σ 2|F_t − A_t| / (|A_t| + |F_t|)``, range [0, 2]; a point with
    ``A_t = F_t = 0`` counts 0. Definition of Hyndman & Koehler 2006 (eq. for sMAPE, after
    Makridakis 1993), as a fraction.

    >>> round(smape([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.4417
    """
    a, f = _arrays(actual, forecast)
    num = 2.0 * np.abs(f - a)
    den = np.abs(a) + np.abs(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(den > 0, num / den, 0.0)
    return float(np.mean(q))


def seasonal_naive_mae(history, season_length: int) -> float:
    """In-sample MAE of the seasonal naive method on ``history``:
    ``(1/(T − m)) Σ_{t=m+1..T} |A_t − A_{t−m}|`` — the MASE scale of Hyndman & Koehler 2006
    (their eq. for seasonal data; ``m = 1`` gives the naive scale). NaN when ``T ≤ m``.

    >>> seasonal_naive_mae([1, 2, 3, 4, 5, 7], 2)
    2.25
    """
    y = np.asarray(history, dtype=float)
    m = int(season_length)
    if len(y) <= m:
        return float("nan")
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def mase(actual, forecast, scale) -> float:
    """Mean absolute scaled error ``(1/n) Σ |F_t − A_t| / s_t`` where ``s_t`` is the in-sample
    seasonal naive MAE of the series up to the forecast's origin
    (:func:`seasonal_naive_mae`); Hyndman & Koehler (2006), "Another look at measures of
    forecast accuracy", *Int. J. Forecasting* 22(4), 679–688. ``scale`` is a number or one
    per point; points with a scale that is 0 or NaN (a constant or too short history) are
    left out. Below 1: better than the in-sample seasonal naive.

    >>> mase([100, 50, 0, 20], [90, 80, 0, 5], 10)
    1.375
    """
    a, f = _arrays(actual, forecast)
    s = np.broadcast_to(np.asarray(scale, dtype=float), a.shape)
    ok = np.isfinite(s) & (s > 0)
    if not ok.any():
        return float("nan")
    return float(np.mean(np.abs(f[ok] - a[ok]) / s[ok]))


def bias(actual, forecast) -> float:
    """Mean error ``(1/n) Σ (F_t − A_t)``; positive = forecasts too high (over-forecast).

    >>> bias([100, 50, 0, 20], [90, 80, 0, 5])
    1.25
    """
    a, f = _arrays(actual, forecast)
    return float(np.mean(f - a))


def bias_pct(actual, forecast) -> float:
    """Relative bias ``Σ(F_t − A_t) / ΣA_t`` (预测偏差率); positive = over-forecast. NaN when
    ``ΣA = 0``.

    >>> round(bias_pct([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.0294
    """
    a, f = _arrays(actual, forecast)
    denom = a.sum()
    return float((f - a).sum() / denom) if denom != 0 else float("nan")


def coverage(actual, lower, upper) -> float:
    """Share of actuals inside their prediction interval: ``(1/n) Σ 1{L_t ≤ A_t ≤ U_t}``.
    A calibrated 80 % interval covers about 0.8.

    >>> coverage([100, 50, 0, 20], [80, 60, 0, 10], [100, 100, 5, 30])
    0.75
    """
    a, lo, hi = _arrays(actual, lower, upper)
    return float(np.mean((a >= lo) & (a <= hi)))


def winkler(actual, lower, upper, level: float) -> float:
    """Mean Winkler (interval) score of central ``level`` % intervals, ``α = 1 − level/100``:
    ``(1/n) Σ [(U_t − L_t) + (2/α)(L_t − A_t)·1{A_t < L_t} + (2/α)(A_t − U_t)·1{A_t > U_t}]``.
    Lower is better: narrow intervals, with a penalty for each miss. Winkler (1972), "A
    decision-theoretic approach to interval estimation", *JASA* 67, 187–191; Gneiting &
    Raftery (2007), *JASA* 102, 359–378, eq. (43).

    >>> winkler([100, 50, 0, 20], [80, 60, 0, 10], [100, 100, 5, 30], 80)
    46.25
    """
    a, lo, hi = _arrays(actual, lower, upper)
    alpha = 1.0 - float(level) / 100.0
    if not 0 < alpha < 1:
        raise ValueError(f"level must lie strictly between 0 and 100, not {level!r}")
    score = (hi - lo) + (2.0 / alpha) * np.clip(lo - a, 0, None) \
        + (2.0 / alpha) * np.clip(a - hi, 0, None)
    return float(np.mean(score))

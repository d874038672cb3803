"""Forecast accuracy measures: one flat function per measure.

Notation: ``A_t`` actual, ``F_t`` forecast, ``e_t = F_t − A_t`` (positive = over-forecast),
``n`` points. Every function takes aligned array-likes and returns a float; fractions are
returned as fractions (0.12, not 12 %).

The examples are checked by doctest (``pytest --doctest-modules
lean_analysis/forecast/metrics.py``, and ``tests/test_forecast_metrics.py``); their numbers
are worked by hand in each docstring, on the common example ``A = [100, 50, 0, 20]``,
``F = [90, 80, 0, 5]``: ``e = [−10, 30, 0, −15]``, ``|e| = [10, 30, 0, 15]``, ``Σ|e| = 55``,
``Σe = 5``, ``ΣA = 170``.

References
----------
.. [HK06] Hyndman, R. J. & Koehler, A. B. (2006). Another look at measures of forecast
   accuracy. *International Journal of Forecasting* 22(4), 679–688.
.. [KS07] Kolassa, S. & Schütz, W. (2007). Advantages of the MAD/mean ratio over the MAPE.
   *Foresight* 6, 40–43.
.. [W72] Winkler, R. L. (1972). A decision-theoretic approach to interval estimation.
   *Journal of the American Statistical Association* 67(337), 187–191.
.. [GR07] Gneiting, T. & Raftery, A. E. (2007). Strictly proper scoring rules, prediction,
   and estimation. *Journal of the American Statistical Association* 102(477), 359–378.
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
    """Industry forecast accuracy (预测准确率) of each point: ``max(0, 1 − |F_t − A_t| / |A_t|)``.

    The monthly demand-forecast accuracy that tobacco commercial enterprises report: one
    minus the relative (absolute percentage) error, floored at 0. Where ``A_t = 0`` the
    relative error is undefined; the point scores 1 when ``F_t = 0`` (nothing forecast,
    nothing sold), else 0 (any forecast of a month without sales is a complete miss).

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).

    Returns
    -------
    numpy.ndarray
        One accuracy in [0, 1] per point.

    References
    ----------
    The percentage error ``|e_t| / |A_t|`` is that of Hyndman & Koehler (2006), §3.2
    [HK06]_; the floor at 0 and the rule for ``A_t = 0`` are the industry's.

    Examples
    --------
    By hand: 1 − 10/100 = 0.9; 1 − 30/50 = 0.4; A = F = 0 → 1; 1 − 15/20 = 0.25.

    >>> point_accuracy([100, 50, 0, 20], [90, 80, 0, 5]).tolist()
    [0.9, 0.4, 1.0, 0.25]
    """
    a, f = _arrays(actual, forecast)
    err = np.abs(f - a)
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = np.where(a != 0, 1.0 - err / np.abs(a), np.where(err == 0, 1.0, 0.0))
    return np.clip(acc, 0.0, None)


def accuracy(actual, forecast) -> float:
    """Mean industry accuracy ``(1/n) Σ max(0, 1 − |F_t − A_t| / |A_t|)``.

    The mean of :func:`point_accuracy` (which also gives the rule for ``A_t = 0``). Higher
    is better; 1 = perfect.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).

    Returns
    -------
    float
        Accuracy in [0, 1].

    References
    ----------
    Industry accuracy (预测准确率) as in :func:`point_accuracy`; cf. [HK06]_ §3.2.

    Examples
    --------
    By hand: (0.9 + 0.4 + 1 + 0.25) / 4 = 2.55 / 4 = 0.6375.

    >>> round(accuracy([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.6375
    """
    return float(np.mean(point_accuracy(actual, forecast)))


def accuracy_weighted(actual, forecast) -> float:
    """Volume-weighted accuracy ``1 − Σ|F_t − A_t| / Σ|A_t|`` = 1 − :func:`wape`.

    Not floored, so it can be negative when the errors exceed the volume. Big points weigh
    more than small ones, unlike :func:`accuracy`.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).

    Returns
    -------
    float
        NaN when ``Σ|A| = 0``.

    References
    ----------
    One minus the MAD/mean ratio of Kolassa & Schütz (2007) [KS07]_.

    Examples
    --------
    By hand: 1 − 55/170 = 115/170 = 0.67647…

    >>> round(accuracy_weighted([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.6765
    """
    return 1.0 - wape(actual, forecast)


def wape(actual, forecast) -> float:
    """Weighted absolute percentage error ``Σ|F_t − A_t| / Σ|A_t|``.

    Also called the MAD/mean ratio: the mean absolute error over the mean actual.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).

    Returns
    -------
    float
        NaN when ``Σ|A| = 0``.

    References
    ----------
    Kolassa & Schütz (2007) [KS07]_.

    Examples
    --------
    By hand: 55 / 170 = 0.32353…

    >>> round(wape([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.3235
    """
    a, f = _arrays(actual, forecast)
    denom = np.abs(a).sum()
    return float(np.abs(f - a).sum() / denom) if denom > 0 else float("nan")


def mae(actual, forecast) -> float:
    """Mean absolute error ``(1/n) Σ|F_t − A_t|``, in the unit of the data.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).

    Returns
    -------
    float

    References
    ----------
    Hyndman & Koehler (2006), §3.1 [HK06]_.

    Examples
    --------
    By hand: (10 + 30 + 0 + 15) / 4 = 55 / 4 = 13.75.

    >>> mae([100, 50, 0, 20], [90, 80, 0, 5])
    13.75
    """
    a, f = _arrays(actual, forecast)
    return float(np.mean(np.abs(f - a)))


def rmse(actual, forecast) -> float:
    """Root mean squared error ``√((1/n) Σ(F_t − A_t)²)``, in the unit of the data.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).

    Returns
    -------
    float

    References
    ----------
    Hyndman & Koehler (2006), §3.1 [HK06]_.

    Examples
    --------
    By hand: √((100 + 900 + 0 + 225) / 4) = √306.25 = 17.5.

    >>> rmse([100, 50, 0, 20], [90, 80, 0, 5])
    17.5
    """
    a, f = _arrays(actual, forecast)
    return float(np.sqrt(np.mean((f - a) ** 2)))


def mape(actual, forecast) -> float:
    """Mean absolute percentage error ``(1/n') Σ_{A_t ≠ 0} |F_t − A_t| / |A_t|``.

    Over the ``n'`` points with a nonzero actual: the percentage error is undefined where
    ``A_t = 0``, so those points are left out.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).

    Returns
    -------
    float
        A fraction; NaN when every actual is 0.

    References
    ----------
    Hyndman & Koehler (2006), §3.2 [HK06]_.

    Examples
    --------
    By hand, the zero actual left out: (10/100 + 30/50 + 15/20) / 3 = (0.1 + 0.6 + 0.75) / 3
    = 0.48333…

    >>> round(mape([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.4833
    """
    a, f = _arrays(actual, forecast)
    nz = a != 0
    if not nz.any():
        return float("nan")
    return float(np.mean(np.abs(f[nz] - a[nz]) / np.abs(a[nz])))


def smape(actual, forecast) -> float:
    """Symmetric MAPE ``(1/n) Σ 2|F_t − A_t| / (|A_t| + |F_t|)``, range [0, 2].

    A point with ``A_t = F_t = 0`` counts 0.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).

    Returns
    -------
    float
        A fraction (0.44, not 44 %).

    References
    ----------
    The definition of Hyndman & Koehler (2006), §3.3 [HK06]_, after Makridakis (1993),
    "Accuracy measures: theoretical and practical concerns", *International Journal of
    Forecasting* 9(4), 527–529.

    Examples
    --------
    By hand: 20/190 = 0.10526, 60/130 = 0.46154, 0, 30/25 = 1.2; mean 1.76680 / 4 = 0.44170.

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
    """In-sample MAE of the seasonal naive method, ``(1/(T − m)) Σ_{t=m+1..T} |A_t − A_{t−m}|``.

    The scale of :func:`mase` for seasonal data (``m = 1``: the naive scale).

    Parameters
    ----------
    history : array-like
        The series up to the forecast origin, ``A_1 … A_T``.
    season_length : int
        ``m``.

    Returns
    -------
    float
        NaN when ``T ≤ m``.

    References
    ----------
    Hyndman & Koehler (2006), §3.4 [HK06]_.

    Examples
    --------
    By hand, m = 2: |3 − 1|, |4 − 2|, |5 − 3|, |7 − 4| = 2, 2, 2, 3; mean 9 / 4 = 2.25.

    >>> seasonal_naive_mae([1, 2, 3, 4, 5, 7], 2)
    2.25
    """
    y = np.asarray(history, dtype=float)
    m = int(season_length)
    if len(y) <= m:
        return float("nan")
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def mase(actual, forecast, scale) -> float:
    """Mean absolute scaled error ``(1/n) Σ |F_t − A_t| / s_t``.

    ``s_t`` is the in-sample seasonal naive MAE of the series up to the forecast's origin
    (:func:`seasonal_naive_mae`). Below 1: better than the in-sample seasonal naive. Points
    whose scale is 0 or NaN (a constant or too short history) are left out.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).
    scale : float or array-like
        ``s_t``: one number, or one per point.

    Returns
    -------
    float
        NaN when no point has a usable scale.

    References
    ----------
    Hyndman & Koehler (2006), "Another look at measures of forecast accuracy", §3.4
    [HK06]_.

    Examples
    --------
    By hand, scale 10: (10 + 30 + 0 + 15) / 10 / 4 = 5.5 / 4 = 1.375.

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

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).

    Returns
    -------
    float
        In the unit of the data.

    References
    ----------
    The mean error (ME) of Hyndman & Athanasopoulos, *Forecasting: Principles and
    Practice* (3rd ed.), §5.8, with the sign ``F − A``.

    Examples
    --------
    By hand: (−10 + 30 + 0 − 15) / 4 = 5 / 4 = 1.25.

    >>> bias([100, 50, 0, 20], [90, 80, 0, 5])
    1.25
    """
    a, f = _arrays(actual, forecast)
    return float(np.mean(f - a))


def bias_pct(actual, forecast) -> float:
    """Relative bias ``Σ(F_t − A_t) / ΣA_t`` (预测偏差率); positive = over-forecast.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    forecast : array-like
        Forecasts ``F_t``, aligned with ``actual`` (same shape, else ``ValueError``).

    Returns
    -------
    float
        A fraction; NaN when ``ΣA = 0``.

    References
    ----------
    The bias of the total, as the industry reports it; :func:`bias` scaled by the mean
    actual (cf. [KS07]_ for the same scaling of the MAE).

    Examples
    --------
    By hand: 5 / 170 = 0.02941…

    >>> round(bias_pct([100, 50, 0, 20], [90, 80, 0, 5]), 4)
    0.0294
    """
    a, f = _arrays(actual, forecast)
    denom = a.sum()
    return float((f - a).sum() / denom) if denom != 0 else float("nan")


def coverage(actual, lower, upper) -> float:
    """Share of actuals inside their prediction interval: ``(1/n) Σ 1{L_t ≤ A_t ≤ U_t}``.

    A calibrated 80 % interval covers about 0.8 of the actuals.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    lower, upper : array-like
        The interval bounds ``L_t ≤ U_t``, aligned with ``actual``.

    Returns
    -------
    float
        In [0, 1].

    References
    ----------
    Empirical coverage, the calibration check of Gneiting, Balabdaoui & Raftery (2007),
    "Probabilistic forecasts, calibration and sharpness", *JRSS B* 69(2), 243–268.

    Examples
    --------
    By hand: 100 ∈ [80, 100] yes; 50 ∈ [60, 100] no; 0 ∈ [0, 5] yes; 20 ∈ [10, 30] yes: 3/4.

    >>> coverage([100, 50, 0, 20], [80, 60, 0, 10], [100, 100, 5, 30])
    0.75
    """
    a, lo, hi = _arrays(actual, lower, upper)
    return float(np.mean((a >= lo) & (a <= hi)))


def winkler(actual, lower, upper, level: float) -> float:
    """Mean Winkler (interval) score of central ``level`` % intervals.

    With ``α = 1 − level/100``:
    ``(1/n) Σ [(U_t − L_t) + (2/α)(L_t − A_t)·1{A_t < L_t} + (2/α)(A_t − U_t)·1{A_t > U_t}]``.
    Lower is better: narrow intervals, with a penalty for each miss.

    Parameters
    ----------
    actual : array-like
        Actuals ``A_t``.
    lower, upper : array-like
        The interval bounds ``L_t ≤ U_t``, aligned with ``actual``.
    level : float
        The nominal coverage in percent, strictly between 0 and 100 (else ``ValueError``).

    Returns
    -------
    float
        In the unit of the data.

    References
    ----------
    Winkler (1972) [W72]_; Gneiting & Raftery (2007), eq. (43) [GR07]_.

    Examples
    --------
    By hand, level 80: α = 0.2, 2/α = 10; widths 20, 40, 5, 20; one miss, 50 below 60, costs
    10 × 10 = 100; (20 + 140 + 5 + 20) / 4 = 185 / 4 = 46.25.

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

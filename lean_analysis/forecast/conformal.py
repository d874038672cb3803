"""Conformal prediction intervals from backtest residuals (split conformal, pooled).

The models' own (parametric) intervals assume their error model holds; on the county
sample the 80 % intervals covered 72–77 % of the actuals. ``intervals="conformal"``
(:func:`lean_analysis.forecast.backtest`, :func:`lean_analysis.forecast.predict`)
recalibrates them on out-of-sample errors:

* the *nonconformity score* of a backtest point is the factor by which the model's own
  interval must be stretched about the point forecast to reach the actual:
  ``s = max((F − A) / (F − lo), (A − F) / (hi − F))`` (``s ≤ 1`` when the actual lies in
  the interval; a degenerate side of width 0 scores 0 if it is not crossed, ∞ if it is).
  Dividing by the model's own width makes the scores of series of different size and
  volatility comparable, so they are pooled over all series of a model (normalised split
  conformal; Papadopoulos et al. 2002, Lei et al. 2018 §5.2);
* the conformal factor ``q`` at level ``L`` is the ``⌈(n + 1)·L⌉``-th smallest of the
  ``n`` scores (∞ when that exceeds ``n``: too few scores) — per model, step and level;
* the conformal interval is ``[F − q·(F − lo), F + q·(hi − F)]``.

In a backtest the interval of the window with cutoff ``c`` uses only the scores of
earlier windows whose *target* date is at most ``c`` (known at the cutoff: no future
data), so the first window has no conformal interval (NaN bounds; coverage is scored on
the other windows). A forecast after the data uses the scores of every backtest window.
Coverage ``≥ L`` is guaranteed when the scores are exchangeable (Vovk, Gammerman & Shafer
2005); series' errors are not exactly exchangeable over time, so the coverage is checked
on the backtest (``coverage_<l>`` of :func:`lean_analysis.forecast.evaluate`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INTERVALS = ("model", "conformal")


def check(intervals: str) -> str:
    if intervals not in INTERVALS:
        raise ValueError(f"intervals must be 'model' or 'conformal', not {intervals!r}")
    return intervals


def scores(y, f, lo, hi) -> np.ndarray:
    """The nonconformity scores (see the module doc); NaN where a bound or ``y`` is NaN.

    >>> scores([90.0, 110.0, 100.0, 130.0], [100.0] * 4, [80.0] * 4, [120.0] * 4).tolist()
    [0.5, 0.5, 0.0, 1.5]
    """
    y, f, lo, hi = (np.asarray(v, dtype=float) for v in (y, f, lo, hi))
    # a run-away forecast near the float maximum overflows to ±inf here: no numpy warning
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        d_lo, d_hi = f - y, y - f
        w_lo, w_hi = f - lo, hi - f
        s_lo = np.where(d_lo <= 0, 0.0, np.where(w_lo > 0, d_lo / w_lo, np.inf))
        s_hi = np.where(d_hi <= 0, 0.0, np.where(w_hi > 0, d_hi / w_hi, np.inf))
    s = np.maximum(s_lo, s_hi)
    s[~(np.isfinite(y) & np.isfinite(f) & np.isfinite(lo) & np.isfinite(hi))] = np.nan
    return s


def factor(s: np.ndarray, level: float) -> float:
    """The conformal factor of scores ``s`` at ``level`` %: the ⌈(n + 1)·L⌉-th smallest
    score (∞ when it exceeds ``n``, NaN without scores).

    >>> factor(np.arange(1.0, 10.0), 80)  # ⌈10 · 0.8⌉ = 8th of 1 … 9
    8.0
    """
    s = np.sort(s[~np.isnan(s)])
    n = len(s)
    if n == 0:
        return np.nan
    k = int(np.ceil((n + 1) * level / 100.0 - 1e-12))
    return float(s[k - 1]) if k <= n else np.inf


def _apply(f, lo, hi, q):
    with np.errstate(over="ignore", invalid="ignore"):
        return f - q * (f - lo), f + q * (hi - f)


def calibrate_backtest(bt: pd.DataFrame, level) -> pd.DataFrame:
    """Replace a backtest's interval bounds by conformal ones (module doc), in place:
    window ``c``'s factor from the scores of the same model and step whose target date is
    at most ``c``. Models without bounds keep NaN. Returned."""
    if not len(bt) or not level:
        return bt
    cut = bt["cutoff"].to_numpy()
    ds = bt["ds"].to_numpy()
    for lv in level:
        lo_c, hi_c = f"lo_{lv:g}", f"hi_{lv:g}"
        s_all = scores(bt["y"], bt["forecast"], bt[lo_c], bt[hi_c])
        new_lo = np.full(len(bt), np.nan)
        new_hi = np.full(len(bt), np.nan)
        f_all = bt["forecast"].to_numpy(float)
        lo_all, hi_all = bt[lo_c].to_numpy(float), bt[hi_c].to_numpy(float)
        for _, idx in bt.groupby(["model", "step"], sort=True).indices.items():
            s, c_g, d_g = s_all[idx], cut[idx], ds[idx]
            for c in np.unique(c_g):
                rows = idx[c_g == c]
                q = factor(s[d_g <= c], lv)
                if np.isfinite(q):
                    new_lo[rows], new_hi[rows] = _apply(f_all[rows], lo_all[rows], hi_all[rows], q)
        bt[lo_c], bt[hi_c] = new_lo, new_hi
    return bt


def factors(bt: pd.DataFrame, level) -> pd.DataFrame:
    """The conformal factors of every backtest window together: ``model, step, level, q,
    n`` (the scores behind ``q``). ``bt`` must hold the models' own bounds (a backtest with
    ``intervals="model"``, or the ``attrs["model_bounds"]`` of a conformal one)."""
    rows = []
    for (model, step), g in bt.groupby(["model", "step"], sort=True):
        for lv in level:
            s = scores(g["y"], g["forecast"], g[f"lo_{lv:g}"], g[f"hi_{lv:g}"])
            rows.append({"model": model, "step": int(step), "level": lv,
                         "q": factor(s, lv), "n": int(np.isfinite(s).sum() + np.isinf(s).sum())})
    return pd.DataFrame(rows, columns=["model", "step", "level", "q", "n"])


def calibrate_forecast(pred: pd.DataFrame, fac: pd.DataFrame, level) -> pd.DataFrame:
    """Conformal bounds for a forecast after the data (``pred`` with the models' own
    bounds), in place, with the factors of :func:`factors`; a model × step without a
    finite factor gets NaN bounds. Returned."""
    if not len(pred) or not level:
        return pred
    key = pred[["model", "step"]]
    for lv in level:
        q = key.merge(fac[fac["level"] == lv][["model", "step", "q"]], on=["model", "step"],
                      how="left")["q"].to_numpy(float)
        q = np.where(np.isfinite(q), q, np.nan)
        lo, hi = _apply(pred["forecast"].to_numpy(float), pred[f"lo_{lv:g}"].to_numpy(float),
                        pred[f"hi_{lv:g}"].to_numpy(float), q)
        pred[f"lo_{lv:g}"], pred[f"hi_{lv:g}"] = lo, hi
    return pred

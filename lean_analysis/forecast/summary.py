"""The numbers the demand-forecast report opens with: :func:`next_month_change`,
:func:`manager_next` and :func:`summary_numbers` (the words are
:func:`lean_analysis.report.plots_forecast.summary_findings`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..calendar import ordering_weeks
from . import conformal as _conformal
from .models import BASELINE, MANAGER


def _f(v: Any) -> float | None:
    """A float, or None for a missing value."""
    if v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def next_month_change(series: pd.DataFrame, pred: pd.DataFrame,
                      bt_total: pd.DataFrame | None = None, model: str | None = None,
                      level: float = 80) -> dict[str, Any]:
    """Next month's forecast total against the last month's actual total, raw and per
    ordering week.

    A month holds 4 or 5 ordering weeks (its Mondays: :func:`lean_analysis.calendar.ordering_weeks`);
    a 5-week month after a 4-week one is about 25 % higher at the same weekly rate, so the
    change per ordering week, ``(total ÷ weeks_next) ÷ (last_total ÷ weeks_last) − 1``, says
    whether the weekly rate itself moves.

    Parameters
    ----------
    series
        The series the forecasts continue (``unique_id, ds, y``): ``last_total`` is Σ y in
        their last month.
    pred
        :func:`lean_analysis.forecast.predict` of one model, step 1 = the next month.
    bt_total
        Optional: the backtest summed to the county total (:func:`aggregate` with
        ``"total"``) for the interval of the total: the model's step-1 relative errors
        ``|A ÷ F − 1|`` over the backtest months give the split-conformal factor ``q`` at
        ``level`` (:func:`lean_analysis.forecast.conformal.factor`: the ⌈(n + 1)·L⌉-th
        smallest) and the interval ``total × (1 ± q)``; None when there are too few months
        (80 % needs at least 4, 95 % at least 19). The bounds of a sum are not the sums of
        the series' bounds, hence the total's own errors.
    model
        The model of ``pred`` in ``bt_total`` (default: ``pred``'s only model).

    Returns
    -------
    dict
        ``month``, ``last_month`` (``YYYY-MM``), ``total``, ``last_total``, ``weeks``,
        ``weeks_last``, ``change`` (total ÷ last_total − 1), ``change_per_week``, ``level``,
        ``lo``, ``hi``, ``n_months`` (backtest months behind the interval).

    Examples
    --------
    November 2026 has 5 Mondays, October 4: 125 cases after 100 is +25 % raw and 0 % per
    ordering week (125 ÷ 5 = 100 ÷ 4 = 25).

    >>> s = pd.DataFrame({"unique_id": ["a", "b"], "ds": pd.Timestamp("2026-10-01"),
    ...                   "y": [60.0, 40.0]})
    >>> p = pd.DataFrame({"unique_id": ["a", "b"], "ds": pd.Timestamp("2026-11-01"), "step": 1,
    ...                   "model": "ets", "forecast": [75.0, 50.0]})
    >>> c = next_month_change(s, p)
    >>> c["month"], c["weeks"], c["weeks_last"], c["change"], c["change_per_week"]
    ('2026-11', 5, 4, 0.25, 0.0)
    """
    last_ds = pd.Timestamp(series["ds"].max())
    p = pred[pred["step"] == 1] if "step" in pred.columns else pred
    month = pd.Timestamp(p["ds"].min()) if len(p) else last_ds + pd.offsets.MonthBegin(1)
    total = float(p["forecast"].sum())
    last_total = float(series.loc[series["ds"] == last_ds, "y"].sum())
    weeks, weeks_last = ordering_weeks(f"{month:%Y-%m}"), ordering_weeks(f"{last_ds:%Y-%m}")
    change = total / last_total - 1 if last_total > 0 else None
    per_week = ((total / weeks) / (last_total / weeks_last) - 1) if last_total > 0 else None
    out = {"month": f"{month:%Y-%m}", "last_month": f"{last_ds:%Y-%m}", "total": total,
           "last_total": last_total, "weeks": weeks, "weeks_last": weeks_last,
           "change": change, "change_per_week": per_week, "level": level, "lo": None,
           "hi": None, "n_months": 0}
    if bt_total is not None and len(bt_total):
        models = list(pd.unique(p["model"])) if "model" in p.columns else []
        m = model or (models[0] if len(models) == 1 else None)
        b = bt_total[(bt_total["model"] == m) & (bt_total["step"] == 1)]
        b = b[b["forecast"] > 0]
        if len(b):
            s = np.abs(b["y"].to_numpy(float) / b["forecast"].to_numpy(float) - 1)
            q = _conformal.factor(s, level)
            out["n_months"] = int(len(s))
            if np.isfinite(q):
                out["lo"], out["hi"] = max(total * (1 - q), 0.0), total * (1 + q)
    return out


def manager_next(manager: pd.DataFrame | None, pred: pd.DataFrame) -> pd.DataFrame | None:
    """The managers' forecasts (``unique_id, ds, forecast``) for the months and series of
    ``pred``; None when the data hold none for those months (the managers submit next
    month's forecasts during it, so the table usually stops at the report's month)."""
    if manager is None or not len(manager) or not len(pred):
        return None
    m = manager.assign(ds=pd.to_datetime(manager["ds"]).astype("datetime64[ns]"))
    keys = pred[["unique_id", "ds"]].drop_duplicates().assign(
        ds=lambda d: pd.to_datetime(d["ds"]).astype("datetime64[ns]"))
    j = keys.merge(m[["unique_id", "ds", "forecast"]], on=["unique_id", "ds"], how="inner")
    return j if len(j) else None


def summary_numbers(scores: pd.DataFrame, rec: Mapping[str, Any], va: pd.DataFrame | None,
                    by_month: pd.DataFrame | None, change: Mapping[str, Any] | None,
                    level: float = 80, tolerance: float = 0.05) -> dict[str, Any]:
    """The figures behind the report's findings (:func:`summary_findings` of
    :mod:`lean_analysis.report.plots_forecast` words them).

    Parameters
    ----------
    scores
        :func:`evaluate` by ``model`` on the common points (its ``attrs["common"]``).
    rec
        The recommendation row (:func:`recommend`).
    va
        :func:`value_added` of the managers, or None.
    by_month
        :func:`evaluate` by ``model, ds`` on the same points: the month-to-month range of
        the weighted accuracy (the uncertainty of the headline) and of the managers' gap.
    change
        :func:`next_month_change`.
    level, tolerance
        The interval level checked and the gap to its nominal level that warns (5 points).

    Returns
    -------
    dict with ``model``, ``n``, ``common`` (the attrs), ``accuracy_weighted``,
    ``snaive_accuracy_weighted``, ``mase``, ``snaive_mase``, ``improvement``,
    ``acc_month_min``, ``acc_month_max``, ``n_months``; ``coverage`` (level, value, n,
    ``ci_low``/``ci_high``: a 95 % Wilson interval, ``off``: |coverage − nominal| >
    tolerance); ``manager`` (None without value added: ``accuracy_weighted``, ``bias_pct``,
    ``best``, ``value_added``, ``months_better``, ``n_months``); ``change``.
    """
    s = scores.set_index("model")
    best = rec["model"]
    row = s.loc[best]
    out: dict[str, Any] = {
        "model": best, "n": int(row["n"]), "common": scores.attrs.get("common"),
        "accuracy_weighted": _f(row["accuracy_weighted"]), "mase": _f(row["mase"]),
        "snaive_accuracy_weighted": _f(s.loc[BASELINE, "accuracy_weighted"]) if BASELINE in s.index else None,
        "snaive_mase": _f(s.loc[BASELINE, "mase"]) if BASELINE in s.index else None,
        "improvement": _f(rec.get("improvement")),
        "acc_month_min": None, "acc_month_max": None, "n_months": 0,
    }
    if by_month is not None and len(by_month):
        bm = by_month[by_month["model"] == best]["accuracy_weighted"].dropna()
        if len(bm):
            out.update(acc_month_min=float(bm.min()), acc_month_max=float(bm.max()),
                       n_months=int(len(bm)))
    col = f"coverage_{level:g}"
    cov = _f(row[col]) if col in s.columns else None
    if cov is not None:
        ncol = f"n_interval_{level:g}"
        n_cov = int(row[ncol]) if ncol in s.columns else int(row["n"])
        lo, hi = _wilson(cov, n_cov)
        out["coverage"] = {"level": level, "value": cov, "n": n_cov, "ci_low": lo, "ci_high": hi,
                           "off": abs(cov - level / 100) > tolerance + 1e-12,
                           "gap": cov - level / 100}
    else:
        out["coverage"] = None
    out["manager"] = None
    if va is not None and len(va) and MANAGER in s.index:
        v = va[(va["benchmark_role"] == "best") & (va["metric"] == "accuracy_weighted")]
        if len(v):
            mgr = {"accuracy_weighted": _f(s.loc[MANAGER, "accuracy_weighted"]),
                   "bias_pct": _f(s.loc[MANAGER, "bias_pct"]), "n": int(s.loc[MANAGER, "n"]),
                   "best": v["benchmark"].iloc[0], "value_added": float(v["value_added"].iloc[0]),
                   "months_better": None, "n_months": 0}
            if by_month is not None and len(by_month):
                w = by_month.pivot_table(index="ds", columns="model", values="accuracy_weighted")
                if MANAGER in w.columns and mgr["best"] in w.columns:
                    d = (w[MANAGER] - w[mgr["best"]]).dropna()
                    mgr.update(months_better=int((d > 0).sum()), n_months=int(len(d)))
            out["manager"] = mgr
    out["change"] = dict(change) if change is not None else None
    return out


def _wilson(p: float, n: int, z: float = 1.959964) -> tuple[float | None, float | None]:
    """The Wilson score interval of a proportion ``p`` of ``n`` (95 % by default).

    >>> [round(x, 4) for x in _wilson(0.8, 100)]
    [0.7112, 0.8666]
    """
    if n <= 0:
        return None, None
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h

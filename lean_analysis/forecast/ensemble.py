"""Forecast combinations: the ensemble's median of its members, and the rules it was chosen
among (mean, inverse-error weights learnt on earlier windows only).

The default ensemble is the median of ``ets``, ``theta``, ``arima``, ``ces`` and ``ces_log``
(:func:`combine` with ``rule="median"``; ``ENSEMBLE_MEMBERS`` and ``ENSEMBLE_RULE`` of
:mod:`lean_analysis.forecast.models`). ``benchmarks/bench_m1.py`` chose it among the means
and medians of every subset of eleven models and two inverse-error weightings, on an earlier
validation window of the M1 monthly data, keeping the medians in which the two CES models
are a minority (they run away on a few county series), and checked it on M1's test window
and on the county backtest (``benchmarks/RESULTS.md``, section M1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["unique_id", "cutoff", "ds"]
RULES = ("mean", "median")


def combine(members: list[pd.DataFrame], name: str, rule: str = "mean") -> pd.DataFrame:
    """Equal-weight combination of the members' backtest rows (long frames of one model each).

    Point forecast: the mean (``rule="median"``: the median) of the members' point
    forecasts. Interval bounds: the mean (median) of the members' bounds at each level
    (quantile averaging, "Vincentization"; Lichtendahl, Grushka-Cockayne & Winkler 2013,
    *Management Science* 59(8), 1594–1611). Averaging quantiles gives an interval at least
    as narrow as averaging the members' distributions, and keeps lo ≤ forecast ≤ hi when
    every member's does. Only points that every member forecast are combined.

    Example: members forecasting 90, 100 and 110 with 80 % bounds (80, 100), (85, 115),
    (95, 125) give 100 with bounds (86.67, 113.33); their median gives 100 with (85, 115).
    """
    if rule not in RULES:
        raise ValueError(f"combination rule {rule!r}: known {', '.join(RULES)}")
    bounds = [c for c in members[0].columns if c.startswith(("lo_", "hi_"))]
    value_cols = ["forecast", *bounds]
    stacked = pd.concat([m[KEYS + ["y"] + value_cols] for m in members], ignore_index=True)
    g = stacked.groupby(KEYS, sort=True)
    out = g[value_cols].mean() if rule == "mean" else g[value_cols].median()
    out["y"] = g["y"].first()
    out = out[g["forecast"].count() == len(members)].reset_index()
    out.insert(0, "model", name)
    return out[["model", *KEYS, "y", *value_cols]]


def inverse_error_weights(errors: pd.DataFrame, by=(), window: str = "cutoff",
                          power: float = 1.0) -> pd.DataFrame:
    """Weights of each model at each window from the errors of the EARLIER windows only.

    ``errors``: one row per ``*by, window, model`` (more rows are averaged) with column
    ``error`` (e.g. a window's MAE, or absolute errors scaled by the series' in-sample
    seasonal-naive MAE when ``by`` is empty and series are pooled). For window ``k`` the
    weight of model ``j`` is ``e_j^-p / Σ_i e_i^-p`` with ``e_j`` the mean of ``j``'s errors
    over the windows before ``k`` (``p = power``). The first window, which has no earlier
    errors, gets equal weights; so does a group whose earlier mean errors are not all
    finite. When some models have zero mean error, they share the weight equally.
    The error of window ``k`` itself never enters window ``k``'s weights (no leakage).

    Returns ``*by, window, model, weight`` (weights of a group and window sum to 1).

    Example: models a, b with errors 1 and 3 in window 1 get weights 0.5, 0.5 in window 1
    (nothing earlier) and 0.75, 0.25 in window 2.

    >>> e = pd.DataFrame({"cutoff": [1, 1, 2, 2], "model": ["a", "b", "a", "b"],
    ...                   "error": [1.0, 3.0, 9.0, 9.0]})
    >>> inverse_error_weights(e)["weight"].tolist()
    [0.5, 0.5, 0.75, 0.25]
    """
    by = list(by)
    if not 0 < power:
        raise ValueError(f"power must be positive, not {power!r}")
    for c in [*by, window, "model", "error"]:
        if c not in errors.columns:
            raise ValueError(f"errors: column {c!r} is missing (needs {[*by, window, 'model', 'error']})")
    e = errors.groupby([*by, window, "model"], sort=True)["error"].mean().unstack("model")
    rows = []
    for key, part in (e.groupby(level=by if len(by) > 1 else by[0], sort=True) if by
                      else [((), e)]):
        part = part.droplevel(by) if by else part
        # cumulative mean of the strictly earlier windows
        earlier = part.expanding().mean().shift(1)
        for w, prev in earlier.iterrows():
            v = prev.to_numpy(dtype=float)
            if not np.all(np.isfinite(v)) or np.any(v < 0):
                wt = np.full(len(v), 1 / len(v))
            elif np.any(v == 0):
                wt = (v == 0) / np.sum(v == 0)
            else:
                inv = v ** -power
                wt = inv / inv.sum()
            keyt = key if isinstance(key, tuple) else (key,)
            for m, x in zip(part.columns, wt, strict=True):
                rows.append((*keyt, w, m, float(x)))
    return pd.DataFrame(rows, columns=[*by, window, "model", "weight"])


def combine_weighted(members: dict[str, pd.DataFrame], weights: pd.DataFrame, name: str,
                     by=()) -> pd.DataFrame:
    """Weighted combination of the members' backtest rows (``members``: model -> its long
    rows) with ``weights`` from :func:`inverse_error_weights` (``*by, cutoff, model,
    weight``): forecast and bounds are the weighted means of the members' (weighted
    quantile averaging). Only points that every member forecast are combined.
    """
    by = list(by)
    bounds = [c for c in next(iter(members.values())).columns if c.startswith(("lo_", "hi_"))]
    value_cols = ["forecast", *bounds]
    stacked = pd.concat([m[KEYS + ["y"] + value_cols].assign(model=k)
                         for k, m in members.items()], ignore_index=True)
    stacked = stacked.merge(weights[[*by, "cutoff", "model", "weight"]],
                            on=[*dict.fromkeys([*by, "cutoff"]), "model"], how="left")
    if stacked["weight"].isna().any():
        miss = stacked.loc[stacked["weight"].isna(), ["model", "cutoff"]].iloc[0]
        raise ValueError(f"weights: no weight for model {miss['model']!r} at cutoff "
                         f"{miss['cutoff']!r}")
    weighted = stacked[value_cols].mul(stacked["weight"], axis=0)
    weighted[KEYS] = stacked[KEYS]
    g = weighted.groupby(KEYS, sort=True)
    out = g[value_cols].sum()
    wsum = stacked.groupby(KEYS, sort=True)["weight"].sum()
    out = out.div(wsum, axis=0)
    out["y"] = stacked.groupby(KEYS, sort=True)["y"].first()
    out = out[stacked.groupby(KEYS, sort=True)["forecast"].count() == len(members)].reset_index()
    out.insert(0, "model", name)
    return out[["model", *KEYS, "y", *value_cols]]

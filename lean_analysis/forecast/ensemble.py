"""The ensemble: the mean of its members' forecasts."""

from __future__ import annotations

import pandas as pd

KEYS = ["unique_id", "cutoff", "ds"]


def combine(members: list[pd.DataFrame], name: str) -> pd.DataFrame:
    """Equal-weight combination of the members' backtest rows (long frames of one model each).

    Point forecast: the mean of the members' point forecasts. Interval bounds: the mean of
    the members' bounds at each level (quantile averaging, "Vincentization"; Lichtendahl,
    Grushka-Cockayne & Winkler 2013, *Management Science* 59(8), 1594–1611). Averaging
    quantiles gives an interval at least as narrow as averaging the members' distributions,
    and keeps lo ≤ forecast ≤ hi when every member's does. Only points that every member
    forecast are combined.

    Example: members forecasting 90, 100 and 110 with 80 % bounds (80, 100), (85, 115),
    (95, 125) give 100 with bounds (86.67, 113.33).
    """
    bounds = [c for c in members[0].columns if c.startswith(("lo_", "hi_"))]
    value_cols = ["forecast", *bounds]
    stacked = pd.concat([m[KEYS + ["y"] + value_cols] for m in members], ignore_index=True)
    g = stacked.groupby(KEYS, sort=True)
    out = g[value_cols].mean()
    out["y"] = g["y"].first()
    out = out[g["forecast"].count() == len(members)].reset_index()
    out.insert(0, "model", name)
    return out[["model", *KEYS, "y", *value_cols]]

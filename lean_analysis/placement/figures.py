"""The placement report's inputs check, next month's supply and published figures.

:func:`readiness` says whether the report can measure anything (a ``supply`` table and a
rationed specification in the month), :func:`next_supply` gives the weekly supply next
month's caps are set for, :func:`figures` the figures of ``04_market_placement.metrics.json``
(each built by :func:`lean_analysis.targets.figure` and declared in
:data:`lean_analysis.targets.FIGURES`; all ``None`` — not measured — when the data cannot
answer).

>>> sorted(figures(None, None, None))[:3]
['next_month_supply_cases', 'placement_gini', 'served_share_actual']
>>> figures(None, None, None)["placement_gini"]["value"] is None
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lean_analysis import config, targets
from lean_analysis.data import Tables
from lean_analysis.placement import _lines as L
from lean_analysis.placement.backtest import Backtest
from lean_analysis.placement.evaluate import Evaluation
from lean_analysis.placement.recommend import supply_of

__all__ = ["REPORT", "READY", "NO_SUPPLY", "NO_RATIONED", "readiness", "next_supply",
           "mondays", "figures", "summary"]

REPORT = targets.PLACEMENT  # "04_market_placement"
READY, NO_SUPPLY, NO_RATIONED = "ok", "no_supply", "no_rationed"


def readiness(tables: Tables, period) -> str:
    """``"ok"``; ``"no_supply"`` when table ``supply`` is not loaded; ``"no_rationed"`` when
    no order line of ``period`` carries a cap (nothing is rationed: nothing to place)."""
    if "supply" not in tables:
        return NO_SUPPLY
    return READY if len(L.lines(tables, period, period)) > 0 else NO_RATIONED


def mondays(period) -> int:
    """Order weeks (Mondays) of a month."""
    p = L.month(period)
    days = pd.date_range(p.start_time, p.end_time.normalize(), freq="D")
    return int((days.weekday == 0).sum())


def next_supply(tables: Tables, period, fallback=None) -> tuple[pd.Series, str]:
    """Mean weekly supply per rationed specification for ``period`` (cartons per week) and
    where it comes from: ``"table"`` when table ``supply`` covers the month, else
    ``"fallback"``: the mean weekly supply of ``fallback`` (the month just measured; the
    report says so). Raises ``ValueError`` naming table ``supply`` when neither month has
    rows."""
    try:
        return supply_of(tables, period), "table"
    except ValueError:
        if fallback is None:
            raise
    return supply_of(tables, fallback), "fallback"


def summary(bt: Backtest | None, policy: str = "demand") -> dict:
    """Served shares of the backtest over all specifications: ``actual``, ``policy`` and
    their difference (NaN when the backtest is missing or lacks them)."""
    if bt is None or bt.months.empty:
        return {"actual": np.nan, "recommended": np.nan, "gain": np.nan}
    s = bt.summary()
    s = s[s["product_id"] == "all"].set_index("policy")["served_share"]
    a = float(s.get("actual", np.nan))
    r = float(s.get(policy, np.nan))
    return {"actual": a, "recommended": r, "gain": r - a}


def figures(ev: Evaluation | None, bt: Backtest | None, rec: pd.DataFrame | None,
            policy: str = "demand") -> dict[str, dict]:
    """The key figures of the placement report for ``metrics.json``.

    Parameters
    ----------
    ev
        :func:`lean_analysis.placement.evaluate` of the month, or None (not measured).
    bt
        :func:`lean_analysis.placement.backtest` with policies ``actual`` and ``policy``.
    rec
        :func:`lean_analysis.placement.recommend` for next month (its ``supply`` column is
        the weekly supply placed; ``period`` in ``rec.attrs`` counts the weeks).
    policy
        The recommended policy.

    Returns
    -------
    dict
        ``served_share_actual``, ``served_share_actual_backtest``,
        ``served_share_recommended_backtest``, ``served_share_gain_backtest``,
        ``unused_supply_share``, ``placement_gini`` (share), ``unserved_demand_cases``,
        ``next_month_supply_cases`` (case); every value None when its input is None.
    """
    spec = {f.name: f for f in targets.figures_of(REPORT)}

    def fig(name, value, **extra):
        return targets.figure(value, spec[name].unit, spec[name].definition, **extra)

    tot = ev.total if ev is not None else {}
    unused = (1 - tot["supply_used"]) if tot and np.isfinite(tot.get("supply_used", np.nan)) else None
    b = summary(bt, policy)
    nxt = None
    if rec is not None and len(rec) and "period" in rec.attrs:
        weekly = rec.groupby("product_id")["supply"].first().sum()
        nxt = float(weekly) * mondays(rec.attrs["period"]) / config.CARTONS_PER_CASE
    return {
        "served_share_actual": fig("served_share_actual", tot.get("served_share")),
        "served_share_actual_backtest": fig("served_share_actual_backtest", b["actual"]),
        "served_share_recommended_backtest": fig("served_share_recommended_backtest",
                                                 b["recommended"], policy=policy),
        "served_share_gain_backtest": fig("served_share_gain_backtest", b["gain"], policy=policy),
        "unused_supply_share": fig("unused_supply_share", unused),
        "placement_gini": fig("placement_gini", tot.get("gini")),
        "unserved_demand_cases": fig("unserved_demand_cases",
                                     tot["unserved"] / config.CARTONS_PER_CASE if tot else None),
        "next_month_supply_cases": fig("next_month_supply_cases", nxt),
    }

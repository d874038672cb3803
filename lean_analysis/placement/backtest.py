"""Replay the last months with each policy against the recorded demand.

For each month m of the window and each rationed specification: the policy sets caps from
the ``history`` months before m (``demand``, ``demand_fair``: :func:`uncensor` of those
months; ``proportional``: the slope of today's caps) and the month's supply (table
``supply``); the caps are then applied to the month's recorded demand: served =
Σ min(demand, cap_tier). ``actual`` is what the recorded caps served (Σ order_qty).

Assumption (say it where the result is shown): the backtest holds the number of ordering
customers per tier at its realised value in month m, so that every policy, the recorded caps
and the oracle of ``truth.json`` face the same constraint Σ_t cap_t × lines_t ≤ Σ supply of
the month; what a policy must estimate is the demand per line. The caps are monthly (the
generator's caps change by month).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lean_analysis.data import Tables
from lean_analysis.placement import _lines as L
from lean_analysis.placement.evaluate import gini
from lean_analysis.placement.recommend import TIERS, caps_for, tier_slope
from lean_analysis.placement.uncensor import uncensor

__all__ = ["backtest", "Backtest"]


class Backtest:
    """``.months``: product_id, month, policy, demand, served, supply, unused, gini;
    ``.summary()`` per product and policy over the window and a total row (product ``all``)."""

    def __init__(self, months: pd.DataFrame):
        self.months = months

    def summary(self) -> pd.DataFrame:
        m = self.months
        g = m.groupby(["product_id", "policy"], as_index=False)[["demand", "served", "supply"]].sum()
        tot = m.groupby("policy", as_index=False)[["demand", "served", "supply"]].sum()
        tot.insert(0, "product_id", "all")
        out = pd.concat([g, tot], ignore_index=True)
        out["served_share"] = out["served"] / out["demand"]
        out["unused_supply_share"] = 1 - out["served"] / out["supply"]
        gi = m.groupby(["product_id", "policy"])["gini"].mean()
        gi_all = m.groupby("policy")["gini"].mean()
        out["gini"] = [gi_all[p] if pid == "all" else gi.get((pid, p), np.nan)
                       for pid, p in zip(out["product_id"], out["policy"], strict=True)]
        return out

    def to_frame(self) -> pd.DataFrame:
        return self.summary()


def backtest(tables: Tables, policy=("actual", "proportional", "demand", "demand_fair"),
             months: int = 12, period=None, history: int = 3, floor=1, fair: float = 0.8) -> Backtest:
    """Served share, unused supply and fairness of each policy over the last ``months`` months.

    Parameters
    ----------
    tables : lean_analysis.data.Tables (with table ``supply``)
    policy : str or sequence of "actual", "proportional", "demand", "demand_fair"
    months : int
        Months replayed, ending at ``period`` (default: the last complete order month).
    history : int
        Months before each replayed month that its caps are set from.

    Returns
    -------
    Backtest
        ``.months`` per product × month × policy and ``.summary()``; served share = Σ served
        ÷ Σ recorded demand; unused supply share = 1 − Σ served ÷ Σ supply; gini = demand-
        weighted Gini of the tiers' served shares (:func:`lean_analysis.placement.gini`).
    """
    pols = [policy] if isinstance(policy, str) else list(policy)
    last = L.month(period) if period is not None else L.last_month(tables)
    first = last - (months - 1)
    allines = L.lines(tables, first - history, last)
    sup = L.supply_rows(tables, first, last)
    rows = []
    unc = None
    for k in range(months):
        m = first + k
        cur = allines[allines["month"] == str(m)]
        hist = allines[(allines["month"] >= str(m - history)) & (allines["month"] < str(m))]
        need_unc = any(p in ("demand", "demand_fair") for p in pols)
        # the NB fit only (what the policies use), from the lines read once, each month
        # starting from the fit of the month before (the windows overlap)
        unc = (uncensor(None, m - 1, months=history, lines=hist, estimate=False,
                        start=None if unc is None else unc.params) if need_unc else None)
        slopes = tier_slope(hist)
        s_m = sup[sup["month"] == str(m)].groupby("product_id")["supply_qty"].sum()
        for pid, part in cur.groupby("product_id"):
            if pid not in s_m.index:
                continue
            dem = np.maximum(part["demand_qty"].fillna(part["order_qty"]).to_numpy(), part["order_qty"].to_numpy())
            tier = part["tier"].to_numpy(int)
            n = np.bincount(tier, minlength=31)[1:31].astype(float)
            d_t = np.bincount(tier, weights=dem, minlength=31)[1:31]
            for pol in pols:
                if pol == "actual":
                    served_line = part["order_qty"].to_numpy()
                    note = ""
                else:
                    caps, note = caps_for(pol, pid, n, float(s_m[pid]), unc, slopes.get(pid, 0.1),
                                          floor, fair)
                    if caps is None:
                        caps, note = np.zeros(30, int), "supply_below_floor"
                    served_line = np.minimum(dem, caps[tier - 1])
                s_t = np.bincount(tier, weights=served_line, minlength=31)[1:31]
                share_t = np.divide(s_t, d_t, out=np.full(30, np.nan), where=d_t > 0)
                rows.append({"product_id": pid, "month": str(m), "policy": pol,
                             "demand": float(dem.sum()), "served": float(served_line.sum()),
                             "supply": float(s_m[pid]), "gini": gini(share_t, d_t), "note": note})
    out = pd.DataFrame(rows)
    out["unused"] = out["supply"] - out["served"]
    return Backtest(out)


_ = TIERS

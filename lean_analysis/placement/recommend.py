"""Caps per tier from the supply: the allocation MILP and the three policies.

For one specification, with n_t ordering customers per week in tier t, per-line demand
D_t and weekly supply S, choose integer caps c_t (cartons per customer and week):

    maximise   Σ_t n_t · E[min(D_t, c_t)]  =  Σ_t Σ_{k ≤ c_t} n_t · P(D_t ≥ k)
    subject to Σ_t n_t · c_t ≤ S,   c_1 ≤ c_2 ≤ … ≤ c_30,   c_t ≥ floor_t,   c_t integer.

E[min(D, c)] is concave in c (its increments P(D ≥ k) fall), so with binary unit
increments x_{t,k} and c_t = Σ_k x_{t,k} the problem is a 0–1 MILP whose optimum can always
be taken to fill the increments in order; it is solved with ``scipy.optimize.milp`` (HiGHS; Huangfu & Hall 2018).
Policies:

- ``proportional`` (today's practice as the data show it): c_t = max(floor, round(λ · e^{β(t−1)})),
  β the slope of log cap on tier in the history, λ the largest value that fits the supply
  (bisection);
- ``demand``: the MILP with P(D_t ≥ k) from :func:`lean_analysis.placement.uncensor` over the
  last ``months`` months (a per-tier estimate of the demand distribution; the level is not
  forecast — the brief's lighter option — so a seasonal change in level moves every tier);
- ``demand_fair``: ``demand`` plus, per tier with customers, expected served share ≥
  ``fair`` × the overall expected served share of ``demand`` (lowered by 0.1 until feasible).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from lean_analysis import config
from lean_analysis.data import Tables
from lean_analysis.placement import _lines as L
from lean_analysis.placement.uncensor import Uncensored, uncensor

__all__ = ["POLICIES", "solve_caps", "proportional_caps", "recommend", "supply_of", "tier_slope"]

POLICIES = ("proportional", "demand", "demand_fair")
TIERS = np.arange(1, 31)


def solve_caps(gain: np.ndarray, customers: np.ndarray, supply: float, floor=1,
               min_served: np.ndarray | None = None) -> np.ndarray | None:
    """Integer caps for tiers 1–30 maximising Σ_t Σ_{k ≤ c_t} gain[t, k−1].

    ``gain`` (30 × K): expected extra served cartons of the k-th carton of tier t's cap
    (n_t · P(D_t ≥ k)), non-increasing in k; ``customers`` n_t; ``floor`` a number or 30
    values; ``min_served`` optional lower bounds on Σ_k gain[t, k] x_{t,k}. Returns None when
    infeasible. Tiers without customers take the cap of the tier below (kept monotone).
    """
    gain_all = np.asarray(gain, float)
    T_all = gain_all.shape[0]
    n_all = np.asarray(customers, float)
    floor_all = np.maximum.accumulate(np.broadcast_to(np.asarray(floor, float), (T_all,)).copy())
    live = np.flatnonzero(n_all > 0)
    out = np.zeros(T_all, int)
    if len(live) == 0:
        return np.round(floor_all).astype(int)
    # increments worth less than 1e-6 carton never change the optimum: drop them
    useful = np.flatnonzero((gain_all[live] > 1e-6).any(axis=0))
    K = int(max(useful.max() + 1 if len(useful) else 1, floor_all.max(), 1))
    gain = gain_all[live, :K]
    if gain.shape[1] < K:
        gain = np.pad(gain, ((0, 0), (0, K - gain.shape[1])))
    n = n_all[live]
    fl = floor_all[live]
    T = len(live)
    nv = T * K  # x_{t,k} binary: the k-th carton of tier t's cap; c_t = Σ_k x_{t,k}
    c = -gain.ravel()
    rows, lo, hi = [], [], []
    block = np.kron(np.eye(T), np.ones((1, K)))  # row t sums tier t's increments = c_t
    if T > 1:
        rows.append(block[:-1] - block[1:])  # c_t − c_{t+1} ≤ 0
        lo += [-np.inf] * (T - 1)
        hi += [0.0] * (T - 1)
    rows.append((n[:, None] * np.ones((T, K))).ravel()[None, :])  # Σ n_t c_t ≤ S
    lo.append(-np.inf)
    hi.append(float(supply))
    if min_served is not None:
        rows.append(block * gain.ravel()[None, :])
        lo += list(np.asarray(min_served, float)[live])
        hi += [np.inf] * T
    lb = (np.arange(K)[None, :] < fl[:, None]).astype(float).ravel()  # c_t ≥ floor_t
    res = milp(c, constraints=LinearConstraint(np.vstack(rows), lo, hi), integrality=np.ones(nv),
               bounds=Bounds(lb, 1))
    if res.status != 0 or res.x is None:
        return None
    out[live] = np.round(res.x.reshape(T, K).sum(axis=1)).astype(int)
    # tiers without customers: the cap of the tier below (or the floor); monotone, costs nothing
    prev = 0
    for t in range(T_all):
        if n_all[t] > 0:
            prev = out[t]
        else:
            out[t] = int(max(prev, floor_all[t]))
            prev = out[t]
    return out


def proportional_caps(customers: np.ndarray, supply: float, slope: float, floor=1) -> np.ndarray | None:
    """Today's practice: caps ∝ e^{slope·(t−1)}, rounded, ≥ floor, scaled to fill the supply."""
    n = np.asarray(customers, float)
    shape = np.exp(slope * (TIERS - 1))
    floor = np.maximum.accumulate(np.broadcast_to(np.asarray(floor, float), (30,)))

    def caps(lam):
        return np.maximum(floor, np.round(lam * shape))

    if (n * caps(0.0)).sum() > supply:
        return None
    lo, hi = 0.0, 1.0
    while (n * caps(hi)).sum() <= supply and hi < 1e9:
        lo, hi = hi, hi * 2
    for _ in range(80):
        mid = (lo + hi) / 2
        if (n * caps(mid)).sum() <= supply:
            lo = mid
        else:
            hi = mid
    return caps(lo).astype(int)


def tier_slope(hist: pd.DataFrame) -> dict[str, float]:
    """Per product, the least-squares slope of log cap_qty on tier in ``hist`` lines."""
    out = {}
    for pid, g in hist.groupby("product_id"):
        x, y = g["tier"].to_numpy(float), np.log(np.maximum(g["cap_qty"].to_numpy(float), 0.5))
        out[pid] = float(np.polyfit(x, y, 1)[0]) if np.ptp(x) > 0 else 0.0
    return out


def _customers_per_week(hist: pd.DataFrame, n_weeks: float) -> dict[str, np.ndarray]:
    out = {}
    for pid, g in hist.groupby("product_id"):
        n = np.bincount(g["tier"].to_numpy(int), minlength=31)[1:31] / max(n_weeks, 1.0)
        out[pid] = n
    return out


def supply_of(tables: Tables, period) -> pd.Series:
    """Mean weekly supply per rationed specification in ``period`` (from table ``supply``);
    raises ValueError naming the table when the period has no supply rows."""
    p = L.month(period)
    rows = L.supply_rows(tables, p, p)
    if rows.empty:
        raise ValueError(f"table 'supply' (column week) has no rows in {p}: the supply of the "
                         f"period is needed (or pass it as a number / mapping)")
    weeks = rows.groupby("product_id")["week"].nunique()
    return rows.groupby("product_id")["supply_qty"].sum() / weeks


def _supply_mapping(tables, supply, period, products) -> dict[str, float]:
    if supply is None or (isinstance(supply, str) and supply == "table"):
        s = supply_of(tables, period)
        return {p: float(s[p]) for p in products if p in s.index}
    if isinstance(supply, int | float) and not isinstance(supply, bool):
        return {p: float(supply) for p in products}
    if isinstance(supply, Mapping | pd.Series):
        return {str(k): float(v) for k, v in dict(supply).items()}
    raise TypeError("supply must be None/'table', a number (cartons per week) or a mapping "
                    "product_id -> cartons per week")


def _gain(unc: Uncensored, pid: str, n: np.ndarray, supply: float) -> np.ndarray:
    kmax = int(min(400, max(10, np.ceil(supply / max(n.sum(), 1e-9)) * 4, unc.lines["value"].max() + 5)))
    return n[:, None] * unc.tail(pid, TIERS, kmax)


def caps_for(policy: str, pid: str, n: np.ndarray, supply: float, unc: Uncensored | None,
             slope: float, floor=1, fair: float = 0.8) -> tuple[np.ndarray, str]:
    """Caps (30) of one specification under ``policy`` and a note ('' or why a fallback)."""
    note = ""
    fl = floor
    if (n * np.maximum.accumulate(np.broadcast_to(np.asarray(fl, float), (30,)))).sum() > supply:
        fl, note = 0, "floor_infeasible"
    if policy == "proportional":
        return proportional_caps(n, supply, slope, fl), note
    if policy not in ("demand", "demand_fair"):
        raise ValueError(f"policy {policy!r} is not one of {POLICIES}")
    if unc is None or pid not in set(unc.params["product_id"]) or not bool(
            unc.params.set_index("product_id").loc[pid, "identified"]):
        return proportional_caps(n, supply, slope, fl), "no_demand_estimate"
    gain = _gain(unc, pid, n, supply)
    caps = solve_caps(gain, n, supply, fl)
    if caps is None:
        return proportional_caps(n, supply, slope, fl), "milp_failed"
    if policy == "demand_fair":
        dem = n * unc.mean(pid, TIERS)
        served = np.array([gain[t, :caps[t]].sum() for t in range(30)])
        share = served.sum() / dem.sum()
        phi = fair
        while phi > 0:
            fc = solve_caps(gain, n, supply, fl, min_served=phi * share * dem)
            if fc is not None:
                return fc, note if phi == fair else f"fair_floor_{phi:.1f}"
            phi = round(phi - 0.1, 10)
    return caps, note


def recommend(tables: Tables, supply=None, period=None, policy: str = "demand", months: int = 3,
              floor=1, fair: float = 0.8, products=None) -> pd.DataFrame:
    """Caps per tier for ``period`` (the month to place), from the supply and the demand.

    Parameters
    ----------
    tables : lean_analysis.data.Tables
    supply : None, "table", number or mapping
        Weekly supply in cartons: None/"table" = mean weekly ``supply_qty`` of ``period``
        (:func:`supply_of`; an error when the table does not cover it); a number for every
        rationed specification; a mapping product_id -> cartons per week.
    period : str
        The month the caps are for (YYYY-MM); the history is the ``months`` months before.
    policy : {"proportional", "demand", "demand_fair"}
    floor : int or 30 numbers
        Minimum cap per tier (default 1 carton, as today's caps never go below 1); dropped
        to 0 (note ``floor_infeasible``) when the supply cannot give every customer the floor.
    fair : float
        ``demand_fair``: each tier's expected served share ≥ fair × the overall one.

    Returns
    -------
    DataFrame
        product_id, tier, tier_band, cap, customers (expected ordering customers per week,
        the mean of the history), expected_demand, expected_served (cartons per week),
        supply, policy, note. Σ cap × customers ≤ supply and caps non-decreasing in tier hold
        exactly for every product.

    References
    ----------
    Formulation and solver: module docstring; HiGHS: Huangfu & Hall, *Math. Prog. Comp.* 10 (2018).
    """
    p = L.month(period) if period is not None else L.last_month(tables) + 1
    first, last = p - months, p - 1
    hist = L.lines(tables, first, last, products)
    n_weeks = len(L.weeks_of(tables, first, last))
    custs = _customers_per_week(hist, n_weeks)
    prods = sorted(custs) if products is None else [str(x) for x in products]
    sup = _supply_mapping(tables, supply, p, prods)
    bad = [k for k in sup if k not in custs]
    if bad:
        raise ValueError(f"supply names {bad} that are not rationed (no order line with cap_qty "
                         f"in table 'orders' in {first}..{last})")
    neg = {k: v for k, v in sup.items() if not np.isfinite(v) or v < 0}
    if neg:
        raise ValueError(f"supply must be finite and ≥ 0 cartons: {neg}")
    unc = uncensor(tables, last, months=months, products=prods) if policy != "proportional" else None
    slopes = tier_slope(hist)
    rows = []
    for pid in prods:
        if pid not in sup:
            continue
        n = custs[pid]
        caps, note = caps_for(policy, pid, n, sup[pid], unc, slopes.get(pid, 0.1), floor, fair)
        if caps is None:
            caps, note = np.zeros(30, int), "supply_below_floor"
        if unc is not None and pid in set(unc.params["product_id"]) and bool(
                unc.params.set_index("product_id").loc[pid, "identified"]):
            mean = unc.mean(pid, TIERS)
            tail = unc.tail(pid, TIERS, int(max(caps.max(), 1)))
            served = np.array([tail[t, :caps[t]].sum() for t in range(30)])
        else:
            mean = np.full(30, np.nan)
            served = np.full(30, np.nan)
        for t in range(30):
            rows.append({"product_id": pid, "tier": t + 1, "tier_band": config.tier_band(t + 1),
                         "cap": int(caps[t]), "customers": float(n[t]),
                         "expected_demand": float(n[t] * mean[t]),
                         "expected_served": float(n[t] * served[t]), "supply": sup[pid],
                         "policy": policy, "note": note})
    return pd.DataFrame(rows)

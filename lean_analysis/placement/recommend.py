"""Caps per tier from the supply: the allocation MILP and the three policies.

For one specification, with n_t ordering customers per week in tier t, per-line demand
D_t and weekly supply S, choose integer caps c_t (cartons per customer and week):

    maximise   Σ_t n_t · E[min(D_t, c_t)]  =  Σ_t Σ_{k ≤ c_t} n_t · P(D_t ≥ k)
    subject to Σ_t n_t · c_t ≤ S,   c_1 ≤ c_2 ≤ … ≤ c_30,   c_t ≥ floor_t,   c_t integer.

E[min(D, c)] is concave in c (its increments P(D ≥ k) fall), so with binary unit
increments x_{t,k} and c_t = Σ_k x_{t,k} the problem is a 0–1 MILP whose optimum can always
be taken to fill the increments in order. :func:`solve_caps` writes the order unit-wise
(x_{t,k} ≥ x_{t,k+1}, x_{t,k} ≤ x_{t+1,k}) and by default solves the LP relaxation with
``scipy.optimize.milp`` (HiGHS; Huangfu & Hall 2018) and repairs it to integers in a way that
is provably feasible and monotone (within 0.2 % of the optimum on average in
``benchmarks/bench_placement.py``); ``method="milp"`` gives the exact optimum.
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
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from lean_analysis import config
from lean_analysis.data import Tables
from lean_analysis.placement import _lines as L
from lean_analysis.placement.uncensor import Uncensored, uncensor

__all__ = ["POLICIES", "solve_caps", "proportional_caps", "recommend", "supply_of", "tier_slope"]

POLICIES = ("proportional", "demand", "demand_fair")
TIERS = np.arange(1, 31)


MILP_OPTIONS = {"time_limit": 20.0, "mip_rel_gap": 1e-6}


def solve_caps(gain: np.ndarray, customers: np.ndarray, supply: float, floor=1,
               min_served: np.ndarray | None = None, options: dict | None = None,
               method: str = "lp") -> np.ndarray | None:
    """Integer caps for tiers 1–30 maximising Σ_t Σ_{k ≤ c_t} gain[t, k−1].

    ``gain`` (30 × K): expected extra served cartons of the k-th carton of tier t's cap
    (n_t · P(D_t ≥ k)), non-increasing in k; ``customers`` n_t; ``floor`` a number or 30
    values; ``min_served`` optional lower bounds on Σ_k gain[t, k] x_{t,k}. Returns None when
    infeasible. Tiers without customers take the cap of the tier below (kept monotone).

    Formulation: binaries x_{t,k} (the k-th carton of tier t's cap), c_t = Σ_k x_{t,k}, with
    the *unit-wise* order constraints x_{t,k} ≥ x_{t,k+1} (caps fill in order) and
    x_{t,k} ≤ x_{t+1,k} (the k-th carton of a tier implies it for every higher tier), which
    give c_t ≤ c_{t+1}; without the supply row these are the constraints of a closure
    problem, a network matrix (totally unimodular), so the LP relaxation is nearly integral
    and HiGHS closes the gap at the root. (The earlier form c_t − c_{t+1} ≤ 0 on the sums
    took ~0.45 s per solve on the county; this one a few ms.) Each carton k of tier t is
    bounded by the supply: k ≤ S ÷ Σ_{t' ≥ t} n_{t'}, since every higher tier gets at least
    as much.

    ``method="milp"`` solves the 0–1 problem with HiGHS; ``options`` go to it (default
    :data:`MILP_OPTIONS`: a 20 s time limit and a relative gap of 1e-6; a solution stopped
    by the time limit is still feasible and is used). ``method="lp"`` (default) solves the
    LP relaxation (~20 ms instead of ~0.5–1 s) and repairs it to integers: rounding every
    x_{t,k} down keeps the supply row (n_t ≥ 0) and both order constraints (rounding down
    is monotone) and the floors (integral bounds), so the result is *provably* feasible and
    monotone; then, while supply is left, the best affordable raise (tier t to c_t + 1 and
    every higher tier to at least that, ranked by expected cartons gained per carton of
    cap) is added. With ``min_served`` the rounded solution may miss a tier's bound; then
    the MILP is solved instead. On 30 random instances and the county backtest the repaired
    LP is within 0.1 % of the MILP optimum (``benchmarks/bench_placement.py``).
    """
    gain_all = np.asarray(gain, float)
    T_all = gain_all.shape[0]
    n_all = np.asarray(customers, float)
    floor_all = np.maximum.accumulate(np.broadcast_to(np.asarray(floor, float), (T_all,)).copy())
    live = np.flatnonzero(n_all > 0)
    out = np.zeros(T_all, int)
    if len(live) == 0:
        return np.round(floor_all).astype(int)
    n = n_all[live]
    fl = floor_all[live]
    T = len(live)
    if (n * fl).sum() > supply + 1e-9:
        return None
    # the largest cap tier t can take: every tier above takes at least as much
    above = np.cumsum(n[::-1])[::-1]
    kcap = np.floor(float(supply) / above + 1e-9)
    # increments worth less than 1e-6 carton never change the optimum: drop them
    useful = np.flatnonzero((gain_all[live] > 1e-6).any(axis=0))
    K = int(max(min(useful.max() + 1 if len(useful) else 1, kcap.max()), fl.max(), 1))
    gain = gain_all[live, :K]
    if gain.shape[1] < K:
        gain = np.pad(gain, ((0, 0), (0, K - gain.shape[1])))
    nv = T * K  # variable t*K + k
    idx = np.arange(nv).reshape(T, K)
    rows_i, cols_j, vals = [], [], []
    r = 0
    # x_{t,k+1} − x_{t,k} ≤ 0
    a, b = idx[:, 1:].ravel(), idx[:, :-1].ravel()
    m = len(a)
    rows_i += [np.arange(r, r + m), np.arange(r, r + m)]
    cols_j += [a, b]
    vals += [np.ones(m), -np.ones(m)]
    r += m
    # x_{t,k} − x_{t+1,k} ≤ 0
    a, b = idx[:-1, :].ravel(), idx[1:, :].ravel()
    m = len(a)
    rows_i += [np.arange(r, r + m), np.arange(r, r + m)]
    cols_j += [a, b]
    vals += [np.ones(m), -np.ones(m)]
    r += m
    n_order = r
    lo = [np.full(n_order, -np.inf)]
    hi = [np.zeros(n_order)]
    # Σ n_t c_t ≤ S
    rows_i.append(np.full(nv, r))
    cols_j.append(idx.ravel())
    vals.append(np.repeat(n, K))
    lo.append([-np.inf])
    hi.append([float(supply)])
    r += 1
    if min_served is not None:
        rows_i.append(np.repeat(np.arange(r, r + T), K))
        cols_j.append(idx.ravel())
        vals.append(gain.ravel())
        lo.append(np.asarray(min_served, float)[live])
        hi.append(np.full(T, np.inf))
        r += T
    if method not in ("lp", "milp"):
        raise ValueError(f"method {method!r} is not 'lp' or 'milp'")
    A = sparse.csr_array((np.concatenate(vals), (np.concatenate(rows_i), np.concatenate(cols_j))),
                         shape=(r, nv))
    k1 = np.arange(1, K + 1)[None, :]
    lb = (k1 <= fl[:, None]).astype(float).ravel()  # c_t ≥ floor_t
    ub = (k1 <= np.maximum(kcap, fl)[:, None]).astype(float).ravel()
    cons = LinearConstraint(A, np.concatenate(lo), np.concatenate(hi))
    caps = None
    if method == "lp":
        res = milp(-gain.ravel(), constraints=cons, integrality=np.zeros(nv), bounds=Bounds(lb, ub))
        if res.x is None or res.status != 0:
            return None
        caps = _repair(np.floor(res.x.reshape(T, K) + 1e-9).sum(axis=1).astype(int), gain, n,
                       float(supply))
        if min_served is not None and (served_of(gain, caps) <
                                       np.asarray(min_served, float)[live] - 1e-9).any():
            caps = None
    if caps is None:
        res = milp(-gain.ravel(), constraints=cons, integrality=np.ones(nv), bounds=Bounds(lb, ub),
                   options=dict(MILP_OPTIONS if options is None else options))
        if res.x is None or res.status not in (0, 1):
            return None
        caps = np.round(res.x.reshape(T, K)).sum(axis=1).astype(int)
    out[live] = caps
    # tiers without customers: the cap of the tier below (or the floor); monotone, costs nothing
    prev = 0
    for t in range(T_all):
        if n_all[t] > 0:
            prev = out[t]
        else:
            out[t] = int(max(prev, floor_all[t]))
            prev = out[t]
    return out


def served_of(gain: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Σ_{k ≤ c_t} gain[t, k−1] per row t (the expected served cartons of each tier)."""
    cs = np.concatenate([np.zeros((gain.shape[0], 1)), np.cumsum(gain, axis=1)], axis=1)
    return cs[np.arange(gain.shape[0]), np.minimum(caps, gain.shape[1])]


def _repair(caps: np.ndarray, gain: np.ndarray, n: np.ndarray, supply: float) -> np.ndarray:
    """The better of the greedy fills ranked by gain per carton and by gain (:func:`_fill`)."""
    a = _fill(caps, gain, n, supply, by_ratio=True)
    b = _fill(caps, gain, n, supply, by_ratio=False)
    return a if served_of(gain, a).sum() >= served_of(gain, b).sum() else b


def _fill(caps: np.ndarray, gain: np.ndarray, n: np.ndarray, supply: float,
          by_ratio: bool = True) -> np.ndarray:
    """Greedy fill of integer, monotone ``caps`` while supply is left (see :func:`solve_caps`):
    each step raises tier t to c_t + 1 and every higher tier to at least that, the raise with
    the most expected cartons per carton of cap (``by_ratio``) or the most expected cartons
    that still fits; stays monotone and within
    the supply by construction."""
    caps = caps.copy()
    T, K = gain.shape
    cs = np.concatenate([np.zeros((T, 1)), np.cumsum(gain, axis=1)], axis=1)
    rows = np.arange(T)
    left = supply - float((n * caps).sum())
    for _ in range(10 * T * K):
        cand = np.maximum(caps[None, :], np.where(rows[None, :] >= rows[:, None],
                                                  caps[:, None] + 1, 0))  # row t: raise from t
        ok = cand.max(axis=1) <= K
        cost = (cand - caps[None, :]) @ n
        g = cs[rows[None, :], np.minimum(cand, K)].sum(axis=1) - cs[rows, caps].sum()
        ok &= (cost <= left + 1e-9) & (g > 1e-12)
        if not ok.any():
            break
        ratio = np.where(ok, g / np.maximum(cost, 1e-12) if by_ratio else g, -np.inf)
        best = int(np.argmax(ratio))
        caps = cand[best]
        left -= float(cost[best])
    return caps


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
    unc = (uncensor(None, last, months=months, products=prods, lines=hist, estimate=False)
           if policy != "proportional" else None)
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
    out = pd.DataFrame(rows)
    out.attrs.update(period=str(p), history=f"{first}..{last}")
    return out

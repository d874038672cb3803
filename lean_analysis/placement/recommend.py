"""Caps per tier from the supply: the allocation MILP and the three policies.

For one specification, with n_t ordering customers per week in tier t, per-line demand
D_t and weekly supply S, choose integer caps c_t (cartons per customer and week):

    maximise   Σ_t n_t · E[min(D_t, c_t)]  =  Σ_t Σ_{k ≤ c_t} n_t · P(D_t ≥ k)
    subject to Σ_t n_t · c_t ≤ S,   c_1 ≤ c_2 ≤ … ≤ c_30,   c_t ≥ floor_t,   c_t integer.

E[min(D, c)] is concave in c (its increments P(D ≥ k) fall), so with binary unit
increments x_{t,k} and c_t = Σ_k x_{t,k} the problem is a 0–1 MILP whose optimum can always
be taken to fill the increments in order. :func:`solve_caps` writes the order unit-wise
(x_{t,k} ≥ x_{t,k+1}, x_{t,k} ≤ x_{t+1,k}) and by default solves the LP relaxation with
``scipy.optimize.linprog`` (HiGHS; Huangfu & Hall 2018), in an equivalent start-tier form
with K + 1 rows and all specifications in one call (:func:`_lp_caps_many`), and repairs it
to integers in a way that is provably feasible and monotone (0.16 % below the optimum on
average in ``benchmarks/bench_placement.py``); ``method="milp"`` gives the exact optimum.
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
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from lean_analysis import config
from lean_analysis.data import Tables
from lean_analysis.placement import _lines as L
from lean_analysis.placement.uncensor import Uncensored, uncensor

__all__ = ["POLICIES", "caps_for", "caps_for_many", "solve_caps", "solve_caps_many", "proportional_caps", "recommend", "supply_of", "tier_slope"]

POLICIES = ("proportional", "demand", "demand_fair")
TIERS = np.arange(1, 31)


MILP_OPTIONS = {"time_limit": 20.0, "mip_rel_gap": 1e-6}


def _prepare(gain, customers, supply, floor) -> dict | None:
    """The live tiers (with customers), their floors, the supply bound per carton and the
    gains cut to the cartons that matter (see :func:`solve_caps`); None when the floors
    alone exceed the supply."""
    gain_all = np.asarray(gain, float)
    T_all = gain_all.shape[0]
    n_all = np.asarray(customers, float)
    floor_all = np.maximum.accumulate(np.broadcast_to(np.asarray(floor, float), (T_all,)).copy())
    live = np.flatnonzero(n_all > 0)
    if len(live) == 0:
        return {"live": live, "floor_all": floor_all, "n_all": n_all}
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
    return {"live": live, "floor_all": floor_all, "n_all": n_all, "n": n, "fl": fl, "T": T,
            "K": K, "gain": gain, "above": above, "kcap": kcap, "supply": float(supply)}


def _expand(P: dict, caps) -> np.ndarray:
    """Caps of the live tiers to all tiers: a tier without customers takes the cap of the
    tier below (or its floor); monotone, costs nothing."""
    n_all, floor_all = P["n_all"], P["floor_all"]
    out = np.zeros(len(n_all), int)
    if len(P["live"]) == 0:
        return np.round(floor_all).astype(int)
    out[P["live"]] = caps
    prev = 0
    for t in range(len(n_all)):
        if n_all[t] > 0:
            prev = out[t]
        else:
            out[t] = int(max(prev, floor_all[t]))
            prev = out[t]
    return out


def solve_caps_many(gains, customers, supplies, floors) -> list[np.ndarray | None]:
    """:func:`solve_caps` (``method="lp"``, no ``min_served``) of several independent
    specifications: their LPs in one HiGHS call (:func:`_lp_caps_many`); a problem whose LP
    fails gets its MILP. Same results as one :func:`solve_caps` call each."""
    preps = [_prepare(g, n, s, f) for g, n, s, f in zip(gains, customers, supplies, floors,
                                                        strict=True)]
    todo = [i for i, P in enumerate(preps) if P is not None and len(P["live"])]
    sol = _lp_caps_many([_lp_setup(preps[i]["gain"], preps[i]["n"], preps[i]["fl"],
                                   preps[i]["kcap"], preps[i]["above"], preps[i]["supply"])
                         for i in todo])
    out: list[np.ndarray | None] = [None if P is None else _expand(P, None) if not len(P["live"])
                                    else None for P in preps]
    for i, c in zip(todo, sol, strict=True):
        out[i] = (_expand(preps[i], c) if c is not None else
                  solve_caps(gains[i], customers[i], supplies[i], floors[i], method="milp"))
    return out


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
    LP relaxation (:func:`_lp_caps_many`: a few ms, instead of ~0.1 s for the MILP;
    :func:`solve_caps_many` solves many specifications in one call) and repairs it to
    integers: rounding every
    x_{t,k} down keeps the supply row (n_t ≥ 0) and both order constraints (rounding down
    is monotone) and the floors (integral bounds), so the result is *provably* feasible and
    monotone; then, while supply is left, the best affordable raise (tier t to c_t + 1 and
    every higher tier to at least that, ranked by expected cartons gained per carton of
    cap) is added. With ``min_served`` the rounded solution may miss a tier's bound; then
    the MILP is solved instead (with ``min_served`` the LP is the unit-wise form above).
    On the 80 instances of ``benchmarks/bench_placement.py`` the repaired LP gives up 0.16 %
    of the MILP optimum's served cartons on average, 1.9 % at most.
    """
    P = _prepare(gain, customers, supply, floor)
    if P is None:
        return None
    if len(P["live"]) == 0:
        return _expand(P, None)
    n, fl, T, K, gain, above, kcap, live = (P[k] for k in ("n", "fl", "T", "K", "gain", "above",
                                                           "kcap", "live"))
    if method == "lp" and min_served is None:
        caps = _lp_caps_many([_lp_setup(gain, n, fl, kcap, above, supply)])[0]
        if caps is not None:
            return _expand(P, caps)
        method = "milp"  # the LP failed or its rounding broke a constraint: the exact MILP
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
    return _expand(P, caps)


def _lp_setup(gain, n, fl, kcap, above, supply) -> dict:
    """One specification's start-tier LP of :func:`_lp_caps`: values, allowed columns and the
    first columns (those optimal for the Lagrangian at supply prices around an estimate)."""
    T, K = gain.shape
    G = np.cumsum(gain[::-1], axis=0)[::-1]                     # value of starting at tier t
    tix = np.arange(T)[:, None]
    k1 = np.arange(1, K + 1)
    floored = k1 <= fl[-1]
    tau = np.searchsorted(fl, k1, side="left")                  # first tier whose floor needs k
    allowed = (k1[None, :] <= kcap[:, None]) & ~(floored[None, :] & (tix > tau[None, :]))
    # the supply price λ of the LP's dual from its Lagrangian: at price λ each carton starts
    # where G − λ·above is largest (if positive, or always where a floor needs it); the
    # supply used falls with λ; two vectorised grids locate where it crosses the supply
    Gm = np.where(allowed, G, -np.inf)
    k_all = np.arange(K)

    def at(lams):
        v = Gm[None] - lams[:, None, None] * above[None, :, None]
        best = np.argmax(v, axis=1)                             # (len(lams), K)
        take = floored[None, :] | (np.take_along_axis(v, best[:, None, :], 1)[:, 0] > 0)
        return best, (take * above[best]).sum(axis=1)

    lmax = max(float(np.max(np.where(allowed, gain / np.maximum(n[:, None], 1e-300), 0.0))), 1e-12)
    grid = np.concatenate([[0.0], lmax * np.geomspace(1e-6, 1.0, 13)])
    _, used = at(grid)
    j = int(np.searchsorted(-used, -supply, side="left"))      # first price using ≤ supply
    lo, hi = grid[max(j - 1, 0)], grid[min(j, len(grid) - 1)]
    grid = np.linspace(lo, hi, 12)
    best, used = at(grid)
    j = int(np.searchsorted(-used, -supply, side="left"))
    sel = np.clip([j - 1, j], 0, len(grid) - 1)
    pick = np.zeros((T, K), bool)
    for b in best[sel]:
        for d in (-1, 0, 1):
            pick[np.clip(b + d, 0, T - 1), k_all] = True
    kf = np.flatnonzero(floored)
    pick[tau[kf], kf] = True                                    # the floors alone are feasible
    pick &= allowed
    return {"G": G, "allowed": allowed, "pick": pick, "floored": floored, "above": above,
            "supply": float(supply), "gain": gain, "n": n, "fl": fl,
            "scale": max(float(np.abs(G).max()), 1.0)}


def _lp_caps_many(problems: list[dict], max_rounds: int = 20) -> list[np.ndarray | None]:
    """The LP relaxations of :func:`solve_caps` (no ``min_served``) in start-tier form, all
    specifications in one HiGHS call (``scipy.optimize.linprog``; the problems are
    independent, so the matrix is block-diagonal), with column generation; each solution
    rounded down and repaired. None for a problem when HiGHS fails or a rounded cap breaks a
    constraint (the caller then solves its MILP).

    The row order x_{t,k} ≥ x_{t,k+1} can be dropped from the relaxation: sorting each row
    of a feasible x in decreasing order keeps x_{t,k} ≤ x_{t+1,k} (order statistics are
    monotone), the supply used and the floors, and does not lower the objective (the gains
    fall in k). What is left is, per carton k, a chain x_{1,k} ≤ … ≤ x_{T,k}; with
    w_{t,k} = x_{t,k} − x_{t−1,k} ≥ 0 ("carton k starts at tier t"), Σ_t w_{t,k} ≤ 1 (= 1
    where a floor needs carton k), the cost of w_{t,k} is Σ_{t' ≥ t} n_{t'} and its value
    Σ_{t' ≥ t} gain[t', k]: a multiple-choice knapsack LP with K + 1 rows instead of
    2·T·K + 1. Only a few start tiers per carton matter near the optimal supply price, so
    the LP starts from those of :func:`_lp_setup` and adds every column with a negative
    reduced cost under the duals until there is none, when the solution is optimal for the
    whole LP (exact, not a heuristic; scipy's HiGHS wrapper costs ~10 µs per column and
    ~5 ms per call, hence few columns and one call). The rounded solution keeps the
    guarantees of :func:`solve_caps` (rounding down the cumulated x is monotone and within
    the supply) and is repaired by :func:`_repair`."""
    out: list[np.ndarray | None] = [None] * len(problems)
    sols: list = [None] * len(problems)
    active = list(range(len(problems)))
    for pr in problems:
        K = pr["G"].shape[1]
        pr["eq"], pr["ub"] = np.flatnonzero(pr["floored"]), np.flatnonzero(~pr["floored"])
        row_of = np.empty(K, int)
        row_of[pr["eq"]] = np.arange(len(pr["eq"]))
        row_of[pr["ub"]] = np.arange(len(pr["ub"]))
        pr["row_of"] = row_of
    for _ in range(max_rounds):
        if not active:
            break
        # one block-diagonal LP of the active problems, assembled as one COO triple each
        er, ec, ur, uc, uv, cost, b_ub, meta = [], [], [], [], [], [], [], []
        oc = oe = ou = 0
        for i in active:
            pr = problems[i]
            tt, kk = np.nonzero(pr["pick"])
            m, ne, nu = len(tt), len(pr["eq"]), len(pr["ub"])
            ise = pr["floored"][kk]
            col = oc + np.arange(m)
            er.append(oe + pr["row_of"][kk[ise]])
            ec.append(col[ise])
            ur += [ou + pr["row_of"][kk[~ise]], np.full(m, ou + nu)]
            uc += [col[~ise], col]
            uv += [np.ones((~ise).sum()), pr["above"][tt]]
            b_ub += [np.ones(nu), [pr["supply"]]]
            cost.append(-pr["G"][tt, kk])
            meta.append((i, tt, kk, oc, oe, ou))
            oc, oe, ou = oc + m, oe + ne, ou + nu + 1
        A_ub = sparse.csr_array((np.concatenate(uv), (np.concatenate(ur), np.concatenate(uc))),
                                shape=(ou, oc))
        A_eq = (sparse.csr_array((np.ones(sum(len(x) for x in er)),
                                  (np.concatenate(er), np.concatenate(ec))), shape=(oe, oc))
                if oe else None)
        res = linprog(np.concatenate(cost), A_ub=A_ub, b_ub=np.concatenate(b_ub), A_eq=A_eq,
                      b_eq=np.ones(oe) if oe else None, bounds=(0, 1), method="highs")
        if res.status != 0 or res.x is None:
            return out
        y_ub_all = np.asarray(res.ineqlin.marginals, float)
        y_eq_all = np.asarray(res.eqlin.marginals, float) if oe else np.zeros(0)
        x_all = np.asarray(res.x, float)
        still = []
        for i, tt, kk, c0, e0, u0 in meta:
            pr = problems[i]
            eq, ub = pr["eq"], pr["ub"]
            y_ub = y_ub_all[u0:u0 + len(ub) + 1]
            y_k = np.zeros(pr["G"].shape[1])
            y_k[ub] = y_ub[:-1]
            y_k[eq] = y_eq_all[e0:e0 + len(eq)]
            sols[i] = (tt, kk, x_all[c0:c0 + len(tt)])
            # reduced cost of minimising −G: −G − y_k − above·y_S; a negative one may enter
            rc = -pr["G"] - y_k[None, :] - pr["above"][:, None] * y_ub[-1]
            enter = pr["allowed"] & ~pr["pick"] & (rc < -1e-9 * pr["scale"])
            if enter.any():
                pr["pick"] = pr["pick"] | enter
                still.append(i)
        active = still
    if active:
        return out
    for i, pr in enumerate(problems):
        tt, kk, x = sols[i]
        W = np.zeros(pr["G"].shape)
        W[tt, kk] = x
        n, fl, supply = pr["n"], pr["fl"], pr["supply"]
        caps = np.floor(np.cumsum(W, axis=0) + 1e-9).sum(axis=1).astype(int)
        caps = np.maximum(caps, np.ceil(fl - 1e-9).astype(int))
        if (n * caps).sum() <= supply + 1e-9 and (np.diff(caps) >= 0).all():
            out[i] = _repair(caps, pr["gain"], n, supply)
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
    """Per product, the least-squares slope of log cap_qty on tier in ``hist`` lines (0 when
    the tier does not vary); sums of the centred values per product (``np.bincount``)."""
    if hist.empty:
        return {}
    codes, names = pd.factorize(hist["product_id"].astype(str), sort=True)
    x = hist["tier"].to_numpy(float)
    y = np.log(np.maximum(hist["cap_qty"].to_numpy(float), 0.5))
    k = len(names)
    cnt = np.bincount(codes, minlength=k)
    dx = x - (np.bincount(codes, weights=x, minlength=k) / cnt)[codes]
    dy = y - (np.bincount(codes, weights=y, minlength=k) / cnt)[codes]
    sxx = np.bincount(codes, weights=dx * dx, minlength=k)
    sxy = np.bincount(codes, weights=dx * dy, minlength=k)
    lo = np.full(k, np.inf)
    hi = np.full(k, -np.inf)
    np.minimum.at(lo, codes, x)
    np.maximum.at(hi, codes, x)
    slope = np.where(hi > lo, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)
    return {str(p): float(v) for p, v in zip(names, slope, strict=True)}


def _customers_per_week(hist: pd.DataFrame, n_weeks: float) -> dict[str, np.ndarray]:
    """Ordering lines per week and tier (1–30) of each product of ``hist`` (one 2-D count)."""
    if hist.empty:
        return {}
    codes, names = pd.factorize(hist["product_id"], sort=True)
    tier = hist["tier"].to_numpy(int)
    ok = (tier >= 1) & (tier <= 30)
    cnt = np.bincount(codes[ok] * 30 + tier[ok] - 1, minlength=len(names) * 30)
    cnt = cnt.reshape(len(names), 30) / max(n_weeks, 1.0)
    return {pid: cnt[i] for i, pid in enumerate(names)}


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


def _gain(unc: Uncensored, pid: str, n: np.ndarray, supply: float,
          vmax: float | None = None) -> np.ndarray:
    if vmax is None:
        vmax = float(unc.lines["value"].max())
    kmax = int(min(400, max(10, np.ceil(supply / max(n.sum(), 1e-9)) * 4, vmax + 5)))
    return n[:, None] * unc.tail(pid, TIERS, kmax)


def _identified(unc: Uncensored | None, pid: str) -> bool:
    if unc is None:
        return False
    cache = unc.__dict__.setdefault("_identified", {})
    if not cache:
        cache.update(zip(unc.params["product_id"].astype(str),
                         unc.params["identified"].astype(bool), strict=True))
    return bool(cache.get(str(pid), False))


def caps_for(policy: str, pid: str, n: np.ndarray, supply: float, unc: Uncensored | None,
             slope: float, floor=1, fair: float = 0.8) -> tuple[np.ndarray, str]:
    """Caps (30) of one specification under ``policy`` and a note ('' or why a fallback)."""
    return caps_for_many(policy, [(pid, n, supply, slope)], unc, floor, fair)[0]


def caps_for_many(policy: str, specs, unc: Uncensored | None, floor=1,
                  fair: float = 0.8) -> list[tuple[np.ndarray | None, str]]:
    """:func:`caps_for` of each (product_id, customers, supply, slope) of ``specs``; the
    ``demand`` LPs of all of them in one HiGHS call (:func:`solve_caps_many`)."""
    if policy not in POLICIES:
        raise ValueError(f"policy {policy!r} is not one of {POLICIES}")
    out: list = [None] * len(specs)
    fls, notes, todo, gains = [], [], [], []
    vmax = float(unc.lines["value"].max()) if unc is not None else None
    for i, (pid, n, supply, slope) in enumerate(specs):
        note, fl = "", floor
        if (n * np.maximum.accumulate(np.broadcast_to(np.asarray(fl, float), (30,)))).sum() > supply:
            fl, note = 0, "floor_infeasible"
        fls.append(fl)
        notes.append(note)
        if policy == "proportional":
            out[i] = (proportional_caps(n, supply, slope, fl), note)
        elif not _identified(unc, pid):
            out[i] = (proportional_caps(n, supply, slope, fl), "no_demand_estimate")
        else:
            todo.append(i)
            gains.append(_gain(unc, pid, n, supply, vmax))
    sols = solve_caps_many(gains, [specs[i][1] for i in todo], [specs[i][2] for i in todo],
                           [fls[i] for i in todo])
    for i, gain, caps in zip(todo, gains, sols, strict=True):
        pid, n, supply, slope = specs[i]
        fl, note = fls[i], notes[i]
        if caps is None:
            out[i] = (proportional_caps(n, supply, slope, fl), "milp_failed")
            continue
        out[i] = (caps, note)
        if policy == "demand_fair":
            dem = n * unc.mean(pid, TIERS)
            share = served_of(gain, caps).sum() / dem.sum()
            phi = fair
            while phi > 0:
                fc = solve_caps(gain, n, supply, fl, min_served=phi * share * dem)
                if fc is not None:
                    out[i] = (fc, note if phi == fair else f"fair_floor_{phi:.1f}")
                    break
                phi = round(phi - 0.1, 10)
    return out


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
    # only the columns the caps need (the string columns cost most of the query)
    hist = L.lines(tables, first, last, products,
                   columns=["product_id", "tier", "demand_qty", "cap_qty", "order_qty"])
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
    todo = [pid for pid in prods if pid in sup]
    results = caps_for_many(policy, [(pid, custs[pid], sup[pid], slopes.get(pid, 0.1))
                                     for pid in todo], unc, floor, fair)
    cols: dict[str, list] = {k: [] for k in ("cap", "customers", "expected_demand",
                                             "expected_served", "supply", "note")}
    for pid, (caps, note) in zip(todo, results, strict=True):
        n = custs[pid]
        if caps is None:
            caps, note = np.zeros(30, int), "supply_below_floor"
        if policy != "proportional" and _identified(unc, pid):
            mean = unc.mean(pid, TIERS)
            served = served_of(unc.tail(pid, TIERS, int(max(caps.max(), 1))), caps)
        else:
            mean = np.full(30, np.nan)
            served = np.full(30, np.nan)
        cols["cap"].append(np.asarray(caps, int))
        cols["customers"].append(np.asarray(n, float))
        cols["expected_demand"].append(n * mean)
        cols["expected_served"].append(n * served)
        cols["supply"].append(np.full(30, sup[pid]))
        cols["note"].append([note] * 30)
    tiers = np.tile(TIERS, len(todo))
    bands = {t: config.tier_band(t) for t in TIERS}
    rows = {"product_id": np.repeat(np.array(todo, dtype=object), 30), "tier": tiers,
            "tier_band": [bands[t] for t in tiers]}
    for k in ("cap", "customers", "expected_demand", "expected_served", "supply"):
        rows[k] = np.concatenate(cols[k]) if todo else np.zeros(0)
    rows["policy"] = [policy] * len(tiers)
    rows["note"] = [x for part in cols["note"] for x in part]
    order = ["product_id", "tier", "tier_band", "cap", "customers", "expected_demand",
             "expected_served", "supply", "policy", "note"]
    rows = {k: rows[k] for k in order}
    out = pd.DataFrame(rows)
    out.attrs.update(period=str(p), history=f"{first}..{last}")
    return out

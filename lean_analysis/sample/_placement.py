"""The weekly supply of the rationed specifications and the placement truth.

Supply of a rationed specification in week ``w`` = Σ over the week's order lines of the
line's cap (every ordering customer can take its tier's cap) plus a slack of 0–3 % drawn from
its own stream ``stream(seed, "supply")`` (so the order streams are untouched), rounded up to
whole cartons. The caps the generator draws are therefore feasible: Σ caps × ordering
customers ≤ supply, every week.

The truth (``truth.json["placement"]``) is computed from running histograms of the written
lines, per rationed specification × month × tier: lines, Σ demand, Σ order and the counts
of lines with demand ≥ k (k = 1 … :data:`KMAX`). The oracle solves, per specification and
month, the problem of ``placement.recommend`` with the month's true demand known: caps per
tier, integer, ≥ 1 carton, non-decreasing in tier, Σ_t cap_t × lines_t ≤ the month's supply,
maximising Σ min(demand, cap) (served cartons), with scipy's HiGHS ``milp``. It is written
independently of :mod:`lean_analysis.placement` so that it checks it.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from lean_analysis.config import TIER_BANDS
from lean_analysis.sample._world import World, stream

KMAX = 80  # caps above this never bind in the sample (demand per line is far below)
TRUTH_MONTHS = 12  # months of the backtest window ending at the last full month
SLACK_MAX = 0.03


class PlacementTotals:
    """Running sums over the written lines of the rationed specifications."""

    def __init__(self, world: World):
        self.world = world
        self.scarce = np.flatnonzero(world.scarce)
        self.slot = np.full(len(world.products), -1)
        self.slot[self.scarce] = np.arange(len(self.scarce))
        S, T, M = len(self.scarce), world.n_weeks, len(world.months)
        self.cap_week = np.zeros((S, T))  # Σ cap over the week's lines
        self.lines = np.zeros((S, M, 31))
        self.demand = np.zeros((S, M, 31))
        self.order = np.zeros((S, M, 31))
        self.ge = np.zeros((S, M, 31, KMAX + 1))  # lines with demand ≥ k (index k)

    def add(self, chunk: dict) -> None:
        w = self.world
        keep = ~np.isnan(chunk["cap"]) & (self.slot[chunk["p"]] >= 0)
        s = self.slot[chunk["p"][keep]]
        t = chunk["t"][keep]
        tier = w.tier[chunk["c"][keep]].astype(np.int64)
        m = w.week_month[t]
        d, cap, order = chunk["demand"][keep], chunk["cap"][keep], chunk["order"][keep]
        np.add.at(self.cap_week, (s, t), cap)
        np.add.at(self.lines, (s, m, tier), 1.0)
        np.add.at(self.demand, (s, m, tier), d)
        np.add.at(self.order, (s, m, tier), order)
        dk = np.minimum(d, KMAX).astype(np.int64)
        hist = np.zeros(self.ge.shape)
        np.add.at(hist, (s, m, tier, dk), 1.0)
        self.ge += hist[..., ::-1].cumsum(axis=-1)[..., ::-1]

    def supply(self) -> dict:
        """The ``supply`` table: one row per rationed specification and week with lines."""
        w = self.world
        rng = stream(w.seed, "supply")
        slack = rng.uniform(0.0, SLACK_MAX, self.cap_week.shape)
        qty = np.ceil(self.cap_week * (1.0 + slack))
        si, ti = np.nonzero(self.cap_week > 0)
        order = np.lexsort((self.scarce[si], ti))
        si, ti = si[order], ti[order]
        self.supply_week = np.where(self.cap_week > 0, qty, 0.0)
        return {"week": w.weeks[ti], "product_id": w.products["product_id"].to_numpy()[self.scarce[si]],
                "supply_qty": qty[si, ti]}

    def truth(self) -> dict:
        w = self.world
        pids = w.products["product_id"].to_numpy()
        months = [str(m) for m in w.months]
        last = len(months) - 1
        window = list(range(max(0, last - TRUTH_MONTHS + 1), last + 1))
        supply_m = np.zeros((len(self.scarce), len(months)))
        for t in range(w.n_weeks):
            supply_m[:, w.week_month[t]] += self.supply_week[:, t]
        tiers = np.arange(31)
        prods: dict = {}
        tot = {"demand": 0.0, "actual": 0.0, "oracle": 0.0}
        for s, p in enumerate(self.scarce):
            by_month = {}
            agg = {"demand": 0.0, "actual": 0.0, "oracle": 0.0, "supply": 0.0}
            for m in window:
                dem = float(self.demand[s, m].sum())
                if dem <= 0:
                    continue
                served_o, caps_o = _oracle(self.lines[s, m], self.ge[s, m], supply_m[s, m])
                by_month[months[m]] = {
                    "demand": dem, "served_actual": float(self.order[s, m].sum()),
                    "served_oracle": served_o, "supply": float(supply_m[s, m]),
                    "oracle_caps": {str(t): int(c) for t, c in zip(tiers[1:], caps_o[1:], strict=True)
                                    if self.lines[s, m, t] > 0},
                }
                agg["demand"] += dem
                agg["actual"] += float(self.order[s, m].sum())
                agg["oracle"] += served_o
                agg["supply"] += float(supply_m[s, m])
            band = {}
            band12 = {}
            for label, (lo, hi) in TIER_BANDS.items():
                band[label] = float(self.demand[s, last, lo:hi + 1].sum())
                band12[label] = float(self.demand[s, window][:, lo:hi + 1].sum())
            prods[pids[p]] = {
                "demand_by_band": band,
                "demand_by_band_12m": band12,
                "served_share_actual": agg["actual"] / agg["demand"] if agg["demand"] else None,
                "served_share_oracle": agg["oracle"] / agg["demand"] if agg["demand"] else None,
                "demand_12m": agg["demand"], "served_actual_12m": agg["actual"],
                "served_oracle_12m": agg["oracle"], "supply_12m": agg["supply"],
                "by_month": by_month,
            }
            for k in tot:
                tot[k] += agg[k]
        return {
            "period": months[last],
            "months": [months[m] for m in window],
            "bands": {k: list(v) for k, v in TIER_BANDS.items()},
            "products": prods,
            "served_share_actual": tot["actual"] / tot["demand"] if tot["demand"] else None,
            "served_share_oracle": tot["oracle"] / tot["demand"] if tot["demand"] else None,
            "supply_definition": (
                "supply_qty of a week = ceil(Σ over the week's order lines of cap_qty × (1 + u)), "
                f"u ~ U(0, {SLACK_MAX}) from stream 'supply'"),
            "definition": (
                "demand = Σ demand_qty (the planted, uncensored demand: the generator records it "
                "in full); served share = Σ min(demand, cap) ÷ Σ demand; demand_by_band is the "
                "period month (last full month), *_12m and served shares the 12 months ending "
                "there; oracle = per specification and month, caps per tier (integer ≥ 1, "
                "non-decreasing in tier, Σ cap_t × order lines_t ≤ the month's Σ supply_qty) "
                "maximising Σ min(demand, cap) with the month's true demand known (HiGHS milp)"),
        }


def _oracle(lines: np.ndarray, ge: np.ndarray, supply: float) -> tuple[float, np.ndarray]:
    """Best served cartons and caps (index = tier) for one specification and month.

    Variables: per tier with lines, its cap c_t (integer) and unit increments x_{t,k} ∈ [0, 1]
    for k = 2 … KMAX (the first carton is the floor); served = Σ_t (lines_t + Σ_k ge_{t,k} x_{t,k}),
    c_t = 1 + Σ_k x_{t,k}. As ge_{t,k} falls in k, an optimum fills the increments in order.
    """
    tiers = np.flatnonzero(lines[1:] > 0) + 1
    caps = np.zeros(31)
    n = len(tiers)
    K = KMAX - 1  # increments k = 2 … KMAX
    nv = n * (K + 1)  # per tier: c_t then K increments
    cvec = np.zeros(nv)
    A, lo, hi = [], [], []
    for i, t in enumerate(tiers):
        base = i * (K + 1)
        cvec[base + 1: base + 1 + K] = -ge[t, 2:KMAX + 1]
        row = np.zeros(nv)
        row[base] = 1.0
        row[base + 1: base + 1 + K] = -1.0
        A.append(row)
        lo.append(1.0)
        hi.append(1.0)  # c_t − Σ x = 1
    for i in range(n - 1):  # c_t ≤ c_{t'} for consecutive tiers with lines
        row = np.zeros(nv)
        row[i * (K + 1)] = 1.0
        row[(i + 1) * (K + 1)] = -1.0
        A.append(row)
        lo.append(-np.inf)
        hi.append(0.0)
    row = np.zeros(nv)
    for i, t in enumerate(tiers):
        row[i * (K + 1)] = lines[t]
    A.append(row)
    lo.append(-np.inf)
    hi.append(float(supply))
    integ = np.zeros(nv)
    integ[:: K + 1] = 1
    ub = np.ones(nv)
    ub[:: K + 1] = KMAX
    lb = np.zeros(nv)
    lb[:: K + 1] = 1
    res = milp(cvec, constraints=LinearConstraint(np.array(A), lo, hi), integrality=integ,
               bounds=Bounds(lb, ub), options={"mip_rel_gap": 1e-9})
    if res.status != 0:  # supply below one carton per line: cannot happen with the drawn caps
        raise RuntimeError(f"placement oracle: {res.message}")
    caps[tiers] = np.round(res.x[:: K + 1])
    served = float(lines[tiers].sum() - res.fun)
    return served, caps

"""Weekly order lines and shelf checks, drawn chunk by chunk of customers.

Each chunk of ``CHUNK`` customers has its own random stream, so the lines of a customer do not
depend on how many chunks are held in memory (the scaled sizes write one Parquet part per
``PART_CHUNKS`` chunks). Running sums for ``truth.json`` and the managers' forecasts are
accumulated in :class:`Totals`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from lean_analysis.sample._world import NB_SHAPE, World, stream

CHUNK = 250  # customers per random stream
PART_CHUNKS = 4  # chunks per Parquet part of the scaled sizes (1,000 customers)
RECENT_WEEKS = 6  # a store carries an item on the shelf when it ordered it this recently


@dataclass
class Totals:
    """Running sums over all written order lines (for truth.json and the forecasts)."""

    n_products: int
    n_months: int
    lines: int = 0
    capped_lines: int = 0
    rationed_lines: int = 0
    amount: float = 0.0
    amount_key: float = 0.0
    qty: float = 0.0
    qty_key: float = 0.0
    margin_num: float = 0.0  # Σ order_qty × (retail − wholesale)
    margin_den: float = 0.0  # Σ order_qty × retail
    order_pm: np.ndarray = field(default=None)  # product × month Σ order_qty
    demand_pm: np.ndarray = field(default=None)

    def __post_init__(self):
        self.order_pm = np.zeros((self.n_products, self.n_months))
        self.demand_pm = np.zeros((self.n_products, self.n_months))


def chunks(world: World) -> list[tuple[int, int, int]]:
    """(chunk index, first customer, end customer) of every chunk."""
    C = world.size.n_customers
    return [(i, c0, min(C, c0 + CHUNK)) for i, c0 in enumerate(range(0, C, CHUNK))]


def _pair_means(world: World, c0: int, c1: int):
    """Pairs (customer, product) carried in the chunk and their weekly means μ (pairs × T)."""
    base = world.base[c0:c1]
    ci, pi = np.nonzero(base > 0)
    ci = ci + c0
    T = world.n_weeks
    mu = base[ci - c0, pi].astype(np.float64)[:, None] * world.mult[pi, :]
    t = np.arange(T)[None, :]
    start = np.maximum(world.active_start[ci], world.adopt[ci, pi])[:, None]
    mu *= (t >= start) & (t <= world.active_end[ci][:, None])
    return ci, pi, mu


def expected_mu(world: World, c: int, p: int) -> np.ndarray:
    """Planted weekly mean of one customer × product without any programme lift."""
    ci, pi, mu = _pair_means(world, c, c + 1)
    hit = np.flatnonzero(pi == p)
    return mu[hit[0]] if len(hit) else np.zeros(world.n_weeks)


def draw_chunk(world: World, chunk: int, c0: int, c1: int, totals: Totals) -> dict:
    """Order lines of customers ``c0 … c1-1``: arrays sorted by (week, customer, product)."""
    rng = stream(world.seed, "orders", chunk)
    ci, pi, mu = _pair_means(world, c0, c1)
    for row in range(len(ci)):  # programme lifts (a few dozen pairs at most)
        hit = world.lift_rows.get((int(ci[row]), int(pi[row])))
        if hit is not None:
            mu[row, hit[0]:] *= hit[1]
    g = rng.gamma(NB_SHAPE, 1.0 / NB_SHAPE, mu.shape)
    demand = rng.poisson(mu * g).astype(np.float64)
    # lines in (week, pair) order = (week, customer, product) within the chunk
    t_idx, pair = np.nonzero(demand.T > 0)
    c_idx, p_idx = ci[pair], pi[pair]
    d = demand[pair, t_idx]
    cap = world.cap[p_idx, world.tier[c_idx], t_idx].astype(np.float64)
    rationed = ~np.isnan(cap)
    order = np.fmin(d, cap)  # NaN cap = not rationed
    amount = np.round(order * world.wholesale[p_idx], 2)

    # running sums
    m_idx = world.week_month[t_idx]
    key = world.key[p_idx]
    totals.lines += len(d)
    totals.rationed_lines += int(rationed.sum())
    totals.capped_lines += int((rationed & (order >= cap)).sum())
    totals.amount += float(amount.sum())
    totals.amount_key += float(amount[key].sum())
    totals.qty += float(order.sum())
    totals.qty_key += float(order[key].sum())
    totals.margin_num += float((order * (world.retail - world.wholesale)[p_idx]).sum())
    totals.margin_den += float((order * world.retail[p_idx]).sum())
    flat = p_idx * totals.n_months + m_idx
    size = totals.n_products * totals.n_months
    totals.order_pm += np.bincount(flat, weights=order, minlength=size).reshape(totals.order_pm.shape)
    totals.demand_pm += np.bincount(flat, weights=d, minlength=size).reshape(totals.demand_pm.shape)

    shelf = _shelf_checks(world, chunk, c0, c1, ci, pi, demand, mu)
    return {"t": t_idx.astype(np.int32), "c": c_idx.astype(np.int32), "p": p_idx.astype(np.int32),
            "demand": d, "cap": cap, "order": order, "amount": amount, "shelf": shelf}


def iter_chunks(world: World, totals: Totals) -> Iterator[dict]:
    for chunk, c0, c1 in chunks(world):
        yield draw_chunk(world, chunk, c0, c1, totals)


# ---- shelf checks ---------------------------------------------------------------------------

def visit_plan(world: World) -> dict[int, list[tuple[int, np.datetime64]]]:
    """Monthly store visits: programme targets and placebo stores every month, plus a random
    share of the other active customers. Returns customer -> [(week index, date), …]."""
    rng = stream(world.seed, "visits")
    must = set(world.p1_targets) | set(world.p2_targets) | set(world.placebo)
    C = world.size.n_customers
    plan: dict[int, list] = {}
    last_day = np.datetime64("2026-10-31")
    for month in world.months:
        first = month.astype("datetime64[D]")
        day = first + rng.integers(0, 26, C).astype("timedelta64[D]")
        dow = (day.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
        day = day + np.where(dow >= 5, 7 - dow, 0).astype("timedelta64[D]")  # weekend -> Monday
        day = np.maximum(day, world.weeks[0])
        day = np.minimum(day, last_day)
        pick = rng.random(C) < world.size.visit_share
        wk = ((day - world.weeks[0]).astype(np.int64) // 7).astype(np.int64)
        for c in np.flatnonzero(pick | np.isin(np.arange(C), list(must))):
            w = int(wk[c])
            if world.active_start[c] <= w <= world.active_end[c]:
                plan.setdefault(int(c), []).append((w, day[c]))
    return plan


def _shelf_checks(world, chunk, c0, c1, ci, pi, demand, mu) -> dict:
    plan = world.visit_plan
    rng = stream(world.seed, "shelf", chunk)
    T = world.n_weeks
    pair_of = {(int(c), int(p)): r for r, (c, p) in enumerate(zip(ci, pi, strict=True))}
    # last week with an order, per pair and week
    tt = np.where(demand > 0, np.arange(T)[None, :], -10_000)
    last = np.maximum.accumulate(tt, axis=1)
    cols = {"date": [], "c": [], "p": [], "on_shelf": [], "stock": []}
    checked = [world.cult, *world.focus]
    new = [int(p) for p in np.flatnonzero(world.launch_idx > 0)]
    for c in range(c0, c1):
        for w, day in plan.get(c, []):
            prods = checked + [p for p in new if world.launch_idx[p] <= w]
            for p in sorted(set(prods)):
                r = pair_of.get((c, p))
                # ordered recently; in the first weeks (no history yet) an established item
                recent = r is not None and (w - last[r, w] <= RECENT_WEEKS or (
                    w < RECENT_WEEKS and last[r, w] < 0 and world.adopt[c, p] == 0))
                u = rng.random()
                on = u < (0.95 if recent else 0.04)
                if c in world.p1_targets and p == world.cult and w >= world.p1_start_idx:
                    on = True
                mean = float(mu[r, w]) if r is not None else 0.0
                stock = float(rng.poisson(1.0 + 1.5 * mean)) if on else 0.0
                if rng.random() < 0.03:
                    stock = np.nan
                cols["date"].append(day)
                cols["c"].append(c)
                cols["p"].append(p)
                cols["on_shelf"].append(bool(on))
                cols["stock"].append(stock)
    return {
        "date": np.array(cols["date"], dtype="datetime64[D]"),
        "c": np.array(cols["c"], dtype=np.int32),
        "p": np.array(cols["p"], dtype=np.int32),
        "on_shelf": np.array(cols["on_shelf"], dtype=bool),
        "stock": np.array(cols["stock"], dtype=np.float64),
    }

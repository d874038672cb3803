"""Comparison customers chosen by matching: customers like the targets, not "everyone else".

Exact matching on categories (area, tier band, format), then the ``k`` nearest neighbours on
pre-period sales and tier within the cell, by standardised Euclidean distance

    d(i, j) = sqrt( Σ_v ((x_iv − x_jv) / s_v)² ),   v ∈ {pre-period sales, tier},

with s_v the standard deviation of v over all candidate customers (Stuart 2010, "Matching
methods for causal inference", Stat. Sci. 25(1)). Without replacement by default: targets are
served in turn (the one with the closest neighbour first), each taking its nearest unused
candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lean_analysis.config import tier_band


def match_comparison(
    customers: pd.DataFrame,
    pre_outcome: pd.Series | pd.DataFrame,
    targets: Sequence,
    k: int = 5,
    on: Sequence[str] = ("area", "tier_band", "format"),
    distance_on: Sequence[str] = ("pre_outcome", "tier"),
    replace: bool = False,
    relax: bool = True,
    exclude: Sequence | None = None,
) -> pd.DataFrame:
    """Pick ``k`` comparison customers per target customer.

    Exact matching on the ``on`` categories, then the ``k`` nearest candidates of the cell by
    the standardised Euclidean distance over ``distance_on`` (module docstring), each
    standard deviation taken over all candidates; targets are served in order of their
    nearest neighbour, without replacement by default.

    Parameters
    ----------
    customers : pandas.DataFrame
        The customers table (``customer_id``, ``area``, ``tier``, ``format``, …);
        ``tier_band`` is derived from ``tier`` when absent.
    pre_outcome : pandas.Series or pandas.DataFrame
        Pre-period sales per customer (Series indexed by customer_id, or a DataFrame with
        ``customer_id`` and ``pre_outcome``). Customers without a value are not candidates
        (counted in ``result.attrs["excluded"]``).
    targets : sequence
        The target customer ids.
    k : int, default 5
        Comparison customers per target.
    on : sequence of str, default ("area", "tier_band", "format")
        Exact-match columns. With ``relax=True`` a target whose cell has fewer than ``k``
        candidates is matched on fewer columns (dropping them from the right); the
        ``matched_on`` column says which were used. ``relax=False`` keeps the shortfall.
    distance_on : sequence of str, default ("pre_outcome", "tier")
        Numeric columns of the distance.
    replace : bool, default False
        Allow one comparison customer to serve several targets.
    relax : bool, default True
        See ``on``.
    exclude : sequence, optional
        Customers never to pick (e.g. other programmes' targets).

    Returns
    -------
    pandas.DataFrame
        One row per (target, comparison customer): ``target_id``, ``customer_id``,
        ``rank``, ``distance``, ``matched_on`` and both customers' ``on``/``distance_on``
        values (the target's prefixed ``target_``). ``attrs["shortfall"]`` maps targets to
        how many of the ``k`` could not be found; ``attrs["excluded"]`` counts candidates
        left out.

    References
    ----------
    Stuart, E. A. (2010). Matching methods for causal inference: a review and a look
    forward. *Statistical Science* 25(1), 1–21.

    Abadie, A. & Imbens, G. W. (2006). Large sample properties of matching estimators for
    average treatment effects. *Econometrica* 74(1), 235–267. (Nearest neighbours on a
    standardised distance.)

    Examples
    --------
    A target (urban, 超市, pre-sales 40) and three candidates: C3 (rural) has the same sales
    but another area, so it is not in the target's cell; of C1 (41) and C2 (60), C1 is
    nearer. The SD of pre-sales over the candidates (41, 60, 40) is 11.27 and that of tier
    (all 25) is 0, taken as 1, so the distances are 1 / 11.27 = 0.0887 and 20 / 11.27:

    >>> import pandas as pd
    >>> cust = pd.DataFrame({"customer_id": ["T", "C1", "C2", "C3"],
    ...                      "area": ["urban", "urban", "urban", "rural"],
    ...                      "format": ["超市"] * 4, "tier": [25, 25, 25, 25]})
    >>> pre = pd.Series({"T": 40.0, "C1": 41.0, "C2": 60.0, "C3": 40.0})
    >>> m = match_comparison(cust, pre, ["T"], k=2, on=["area", "format"])
    >>> m[["customer_id", "rank"]].values.tolist(), m["distance"].round(4).tolist()
    ([['C1', 1], ['C2', 2]], [0.0887, 1.7747])
    >>> m["matched_on"].unique().tolist()
    ['area+format']
    """
    where = "brand.match_comparison"
    if k < 1:
        raise ValueError(f"{where}: k must be ≥ 1, got {k}")
    cust = customers.copy()
    if "tier_band" in on and "tier_band" not in cust.columns:
        if "tier" not in cust.columns:
            raise ValueError(f"{where}: customers need a 'tier' or 'tier_band' column")
        cust["tier_band"] = cust["tier"].map(tier_band)
    if isinstance(pre_outcome, pd.DataFrame):
        pre = pre_outcome.set_index("customer_id")["pre_outcome"]
    else:
        pre = pre_outcome
    cust["pre_outcome"] = cust["customer_id"].map(pre)
    missing = [c for c in ["customer_id", *on, *distance_on] if c not in cust.columns]
    if missing:
        raise ValueError(f"{where}: customers lack column(s) {missing}")
    targets = list(dict.fromkeys(targets))
    unknown = [t for t in targets if t not in set(cust["customer_id"])]
    if unknown:
        raise ValueError(f"{where}: target(s) {unknown[:10]} not in customers.customer_id")
    tg = cust.set_index("customer_id").loc[targets]
    if tg[list(distance_on)].isna().any().any():
        bad = tg.index[tg[list(distance_on)].isna().any(axis=1)][0]
        raise ValueError(f"{where}: target {bad!r} has no value for {list(distance_on)}")

    excluded: dict[str, int] = {}
    cand = cust[~cust["customer_id"].isin(set(targets) | set(exclude or []))]
    miss = cand[list(distance_on)].isna().any(axis=1)
    if miss.any():
        excluded["no pre-period value"] = int(miss.sum())
    cand = cand[~miss].set_index("customer_id")
    scale = cand[list(distance_on)].astype(float).std().replace(0, 1.0).fillna(1.0)

    def dists(t_row, pool):
        diff = (pool[list(distance_on)].astype(float) - t_row[list(distance_on)].astype(float)) / scale
        return np.sqrt((diff**2).sum(axis=1))

    def pool_for(t_row, used):
        avail = cand if replace else cand[~cand.index.isin(used)]
        keys = list(on)
        while True:
            mask = np.ones(len(avail), dtype=bool)
            for c in keys:
                mask &= (avail[c] == t_row[c]).to_numpy()
            pool = avail[mask]
            if len(pool) >= k or not relax or not keys:
                return pool, keys
            keys = keys[:-1]

    # serve targets in order of their nearest neighbour before any is used (ties by id)
    first_d = {}
    for t in targets:
        pool, _ = pool_for(tg.loc[t], set())
        first_d[t] = float(dists(tg.loc[t], pool).min()) if len(pool) else np.inf
    used: set = set()
    rows = []
    shortfall: dict = {}
    for t in sorted(targets, key=lambda x: (first_d[x], str(x))):
        pool, keys = pool_for(tg.loc[t], used)
        d = dists(tg.loc[t], pool) if len(pool) else pd.Series(dtype=float)
        order = pd.DataFrame({"customer_id": d.index, "distance": d.to_numpy()})
        order = order.sort_values(["distance", "customer_id"], kind="mergesort").head(k)
        for rank, (cid, dist) in enumerate(zip(order["customer_id"], order["distance"], strict=True), 1):
            rows.append({"target_id": t, "customer_id": cid, "rank": rank, "distance": float(dist),
                         "matched_on": "+".join(keys) if keys else "(none)"})
            used.add(cid)
        if len(order) < k:
            shortfall[t] = k - len(order)

    out = pd.DataFrame(rows, columns=["target_id", "customer_id", "rank", "distance", "matched_on"])
    info_cols = list(dict.fromkeys([*on, *distance_on]))
    out = out.merge(cand[info_cols].rename_axis("customer_id").reset_index(),
                    on="customer_id", how="left")
    tinfo = tg[info_cols].add_prefix("target_").rename_axis("target_id").reset_index()
    out = out.merge(tinfo, on="target_id", how="left")
    out = out.sort_values(["target_id", "rank"], ignore_index=True)
    out.attrs["shortfall"] = shortfall
    out.attrs["excluded"] = excluded
    return out

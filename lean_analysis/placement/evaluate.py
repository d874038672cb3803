"""The month's placement: demand, caps, orders, served share, fairness; the supply checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lean_analysis.data import Tables
from lean_analysis.placement import _lines as L

__all__ = ["gini", "evaluate", "Evaluation", "check_supply", "SupplyError"]


def gini(share, weight=None) -> float:
    """Weighted Gini coefficient of ``share`` (NaN entries and zero weights ignored).

    G = Σ_i Σ_j w_i w_j |s_i − s_j| ÷ (2 (Σ w)² s̄),  s̄ = Σ w s ÷ Σ w
    (the Gini mean difference over twice the mean; Yitzhaki & Schechtman, *The Gini
    Methodology*, 2013, ch. 2). Here the units are the tiers and the weights their demand:
    the policy decides per tier, so the tiers' served shares measure how evenly it treats
    them; a per-customer Gini would mostly measure week-to-week demand noise.
    """
    s = np.asarray(share, float)
    w = np.ones_like(s) if weight is None else np.asarray(weight, float)
    ok = ~np.isnan(s) & (w > 0)
    s, w = s[ok], w[ok]
    if len(s) == 0 or (w * s).sum() <= 0:
        return float("nan")
    mean = (w * s).sum() / w.sum()
    diff = np.abs(s[:, None] - s[None, :])
    return float((w[:, None] * w[None, :] * diff).sum() / (2 * w.sum() ** 2 * mean))


@dataclass
class Evaluation:
    """``groups`` per specification × ``by``; ``products`` per specification (with supply and
    Gini across tiers); ``total`` over the rationed specifications."""

    groups: pd.DataFrame
    products: pd.DataFrame
    total: dict
    period: str

    def to_frame(self) -> pd.DataFrame:
        return self.groups


def _agg(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    df = df.assign(demand=np.maximum(df["demand_qty"].fillna(df["order_qty"]), df["order_qty"]),
                   at_cap=(df["order_qty"] >= df["cap_qty"]).astype(float))
    df["unserved"] = df["demand"] - df["order_qty"]
    df["unserved_value"] = df["unserved"] * df["wholesale_price"]
    g = df.groupby(keys, as_index=False, observed=True).agg(
        lines=("order_qty", "size"), customers=("customer_id", "nunique"), demand=("demand", "sum"),
        cap=("cap_qty", "sum"), orders=("order_qty", "sum"), at_cap_share=("at_cap", "mean"),
        unserved=("unserved", "sum"), unserved_value=("unserved_value", "sum"))
    g["served_share"] = g["orders"] / g["demand"]
    g["fill_rate"] = g["orders"] / g["cap"]
    return g


def evaluate(tables: Tables, period, by=("tier_band",)) -> Evaluation:
    """Placement of ``period`` per rationed specification and ``by`` (tier, tier_band, area).

    Definitions (rationed lines of the month): demand = Σ recorded demand (order where it is
    missing); served share = Σ order ÷ Σ demand (= Σ min(demand, cap) ÷ Σ demand); fill rate
    (订足率) = Σ order ÷ Σ cap; order-at-cap share (订足面) = lines with order ≥ cap ÷ lines;
    unserved = Σ (demand − order) in cartons and ¥ (× wholesale price); supply used =
    Σ order ÷ Σ supply_qty of the month (per specification; table ``supply`` when loaded);
    gini = demand-weighted Gini of the served shares of the 30 tiers (:func:`gini`).
    """
    p = L.month(period)
    keys = [by] if isinstance(by, str) else list(by)
    df = L.lines(tables, p, p)
    groups = _agg(df, ["product_id", *keys])
    prods = _agg(df, ["product_id"])
    tiers = _agg(df, ["product_id", "tier"])
    prods["gini"] = [gini(t["served_share"], t["demand"]) for _, t in
                     tiers.groupby("product_id")] if len(tiers) else []
    if "supply" in tables:
        s = L.supply_rows(tables, p, p).groupby("product_id")["supply_qty"].sum()
        prods["supply"] = prods["product_id"].map(s)
        prods["supply_used"] = prods["orders"] / prods["supply"]
    else:
        prods["supply"] = np.nan
        prods["supply_used"] = np.nan
    tot_t = _agg(df, ["tier"])
    total = {
        "demand": float(prods["demand"].sum()), "orders": float(prods["orders"].sum()),
        "served_share": float(prods["orders"].sum() / prods["demand"].sum()) if len(prods) else np.nan,
        "supply": float(prods["supply"].sum()),
        "supply_used": float(prods["orders"].sum() / prods["supply"].sum()) if prods["supply"].sum() else np.nan,
        "unserved": float(prods["unserved"].sum()), "unserved_value": float(prods["unserved_value"].sum()),
        "gini": gini(tot_t["served_share"], tot_t["demand"]) if len(tot_t) else np.nan,
    }
    return Evaluation(groups, prods, total, str(p))


class SupplyError(ValueError):
    """The supply table breaks a cross-table rule; ``table``, ``column``, ``rows`` name it."""

    def __init__(self, message, table="supply", column=None, rows=()):
        super().__init__(message)
        self.table, self.column, self.rows = table, column, list(rows)


def check_supply(tables: Tables, period) -> None:
    """Cross-table rules of ``supply`` for ``period``; raises :class:`SupplyError`.

    - every row's product is rationed (has order lines with cap_qty);
    - supply_qty is finite and ≥ 0 (the schema checks ≥ 0; infinity is caught here);
    - every rationed specification with lines in the month has a supply row in each order
      week of the month.
    Row numbers count the table's rows from 1 in table order.
    """
    p = L.month(period)
    if "supply" not in tables:
        raise SupplyError("table 'supply' is missing: placement needs the weekly supply")
    sup = tables.sql("SELECT row_number() OVER () AS row, CAST(week AS DATE) AS week, product_id, "
                     "CAST(supply_qty AS DOUBLE) AS supply_qty FROM supply")
    rationed = set(L.rationed_products(tables))
    bad = sup[~sup["product_id"].astype(str).isin(rationed)]
    if len(bad):
        raise SupplyError(
            f"table 'supply', column product_id: {len(bad)} row(s) name a product that is not "
            f"rationed (no order line with cap_qty): rows {bad['row'].head(5).tolist()} "
            f"(e.g. {bad['product_id'].iloc[0]!r})", column="product_id", rows=bad["row"])
    q = sup["supply_qty"]
    bad = sup[~np.isfinite(q) | (q < 0)]
    if len(bad):
        raise SupplyError(
            f"table 'supply', column supply_qty: {len(bad)} row(s) not finite and ≥ 0: rows "
            f"{bad['row'].head(5).tolist()} (e.g. {bad['supply_qty'].iloc[0]})",
            column="supply_qty", rows=bad["row"])
    lines = L.lines(tables, p, p)
    need = lines[["product_id", "week"]].drop_duplicates()
    need["week"] = pd.to_datetime(need["week"])
    have = sup.assign(week=pd.to_datetime(sup["week"]))[["product_id", "week"]]
    miss = need.merge(have, how="left", indicator=True)
    miss = miss[miss["_merge"] == "left_only"]
    if len(miss):
        ex = miss.iloc[0]
        raise SupplyError(
            f"table 'supply' does not cover {p}: {len(miss)} (product, week) pair(s) with "
            f"rationed order lines have no supply row (e.g. {ex['product_id']} week "
            f"{ex['week'].date()})", column="week")

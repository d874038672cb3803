"""Customer indicators: active customers, coverage, sell-through, repurchase, new-product
coverage."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from lean_analysis.calendar import active_window as _active_window
from lean_analysis.calendar import month_period as _period
from lean_analysis.data.tables import Tables
from lean_analysis.kpis.months import (
    _require,
)
from lean_analysis.kpis.sql import (
    CUSTOMER_KEYS,
    PRODUCT_KEYS,
    _from,
    _keys,
    _select_keys,
    _where,
)

# --------------------------------------------------------------------------- customers


def _ordering_sql(keys: Sequence[str], months) -> str:
    """DISTINCT (keys, customer_id) of the lines with order_qty > 0 in ``months``."""
    return (
        f"SELECT DISTINCT {_select_keys(keys)}o.customer_id FROM {_from(keys)} "
        f"WHERE o.order_qty > 0 AND {_where(months)}"
    )


def active_customers(tables: Tables, period: str, window: int = 3, include_current: bool = False,
                     by: str | Sequence[str] | None = None) -> int | pd.DataFrame:
    """Active customers: customers with an order (order_qty > 0) in the ``window`` months
    before ``period`` (DESIGN §2, "ordered in the previous 3 periods").

    Assumption: for 2026-10 the window is 2026-07, 2026-08, 2026-09 (the current month is
    not in it); ``include_current=True`` makes it 2026-08 .. 2026-10. Returns the count, or
    with ``by`` (customer columns, e.g. ``"area"``) a DataFrame ``by…, active_customers``.
    Raises :class:`PeriodNotCovered` when the window is not covered.

    Example (tests): A ordered only in July, B in September and October, D in September,
    C only in October → 3 active customers for 2026-10 (A, B, D); with
    ``include_current=True`` (August–October) B, C, D; with ``window=1`` (September) 2.
    """
    p = _period(period)
    win = _active_window(p, window, include_current)
    _require(tables, *win, f"active customers of {p} (orders in {win[0]} .. {win[1]})")
    keys = _keys(by)
    if any(k in PRODUCT_KEYS for k in keys):
        raise ValueError("active customers are grouped by customer columns only")
    inner = _ordering_sql(keys, win)
    if not keys:
        return int(tables.sql(f"SELECT count(*) AS n FROM ({inner})")["n"].iloc[0])
    cols = ", ".join(f'"{k}"' for k in keys)
    df = tables.sql(f"SELECT {cols}, count(*) AS active_customers FROM ({inner}) GROUP BY ALL")
    return df.sort_values(keys, ignore_index=True)


def _product_keys(by) -> list[str]:
    keys = _keys(by)
    if any(k in CUSTOMER_KEYS for k in keys):
        raise ValueError(f"by={by!r}: group items by product columns {PRODUCT_KEYS}")
    return keys


def coverage(tables: Tables, period: str, by: str | Sequence[str] | None = "product_id",
             window: int = 3, include_current: bool = False,
             numerator: str = "base") -> pd.DataFrame:
    """Coverage (覆盖率/铺货率) per item = customers who ordered the item in ``period`` ÷
    active customers (see :func:`active_customers`).

    ``numerator="base"`` (default, assumption): only active customers count in the
    numerator, so coverage is a share of the active base (≤ 1); customers who ordered the
    item but were not active are counted in ``ordered_not_active``.
    ``numerator="all"`` counts every customer who ordered it (may exceed 1).
    Items are those with any order line in the period (a line with order 0 included).
    Columns: ``by…, ordered, ordered_not_active, active, coverage``.

    Example (tests): 4 active customers, 2 of them and 1 new customer ordered item X
    → coverage 2 ÷ 4 = 0.5 (``numerator="all"``: 3 ÷ 4 = 0.75).
    """
    if numerator not in ("base", "all"):
        raise ValueError(f"numerator must be 'base' or 'all', not {numerator!r}")
    p = _period(period)
    _require(tables, p, p, "coverage")
    active = active_customers(tables, p, window=window, include_current=include_current)
    win = _active_window(p, window, include_current)
    keys = _product_keys(by)
    sel = _select_keys(keys)
    cols = ", ".join(f'"{k}"' for k in keys)
    items = f"SELECT DISTINCT {sel}TRUE AS x FROM {_from(keys)} WHERE {_where((p, p))}"
    sql = f"""
        WITH base AS ({_ordering_sql([], win)}),
             cur AS ({_ordering_sql(keys, (p, p))}),
             counted AS (
                SELECT {cols + ", " if keys else ""}count(*) AS ordered,
                       count(*) FILTER (WHERE b.customer_id IS NULL) AS ordered_not_active
                FROM cur LEFT JOIN base b ON b.customer_id = cur.customer_id
                {"GROUP BY ALL" if keys else ""})
        SELECT {("i." + ", i.".join(f'"{k}"' for k in keys) + ", ") if keys else ""}
               coalesce(counted.ordered, 0) AS ordered,
               coalesce(counted.ordered_not_active, 0) AS ordered_not_active
        FROM ({items}) i {"LEFT JOIN counted USING (" + cols + ")" if keys else ", counted"}
    """
    df = tables.sql(sql)
    df[["ordered", "ordered_not_active"]] = df[["ordered", "ordered_not_active"]].astype(int)
    df["active"] = active
    num = df["ordered"] - (df["ordered_not_active"] if numerator == "base" else 0)
    df["coverage"] = num / active if active else math.nan
    return df.sort_values(keys, ignore_index=True) if keys else df


def sell_through(tables: Tables, period: str, by: str | Sequence[str] | None = "product_id",
                 window: int = 3, numerator: str = "base") -> pd.DataFrame:
    """Sell-through (动销率) per item = customers who ordered the item in ``period`` ÷
    customers who ordered it in the ``window`` months before (DESIGN §2).

    ``by=None`` gives the overall rate (ordered anything). ``numerator="base"`` (default,
    assumption) counts only customers that are also in the base (so the rate is ≤ 1 and
    reads "share of recent buyers who bought again"); ``numerator="all"`` counts every
    customer who ordered this period. Columns: ``by…, base, ordered, ordered_in_base,
    sell_through``; items with an empty base have ``NaN``.

    Example (tests): item X ordered by A, B in July–September and by B, C in October →
    base 2, ordered 2, ordered_in_base 1, sell-through 0.5 (``"all"``: 1.0).
    """
    if numerator not in ("base", "all"):
        raise ValueError(f"numerator must be 'base' or 'all', not {numerator!r}")
    p = _period(period)
    win = _active_window(p, window, False)
    _require(tables, win[0], p, f"sell-through of {p} (orders in {win[0]} .. {p})")
    keys = _product_keys(by)
    on = " AND ".join([f'b."{k}" IS NOT DISTINCT FROM cur."{k}"' for k in keys]
                      + ["b.customer_id = cur.customer_id"])
    exprs = [f'coalesce(cur."{k}", b."{k}")' for k in keys]
    pick = ", ".join(f'{e} AS "{k}"' for e, k in zip(exprs, keys, strict=True))
    sql = f"""
        WITH b AS ({_ordering_sql(keys, win)}), cur AS ({_ordering_sql(keys, (p, p))})
        SELECT {pick + ", " if keys else ""}
               count(b.customer_id) AS base, count(cur.customer_id) AS ordered,
               count(*) FILTER (WHERE b.customer_id IS NOT NULL AND cur.customer_id IS NOT NULL)
                 AS ordered_in_base
        FROM b FULL OUTER JOIN cur ON {on}
        {"GROUP BY " + ", ".join(exprs) if keys else ""}
    """
    df = tables.sql(sql)
    for c in ("base", "ordered", "ordered_in_base"):
        df[c] = df[c].astype(int)
    num = df["ordered_in_base"] if numerator == "base" else df["ordered"]
    df["sell_through"] = num / df["base"].where(df["base"] > 0)
    return df.sort_values(keys, ignore_index=True) if keys else df


def repurchase_rate(tables: Tables, period: str, by: str | Sequence[str] | None = "product_id"
                    ) -> pd.DataFrame:
    """Repurchase rate (重购率) per item = customers who ordered the item in both ``period``
    and the month before ÷ customers who ordered it in ``period`` (DESIGN §2).

    ``by=None``: ordered anything. Columns: ``by…, ordered, ordered_both, repurchase_rate``.

    Example (tests): item X ordered by B, C in October and by B in September →
    1 ÷ 2 = 0.5.
    """
    p = _period(period)
    _require(tables, p - 1, p, f"repurchase rate of {p}")
    keys = _product_keys(by)
    on = " AND ".join([f'prev."{k}" IS NOT DISTINCT FROM cur."{k}"' for k in keys]
                      + ["prev.customer_id = cur.customer_id"])
    cols = ", ".join(f'cur."{k}"' for k in keys)
    sql = f"""
        WITH prev AS ({_ordering_sql(keys, (p - 1, p - 1))}), cur AS ({_ordering_sql(keys, (p, p))})
        SELECT {cols + ", " if keys else ""}count(*) AS ordered,
               count(prev.customer_id) AS ordered_both
        FROM cur LEFT JOIN prev ON {on}
        {"GROUP BY " + cols if keys else ""}
    """
    df = tables.sql(sql)
    df[["ordered", "ordered_both"]] = df[["ordered", "ordered_both"]].astype(int)
    df["repurchase_rate"] = df["ordered_both"] / df["ordered"].where(df["ordered"] > 0)
    return df.sort_values(keys, ignore_index=True) if keys else df


# --------------------------------------------------------------------------- new products


def _new_products(tables: Tables, p: pd.Period) -> pd.DataFrame:
    prods = tables["products"][["product_id", "brand", "product_name", "launch_date"]].copy()
    prods["launch_date"] = pd.to_datetime(prods["launch_date"], errors="raise")
    lo, hi = pd.Period(f"{p.year}-01", freq="M").start_time, (p + 1).start_time
    new = prods[(prods["launch_date"] >= lo) & (prods["launch_date"] < hi)]
    return new.sort_values("product_id", ignore_index=True)


def _target_customers(tables: Tables, product: pd.Series) -> set[str] | None:
    if "programmes" not in tables or "programme_targets" not in tables:
        return None
    progs = tables["programmes"]
    pid = progs["product_id"] if "product_id" in progs else pd.Series(None, index=progs.index)
    brand = progs["brand"] if "brand" in progs else pd.Series(None, index=progs.index)
    match = (pid == product["product_id"]) | (pid.isna() & (brand == product["brand"]))
    ids = set(progs.loc[match, "programme_id"])
    if not ids:
        return None
    tg = tables["programme_targets"]
    return set(tg.loc[tg["programme_id"].isin(ids), "customer_id"])


def new_product_coverage(tables: Tables, period: str, base: str = "active", window: int = 3,
                         include_current: bool = False) -> pd.DataFrame:
    """New-product coverage (新品覆盖率) to date, per new product.

    New products: products whose ``launch_date`` lies in January 1 of the period's year
    .. the end of ``period``. For each, coverage = customers in the base who ordered it
    (order_qty > 0) between January and ``period`` ÷ customers in the base.

    ``base="active"`` (default, assumption): the active customers of ``period``
    (:func:`active_customers`: an order in the 3 months before it).
    ``base="target"``: the target customers of the programmes (programme_targets) whose
    ``product_id`` is the product, or whose ``brand`` is its brand when the programme names
    no product; ``NaN`` when no programme targets it.
    Columns: ``product_id, brand, product_name, launch_date, base, ordered,
    ordered_in_base, coverage``. No new product → an empty frame.

    Example (tests): 4 active customers, new product N ordered by 3 of them (and 1 other)
    since its launch → 0.75.
    """
    if base not in ("active", "target"):
        raise ValueError(f"base must be 'active' or 'target', not {base!r}")
    p = _period(period)
    ytd = (pd.Period(f"{p.year}-01", freq="M"), p)
    _require(tables, *ytd, f"new-product coverage of {p} (year to date)")
    new = _new_products(tables, p)
    cols = ["product_id", "brand", "product_name", "launch_date", "base", "ordered",
            "ordered_in_base", "coverage"]
    if new.empty:
        return pd.DataFrame(columns=cols)
    ids = ", ".join("'" + str(x).replace("'", "''") + "'" for x in new["product_id"])
    buyers = tables.sql(
        f"SELECT DISTINCT o.product_id, o.customer_id FROM {_from([])} "
        f"WHERE o.order_qty > 0 AND {_where(ytd)} AND o.product_id IN ({ids})"
    )
    active: set[str] | None = None
    if base == "active":
        win = _active_window(p, window, include_current)
        _require(tables, *win, f"active customers of {p} (orders in {win[0]} .. {win[1]})")
        active = set(tables.sql(_ordering_sql([], win))["customer_id"])
    rows = []
    for _, prod in new.iterrows():
        cust = set(buyers.loc[buyers["product_id"] == prod["product_id"], "customer_id"])
        members = active if base == "active" else _target_customers(tables, prod)
        if members is None:
            n_base, inb = 0, 0
        else:
            n_base, inb = len(members), len(cust & members)
        rows.append({**prod.to_dict(), "base": n_base, "ordered": len(cust), "ordered_in_base": inb,
                     "coverage": inb / n_base if n_base else math.nan})
    return pd.DataFrame(rows, columns=cols)

"""Order lines of the rationed specifications, months and supply, pulled with SQL.

A *rationed line* is an order line with ``cap_qty`` set. The month of a line is the month of
its ``week`` (the Monday that starts the order week), as everywhere in the workbench.
"""

from __future__ import annotations

import pandas as pd

from lean_analysis import config
from lean_analysis.data import Tables

TIER_BAND_SQL = "CASE " + " ".join(
    f"WHEN c.tier BETWEEN {lo} AND {hi} THEN '{label}'" for label, (lo, hi) in config.TIER_BANDS.items()
) + " END"


def month(period) -> pd.Period:
    """``period`` ("2026-10", a date or a Period) as a monthly :class:`pandas.Period`."""
    try:
        return pd.Period(period, freq="M")
    except (ValueError, TypeError) as e:
        raise ValueError(f"period {period!r} is not a month (YYYY-MM)") from e


def month_range(period, months: int) -> tuple[pd.Period, pd.Period]:
    """The ``months`` months ending with ``period`` (inclusive)."""
    p = month(period)
    return p - (int(months) - 1), p


def lines(tables: Tables, first, last, products=None) -> pd.DataFrame:
    """Rationed order lines of months ``first`` … ``last``: product_id, month (YYYY-MM), week,
    customer_id, tier, tier_band, area, demand_qty (recorded, may be NaN), cap_qty,
    order_qty, wholesale_price."""
    lo = month(first).start_time.date()
    hi = (month(last) + 1).start_time.date()
    where = ""
    params: list = [lo, hi]
    if products is not None:
        where = "AND o.product_id IN (SELECT unnest(?))"
        params.append([str(p) for p in products])
    q = f"""
        SELECT o.product_id, strftime(CAST(o.week AS DATE), '%Y-%m') AS month,
               CAST(o.week AS DATE) AS week, o.customer_id, CAST(c.tier AS INTEGER) AS tier,
               {TIER_BAND_SQL} AS tier_band, c.area,
               CAST(o.demand_qty AS DOUBLE) AS demand_qty, CAST(o.cap_qty AS DOUBLE) AS cap_qty,
               CAST(o.order_qty AS DOUBLE) AS order_qty,
               CAST(p.wholesale_price AS DOUBLE) AS wholesale_price
        FROM orders o JOIN customers c USING (customer_id) JOIN products p USING (product_id)
        WHERE o.cap_qty IS NOT NULL AND CAST(o.week AS DATE) >= ? AND CAST(o.week AS DATE) < ? {where}
        ORDER BY o.product_id, week, o.customer_id"""
    return tables.sql(q, params)


def rationed_products(tables: Tables) -> list[str]:
    """Products with at least one order line carrying a cap."""
    df = tables.sql("SELECT DISTINCT product_id FROM orders WHERE cap_qty IS NOT NULL ORDER BY 1")
    return df["product_id"].astype(str).tolist()


def weeks_of(tables: Tables, first, last) -> pd.DataFrame:
    """Order weeks (Mondays with any order line) of months first … last: week, month."""
    lo = month(first).start_time.date()
    hi = (month(last) + 1).start_time.date()
    return tables.sql(
        "SELECT DISTINCT CAST(week AS DATE) AS week, strftime(CAST(week AS DATE), '%Y-%m') AS month "
        "FROM orders WHERE CAST(week AS DATE) >= ? AND CAST(week AS DATE) < ? ORDER BY 1", [lo, hi])


def supply_rows(tables: Tables, first, last) -> pd.DataFrame:
    """Rows of the ``supply`` table in months first … last (week, month, product_id, supply_qty)."""
    if "supply" not in tables:
        raise ValueError("table 'supply' is not loaded: placement needs the weekly supply of each "
                         "rationed specification (columns week, product_id, supply_qty), or pass "
                         "the supply as a number or a mapping product_id -> cartons per week")
    lo = month(first).start_time.date()
    hi = (month(last) + 1).start_time.date()
    return tables.sql(
        "SELECT CAST(week AS DATE) AS week, strftime(CAST(week AS DATE), '%Y-%m') AS month, "
        "product_id, CAST(supply_qty AS DOUBLE) AS supply_qty FROM supply "
        "WHERE CAST(week AS DATE) >= ? AND CAST(week AS DATE) < ? ORDER BY week, product_id", [lo, hi])


def last_month(tables: Tables) -> pd.Period:
    """The last month whose last Monday has order lines (the last complete order month)."""
    hi = pd.Timestamp(tables.sql("SELECT max(CAST(week AS DATE)) AS hi FROM orders")["hi"].iloc[0])
    p = pd.Period(hi, freq="M")
    last_monday = (p + 1).start_time - pd.Timedelta(days=1)
    last_monday -= pd.Timedelta(days=last_monday.weekday())
    return p if hi >= last_monday else p - 1

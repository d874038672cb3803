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


_CACHE_LINES, _CACHE_WEEKS = "_placement_rationed_lines", "_placement_order_weeks"


def _cached(tables: Tables) -> None:
    """Copy the rationed lines (with tier, band, area, price) and the order weeks once into
    temporary DuckDB tables of the connection: a folder of CSV files is otherwise parsed
    again by every query (~1.5 s per query on the county's 2.6 million lines; the report
    asks about a dozen). The copy is rebuilt when the definition of the ``orders``,
    ``customers`` or ``products`` view changes (e.g. a test hides recorded demand)."""
    con = tables.con
    sig = tuple(con.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE view_name IN "
        "('orders', 'customers', 'products') ORDER BY 1").fetchall())
    if getattr(tables, "_placement_signature", None) == sig:
        return
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_CACHE_LINES} AS
        SELECT o.product_id, strftime(CAST(o.week AS DATE), '%Y-%m') AS month,
               CAST(o.week AS DATE) AS week, o.customer_id, CAST(c.tier AS INTEGER) AS tier,
               {TIER_BAND_SQL} AS tier_band, c.area,
               CAST(o.demand_qty AS DOUBLE) AS demand_qty, CAST(o.cap_qty AS DOUBLE) AS cap_qty,
               CAST(o.order_qty AS DOUBLE) AS order_qty,
               CAST(p.wholesale_price AS DOUBLE) AS wholesale_price
        FROM orders o JOIN customers c USING (customer_id) JOIN products p USING (product_id)
        WHERE o.cap_qty IS NOT NULL""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_CACHE_WEEKS} AS
        SELECT DISTINCT CAST(week AS DATE) AS week FROM orders""")
    tables._placement_signature = sig


def lines(tables: Tables, first, last, products=None, columns=None) -> pd.DataFrame:
    """Rationed order lines of months ``first`` … ``last``: product_id, month (YYYY-MM), week,
    customer_id, tier, tier_band, area, demand_qty (recorded, may be NaN), cap_qty,
    order_qty, wholesale_price (``columns``: only those, e.g. to skip turning the string
    columns into Python objects when they are not needed)."""
    _cached(tables)
    lo = month(first).start_time.date()
    hi = (month(last) + 1).start_time.date()
    where = ""
    params: list = [lo, hi]
    if products is not None:
        where = "AND product_id IN (SELECT unnest(?))"
        params.append([str(p) for p in products])
    cols = "*" if columns is None else ", ".join(columns)
    q = f"""SELECT {cols} FROM {_CACHE_LINES} WHERE week >= ? AND week < ? {where}
            ORDER BY product_id, week, customer_id"""
    return tables.sql(q, params)


def rationed_products(tables: Tables) -> list[str]:
    """Products with at least one order line carrying a cap."""
    _cached(tables)
    df = tables.sql(f"SELECT DISTINCT product_id FROM {_CACHE_LINES} ORDER BY 1")
    return df["product_id"].astype(str).tolist()


def weeks_of(tables: Tables, first, last) -> pd.DataFrame:
    """Order weeks (Mondays with any order line) of months first … last: week, month."""
    _cached(tables)
    lo = month(first).start_time.date()
    hi = (month(last) + 1).start_time.date()
    return tables.sql(
        f"SELECT week, strftime(week, '%Y-%m') AS month FROM {_CACHE_WEEKS} "
        "WHERE week >= ? AND week < ? ORDER BY 1", [lo, hi])


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
    _cached(tables)
    hi = pd.Timestamp(tables.sql(f"SELECT max(week) AS hi FROM {_CACHE_WEEKS}")["hi"].iloc[0])
    p = pd.Period(hi, freq="M")
    last_monday = (p + 1).start_time - pd.Timedelta(days=1)
    last_monday -= pd.Timedelta(days=last_monday.weekday())
    return p if hi >= last_monday else p - 1

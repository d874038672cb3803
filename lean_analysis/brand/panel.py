"""Every query of the brand package: panels, line extracts and lookups, in SQL (DuckDB).

The order table can hold millions of lines; nothing here loads it whole: sums per customer
and period are computed by ``tables.sql`` and only the result comes back to pandas. This is
the only module of :mod:`lean_analysis.brand` (and of the brand notebook) that writes SQL;
the others call the named functions below with the loaded
:class:`~lean_analysis.data.tables.Tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from lean_analysis.data.tables import Tables

OUTCOMES = ("order_qty", "demand_qty", "amount")
_FREQ = {"MS": "month", "W": "week"}


def _placeholders(values: Sequence) -> str:
    return ", ".join("?" for _ in values)


def programme_ids(tables: Tables) -> list[str]:
    """Every programme id of the ``programmes`` table, sorted."""
    return tables.sql("SELECT programme_id FROM programmes ORDER BY 1")["programme_id"].tolist()


def all_target_customers(tables: Tables) -> list[str]:
    """Every customer that is a target of some programme (``programme_targets``), sorted,
    each once: the customers never to pick as comparison customers."""
    return tables.sql(
        "SELECT DISTINCT customer_id FROM programme_targets ORDER BY 1")["customer_id"].tolist()


def product_names(tables: Tables, product_ids: Sequence) -> dict:
    """``product_id -> product_name`` for the ``product_ids`` found in ``products``."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    names = tables.sql(
        f"SELECT product_id, product_name FROM products WHERE product_id IN ({_placeholders(ids)})",
        ids)
    return dict(zip(names["product_id"], names["product_name"], strict=True))


SCOPES = ("product", "brand", "key_brands")


def programme_scope(row: dict) -> str:
    """What a programme promotes, so what its outcome sums: ``"key_brands"`` for a benchmark
    terminal programme (``kind == "terminal"``: the in-store service day serves the whole
    store, so every key-brand specification, DESIGN §1 practice 4; the row's ``brand`` is
    only its focus brand), else ``"product"`` when the row names a ``product_id``, else
    ``"brand"``."""
    if str(row.get("kind", "")) == "terminal":
        return "key_brands"
    if pd.notna(row.get("product_id")) and row.get("product_id") not in (None, ""):
        return "product"
    return "brand"


def key_brand_products(tables: Tables) -> list[str]:
    """The product ids of the key brands (``products.is_key_brand``), sorted."""
    return tables.sql("SELECT product_id FROM products WHERE is_key_brand ORDER BY product_id"
                      )["product_id"].tolist()


def all_products(tables: Tables) -> list[str]:
    """Every product id, sorted (a store's total sales)."""
    return tables.sql("SELECT product_id FROM products ORDER BY product_id")["product_id"].tolist()


def customer_names(tables: Tables, customer_ids: Sequence) -> dict:
    """``customer_id -> customer_name`` for the ``customer_ids`` found in ``customers``."""
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        return {}
    names = tables.sql(
        f"SELECT customer_id, customer_name FROM customers WHERE customer_id IN ({_placeholders(ids)})",
        ids)
    return dict(zip(names["customer_id"], names["customer_name"], strict=True))


def programme_info(tables: Tables, programme_id: str) -> dict:
    """The programme's row, its ``scope`` (:func:`programme_scope`), its product ids (the
    scope's: its ``product_id``, every product of its ``brand``, or every key-brand product)
    and its target customer ids."""
    prog = tables.sql("SELECT * FROM programmes WHERE programme_id = ?", [programme_id])
    if prog.empty:
        have = programme_ids(tables)
        raise ValueError(f"programmes: no programme_id {programme_id!r} (have: {have})")
    row = prog.iloc[0].to_dict()
    row["scope"] = programme_scope(row)
    if row["scope"] == "key_brands":
        pids = key_brand_products(tables)
    elif row["scope"] == "product":
        pids = [row["product_id"]]
    else:
        pids = tables.sql(
            "SELECT product_id FROM products WHERE brand = ? ORDER BY product_id", [row["brand"]]
        )["product_id"].tolist()
    if not pids:
        raise ValueError(
            f"programmes: programme {programme_id!r} names brand {row.get('brand')!r}, "
            "which has no product in the products table"
        )
    targets = tables.sql(
        "SELECT customer_id FROM programme_targets WHERE programme_id = ? ORDER BY customer_id",
        [programme_id],
    )["customer_id"].tolist()
    row["product_ids"] = pids
    row["targets"] = targets
    row["start"] = pd.Timestamp(row["start"])
    row["end"] = pd.Timestamp(row["end"]) if pd.notna(row.get("end")) else None
    return row


def cultivation_panel(
    tables: Tables, programme_id: str, outcome: str = "order_qty", freq: str = "MS",
    targets: Sequence | None = None, product_ids: Sequence | None = None,
) -> pd.DataFrame:
    """Customer × period panel of the programme's product(s): ``customer_id``, ``month``
    (or ``week`` for ``freq="W"``), ``<outcome>`` (sum over the products; 0 in periods
    without an order), ``is_target``.

    A customer is in a period when it is licensed then (``active_from`` ≤ period end and
    ``active_to`` empty or ≥ period start) or has an order line then. ``targets`` overrides
    the programme's target list (e.g. a placebo programme); ``product_ids`` its products.
    ``panel.attrs`` holds the programme's start, end, products and targets.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    if freq not in _FREQ:
        raise ValueError(f"freq must be 'MS' or 'W', not {freq!r}")
    info = programme_info(tables, programme_id)
    pids = list(product_ids) if product_ids is not None else info["product_ids"]
    tgt = list(targets) if targets is not None else info["targets"]
    col = _FREQ[freq]
    per = "date_trunc('month', CAST(week AS DATE))" if freq == "MS" else "CAST(week AS DATE)"
    per_end = f"(p.{col} + INTERVAL 1 MONTH - INTERVAL 1 DAY)" if freq == "MS" else f"(p.{col} + INTERVAL 6 DAY)"
    pid_list = ", ".join("?" for _ in pids)
    q = f"""
    WITH agg AS (
        SELECT customer_id, {per} AS {col}, sum({outcome}) AS y
        FROM orders WHERE product_id IN ({pid_list})
        GROUP BY ALL
    ),
    periods AS (SELECT DISTINCT {per} AS {col} FROM orders),
    grid AS (
        SELECT c.customer_id, p.{col}
        FROM customers c CROSS JOIN periods p
        WHERE CAST(c.active_from AS DATE) <= {per_end}
          AND (c.active_to IS NULL OR CAST(c.active_to AS DATE) >= p.{col})
    )
    SELECT coalesce(g.customer_id, a.customer_id) AS customer_id,
           coalesce(g.{col}, a.{col}) AS {col},
           coalesce(a.y, 0.0) AS {outcome}
    FROM grid g FULL OUTER JOIN agg a
      ON g.customer_id = a.customer_id AND g.{col} = a.{col}
    ORDER BY customer_id, {col}
    """
    panel = tables.sql(q, pids)
    panel[col] = pd.to_datetime(panel[col])
    panel[outcome] = panel[outcome].astype(float)
    unknown = sorted(set(tgt) - set(panel["customer_id"]))
    if unknown:
        raise ValueError(f"programme_targets: customer(s) {unknown[:10]} have no row in customers/orders")
    panel["is_target"] = panel["customer_id"].isin(set(tgt))
    panel.attrs.update(
        {"programme_id": programme_id, "start": info["start"], "end": info["end"],
         "product_ids": pids, "targets": tgt, "outcome": outcome, "time": col, "freq": freq}
    )
    return panel


def pre_period_mean(panel: pd.DataFrame, unit: str, time: str, outcome: str, start,
                    n_periods: int | None = None) -> pd.Series:
    """Each unit's mean outcome before ``start`` (the last ``n_periods`` only, if given):
    the pre-period sales used for matching."""
    pre = panel[panel[time] < pd.Timestamp(start)]
    if n_periods is not None:
        keep = sorted(pre[time].unique())[-n_periods:]
        pre = pre[pre[time].isin(keep)]
    return pre.groupby(unit)[outcome].mean().rename("pre_outcome")


def order_lines(tables: Tables, customer_ids: Sequence, start=None, end=None) -> pd.DataFrame:
    """The order lines of ``customer_ids`` (all products), with ``brand`` and
    ``product_name`` joined, between ``start`` and ``end`` weeks (inclusive, optional)."""
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        return pd.DataFrame(columns=["week", "customer_id", "product_id", "demand_qty", "cap_qty",
                                     "order_qty", "amount", "brand", "product_name"])
    cond, params = [f"o.customer_id IN ({', '.join('?' for _ in ids)})"], list(ids)
    if start is not None:
        cond.append("CAST(o.week AS DATE) >= CAST(? AS DATE)")
        params.append(str(pd.Timestamp(start).date()))
    if end is not None:
        cond.append("CAST(o.week AS DATE) <= CAST(? AS DATE)")
        params.append(str(pd.Timestamp(end).date()))
    q = f"""
    SELECT CAST(o.week AS DATE) AS week, o.customer_id, o.product_id, o.demand_qty, o.cap_qty,
           o.order_qty, o.amount, p.brand, p.product_name
    FROM orders o JOIN products p ON o.product_id = p.product_id
    WHERE {' AND '.join(cond)}
    ORDER BY week, o.customer_id, o.product_id
    """
    out = tables.sql(q, params)
    out["week"] = pd.to_datetime(out["week"])
    return out


def shelf_checks(tables: Tables, customer_ids: Sequence) -> pd.DataFrame:
    """Shelf checks of ``customer_ids`` with ``brand`` joined (empty when the table is absent)."""
    cols = ["date", "customer_id", "product_id", "on_shelf", "stock_qty", "brand"]
    ids = list(dict.fromkeys(customer_ids))
    if "shelf_checks" not in tables or not ids:
        return pd.DataFrame(columns=cols)
    q = f"""
    SELECT CAST(s.date AS DATE) AS date, s.customer_id, s.product_id, s.on_shelf, s.stock_qty, p.brand
    FROM shelf_checks s JOIN products p ON s.product_id = p.product_id
    WHERE s.customer_id IN ({', '.join('?' for _ in ids)})
    ORDER BY date, s.customer_id, s.product_id
    """
    out = tables.sql(q, ids)
    out["date"] = pd.to_datetime(out["date"])
    return out


# --------------------------------------------------------------------------- new products


def launched_products(tables: Tables, since, until) -> pd.DataFrame:
    """Products launched between ``since`` and ``until`` (dates, inclusive): ``product_id``,
    ``brand``, ``product_name``, ``launch_date``, by launch date then id."""
    return tables.sql(
        "SELECT product_id, brand, product_name, CAST(launch_date AS DATE) AS launch_date "
        "FROM products WHERE launch_date IS NOT NULL "
        "AND CAST(launch_date AS DATE) BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) "
        "ORDER BY launch_date, product_id",
        [str(pd.Timestamp(since).date()), str(pd.Timestamp(until).date())],
    )


def programme_product_targets(tables: Tables, product_ids: Sequence) -> pd.DataFrame:
    """``(product_id, customer_id)`` pairs: the targets of the programmes naming one of
    ``product_ids`` (empty when the programme tables are absent)."""
    ids = list(product_ids)
    if "programmes" not in tables or "programme_targets" not in tables or not ids:
        return pd.DataFrame(columns=["product_id", "customer_id"])
    return tables.sql(
        f"SELECT DISTINCT p.product_id, t.customer_id FROM programmes p "
        f"JOIN programme_targets t ON p.programme_id = t.programme_id "
        f"WHERE p.product_id IN ({_placeholders(ids)})", ids)


def active_before_launch(tables: Tables, product_ids: Sequence, months: int = 3) -> pd.DataFrame:
    """``(product_id, customer_id)`` pairs: the customers with an order (``order_qty`` > 0)
    in the ``months`` calendar months before each product's launch month."""
    ids = list(product_ids)
    return tables.sql(
        f"""
        SELECT DISTINCT n.product_id, o.customer_id
        FROM (SELECT product_id, date_trunc('month', CAST(launch_date AS DATE)) AS m
              FROM products WHERE product_id IN ({_placeholders(ids)})) n
        JOIN orders o ON CAST(o.week AS DATE) >= n.m - INTERVAL {int(months)} MONTH
                     AND CAST(o.week AS DATE) < n.m AND o.order_qty > 0
        """, ids)


def product_order_lines(tables: Tables, product_ids: Sequence, until) -> pd.DataFrame:
    """The order lines of ``product_ids`` up to ``until`` (inclusive): ``week`` (datetime),
    ``customer_id``, ``product_id``, ``order_qty``."""
    ids = list(product_ids)
    lines = tables.sql(
        f"SELECT CAST(week AS DATE) AS week, customer_id, product_id, order_qty FROM orders "
        f"WHERE product_id IN ({_placeholders(ids)}) AND CAST(week AS DATE) <= CAST(? AS DATE)",
        [*ids, str(pd.Timestamp(until).date())])
    lines["week"] = pd.to_datetime(lines["week"])
    return lines


def product_shelf_checks(tables: Tables, product_ids: Sequence, until) -> pd.DataFrame:
    """The shelf checks of ``product_ids`` up to ``until`` (inclusive): ``date`` (datetime),
    ``customer_id``, ``product_id``, ``on_shelf`` (empty when the table is absent)."""
    ids = list(product_ids)
    if "shelf_checks" not in tables or not ids:
        return pd.DataFrame(columns=["date", "customer_id", "product_id", "on_shelf"])
    checks = tables.sql(
        f"SELECT CAST(date AS DATE) AS date, customer_id, product_id, on_shelf FROM shelf_checks "
        f"WHERE product_id IN ({_placeholders(ids)}) AND CAST(date AS DATE) <= CAST(? AS DATE)",
        [*ids, str(pd.Timestamp(until).date())])
    checks["date"] = pd.to_datetime(checks["date"])
    return checks

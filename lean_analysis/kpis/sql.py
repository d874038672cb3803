"""SQL over the order lines, shared by every indicator: grouping keys, joins, month filters and the one
table of additive sums (:data:`_SUMS`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from lean_analysis.calendar import PeriodNotCovered
from lean_analysis.data.tables import Tables

PRODUCT_KEYS = ("product_id", "brand", "product_name", "price_class", "is_key_brand")
CUSTOMER_KEYS = ("customer_id", "area", "tier", "format", "manager_id", "is_modern_terminal")


def _week_range(tables: Tables) -> tuple[pd.Timestamp, pd.Timestamp]:
    row = tables.sql("SELECT min(CAST(week AS DATE)) AS lo, max(CAST(week AS DATE)) AS hi FROM orders")
    lo, hi = row["lo"].iloc[0], row["hi"].iloc[0]
    if pd.isna(lo):
        raise PeriodNotCovered("table 'orders' has no rows: no month is covered")
    return pd.Timestamp(lo), pd.Timestamp(hi)


# --------------------------------------------------------------------------- SQL helpers


def _keys(by: str | Sequence[str] | None) -> list[str]:
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    for k in keys:
        if k not in PRODUCT_KEYS and k not in CUSTOMER_KEYS:
            raise ValueError(
                f"cannot group by {k!r}: use columns of products {PRODUCT_KEYS} "
                f"or of customers {CUSTOMER_KEYS}"
            )
    if len(set(keys)) != len(keys):
        raise ValueError(f"by={by!r} repeats a column")
    return keys


def _col(key: str) -> str:
    if key in ("product_id", "customer_id"):
        return f"o.{key}"
    if key == "is_key_brand":
        return "CAST(p.is_key_brand AS BOOLEAN)"
    if key == "is_modern_terminal":
        return "CAST(c.is_modern_terminal AS BOOLEAN)"
    if key == "price_class" or key == "tier":
        return f"CAST({'p' if key == 'price_class' else 'c'}.{key} AS INTEGER)"
    return f'{"p" if key in PRODUCT_KEYS else "c"}."{key}"'


def _from(keys: Sequence[str], products: bool = False) -> str:
    sql = (
        "(SELECT CAST(week AS DATE) AS wk, customer_id, product_id, "
        "CAST(demand_qty AS DOUBLE) AS demand_qty, CAST(cap_qty AS DOUBLE) AS cap_qty, "
        "CAST(order_qty AS DOUBLE) AS order_qty, CAST(amount AS DOUBLE) AS amount FROM orders) o"
    )
    if products or any(k in PRODUCT_KEYS and k != "product_id" for k in keys):
        sql += " LEFT JOIN products p ON p.product_id = o.product_id"
    if any(k in CUSTOMER_KEYS and k != "customer_id" for k in keys):
        sql += " LEFT JOIN customers c ON c.customer_id = o.customer_id"
    return sql


def _where(months: tuple[pd.Period, pd.Period] | None) -> str:
    if months is None:
        return "TRUE"
    lo = months[0].start_time.date().isoformat()
    hi = (months[1] + 1).start_time.date().isoformat()
    return f"o.wk >= DATE '{lo}' AND o.wk < DATE '{hi}'"


def _select_keys(keys: Sequence[str]) -> str:
    return "".join(f'{_col(k)} AS "{k}", ' for k in keys)


_MONTH = "strftime(o.wk, '%Y-%m')"



def _exact_sum(expr: str, where: str | None = None) -> str:
    """``sum(expr)`` computed exactly: each value rounded to 6 decimals (¥0.000001, a
    millionth of a carton) and summed as DECIMAL. DuckDB sums DOUBLEs in parallel in no
    fixed order, so a plain ``sum`` of fractional amounts changed in its last digits from run
    to run (and with it metrics.json); a DECIMAL sum is the same whatever the order."""
    filt = f" FILTER (WHERE {where})" if where else ""
    return f"CAST(coalesce(sum(CAST(({expr}) AS DECIMAL(38, 6))){filt}, 0) AS DOUBLE)"


# Additive sums over order lines: one definition, used by every indicator.
_SUMS = {
    "lines": "count(*)",
    "cartons": _exact_sum("o.order_qty"),
    "amount": _exact_sum("o.amount"),
    "key_cartons": _exact_sum("CASE WHEN CAST(p.is_key_brand AS BOOLEAN) THEN o.order_qty ELSE 0 END"),
    "key_amount": _exact_sum("CASE WHEN CAST(p.is_key_brand AS BOOLEAN) THEN o.amount ELSE 0 END"),
    "retail_value": _exact_sum("o.order_qty * CAST(p.retail_price AS DOUBLE)"),
    "margin_value": _exact_sum("o.order_qty * (CAST(p.retail_price AS DOUBLE) - "
                               "CAST(p.wholesale_price AS DOUBLE))"),
    "capped_lines": "count(*) FILTER (WHERE o.cap_qty > 0)",
    "capped_order": _exact_sum("o.order_qty", "o.cap_qty > 0"),
    "capped_cap": _exact_sum("o.cap_qty", "o.cap_qty > 0"),
    "at_cap_lines": "count(*) FILTER (WHERE o.cap_qty > 0 AND o.order_qty >= o.cap_qty - {tol})",
    "uncapped_lines": "count(*) FILTER (WHERE o.cap_qty IS NULL)",
    "zero_cap_lines": "count(*) FILTER (WHERE o.cap_qty = 0)",
    "demand_lines": "count(*) FILTER (WHERE o.demand_qty > 0)",
    "unfilled_demand_lines": "count(*) FILTER (WHERE o.demand_qty > 0 AND o.order_qty = 0)",
    "unknown_product_lines": "count(*) FILTER (WHERE p.product_id IS NULL)",
}


def _sums(tables: Tables, months, keys: Sequence[str] = (), by_month: bool = False,
          tol: float = 1e-9) -> pd.DataFrame:
    """All additive sums of the order lines in ``months``, grouped by month and/or keys."""
    group = ([f"{_MONTH} AS month"] if by_month else []) + [f'{_col(k)} AS "{k}"' for k in keys]
    sums = ", ".join(f"{expr.format(tol=float(tol))} AS {name}" for name, expr in _SUMS.items())
    select = ", ".join(group + [sums])
    sql = f"SELECT {select} FROM {_from(keys, products=True)} WHERE {_where(months)}"
    if group:
        sql += " GROUP BY ALL"
    df = tables.sql(sql)
    num = [c for c in _SUMS]
    df[num] = df[num].astype(float).fillna(0.0)
    bad = int(df["unknown_product_lines"].sum()) if len(df) else 0
    if bad:
        raise ValueError(
            f"table 'orders': {bad} line(s) have a product_id that is not in table 'products' "
            "(rule: orders.product_id references products.product_id)"
        )
    order = (["month"] if by_month else []) + list(keys)
    return df.sort_values(order, ignore_index=True) if order else df


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan

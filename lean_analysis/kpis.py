"""The lean-marketing indicators of DESIGN §2 and the yearly scorecard of DESIGN §1.

Every function takes a :class:`~lean_analysis.data.tables.Tables` and a month ``period``
(``"YYYY-MM"``) and aggregates the order lines in DuckDB; only small tables (customers,
products, programmes, manager tests) come back to pandas.

Conventions shared by all functions
-----------------------------------
- **Month of an order line**: the month of its ``week`` (the Monday that starts the order
  week). A week starting on Monday 2026-09-28 belongs to September even though most of its
  days fall in October.
- **Covered month**: month ``M`` is covered by the data when the first order week is on or
  before the first Monday of ``M`` and the last order week is on or after the last Monday of
  ``M``. Weeks with no order lines inside that range (e.g. the Spring Festival break) are not
  gaps. An indicator asked for a month that is not covered raises :class:`PeriodNotCovered`;
  a month-on-month or year-on-year comparison whose comparison month is not covered is
  ``NaN`` instead.
- **Ordered**: a customer ordered an item in a month when it has an order line with
  ``order_qty > 0`` in that month. Lines with ``order_qty = 0`` are demand that was not
  supplied (see :func:`stock_out_rate`).
- **Span** (for the indicators that are sums): ``"month"`` = the period only; ``"ytd"`` =
  January of the period's year through the period; ``"all"`` = every order line, no month
  filter (partial months at the ends included); or a pair ``("2026-01", "2026-06")``.
- **Active customers** (DESIGN §2, "ordered in the previous 3 periods"): for period ``M``,
  the customers with at least one order line with ``order_qty > 0`` in the months ``M-3``,
  ``M-2`` and ``M-1`` (for ``M = 2026-10``: July, August and September 2026). The current
  month is *not* part of the window; ``include_current=True`` uses ``M-2 .. M`` instead and
  ``window`` changes the 3.
- Quantities are cartons (条) in the tables; sales are reported in cases (箱,
  ``config.CARTONS_PER_CASE`` = 250 cartons) and value in ¥10k (万元). Shares and rates
  are fractions (0.112, not 11.2).
- Rates per item return the counts they are made of, so that what is excluded is visible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lean_analysis import targets as _targets_core
from lean_analysis.config import CARTONS_PER_CASE
from lean_analysis.data.tables import Tables

__all__ = [
    "PeriodNotCovered",
    "STATUS_MET",
    "STATUS_NOT_MET",
    "STATUS_NOT_MEASURED",
    "DEFAULT_SOURCES",
    "covered_months",
    "is_covered",
    "span_months",
    "monthly_sales",
    "sales",
    "sales_value",
    "value_per_case",
    "key_brand_share",
    "retailer_margin",
    "active_customers",
    "coverage",
    "sell_through",
    "order_fill_rate",
    "order_at_cap_share",
    "repurchase_rate",
    "stock_out_rate",
    "new_product_coverage",
    "manager_scores",
    "headline",
    "monthly_indicators",
    "product_indicators",
    "scorecard",
    "convert_unit",
    "SCORECARD_COLUMNS",
    "SCORECARD_REASONS",
]

STATUS_MET = _targets_core.MET
STATUS_NOT_MET = _targets_core.NOT_MET
STATUS_NOT_MEASURED = _targets_core.NOT_MEASURED

# Where the scorecard finds the targets it does not compute from orders: target key ->
# (report, figure) in that report's metrics.json, from the figures registry
# (lean_analysis.targets.FIGURES, the figures that declare `feeds`). Overridden by the
# `sources` argument.
DEFAULT_SOURCES: dict[str, dict[str, str]] = _targets_core.scorecard_sources()

PRODUCT_KEYS = ("product_id", "brand", "product_name", "price_class", "is_key_brand")
CUSTOMER_KEYS = ("customer_id", "area", "tier", "format", "manager_id", "is_modern_terminal")


class PeriodNotCovered(ValueError):
    """The order data do not cover a month an indicator needs."""


# --------------------------------------------------------------------------- periods


def _period(period: Any) -> pd.Period:
    if isinstance(period, pd.Period):
        return period.asfreq("M")
    if isinstance(period, str) and len(period) == 7 and period[4] == "-":
        try:
            return pd.Period(period, freq="M")
        except (ValueError, TypeError):
            pass
    raise ValueError(f"period must be a month 'YYYY-MM', not {period!r}")


def _mondays(month: pd.Period) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last Monday of ``month``."""
    first = month.start_time.normalize()
    first += pd.Timedelta(days=(7 - first.weekday()) % 7)
    last = month.end_time.normalize()
    last -= pd.Timedelta(days=last.weekday())
    return first, last


def _week_range(tables: Tables) -> tuple[pd.Timestamp, pd.Timestamp]:
    row = tables.sql("SELECT min(CAST(week AS DATE)) AS lo, max(CAST(week AS DATE)) AS hi FROM orders")
    lo, hi = row["lo"].iloc[0], row["hi"].iloc[0]
    if pd.isna(lo):
        raise PeriodNotCovered("table 'orders' has no rows: no month is covered")
    return pd.Timestamp(lo), pd.Timestamp(hi)


def covered_months(tables: Tables) -> tuple[pd.Period, pd.Period]:
    """The first and last month fully covered by ``orders`` (see the module's conventions)."""
    lo, hi = _week_range(tables)
    first = lo.to_period("M")
    if _mondays(first)[0] < lo:
        first += 1
    last = hi.to_period("M")
    if _mondays(last)[1] > hi:
        last -= 1
    if last < first:
        raise PeriodNotCovered(
            f"table 'orders' (column week) runs {lo.date()} .. {hi.date()}: no complete month"
        )
    return first, last


def is_covered(tables: Tables, period: str | pd.Period) -> bool:
    """Whether the month ``period`` is fully covered by the order data."""
    first, last = covered_months(tables)
    return first <= _period(period) <= last


def _require(tables: Tables, start: pd.Period, end: pd.Period, what: str) -> None:
    first, last = covered_months(tables)
    if start < first or end > last:
        need = str(start) if start == end else f"{start} .. {end}"
        raise PeriodNotCovered(
            f"{what} needs order data for {need}, but table 'orders' (column week) covers "
            f"only {first} .. {last} (a month is covered when its first and last Monday "
            "lie within the order weeks)"
        )


def span_months(period: str | pd.Period | None, span: Any = "month") -> tuple[pd.Period, pd.Period] | None:
    """The first and last month of ``span`` for ``period``; ``None`` for ``"all"``.

    >>> span_months("2026-10", "ytd")
    (Period('2026-01', 'M'), Period('2026-10', 'M'))
    """
    if isinstance(span, str):
        if span == "all":
            return None
        p = _period(period)
        if span == "month":
            return p, p
        if span == "ytd":
            return pd.Period(f"{p.year}-01", freq="M"), p
        raise ValueError(f"span must be 'month', 'ytd', 'all' or a pair of months, not {span!r}")
    if isinstance(span, Sequence) and len(span) == 2:
        start, end = _period(span[0]), _period(span[1])
        if end < start:
            raise ValueError(f"span {span!r} ends before it starts")
        return start, end
    raise ValueError(f"span must be 'month', 'ytd', 'all' or a pair of months, not {span!r}")


def _resolve_span(tables: Tables, period, span, what: str) -> tuple[pd.Period, pd.Period] | None:
    months = span_months(period, span)
    if months is not None:
        _require(tables, months[0], months[1], what)
    return months


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

# Additive sums over order lines: one definition, used by every indicator.
_SUMS = {
    "lines": "count(*)",
    "cartons": "sum(o.order_qty)",
    "amount": "sum(o.amount)",
    "key_cartons": "sum(CASE WHEN CAST(p.is_key_brand AS BOOLEAN) THEN o.order_qty ELSE 0 END)",
    "key_amount": "sum(CASE WHEN CAST(p.is_key_brand AS BOOLEAN) THEN o.amount ELSE 0 END)",
    "retail_value": "sum(o.order_qty * CAST(p.retail_price AS DOUBLE))",
    "margin_value": "sum(o.order_qty * (CAST(p.retail_price AS DOUBLE) - "
                    "CAST(p.wholesale_price AS DOUBLE)))",
    "capped_lines": "count(*) FILTER (WHERE o.cap_qty > 0)",
    "capped_order": "coalesce(sum(o.order_qty) FILTER (WHERE o.cap_qty > 0), 0)",
    "capped_cap": "coalesce(sum(o.cap_qty) FILTER (WHERE o.cap_qty > 0), 0)",
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


# --------------------------------------------------------------------------- sales


def monthly_sales(tables: Tables, period: str, months: int = 13,
                  by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Monthly sales for the ``months`` months ending with ``period``, for trend charts.

    Months before the first covered month are left out (the result starts at the first
    covered month); ``period`` itself must be covered. Columns: ``month`` (YYYY-MM), the
    ``by`` columns, ``cartons``, ``cases`` (= cartons ÷ 250), ``value_10k`` (= Σ amount ÷
    10,000, ¥10k) and ``value_per_case`` (¥/case).
    """
    p = _period(period)
    _require(tables, p, p, "monthly sales")
    first, _ = covered_months(tables)
    start = max(first, p - (int(months) - 1))
    keys = _keys(by)
    df = _sums(tables, (start, p), keys, by_month=True)
    out = df[["month", *keys, "cartons"]].copy()
    out["cases"] = df["cartons"] / CARTONS_PER_CASE
    out["value_10k"] = df["amount"] / 10_000
    out["value_per_case"] = df["amount"] / out["cases"].where(out["cases"] > 0)
    return out


def sales(tables: Tables, period: str, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Sales of ``period`` with month-on-month and year-on-year changes.

    One row per group of ``by`` (a column of products or customers, e.g. ``"price_class"``,
    ``"brand"``, ``"area"``; ``None`` for the total, one row). For each measure
    ``m`` in ``cases`` (Σ order_qty ÷ 250), ``value_10k`` (Σ amount ÷ 10,000) and
    ``value_per_case`` (Σ amount ÷ cases, ¥/case, DESIGN §2):
    ``m``, ``m_prev_month``, ``m_prev_year`` and the relative changes
    ``m_mom = m ÷ m_prev_month − 1`` and ``m_yoy = m ÷ m_prev_year − 1``.
    A group absent in a month has 0 cases there; a comparison month the data do not cover
    gives ``NaN``; a change against 0 is ``NaN``.

    Example (tests/test_kpis.py): 500 cartons worth ¥75,000 in 2026-02, 250 cartons worth
    ¥37,500 in 2026-01 and 1,250 cartons in 2025-02 give cases 2.0, cases_mom +100 %
    (2 ÷ 1 − 1), cases_yoy −60 % (2 ÷ 5 − 1), value_10k 7.5 and value_per_case
    ¥37,500/case.
    """
    p = _period(period)
    _require(tables, p, p, "sales")
    keys = _keys(by)
    first, last = covered_months(tables)
    wanted = {"": p, "_prev_month": p - 1, "_prev_year": p - 12}
    start = max(first, p - 12)
    df = _sums(tables, (start, p), keys, by_month=True)
    frames = []
    for suffix, month in wanted.items():
        part = df[df["month"] == str(month)][[*keys, "cartons", "amount"]]
        if keys:
            part = part.set_index(keys)
        else:
            part = part.sum().to_frame().T
        part = part.rename(columns={"cartons": f"cartons{suffix}", "amount": f"amount{suffix}"})
        if not (first <= month <= last):
            part = part * np.nan
        frames.append(part)
    if keys:
        wide = pd.concat(frames, axis=1).sort_index()
    else:
        wide = pd.concat([f.reset_index(drop=True) for f in frames], axis=1)
    out = pd.DataFrame(index=wide.index)
    for suffix, month in wanted.items():
        ok = first <= month <= last
        cartons = wide[f"cartons{suffix}"].fillna(0.0) if ok else wide[f"cartons{suffix}"]
        amount = wide[f"amount{suffix}"].fillna(0.0) if ok else wide[f"amount{suffix}"]
        cases = cartons / CARTONS_PER_CASE
        out[f"cases{suffix}"] = cases
        out[f"value_10k{suffix}"] = amount / 10_000
        out[f"value_per_case{suffix}"] = amount / cases.where(cases > 0)
    for m in ("cases", "value_10k", "value_per_case"):
        for suffix, name in (("_prev_month", "mom"), ("_prev_year", "yoy")):
            prev = out[f"{m}{suffix}"]
            out[f"{m}_{name}"] = out[m] / prev.where(prev != 0) - 1
    cols = []
    for m in ("cases", "value_10k", "value_per_case"):
        cols += [m, f"{m}_prev_month", f"{m}_prev_year", f"{m}_mom", f"{m}_yoy"]
    out = out[cols]
    return out.reset_index() if keys else out.reset_index(drop=True)


def sales_value(tables: Tables, period: str | None, span: Any = "month") -> float:
    """Sales value in ¥10k (万元) = Σ amount ÷ 10,000 over ``span``.

    ``amount`` is the order line's value at the wholesale price (orders.amount).
    Example (tests): lines worth ¥75,000 → 7.5.
    """
    months = _resolve_span(tables, period, span, "sales value")
    return float(_sums(tables, months)["amount"].iloc[0]) / 10_000


def value_per_case(tables: Tables, period: str | None, span: Any = "month") -> float:
    """Value per case (单箱值, ¥/case) = Σ amount ÷ (Σ order_qty ÷ 250) over ``span``.

    Example (tests): 500 cartons (2 cases) worth ¥75,000 → ¥37,500 per case.
    """
    months = _resolve_span(tables, period, span, "value per case")
    s = _sums(tables, months).iloc[0]
    return _ratio(s["amount"], s["cartons"] / CARTONS_PER_CASE)


def key_brand_share(tables: Tables, period: str | None, span: Any = "month",
                    basis: str = "value") -> float:
    """Key-brand sales share (重点品牌销售比重) over ``span``.

    ``basis="value"`` (default, DESIGN §1): Σ amount of key-brand lines ÷ Σ amount;
    ``basis="volume"``: the same with order_qty (cartons). Key brand = products.is_key_brand.

    Example (tests): key lines 100 cartons worth ¥30,000, other lines 200 cartons worth
    ¥10,000 → value share 30,000 ÷ 40,000 = 0.75, volume share 100 ÷ 300 = 1/3.
    """
    if basis not in ("value", "volume"):
        raise ValueError(f"basis must be 'value' or 'volume', not {basis!r}")
    months = _resolve_span(tables, period, span, "key-brand share")
    s = _sums(tables, months).iloc[0]
    if basis == "value":
        return _ratio(s["key_amount"], s["amount"])
    return _ratio(s["key_cartons"], s["cartons"])


def retailer_margin(tables: Tables, period: str | None, span: Any = "month",
                    weighting: str = "volume") -> float:
    """Retailer gross margin (零售户毛利率) over ``span``.

    ``weighting="volume"`` (default, DESIGN §1):
    Σ order_qty × (retail_price − wholesale_price) ÷ Σ order_qty × retail_price, with the
    list prices of table products (¥/carton).
    ``weighting="spec"`` (alternative): the plain mean over the specifications sold in the
    span of (retail − wholesale) ÷ retail.

    Example (tests): 10 cartons at retail ¥100 / wholesale ¥90 and 30 cartons at ¥50 / ¥40
    → (10·10 + 30·10) ÷ (10·100 + 30·50) = 400 ÷ 2,500 = 0.16; ``weighting="spec"``:
    (0.10 + 0.20) ÷ 2 = 0.15.
    """
    months = _resolve_span(tables, period, span, "retailer margin")
    if weighting == "volume":
        s = _sums(tables, months).iloc[0]
        return _ratio(s["margin_value"], s["retail_value"])
    if weighting == "spec":
        df = _sums(tables, months, ["product_id"])
        df = df[df["cartons"] > 0]
        if df.empty:
            return math.nan
        return float((df["margin_value"] / df["retail_value"]).mean())
    raise ValueError(f"weighting must be 'volume' or 'spec', not {weighting!r}")


# --------------------------------------------------------------------------- customers


def _active_window(p: pd.Period, window: int, include_current: bool) -> tuple[pd.Period, pd.Period]:
    if int(window) < 1:
        raise ValueError(f"window must be ≥ 1, not {window!r}")
    end = p if include_current else p - 1
    return end - (int(window) - 1), end


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


# --------------------------------------------------------------------------- caps & supply


def _rate_frame(tables, period, span, by, what, cols, compute, tol=1e-9) -> pd.DataFrame:
    months = _resolve_span(tables, period, span, what)
    keys = _keys(by)
    df = _sums(tables, months, keys, tol=tol)
    out = df[[*keys, *cols]].copy()
    for c in cols:
        if c.endswith("lines"):
            out[c] = out[c].astype(int)
    compute(out)
    return out


def order_fill_rate(tables: Tables, period: str | None, by: str | Sequence[str] | None = "product_id",
                    span: Any = "month") -> pd.DataFrame:
    """Order-fill rate (订足率) = Σ order_qty ÷ Σ cap_qty over the rationed lines
    (cap_qty > 0) of ``span`` (DESIGN §2).

    Lines without a cap (not rationed) and lines with cap 0 are not in the rate; they are
    counted in ``uncapped_lines`` and ``zero_cap_lines``. Columns: ``by…, capped_lines,
    capped_order, capped_cap, uncapped_lines, zero_cap_lines, order_fill_rate``.

    Example (tests): caps 10 and 20, orders 10 and 5, a line with cap 0 and two unrationed
    lines → 15 ÷ 30 = 0.5, uncapped_lines 2, zero_cap_lines 1.
    """
    cols = ["capped_lines", "capped_order", "capped_cap", "uncapped_lines", "zero_cap_lines"]

    def compute(df):
        df["order_fill_rate"] = df["capped_order"] / df["capped_cap"].where(df["capped_cap"] > 0)

    return _rate_frame(tables, period, span, by, "order-fill rate", cols, compute)


def order_at_cap_share(tables: Tables, period: str | None,
                       by: str | Sequence[str] | None = "product_id", span: Any = "month",
                       tol: float = 1e-9) -> pd.DataFrame:
    """Order-at-cap share (订足面) = rationed lines ordered at the cap ÷ rationed lines
    (cap_qty > 0), over ``span`` (DESIGN §2). "At the cap": order_qty ≥ cap_qty − ``tol``.

    Columns: ``by…, capped_lines, at_cap_lines, uncapped_lines, zero_cap_lines,
    order_at_cap_share``.

    Example (tests): caps 10 and 20, orders 10 and 5 → 1 ÷ 2 = 0.5.
    """
    cols = ["capped_lines", "at_cap_lines", "uncapped_lines", "zero_cap_lines"]

    def compute(df):
        df["order_at_cap_share"] = df["at_cap_lines"] / df["capped_lines"].where(df["capped_lines"] > 0)

    return _rate_frame(tables, period, span, by, "order-at-cap share", cols, compute, tol=tol)


def stock_out_rate(tables: Tables, period: str | None, by: str | Sequence[str] | None = "product_id",
                   span: Any = "month") -> pd.DataFrame:
    """Company stock-out rate (公司断货率) = demand lines with order 0 ÷ demand lines
    (lines with demand_qty > 0), over ``span`` (DESIGN §2).

    Assumption: a line with recorded demand and no order is a line the company could not
    supply (cap 0 or out of stock). Columns: ``by…, demand_lines, unfilled_demand_lines,
    stock_out_rate``.

    Example (tests): 4 lines with demand, 1 of them with order 0, plus one line with no
    demand → 1 ÷ 4 = 0.25.
    """
    cols = ["demand_lines", "unfilled_demand_lines"]

    def compute(df):
        df["stock_out_rate"] = df["unfilled_demand_lines"] / df["demand_lines"].where(df["demand_lines"] > 0)

    return _rate_frame(tables, period, span, by, "stock-out rate", cols, compute)


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


# --------------------------------------------------------------------------- managers


def manager_scores(tables: Tables, period: str) -> pd.DataFrame:
    """Customer managers' monthly test scores (精益队伍建设): one row per manager tested in
    the period's year up to ``period``.

    Columns: ``manager_id``, ``score`` (the test of ``period``; NaN when not tested that
    month), ``ytd_mean`` (mean of the year's tests, January .. period), ``ytd_tests``,
    ``latest_month`` and ``latest_score`` (the last test on or before ``period``).
    Sorted by score (highest first), then manager. Raises ``LookupError`` when the optional
    table manager_tests is not in the data.

    Example (tests): M1 scored 80 in January and 90 in February, M2 70 in February →
    for 2026-02: M1 score 90, ytd_mean 85; M2 score 70, ytd_mean 70.
    """
    p = _period(period)
    if "manager_tests" not in tables:
        raise LookupError("table 'manager_tests' (optional) is not in the data: no test scores")
    df = tables["manager_tests"][["month", "manager_id", "score"]].copy()
    df["month"] = pd.to_datetime(df["month"]).dt.to_period("M")
    df = df[(df["month"].dt.year == p.year) & (df["month"] <= p)]
    cols = ["manager_id", "score", "ytd_mean", "ytd_tests", "latest_month", "latest_score"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = df.sort_values(["manager_id", "month"])
    g = df.groupby("manager_id", sort=True)
    out = pd.DataFrame({
        "score": df[df["month"] == p].set_index("manager_id")["score"],
        "ytd_mean": g["score"].mean(),
        "ytd_tests": g["score"].size(),
        "latest_month": g["month"].last().astype(str),
        "latest_score": g["score"].last(),
    })
    out.index.name = "manager_id"
    out = out.reset_index().sort_values(["score", "manager_id"], ascending=[False, True],
                                        na_position="last", ignore_index=True)
    return out[cols]


# --------------------------------------------------------------------------- overviews


def monthly_indicators(tables: Tables, period: str, months: int = 13,
                       key_brand_basis: str = "value") -> pd.DataFrame:
    """The month-level indicators for the ``months`` months ending with ``period`` (for
    trend charts), clipped to the covered months; one scan of the orders.

    Columns: ``month`` (YYYY-MM, every month of the range, also those without lines),
    ``cases``, ``value_10k``, ``value_per_case``, ``key_brand_share`` (``key_brand_basis``),
    ``retailer_margin`` (volume-weighted), ``order_fill_rate``, ``order_at_cap_share`` and
    ``stock_out_rate``, each with the definition of its own function. A month without lines
    has 0 cases and NaN rates.
    """
    if key_brand_basis not in ("value", "volume"):
        raise ValueError(f"key_brand_basis must be 'value' or 'volume', not {key_brand_basis!r}")
    p = _period(period)
    _require(tables, p, p, "monthly indicators")
    first, _ = covered_months(tables)
    start = max(first, p - (int(months) - 1))
    idx = [str(m) for m in pd.period_range(start, p, freq="M")]
    df = _sums(tables, (start, p), by_month=True).set_index("month").reindex(idx)
    df[["cartons", "amount"]] = df[["cartons", "amount"]].fillna(0.0)
    kb = ("key_amount", "amount") if key_brand_basis == "value" else ("key_cartons", "cartons")

    def ratio(a, b):
        return df[a] / df[b].where(df[b] > 0)

    out = pd.DataFrame({
        "month": idx,
        "cases": (df["cartons"] / CARTONS_PER_CASE).to_numpy(),
        "value_10k": (df["amount"] / 10_000).to_numpy(),
        "value_per_case": (df["amount"] / (df["cartons"] / CARTONS_PER_CASE).where(df["cartons"] > 0)).to_numpy(),
        "key_brand_share": ratio(*kb).to_numpy(),
        "retailer_margin": ratio("margin_value", "retail_value").to_numpy(),
        "order_fill_rate": ratio("capped_order", "capped_cap").to_numpy(),
        "order_at_cap_share": ratio("at_cap_lines", "capped_lines").to_numpy(),
        "stock_out_rate": ratio("unfilled_demand_lines", "demand_lines").to_numpy(),
    })
    return out


def product_indicators(tables: Tables, period: str, window: int = 3,
                       include_current: bool = False) -> pd.DataFrame:
    """One row per product with an order line in ``period``: its sales and every per-item
    indicator of DESIGN §2, each as its own function defines it.

    Columns: ``product_id, brand, product_name, price_class, is_key_brand, cases,
    value_10k, coverage`` (:func:`coverage`, numerator "base"), ``sell_through``
    (:func:`sell_through`), ``repurchase_rate``, ``order_fill_rate``,
    ``order_at_cap_share``, ``stock_out_rate``. Needs the ``window`` months before
    ``period`` (else :class:`PeriodNotCovered`).
    """
    p = _period(period)
    cov = coverage(tables, p, window=window, include_current=include_current)
    st = sell_through(tables, p, window=window)
    rp = repurchase_rate(tables, p)
    sums = _sums(tables, (p, p), ["product_id"])
    sums["cases"] = sums["cartons"] / CARTONS_PER_CASE
    sums["value_10k"] = sums["amount"] / 10_000
    sums["order_fill_rate"] = sums["capped_order"] / sums["capped_cap"].where(sums["capped_cap"] > 0)
    sums["order_at_cap_share"] = sums["at_cap_lines"] / sums["capped_lines"].where(sums["capped_lines"] > 0)
    sums["stock_out_rate"] = (sums["unfilled_demand_lines"]
                              / sums["demand_lines"].where(sums["demand_lines"] > 0))
    prods = tables["products"][["product_id", "brand", "product_name", "price_class", "is_key_brand"]]
    out = (cov[["product_id", "coverage"]]
           .merge(prods, on="product_id", how="left")
           .merge(sums[["product_id", "cases", "value_10k", "order_fill_rate", "order_at_cap_share",
                        "stock_out_rate"]], on="product_id", how="left")
           .merge(st[["product_id", "sell_through"]], on="product_id", how="left")
           .merge(rp[["product_id", "repurchase_rate"]], on="product_id", how="left"))
    cols = ["product_id", "brand", "product_name", "price_class", "is_key_brand", "cases",
            "value_10k", "coverage", "sell_through", "repurchase_rate", "order_fill_rate",
            "order_at_cap_share", "stock_out_rate"]
    return out[cols].sort_values("product_id", ignore_index=True)


# --------------------------------------------------------------------------- headline


def headline(tables: Tables, period: str, key_brand_basis: str = "value",
             window: int = 3, include_current: bool = False) -> pd.DataFrame:
    """The headline figures of ``period`` with the previous month and the same month a
    year before: one row per indicator.

    Columns: ``indicator``, ``unit``, ``value``, ``prev_month``, ``prev_year``, ``mom``,
    ``yoy``, ``change`` ("relative": mom = value ÷ prev − 1; "difference": mom = value −
    prev, for shares) and ``definition``. Indicators: ``sales_cases``, ``sales_value_10k``,
    ``value_per_case``, ``key_brand_share``, ``retailer_margin``, ``order_fill_rate``,
    ``order_at_cap_share``, ``stock_out_rate`` and ``active_customers``. A comparison month
    the data do not cover gives NaN (and so does ``active_customers`` when its window is
    not covered).
    """
    p = _period(period)
    _require(tables, p, p, "headline")
    first, last = covered_months(tables)
    months = {"value": p, "prev_month": p - 1, "prev_year": p - 12}
    df = _sums(tables, (max(first, p - 12), p), by_month=True).set_index("month")
    kb_num, kb_den = ("key_amount", "amount") if key_brand_basis == "value" else ("key_cartons", "cartons")
    if key_brand_basis not in ("value", "volume"):
        raise ValueError(f"key_brand_basis must be 'value' or 'volume', not {key_brand_basis!r}")
    kb_def = f"key-brand sales ÷ all sales by {key_brand_basis} (orders.amount or order_qty)"
    spec = [
        ("sales_cases", "case", "relative", lambda s: s["cartons"] / CARTONS_PER_CASE,
         "Σ order_qty ÷ 250 over the month's order lines (week's Monday in the month)"),
        ("sales_value_10k", "¥10k", "relative", lambda s: s["amount"] / 10_000,
         "Σ amount (¥ at wholesale price) ÷ 10,000 over the month's order lines"),
        ("value_per_case", "¥/case", "relative",
         lambda s: _ratio(s["amount"], s["cartons"] / CARTONS_PER_CASE), "Σ amount ÷ cases"),
        ("key_brand_share", "share", "difference", lambda s: _ratio(s[kb_num], s[kb_den]), kb_def),
        ("retailer_margin", "share", "difference",
         lambda s: _ratio(s["margin_value"], s["retail_value"]),
         "Σ order_qty × (retail − wholesale) ÷ Σ order_qty × retail (list prices)"),
        ("order_fill_rate", "share", "difference",
         lambda s: _ratio(s["capped_order"], s["capped_cap"]),
         "Σ order_qty ÷ Σ cap_qty over the rationed lines (cap_qty > 0)"),
        ("order_at_cap_share", "share", "difference",
         lambda s: _ratio(s["at_cap_lines"], s["capped_lines"]),
         "rationed lines with order_qty ≥ cap_qty ÷ rationed lines (cap_qty > 0)"),
        ("stock_out_rate", "share", "difference",
         lambda s: _ratio(s["unfilled_demand_lines"], s["demand_lines"]),
         "lines with demand_qty > 0 and order_qty = 0 ÷ lines with demand_qty > 0"),
    ]
    rows = []
    for name, unit, change, fn, definition in spec:
        row = {"indicator": name, "unit": unit, "change": change, "definition": definition}
        for col, m in months.items():
            if not (first <= m <= last):
                row[col] = math.nan
            elif str(m) in df.index:
                row[col] = float(fn(df.loc[str(m)]))
            else:
                row[col] = 0.0 if unit in ("case", "¥10k") else math.nan
        rows.append(row)
    win = (f"M-{window - 1} .. M" if include_current else f"M-{window} .. M-1") if window > 1 else (
        "M" if include_current else "M-1")
    row = {"indicator": "active_customers", "unit": "customers", "change": "relative",
           "definition": f"customers with an order (order_qty > 0) in months {win} of month M"}
    for col, m in months.items():
        try:
            row[col] = float(active_customers(tables, m, window=window, include_current=include_current))
        except PeriodNotCovered:
            row[col] = math.nan
    rows.append(row)
    out = pd.DataFrame(rows)
    rel = out["change"] == "relative"
    for col, name in (("prev_month", "mom"), ("prev_year", "yoy")):
        prev = out[col].where(out[col] != 0)
        out[name] = np.where(rel, out["value"] / prev - 1, out["value"] - out[col])
    return out[["indicator", "unit", "value", "prev_month", "prev_year", "mom", "yoy", "change",
                "definition"]]


# --------------------------------------------------------------------------- scorecard

# Units and status are decided in lean_analysis.targets; the name stays for callers.
convert_unit = _targets_core.convert


_COMPUTED = {
    "retailer_margin": "Σ qty × (retail − wholesale) ÷ Σ qty × retail, order lines {span}",
    "key_brand_share": "key-brand sales ÷ all sales by {basis}, order lines {span}",
    "new_product_coverage": (
        "{aggregate} over the products launched in {year} up to {period} of: {base} "
        "customers who ordered it {span} ÷ {base} customers"
    ),
}
SCORECARD_COLUMNS = ["indicator", "label_zh", "label_en", "target", "unit", "direction", "actual",
                     "status", "span", "source", "definition", "reason", "note"]
# Codes in the scorecard's ``reason`` column (";"-separated), explained in ``note``.
SCORECARD_REASONS = ("no_metrics", "other_period", "no_figure", "no_source", "no_new_product",
                     "no_base", "products_left_out", "not_covered", "targets_year")


def _external_figure(key: str, src: Mapping[str, str], other_metrics, p: pd.Period):
    """(value, unit, definition, span, source, (reason code, note)) of a figure of another
    report."""
    if not isinstance(src, Mapping) or "report" not in src or "figure" not in src:
        raise ValueError(f"scorecard source of {key!r} must be {{report, figure}}, not {src!r}")
    report, figure = str(src["report"]), str(src["figure"])
    source = f"{report}:{figure}"
    doc = other_metrics.get(report)
    if not doc:
        return (math.nan, None, "", str(p), source,
                ("no_metrics", f"no metrics of report {report} for {p}"))
    if str(doc.get("period")) != str(p):
        return (math.nan, None, "", str(p), source,
                ("other_period", f"metrics of report {report} are for {doc.get('period')}, not {p}"))
    fig = (doc.get("figures") or {}).get(figure)
    if not isinstance(fig, Mapping) or fig.get("value") is None:
        return (math.nan, None, "", str(p), source,
                ("no_figure", f"report {report} has no figure {figure}"))
    return (float(fig["value"]), fig.get("unit"), str(fig.get("definition", "")),
            str(fig.get("span", p)), source, ("", ""))


def _computed_figure(tables: Tables, key: str, p: pd.Period, basis: str, margin_weighting: str,
                     new_product_base: str, new_product_aggregate: str):
    """(value as a share, definition, (reason code, note)) of a target computed from the
    orders."""
    span = f"{p.year}-01 .. {p}"
    if key == "retailer_margin":
        return (retailer_margin(tables, p, span="ytd", weighting=margin_weighting),
                _COMPUTED[key].format(span=span), ("", ""))
    if key == "key_brand_share":
        return (key_brand_share(tables, p, span="ytd", basis=basis),
                _COMPUTED[key].format(span=span, basis=basis), ("", ""))
    if new_product_aggregate not in ("mean", "min", "pooled"):
        raise ValueError("new_product_aggregate must be 'mean', 'min' or 'pooled', "
                         f"not {new_product_aggregate!r}")
    definition = _COMPUTED[key].format(aggregate=new_product_aggregate, year=p.year, period=p,
                                       base=new_product_base, span=span)
    npc = new_product_coverage(tables, p, base=new_product_base)
    measured = npc[npc["base"] > 0]
    if npc.empty:
        return math.nan, definition, ("no_new_product", f"no new product launched in {p.year} up to {p}")
    if measured.empty:
        return math.nan, definition, ("no_base", f"no {new_product_base} customers for the new products")
    if new_product_aggregate == "mean":
        value = float(measured["coverage"].mean())
    elif new_product_aggregate == "min":
        value = float(measured["coverage"].min())
    else:
        value = float(measured["ordered_in_base"].sum() / measured["base"].sum())
    left_out = len(npc) - len(measured)
    note = (("products_left_out", f"{left_out} new product(s) without {new_product_base} "
             "customers left out") if left_out else ("", ""))
    return value, definition, note


def scorecard(tables: Tables, period: str, targets: Mapping[str, Any],
              other_metrics: Mapping[str, Mapping[str, Any] | None] | None = None,
              sources: Mapping[str, Mapping[str, str]] | None = None,
              key_brand_basis: str | None = None, margin_weighting: str = "volume",
              new_product_base: str = "active", new_product_aggregate: str = "mean"
              ) -> pd.DataFrame:
    """Each yearly target against its value to date (January .. ``period``).

    ``targets``: the parsed params/targets.yaml (``{year, targets: {key: spec}}``) or its
    ``targets`` mapping; each spec ``{value, unit, direction}`` plus optional
    ``label_zh``, ``label_en``, ``definition`` (and ``basis`` for key_brand_share). Units:
    "share" (0–1) or a 0–100 scale ("%", "index", "points"); see :func:`convert_unit`.

    Computed here from the orders, year to date: ``retailer_margin``
    (:func:`retailer_margin`, ``margin_weighting``), ``key_brand_share``
    (:func:`key_brand_share`; basis ``key_brand_basis``, else the target's ``basis``, else
    "value") and ``new_product_coverage`` (:func:`new_product_coverage` with
    ``new_product_base``, over the year's new products by ``new_product_aggregate``:
    "mean", "min" or "pooled" = Σ ordered_in_base ÷ Σ base). Any key in ``sources``
    (default :data:`DEFAULT_SOURCES`: satisfaction, target_on_shelf_rate) is read from
    another report's metrics.json: ``sources[key] = {report, figure}`` and
    ``other_metrics[report]`` = that report's parsed metrics.json (or None).

    "not_measured", with the reason as a code in ``reason`` (:data:`SCORECARD_REASONS`) and
    in words in ``note``: a missing report or figure, metrics of another period, a key with
    neither source nor computation, a computed value the data cannot give (no new product
    this year; months before the data start). ``period``
    itself must be covered by the data (else :class:`PeriodNotCovered`).

    The actual value is shown in the target's unit (0.112 share against a target in "%"
    → 11.2). Status: "met" when ``actual <direction> target`` (compared at 9 decimals),
    else "not_met". Columns: :data:`SCORECARD_COLUMNS`.

    Example (tests): year-to-date margin 192 ÷ 1,692 = 11.35 % against ≥ 11.2 % → met;
    new-product coverage 3 of 4 active customers = 0.75 against ≥ 1.0 → not met; no
    02_brand_cultivation metrics → target on-shelf rate not measured.
    """
    p = _period(period)
    _require(tables, p, p, "scorecard")
    note_all = ("", "")
    if isinstance(targets, Mapping) and isinstance(targets.get("targets"), Mapping):
        year = targets.get("year")
        if year is not None and int(year) != p.year:
            note_all = ("targets_year", f"targets are for {year}, the period is in {p.year}")
        targets = targets["targets"]
    srcs = dict(DEFAULT_SOURCES if sources is None else sources)
    other_metrics = other_metrics or {}
    ytd_span = f"{p.year}-01 .. {p}"
    rows = []
    for key, spec in targets.items():
        tgt = _targets_core.Target.from_spec(key, spec)
        unit, direction, target = tgt.unit, tgt.direction, tgt.value
        actual, a_unit, definition, note, span = math.nan, "share", "", ("", ""), ytd_span
        if key in srcs:
            actual, a_unit, definition, span, source, note = _external_figure(
                key, srcs[key], other_metrics, p)
            if a_unit is None:
                a_unit = unit
        elif key in _COMPUTED:
            source = "orders"
            basis = key_brand_basis or spec.get("basis", "value")
            try:
                actual, definition, note = _computed_figure(
                    tables, key, p, basis, margin_weighting, new_product_base, new_product_aggregate)
            except PeriodNotCovered as e:
                note = ("not_covered", str(e))
        else:
            source = ""
            note = ("no_source", f"no source for target {key!r} (not computed here and not in sources)")
        value = math.nan if math.isnan(actual) else convert_unit(actual, a_unit, unit)
        rows.append({
            "indicator": key, "label_zh": str(spec.get("label_zh", "")),
            "label_en": str(spec.get("label_en", "")), "target": target, "unit": unit,
            "direction": direction, "actual": value, "status": tgt.status(value),
            "span": span, "source": source,
            "definition": definition or str(spec.get("definition", "")),
            "reason": ";".join(c for c, _ in (note, note_all) if c),
            "note": "; ".join(x for _, x in (note, note_all) if x),
        })
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)

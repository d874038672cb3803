"""The monthly overview's tables: managers' tests, month-level and product-level indicators,
the headline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lean_analysis.calendar import PeriodNotCovered
from lean_analysis.calendar import month_period as _period
from lean_analysis.config import CARTONS_PER_CASE
from lean_analysis.data.tables import Tables
from lean_analysis.kpis.customers import active_customers, coverage, repurchase_rate, sell_through
from lean_analysis.kpis.months import (
    _require,
    covered_months,
)
from lean_analysis.kpis.sql import (
    _ratio,
    _sums,
)

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

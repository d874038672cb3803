"""Sales indicators: cases, value, value per case, key-brand share, retailer margin."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lean_analysis.calendar import month_period as _period
from lean_analysis.config import CARTONS_PER_CASE
from lean_analysis.data.tables import Tables
from lean_analysis.kpis.months import (
    _require,
    _resolve_span,
    covered_months,
)
from lean_analysis.kpis.sql import (
    _keys,
    _ratio,
    _sums,
)

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

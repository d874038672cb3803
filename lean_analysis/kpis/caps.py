"""Rationing indicators: order-fill rate (订足率), order-at-cap share (订足面), stock-out rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lean_analysis.data.tables import Tables
from lean_analysis.kpis.months import (
    _resolve_span,
)
from lean_analysis.kpis.sql import (
    _keys,
    _sums,
)

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

"""Which months the order data cover, and the spans (month, year to date, pairs) indicators sum
over."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lean_analysis.calendar import PeriodNotCovered, covered_between
from lean_analysis.calendar import active_window as _active_window
from lean_analysis.calendar import month_period as _period
from lean_analysis.data.tables import Tables
from lean_analysis.kpis.sql import (
    _week_range,
)


def covered_months(tables: Tables) -> tuple[pd.Period, pd.Period]:
    """The first and last month fully covered by ``orders``
    (:func:`lean_analysis.calendar.covered_between` of the first and last order week)."""
    return covered_between(*_week_range(tables))


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


def window_covered(tables: Tables, period: str | pd.Period, window: int = 3,
                   include_current: bool = False) -> bool:
    """Whether the data cover the active-customer window of ``period``
    (:func:`lean_analysis.calendar.active_window`: ``M-window .. M-1``, or
    ``M-window+1 .. M`` with ``include_current``).
    For 2026-10 with ``include_current=True`` the window is 2026-08 .. 2026-10, so data
    from August on suffice (the check used to look at July whatever the window).
    """
    first, last = covered_months(tables)
    start, end = _active_window(_period(period), window, include_current)
    return first <= start and end <= last

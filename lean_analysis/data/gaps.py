"""Weeks without order lines: the holes in the order weeks, and the weeks declared closed.

A week inside the order weeks (their first .. last Monday) without a single order line is
either a hole in the export (a month deleted, a week not exported) or a week the wholesaler
took no orders. Every sum over the orders reads such a week as zero sales, so validation
makes a hole an error (rule ``missing weeks``) unless the week is listed in the optional
table ``closed_weeks`` (the Monday of each closed week, e.g. the Spring Festival break; a
warning counting them, rule ``closed weeks``).

:func:`gaps` tells a report which weeks of its window are such weeks, and
:meth:`WeekGaps.note` words it for the top of the report::

    note = data.gaps(tables, start, end).note(lang)   # "" when there are none

:func:`week_gaps` is the same on plain lists of Mondays (the runner's pre-check uses it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

SHOWN = 10  # weeks listed in a message (the count is always complete)


@dataclass
class WeekGaps:
    """The weeks of a window without order lines. ``first`` .. ``last``: the Mondays looked
    at (the window within the order weeks; None when they do not meet); ``n_weeks``: the
    Mondays in between; ``missing``: weeks without order lines not declared closed;
    ``closed``: weeks without order lines declared closed; ``closed_with_orders``: weeks
    declared closed that do have order lines (their orders are read as they are)."""

    first: dt.date | None
    last: dt.date | None
    n_weeks: int = 0
    missing: list[dt.date] = field(default_factory=list)
    closed: list[dt.date] = field(default_factory=list)
    closed_with_orders: list[dt.date] = field(default_factory=list)

    def __bool__(self) -> bool:
        """True when the window holds a week without order lines (missing or closed)."""
        return bool(self.missing or self.closed)

    def note(self, lang: str = "zh") -> str:
        """One sentence for the top of a report, in ``lang`` (``zh`` / ``en``): the window
        holds weeks without order lines, whose sales every figure counts as zero; "" when
        it holds none."""
        if not self:
            return ""
        if lang == "en":
            parts = []
            if self.missing:
                parts.append(f"{_n_weeks(len(self.missing))} without order lines "
                             f"({weeks_text(self.missing)})")
            if self.closed:
                parts.append(f"{_n_weeks(len(self.closed))} declared closed "
                             f"({weeks_text(self.closed)})")
            return (f"Note: this window ({self.first} .. {self.last}) contains "
                    + " and ".join(parts) + "; their sales are counted as zero.")
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} 周无订单数据（{weeks_text(self.missing, '、')}）")
        if self.closed:
            parts.append(f"{len(self.closed)} 周停业（{weeks_text(self.closed, '、')}）")
        return (f"注意：本期窗口（{self.first} 至 {self.last}）含 " + "、".join(parts)
                + "；这些周的销量按 0 计。")


def _n_weeks(n: int) -> str:
    return f"{n:,} week" + ("" if n == 1 else "s")


def weeks_text(weeks: list[dt.date], sep: str = ", ") -> str:
    """The first :data:`SHOWN` weeks, then '…' when there are more."""
    shown = sep.join(str(w) for w in weeks[:SHOWN])
    return shown + (f"{sep}…" if len(weeks) > SHOWN else "")


def _date(v) -> dt.date:
    return pd.Timestamp(v).date()


def _monday_on_or_after(d: dt.date) -> dt.date:
    return d + dt.timedelta(days=(7 - d.weekday()) % 7)


def _monday_on_or_before(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def _window(start, end) -> tuple[dt.date | None, dt.date | None]:
    """The first and last Monday of the window ``start`` .. ``end``: dates, or months
    ``YYYY-MM`` (``start`` alone a month: that month; a week belongs to the month of its
    Monday)."""
    from lean_analysis.calendar import month_mondays

    def is_month(v) -> bool:
        return isinstance(v, str | pd.Period) and len(str(v)) == 7

    if is_month(start) and end is None:
        a, b = month_mondays(str(start))
        return a.date(), b.date()
    lo = hi = None
    if start is not None:
        lo = month_mondays(str(start))[0].date() if is_month(start) else \
            _monday_on_or_after(_date(start))
    if end is not None:
        hi = month_mondays(str(end))[1].date() if is_month(end) else \
            _monday_on_or_before(_date(end))
    return lo, hi


def week_gaps(weeks: Iterable, closed: Iterable = (), start=None, end=None) -> WeekGaps:
    """The weeks without order lines among the Mondays of ``start`` .. ``end`` (default: all)
    within the order weeks ``weeks`` (the weeks that have order lines; any day stands for the
    Monday of its week), given the weeks declared ``closed``."""
    have = sorted({_monday_on_or_before(_date(w)) for w in weeks if not pd.isna(w)})
    shut = {_monday_on_or_before(_date(w)) for w in closed if not pd.isna(w)}
    if not have:
        return WeekGaps(None, None)
    lo, hi = _window(start, end)
    first = max(have[0], lo) if lo else have[0]
    last = min(have[-1], hi) if hi else have[-1]
    if first > last:
        return WeekGaps(None, None)
    have_set = set(have)
    n = (last - first).days // 7 + 1
    holes = [first + dt.timedelta(weeks=i) for i in range(n)]
    holes = [w for w in holes if w not in have_set]
    return WeekGaps(
        first, last, n,
        missing=[w for w in holes if w not in shut],
        closed=[w for w in holes if w in shut],
        closed_with_orders=sorted(w for w in shut if w in have_set and first <= w <= last),
    )


def order_weeks(con, orders: str = '"orders"') -> list[dt.date]:
    """The distinct Mondays of the order lines of ``orders`` (SQL naming the typed orders)
    on the DuckDB connection ``con``, in order."""
    rows = con.execute(f"SELECT DISTINCT CAST(date_trunc('week', week) AS DATE) FROM {orders} "
                       "WHERE week IS NOT NULL ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def declared_closed(con, names, closed: str = '"closed_weeks"') -> list[dt.date]:
    """The weeks of the table closed_weeks (none when the table is absent)."""
    if "closed_weeks" not in names:
        return []
    rows = con.execute(f"SELECT DISTINCT week FROM {closed} WHERE week IS NOT NULL "
                       "ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def gaps(tables, start=None, end=None) -> WeekGaps:
    """The weeks without order lines in the window ``start`` .. ``end`` of the loaded
    ``tables`` (dates, or months ``YYYY-MM``; ``gaps(tables, "2026-10")`` is one month;
    default: all the order weeks). The window is taken within the order weeks: weeks before
    the first or after the last order week are not holes (the pre-check refuses a period the
    data do not cover).

    >>> g = data.gaps(tables, "2025-11", "2026-10")          # doctest: +SKIP
    >>> g.missing, g.closed                                   # doctest: +SKIP
    ([], [datetime.date(2026, 2, 16)])
    >>> g.note("en")                                          # doctest: +SKIP
    'Note: this window (2025-11-03 .. 2026-10-26) contains 1 week declared closed ...'
    """
    return week_gaps(order_weeks(tables.con), declared_closed(tables.con, tables.names),
                     start, end)

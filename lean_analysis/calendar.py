"""Periods and the Spring Festival (春节).

Spring Festival dates come from ``lunardate`` (first day of the first lunar month), never
from a hand-typed table. They are known years in advance, so a regressor built from them
never leaks the future into a forecast.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from lunardate import LunarDate


def spring_festival_date(year: int) -> dt.date:
    """Gregorian date of Spring Festival (农历正月初一) in ``year``.

    >>> spring_festival_date(2026)
    datetime.date(2026, 2, 17)
    """
    return LunarDate(int(year), 1, 1).to_solar_date()


def spring_festival_dates(years: Iterable[int]) -> dict[int, dt.date]:
    return {int(y): spring_festival_date(y) for y in years}


def month_start(value) -> pd.Timestamp:
    """The first day of the month of ``value`` (a date, timestamp or ``YYYY-MM`` string)."""
    return pd.Timestamp(value).to_period("M").to_timestamp()


class PeriodNotCovered(ValueError):
    """The order data do not cover a month an indicator or a report needs."""


def month_period(period) -> pd.Period:
    """A month ``YYYY-MM`` (or a :class:`pandas.Period`) as a monthly Period; anything else
    raises ``ValueError``.

    >>> month_period("2026-10")
    Period('2026-10', 'M')
    """
    if isinstance(period, pd.Period):
        return period.asfreq("M")
    if isinstance(period, str) and len(period) == 7 and period[4] == "-":
        try:
            return pd.Period(period, freq="M")
        except (ValueError, TypeError):
            pass
    raise ValueError(f"period must be a month 'YYYY-MM', not {period!r}")


def month_mondays(month) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last Monday of ``month``. An order week belongs to the month of its Monday,
    so a month is covered by order data when both Mondays lie within the order weeks.

    >>> [d.date().isoformat() for d in month_mondays("2026-10")]
    ['2026-10-05', '2026-10-26']
    """
    m = month_period(month)
    first = m.start_time.normalize()
    first += pd.Timedelta(days=(7 - first.weekday()) % 7)
    last = m.end_time.normalize()
    last -= pd.Timedelta(days=last.weekday())
    return first, last


def covered_between(first_week, last_week) -> tuple[pd.Period, pd.Period]:
    """The first and last month fully covered by order weeks ``first_week .. last_week``
    (both Mondays of a covered month lie within them); ``PeriodNotCovered`` when none is.

    >>> covered_between("2026-01-05", "2026-03-30")
    (Period('2026-01', 'M'), Period('2026-03', 'M'))
    >>> covered_between("2026-01-12", "2026-03-23")
    (Period('2026-02', 'M'), Period('2026-02', 'M'))
    """
    lo, hi = pd.Timestamp(first_week), pd.Timestamp(last_week)
    first = lo.to_period("M")
    if month_mondays(first)[0] < lo:
        first += 1
    last = hi.to_period("M")
    if month_mondays(last)[1] > hi:
        last -= 1
    if last < first:
        raise PeriodNotCovered(
            f"table 'orders' (column week) runs {lo.date()} .. {hi.date()}: no complete month"
        )
    return first, last


def active_window(period, window: int = 3, include_current: bool = False
                  ) -> tuple[pd.Period, pd.Period]:
    """The months whose orders make a customer active in ``period``: the ``window`` months
    before it (``M-3 .. M-1`` by default), or ending with it (``include_current``).

    >>> active_window("2026-10")
    (Period('2026-07', 'M'), Period('2026-09', 'M'))
    >>> active_window("2026-10", include_current=True)
    (Period('2026-08', 'M'), Period('2026-10', 'M'))
    """
    if int(window) < 1:
        raise ValueError(f"window must be ≥ 1, not {window!r}")
    p = month_period(period)
    end = p if include_current else p - 1
    return end - (int(window) - 1), end


def parse_period(period: str, today: dt.date | None = None) -> pd.Period:
    """``YYYY-MM`` or ``last-month`` (relative to ``today``) as a monthly :class:`pandas.Period`."""
    if period == "last-month":
        today = today or dt.date.today()
        return pd.Period(today, freq="M") - 1
    # strictly YYYY-MM: pandas reads "2026" as January and "2026Q3" as July
    if not (isinstance(period, str) and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period)):
        raise ValueError(f"period {period!r} is not YYYY-MM or 'last-month'")
    return pd.Period(period, freq="M")


def spring_festival_regressor(ds: Iterable, freq: str = "MS", pre_days: int = 28) -> np.ndarray:
    """Share of the Spring Festival run-up that falls in each period starting at ``ds``.

    The run-up is the ``pre_days`` days before Spring Festival (the stocking-up peak). For a
    monthly period (``freq="MS"``) the value is the fraction of the run-up's days inside the
    month, so it splits the effect between January and February as the lunar date moves.
    For weekly periods (``freq`` starting with ``"W"``) the periods are 7 days from ``ds``.
    Values lie in [0, 1] and sum to 1 per festival over a complete calendar.
    """
    starts = pd.DatetimeIndex(pd.to_datetime(list(ds)))
    if len(starts) == 0:
        return np.zeros(0)
    if freq.upper().startswith("W"):
        ends = starts + pd.Timedelta(days=7)
    else:
        ends = starts + pd.offsets.MonthBegin(1)
    years = range(starts.min().year - 1, ends.max().year + 2)
    out = np.zeros(len(starts))
    for d in spring_festival_dates(years).values():
        sf = pd.Timestamp(d)
        lo, hi = sf - pd.Timedelta(days=pre_days), sf
        overlap = (np.minimum(ends.values, hi.to_datetime64()) - np.maximum(starts.values, lo.to_datetime64()))
        days = overlap.astype("timedelta64[D]").astype(float)
        out += np.clip(days, 0, None) / pre_days
    return out

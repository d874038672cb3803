"""Checks and calendars for a panel of series in long format (``unique_id, ds, y``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..calendar import spring_festival_regressor

SF_COLUMN = "spring_festival"


def check_panel(series: pd.DataFrame, name: str = "series") -> pd.DataFrame:
    """Validate a long panel and return ``unique_id, ds, y`` sorted, with ``ds`` as datetimes.

    Raises ``ValueError`` naming the frame, column, row and rule for: missing columns, a
    ``ds`` that is not a date, a missing or non-numeric ``y``, duplicated ``(unique_id, ds)``.
    """
    if not isinstance(series, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, not {type(series).__name__}")
    missing = [c for c in ("unique_id", "ds", "y") if c not in series.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; expected unique_id, ds, y")
    df = series[["unique_id", "ds", "y"]].copy()
    if df.empty:
        raise ValueError(f"{name}: no rows")
    try:
        df["ds"] = pd.to_datetime(df["ds"]).astype("datetime64[ns]")
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name}: column ds is not a date ({err})") from None
    y = pd.to_numeric(df["y"], errors="coerce")
    bad = y.isna()
    if bad.any():
        i = bad.idxmax()
        raise ValueError(f"{name}: column y, row {i} (unique_id={df.at[i, 'unique_id']!r}, "
                         f"ds={df.at[i, 'ds']:%Y-%m-%d}): value {series.at[i, 'y']!r} is missing "
                         "or not a number; rule: y must be a number in every row")
    df["y"] = y.astype(float)
    dup = df.duplicated(["unique_id", "ds"], keep=False)
    if dup.any():
        i = dup.idxmax()
        raise ValueError(f"{name}: rows with unique_id={df.at[i, 'unique_id']!r}, "
                         f"ds={df.at[i, 'ds']:%Y-%m-%d} appear {int(dup.sum())} times; "
                         "rule: one row per (unique_id, ds)")
    return df.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def infer_freq(df: pd.DataFrame, freq: str | None = None) -> str:
    """The pandas frequency of the panel: ``freq`` if given, else inferred from its dates."""
    if freq:
        return freq
    dates = pd.DatetimeIndex(np.sort(df["ds"].unique()))
    if len(dates) < 3:
        raise ValueError("series: fewer than 3 distinct dates, cannot infer the frequency; "
                         "pass freq= (e.g. 'MS' or 'W-MON')")
    inferred = pd.infer_freq(dates)
    if inferred is None:
        # gaps in the union of dates: fall back to the most common step
        steps = pd.Series(np.diff(dates.values)).mode().iloc[0]
        days = steps / np.timedelta64(1, "D")
        if 28 <= days <= 31 and (dates.day == 1).all():
            inferred = "MS"
        elif days == 7:
            inferred = f"W-{dates[0].day_name()[:3].upper()}"
        else:
            raise ValueError("series: cannot infer the frequency of ds; pass freq=")
    return inferred


def check_regular(df: pd.DataFrame, freq: str) -> None:
    """Every series must have one row per period from its first to its last date."""
    offset = pd.tseries.frequencies.to_offset(freq)
    calendar = pd.date_range(df["ds"].min(), df["ds"].max(), freq=offset)
    pos = calendar.get_indexer(df["ds"])
    off = pos < 0
    if off.any():
        i = int(np.argmax(off))
        raise ValueError(f"series: unique_id={df['unique_id'].iloc[i]!r} has "
                         f"{df['ds'].iloc[i]:%Y-%m-%d}, which is not on the {freq} calendar; "
                         f"rule: every ds is a {freq} period start")
    g = pd.DataFrame({"uid": df["unique_id"].to_numpy(), "pos": pos}).groupby("uid", sort=False)["pos"]
    span = g.max() - g.min() + 1
    count = g.size()
    gaps = span[span != count]
    if len(gaps):
        uid = gaps.index[0]
        have = set(pos[df["unique_id"].to_numpy() == uid])
        lo, hi = min(have), max(have)
        first_missing = next(k for k in range(lo, hi + 1) if k not in have)
        raise ValueError(f"series: unique_id={uid!r} is missing {calendar[first_missing]:%Y-%m-%d} "
                         f"({int(gaps.iloc[0] - count[uid])} gap(s); {len(gaps)} series with gaps); "
                         f"rule: a series has one row per {freq} period from its first to its "
                         "last date (fill gaps, e.g. with 0, before the backtest)")


def is_monthly(freq: str) -> bool:
    return freq.upper().startswith("M")


def is_weekly(freq: str) -> bool:
    return freq.upper().startswith("W")


def add_spring_festival(df: pd.DataFrame, freq: str) -> pd.DataFrame:
    """``df`` with the Spring Festival regressor column (monthly or weekly data only).

    Monthly: the share of the festival's 28-day run-up inside the calendar month of ``ds``;
    weekly: inside the 7 days starting at ``ds``. See
    :func:`lean_analysis.calendar.spring_festival_regressor`.
    """
    if not (is_monthly(freq) or is_weekly(freq)):
        raise ValueError(f"the Spring Festival regressor needs monthly or weekly data, not {freq!r}; "
                         "pass spring_festival=False")
    out = df.copy()
    dates = pd.DatetimeIndex(np.sort(out["ds"].unique()))
    if is_weekly(freq):  # ds is the first day of the week (data.to_series: the Monday)
        values = spring_festival_regressor(dates, freq="W")
    else:  # any monthly label (month start or end): the calendar month of ds
        values = spring_festival_regressor(dates.to_period("M").to_timestamp(), freq="MS")
    values = pd.Series(values, index=dates)
    out[SF_COLUMN] = out["ds"].map(values).to_numpy()
    return out


def future_dates(last: pd.Timestamp, h: int, freq: str) -> pd.DatetimeIndex:
    """The ``h`` periods after ``last``."""
    return pd.date_range(last, periods=h + 1, freq=freq)[1:]


def weeks_in_month(ds) -> np.ndarray:
    """Order weeks in the month of each ``ds``: the number of Mondays in the calendar month
    (an order week belongs to the month of its Monday, see ``data.to_series``): 4 or 5."""
    start = pd.DatetimeIndex(pd.to_datetime(ds)).to_period("M").to_timestamp()
    end = start + pd.offsets.MonthBegin(1)
    # Mondays in [start, end): count of dates d with d.weekday() == 0
    first_monday = start + pd.to_timedelta((7 - start.weekday) % 7, unit="D")
    days = (end - first_monday).days.to_numpy()
    return np.where(days > 0, (days - 1) // 7 + 1, 0).astype(float)


def calendar_factor(ds, freq: str, adjust: str | None) -> np.ndarray:
    """The divisor of a calendar adjustment: ``"weeks"`` = order weeks in the month
    (monthly data only); ``None``: 1."""
    if adjust is None:
        return np.ones(len(ds))
    if adjust != "weeks":
        raise ValueError(f"calendar_adjust must be None or 'weeks', not {adjust!r}")
    if not is_monthly(freq):
        raise ValueError("calendar_adjust='weeks' applies to monthly data only")
    return weeks_in_month(ds)

"""Order lines to time series, in DuckDB: ``to_series``.

The aggregation runs as one SQL query over the ``orders`` view (and the small ``products``
and ``customers`` tables), so the order lines are never loaded into pandas and a table
larger than memory still aggregates; only the result (one row per series and period)
comes back as a DataFrame.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd

from lean_analysis.config import CARTONS_PER_CASE, TIER_BANDS
from lean_analysis.data.tables import Tables, in_passes, memory_error, passes_for

LEVELS = ("product_id", "brand", "price_class", "is_key_brand", "tier", "tier_band", "area",
          "format", "manager_id", "customer_id")
VALUES = ("order_qty", "demand_qty", "cap_qty", "amount")
_FREQS = {"MS": "MS", "M": "MS", "MONTH": "MS", "W": "W", "W-MON": "W", "WEEK": "W"}

# --------------------------------------------------------------------------- series ids
# The one rule for ``unique_id``: the level values as text, joined with "|"; "total" when
# there is no level. A value's text is DuckDB's ``CAST(value AS VARCHAR)`` of the column's
# SQL type, so a series reads alike whether SQL (``to_series``) or pandas (manager
# forecasts, bottom-up groups) names it: NULL / NaN -> "(missing)", booleans "true" /
# "false", integers and integer-valued floats without a decimal point (``3`` and ``3.0``
# -> "3": pandas turns an integer column with a gap into floats), other values as written.
ID_SEP = "|"
ID_TOTAL = "total"
ID_MISSING = "(missing)"


def _id_levels(level) -> list[str]:
    if level is None or (isinstance(level, str) and level.lower() == ID_TOTAL):
        return []
    return [level] if isinstance(level, str) else list(level)


def _id_text(v) -> str:
    """One level value as it reads in ``unique_id``."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ID_MISSING
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating):
        if np.isnan(v):
            return ID_MISSING
        if np.isfinite(v) and float(v).is_integer():
            return str(int(v))
    return str(v)


def series_id(frame_or_values, level) -> pd.Series | str:
    """The series key ``unique_id`` of level values: the values as text joined with ``"|"``
    (``"total"`` for no level), by the same rule as the SQL of :func:`series_id_sql` that
    ``to_series`` uses.

    Parameters
    ----------
    frame_or_values
        A DataFrame (or a mapping of column -> values) holding the ``level`` columns: one id
        per row, as a Series on its index. Or one series' values, one per level (a tuple,
        or a scalar for one level): its id as a string.
    level
        Column name(s); ``[]``, ``None`` or ``"total"`` for one series of everything.

    Returns
    -------
    Series of str (one per row) or str.

    Examples
    --------
    >>> series_id(pd.DataFrame({"brand": ["红塔山", None], "price_class": [3.0, 5.0]}),
    ...           ["brand", "price_class"]).tolist()
    ['红塔山|3', '(missing)|5']
    >>> series_id((True, 1.0), ["is_key_brand", "tier"])
    'true|1'
    >>> series_id(pd.DataFrame({"a": [1]}), "total").tolist()
    ['total']
    """
    levels = _id_levels(level)
    if isinstance(frame_or_values, pd.DataFrame | Mapping):
        df = (frame_or_values if isinstance(frame_or_values, pd.DataFrame)
              else pd.DataFrame(dict(frame_or_values)))
        missing = [c for c in levels if c not in df.columns]
        if missing:
            raise ValueError(f"series_id: missing level column(s) {missing}")
        if not levels:
            return pd.Series(ID_TOTAL, index=df.index, dtype=object)
        out = df[levels[0]].map(_id_text).astype(object)
        for c in levels[1:]:
            out = out + ID_SEP + df[c].map(_id_text)
        return out.rename("unique_id")
    values = frame_or_values if isinstance(frame_or_values, tuple | list) else (frame_or_values,)
    if len(values) != len(levels):
        raise ValueError(f"series_id: {len(values)} value(s) for {len(levels)} level(s) {levels}")
    return ID_SEP.join(_id_text(v) for v in values) if levels else ID_TOTAL


def _id_text_sql(col: str) -> str:
    """SQL of :func:`_id_text` for one column (any type)."""
    x = f"TRY_CAST({col} AS DOUBLE)"
    return (f"CASE WHEN {col} IS NULL THEN '{ID_MISSING}' "
            f"WHEN typeof({col}) IN ('DOUBLE', 'FLOAT') THEN CASE "
            f"WHEN isnan({x}) THEN '{ID_MISSING}' "
            f"WHEN isfinite({x}) AND {x} = trunc({x}) "
            f"THEN CAST(TRY_CAST({x} AS HUGEINT) AS VARCHAR) "
            f"ELSE CAST({col} AS VARCHAR) END "
            f"ELSE CAST({col} AS VARCHAR) END")


def series_id_sql(level) -> str:
    """The SQL expression (DuckDB) of :func:`series_id` over the columns ``level``.

    >>> series_id_sql("total")
    "'total'"
    """
    levels = _id_levels(level)
    if not levels:
        return f"'{ID_TOTAL}'"
    return f"concat_ws('{ID_SEP}', " + ", ".join(_id_text_sql(c) for c in levels) + ")"


# The columns of one order line that ``where`` may use.
_PRODUCT_COLS = {"brand": "VARCHAR", "product_name": "VARCHAR", "price_class": "BIGINT",
                 "wholesale_price": "DOUBLE", "retail_price": "DOUBLE", "is_key_brand": "BOOLEAN",
                 "launch_date": "DATE"}
_CUSTOMER_COLS = {"customer_name": "VARCHAR", "area": "VARCHAR", "tier": "BIGINT",
                  "format": "VARCHAR", "manager_id": "VARCHAR", "is_modern_terminal": "BOOLEAN",
                  "active_from": "DATE", "active_to": "DATE"}
LINE_COLUMNS = ("week", "customer_id", "product_id", "demand_qty", "cap_qty", "order_qty",
                "amount", *_PRODUCT_COLS, *_CUSTOMER_COLS, "tier_band")


def to_series(
    tables: Tables,
    level: list[str] | str = ("product_id",),
    freq: str = "MS",
    value: str = "order_qty",
    unit: str = "carton",
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    where: str | dict | None = None,
    partial: str = "drop",
) -> pd.DataFrame:
    """Aggregate order lines to series in long format.

    Parameters
    ----------
    tables
        Loaded tables (``data.load``); needs ``orders``, and ``products`` / ``customers`` for
        levels and filters that use their columns.
    level
        Columns identifying a series, any of ``product_id, brand, price_class,
        is_key_brand, tier, tier_band, area, format, manager_id, customer_id``; ``[]`` or
        ``"total"`` for one series of everything. ``tier_band`` uses ``config.TIER_BANDS``.
    freq
        ``"MS"`` / ``"month"``: ``ds`` is the first day of the month; an order week belongs
        to the month of its Monday (``week``). ``"W"`` / ``"week"``: ``ds`` is the Monday.
    value
        ``order_qty`` (订购量), ``demand_qty`` (需求量), ``cap_qty`` (投放上限: the sum of the
        caps of lines that have one) or ``amount`` (¥).
    unit
        ``"carton"`` (条) or ``"case"`` (箱 = 250 cartons): quantities are divided by 250;
        ``amount`` stays in ¥ whatever the unit.
    start, end
        First and last period to include (a date or ``"YYYY-MM"`` / ``"YYYY-MM-DD"``, taken
        as the period containing it).
    where
        A filter on order lines: a SQL condition over the line columns (``LINE_COLUMNS``:
        the orders columns plus the product's and the customer's, e.g.
        ``"area = 'urban' AND is_key_brand"``), or a dict ``{column: value or list}``.
    partial
        ``"drop"`` (default): when ``end`` is not given and the data's last month is
        incomplete (the last order week is before the month's last Monday), that month is
        left out, and named in ``result.attrs["partial_period_dropped"]``. ``"keep"``: keep it.

    Returns
    -------
    DataFrame with ``unique_id`` (the level values joined with ``"|"``; ``"total"`` for
    one series), ``ds``, ``y``, the level columns, ``n_lines`` (order lines in the point),
    ``n_cap_lines`` (of which had a cap) and ``capped_share``, sorted by ``unique_id, ds``.

    Definitions
    -----------
    - Zeros: within a series' span every period is present; a period without order lines
      has ``y = 0`` and ``n_lines = 0`` (a product not ordered in a month sold 0). A
      series' span starts at its first period with nonzero ``y`` (for product series: at
      the product's launch period if that is earlier, but not before the data start or
      ``start``) and ends at the data's last period (or ``end``) for every series, so a
      series that stopped selling ends with zeros. Series whose ``y`` is zero throughout
      are left out; their number is ``result.attrs["all_zero_series"]``.
    - ``capped_share`` = (lines with a cap whose ``order_qty >= cap_qty``) ÷ (lines with a
      cap), per point: the order-at-cap share (订足面) among rationed lines. NaN when no line
      of the point had a cap. ``n_cap_lines`` is its denominator, so shares can be
      re-aggregated.
    - Sums are rounded to 6 decimals, so that the order in which parallel threads add up
      (which varies from run to run) does not show in the result: the same input gives
      the same output.

    Example
    -------
    >>> s = to_series(tables, level=["brand"], freq="MS", unit="case")   # doctest: +SKIP
    >>> s.columns.tolist()[:4]                                           # doctest: +SKIP
    ['unique_id', 'ds', 'y', 'brand']
    """
    levels = _levels(level)
    f = _FREQS.get(str(freq).upper())
    if f is None:
        raise ValueError(f"freq must be 'MS'/'month' or 'W'/'week', not {freq!r}")
    if value not in VALUES:
        raise ValueError(f"value must be one of {', '.join(VALUES)}, not {value!r}")
    if unit not in ("carton", "case"):
        raise ValueError(f"unit must be 'carton' or 'case', not {unit!r}")
    if partial not in ("drop", "keep"):
        raise ValueError(f"partial must be 'drop' or 'keep', not {partial!r}")
    if "orders" not in tables.names:
        raise KeyError("to_series needs the orders table, which is not loaded")

    try:
        return _aggregate(tables, levels, f, value, unit, start, end, where, partial)
    except duckdb.OutOfMemoryException as e:
        raise memory_error(tables.con, f"to_series(level={levels}, freq={f!r})", e) from None


def _aggregate(tables: Tables, levels: list[str], f: str, value: str, unit: str, start, end,
               where, partial: str) -> pd.DataFrame:
    """``to_series`` once its arguments are checked."""
    con = tables.con
    period = _period_sql(f)
    lines = _lines_sql(tables)
    params: list = []
    keep = "true"
    if where is not None:
        keep, params = _where_sql(where)
    lv = ", ".join(levels)
    sel_levels = f"{lv}, " if levels else ""
    launch = ("min(" + period.replace("{d}", "launch_date") + ")"
              if "product_id" in levels else "CAST(NULL AS DATE)")
    attrs: dict = {"freq": f, "value": value, "unit": unit, "level": levels,
                   "partial_period_dropped": None, "all_zero_series": 0}

    # One scan of the order lines: per series and period the filtered sums and counts, and
    # (unfiltered) the first and last order week, which fix the data's span.
    tmp = f"_series_agg_{uuid.uuid4().hex[:12]}"
    group = [*levels, period.replace("{d}", "week")]
    select = f"""
    WITH lines AS (SELECT *, coalesce(({keep}), false) AS _keep FROM ({lines}))
    SELECT {sel_levels}{period.replace("{d}", "week")} AS ds,
           round(sum({value}) FILTER (WHERE _keep), 6) AS y,
           count(*) FILTER (WHERE _keep) AS n_lines,
           count(*) FILTER (WHERE _keep AND cap_qty IS NOT NULL) AS n_cap_lines,
           count(*) FILTER (WHERE _keep AND cap_qty IS NOT NULL AND order_qty >= cap_qty)
               AS n_at_cap,
           min(week) AS lo_week,
           max(week) AS hi_week,
           {launch} AS launch_ds
    FROM lines
    WHERE week IS NOT NULL /*part*/
    GROUP BY {sel_levels}ds
    """

    def aggregate(passes: int) -> None:
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
        for i in range(passes):
            part = f"AND hash({', '.join(group)}) % {passes} = {i}" if passes > 1 else ""
            head = f"CREATE TEMP TABLE {tmp} AS" if i == 0 else f"INSERT INTO {tmp}"
            con.execute(f"{head} {select.replace('/*part*/', part)}", params)

    # The number of groups sets the first try: one pass when a bound from the small tables
    # fits the memory limit, else an estimate (HyperLogLog, one scan of the lines).
    bound = _group_bound(tables, levels, f)
    first = 1 if bound is not None and passes_for(con, bound) == 1 else passes_for(
        con, con.execute(f"SELECT approx_count_distinct(hash({', '.join(group)})) "
                         f"FROM ({lines}) WHERE week IS NOT NULL").fetchone()[0] or 0)
    try:
        _, attrs["passes"] = in_passes(con, aggregate, f"to_series(level={levels}, freq={f!r})",
                                       first)
    except BaseException:
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
        raise
    try:
        lo_week, hi_week = con.execute(f"SELECT min(lo_week), max(hi_week) FROM {tmp}").fetchall()[0]
        if lo_week is None:
            return _empty(levels, attrs)
        hi_week = _period_start(hi_week, "W")  # the Monday of the last order week
        data_start = _period_start(lo_week, f)
        first = max(_period_start(start, f), data_start) if start is not None else data_start
        if end is not None:
            last = _period_start(end, f)
        else:
            last = _period_start(hi_week, f)
            if f == "MS" and partial == "drop" and hi_week < _last_monday(last):
                attrs["partial_period_dropped"] = last.isoformat()
                last = (pd.Timestamp(last) - pd.offsets.MonthBegin(1)).date()
        if last < first:
            return _empty(levels, attrs)
        out, n_zero = _series_from_agg(con, tmp, levels, f, first, last, value, unit)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
    attrs["all_zero_series"] = n_zero
    out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
    out["y"] = out["y"].astype(float)
    out["n_lines"] = out["n_lines"].astype("int64")
    out["n_cap_lines"] = out["n_cap_lines"].astype("int64")
    out["capped_share"] = out["capped_share"].astype(float)
    out.attrs.update(attrs)
    return out


def _series_from_agg(con, tmp: str, levels: list[str], f: str, first: dt.date,
                     last: dt.date, value: str, unit: str) -> tuple[pd.DataFrame, int]:
    """The zero-filled series from the per-period aggregate ``tmp``.

    Two results come back from DuckDB: one row per series (its code ``sid``, in the order
    of ``unique_id``, with the level values) and the points keyed by ``sid`` alone. The
    label columns of the points are then taken from the per-series rows, so each label is
    one Python object shared by the points of its series, instead of a string per point
    (at province size the hand-off to pandas was dominated by repeated id strings)."""
    divisor = CARTONS_PER_CASE if (unit == "case" and value != "amount") else 1
    lv = ", ".join(levels)
    sel_levels = f"{lv}, " if levels else ""
    group_levels = f"GROUP BY {lv}" if levels else ""
    match = " AND ".join([f"s.{c} IS NOT DISTINCT FROM a.{c}" for c in levels] or ["true"])
    uid = series_id_sql(levels)
    tie = "".join(f", {c} NULLS FIRST" for c in levels)  # a fixed order if two ids read alike
    step = "INTERVAL 1 MONTH" if f == "MS" else "INTERVAL 7 DAY"
    ids = f"{tmp}_ids"
    a = (f"SELECT * FROM {tmp} "
         f"WHERE n_lines > 0 AND ds BETWEEN DATE '{first}' AND DATE '{last}'")
    con.execute(f"""
    CREATE TEMP TABLE {ids} AS
    WITH bounds AS (
        SELECT {sel_levels}min(ds) FILTER (WHERE y <> 0) AS first_nz,
               min(launch_ds) AS launch_ds
        FROM ({a}) {group_levels}
    )
    SELECT CASE WHEN first_nz IS NOT NULL THEN CAST(row_number() OVER (
               PARTITION BY first_nz IS NULL ORDER BY {uid}{tie}) - 1 AS INTEGER) END AS sid,
           {uid} AS unique_id, {sel_levels}
           greatest(DATE '{first}', least(first_nz, coalesce(launch_ds, first_nz))) AS span_start
    FROM bounds
    """)  # sid NULL: a series whose y is zero throughout (left out, and counted)
    try:
        series = con.execute(f"SELECT unique_id, {sel_levels}span_start FROM {ids} "
                             "WHERE sid IS NOT NULL ORDER BY sid").df()
        n_zero = con.execute(f"SELECT count(*) FROM {ids} WHERE sid IS NULL").fetchone()[0]
        points = con.execute(f"""
        WITH a AS ({a}),
        grid AS (
            SELECT sid, CAST(unnest(generate_series(span_start, DATE '{last}', {step}))
                             AS DATE) AS ds
            FROM {ids} WHERE sid IS NOT NULL
        ),
        keyed AS (
            SELECT s.sid, a.ds, a.y, a.n_lines, a.n_cap_lines, a.n_at_cap
            FROM a JOIN {ids} s ON {match} WHERE s.sid IS NOT NULL
        )
        SELECT g.sid, g.ds,
               CAST(coalesce(k.y, 0) AS DOUBLE) / {divisor} AS y,
               coalesce(k.n_lines, 0) AS n_lines,
               coalesce(k.n_cap_lines, 0) AS n_cap_lines,
               k.n_at_cap / NULLIF(k.n_cap_lines, 0) AS capped_share
        FROM grid g LEFT JOIN keyed k ON g.sid = k.sid AND g.ds = k.ds
        ORDER BY g.sid, g.ds
        """).fetchnumpy()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {ids}")
    sid = np.asarray(points["sid"])
    out = pd.DataFrame({"unique_id": series["unique_id"].to_numpy(dtype=object)[sid],
                        "ds": np.asarray(points["ds"])})
    out["y"] = np.asarray(points["y"])
    for c in levels:
        out[c] = series[c].take(sid).to_numpy()
    for c in ("n_lines", "n_cap_lines", "capped_share"):
        out[c] = _plain(points[c])
    return out, int(n_zero)


def _plain(x) -> np.ndarray:
    """A numpy array from ``fetchnumpy`` (masked where NULL: NaN for floats)."""
    if isinstance(x, np.ma.MaskedArray):
        return x.astype(float).filled(np.nan) if x.mask.any() else x.data
    return np.asarray(x)


def _group_bound(tables: Tables, levels: list[str], f: str) -> int | None:
    """An upper bound of the (level values, period) groups, from the small tables alone:
    the distinct values of each level in ``products`` / ``customers`` (+1 for a missing
    value) × the periods between the first and last order week. None when a table it needs
    is not loaded. (Order lines whose product or customer is missing from those tables,
    which validation reports, can exceed it; ``in_passes`` then still splits the work.)"""
    con = tables.con
    n = 1
    for c in levels:
        if c == "tier_band":
            n *= len(TIER_BANDS) + 1
            continue
        table = "products" if c == "product_id" or c in _PRODUCT_COLS else "customers"
        if table not in tables.names:
            return None
        n *= con.execute(f"SELECT count(DISTINCT {c}) + 1 FROM {table}").fetchone()[0]
    lo, hi = con.execute("SELECT min(week), max(week) FROM orders").fetchone()
    if lo is None:
        return 0
    if f == "MS":
        periods = (hi.year - lo.year) * 12 + hi.month - lo.month + 2
    else:
        periods = (hi - lo).days // 7 + 2
    return n * periods


def _levels(level) -> list[str]:
    if level is None or (isinstance(level, str) and level.lower() == "total"):
        return []
    if isinstance(level, str):
        level = [level]
    levels = list(level)
    bad = [c for c in levels if c not in LEVELS]
    if bad:
        raise ValueError(f"unknown level(s) {bad}; levels are {', '.join(LEVELS)} or 'total'")
    if len(set(levels)) != len(levels):
        raise ValueError(f"level {levels} names a column twice")
    return levels


def _period_sql(f: str) -> str:
    """SQL template (``{d}`` = a date column) for the period of a date."""
    if f == "MS":
        return "CAST(date_trunc('month', date_trunc('week', {d})) AS DATE)"
    return "CAST(date_trunc('week', {d}) AS DATE)"


def _period_start(x, f: str) -> dt.date:
    ts = pd.Timestamp(x)
    if f == "MS":
        return ts.to_period("M").start_time.date()
    return (ts - pd.Timedelta(days=ts.weekday())).date()


def _last_monday(month_start: dt.date) -> dt.date:
    last = (pd.Timestamp(month_start) + pd.offsets.MonthEnd(0)).date()
    return last - dt.timedelta(days=last.weekday())


def _lines_sql(tables: Tables) -> str:
    """One row per order line with the product's and the customer's columns."""
    has_p, has_c = "products" in tables.names, "customers" in tables.names
    pc = [f"p.{c}" if has_p else f"CAST(NULL AS {t}) AS {c}" for c, t in _PRODUCT_COLS.items()]
    cc = [f"c.{c}" if has_c else f"CAST(NULL AS {t}) AS {c}" for c, t in _CUSTOMER_COLS.items()]
    tier = "c.tier" if has_c else "CAST(NULL AS BIGINT)"
    band = "CASE " + " ".join(
        f"WHEN {tier} BETWEEN {lo} AND {hi} THEN '{label}'" for label, (lo, hi) in TIER_BANDS.items()
    ) + " END AS tier_band"
    joins = ""
    if has_p:
        joins += " LEFT JOIN products p ON o.product_id = p.product_id"
    if has_c:
        joins += " LEFT JOIN customers c ON o.customer_id = c.customer_id"
    return (
        "SELECT o.week, o.customer_id, o.product_id, o.demand_qty, o.cap_qty, o.order_qty, "
        f"o.amount, {', '.join(pc)}, {', '.join(cc)}, {band} FROM orders o{joins}"
    )


def _where_sql(where) -> tuple[str, list]:
    if isinstance(where, str):
        return where, []
    if not isinstance(where, dict):
        raise TypeError("where must be a SQL condition (str) or a dict {column: value(s)}")
    conds, params = [], []
    for col, v in where.items():
        if col not in LINE_COLUMNS:
            raise ValueError(f"where: unknown column {col!r}; columns are {', '.join(LINE_COLUMNS)}")
        if isinstance(v, list | tuple | set):
            v = list(v)
            conds.append(f"{col} IN ({', '.join('?' for _ in v)})")
            params += v
        elif v is None:
            conds.append(f"{col} IS NULL")
        else:
            conds.append(f"{col} = ?")
            params.append(v)
    return " AND ".join(conds) or "true", params


def _empty(levels: list[str], attrs: dict) -> pd.DataFrame:
    out = pd.DataFrame({
        "unique_id": pd.Series(dtype=object), "ds": pd.Series(dtype="datetime64[ns]"),
        "y": pd.Series(dtype=float),
        **{c: pd.Series(dtype=object) for c in levels},
        "n_lines": pd.Series(dtype="int64"), "n_cap_lines": pd.Series(dtype="int64"),
        "capped_share": pd.Series(dtype=float),
    })
    out.attrs.update(attrs)
    return out

"""Cultivation indicators (DESIGN §2) from order lines and shelf checks already pulled.

Every function takes DataFrames (order lines with ``week, customer_id, product_id,
demand_qty, cap_qty, order_qty, amount`` plus any item / group columns joined on, e.g.
``brand`` from products and ``group`` = target / comparison), works per period
(``freq="MS"``: the month of the week's Monday; ``"W"``: the week) and per ``by`` columns
(customer-level groups such as ``group``), and returns a tidy DataFrame with the numerator,
the denominator and the rate, so every rate can be checked and re-aggregated.

"Ordered" means ``order_qty > 0`` throughout. Where the industry wording leaves a choice
open, the docstring says which reading is taken (marked *assumption*) and a parameter gives
the alternative.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lean_analysis.config import CARTONS_PER_CASE

_MONDAY0 = pd.Timestamp("1970-01-05")  # a Monday: origin of the week index
LINE_COLUMNS = ("week", "customer_id", "product_id", "order_qty")


# ----------------------------------------------------------------------------- periods


def period_of(dates: pd.Series, freq: str = "MS") -> pd.Series:
    """The period start of each date: the month's first day (``"MS"``; a week belongs to the
    month of its Monday) or the Monday of the week (``"W"``)."""
    d = pd.to_datetime(dates)
    if freq == "MS":
        months = d.to_numpy().astype("datetime64[M]").astype("datetime64[ns]")
        return pd.Series(months, index=d.index, name=d.name)
    if freq == "W":
        d = d.dt.normalize()
        return d - pd.to_timedelta(d.dt.dayofweek, unit="D")
    raise ValueError(f"freq must be 'MS' or 'W', not {freq!r}")


def _pidx(period: pd.Series, freq: str) -> np.ndarray:
    p = pd.to_datetime(period)
    if freq == "MS":  # months since 0000-01 (as year * 12 + month - 1)
        return p.to_numpy().astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return ((p - _MONDAY0).dt.days // 7).to_numpy(dtype=np.int64)


def _from_pidx(idx: np.ndarray, freq: str) -> pd.DatetimeIndex:
    idx = np.asarray(idx, dtype=np.int64)
    if freq == "MS":
        return pd.to_datetime(
            pd.DataFrame({"year": idx // 12, "month": idx % 12 + 1, "day": 1})
        )
    return pd.Series(_MONDAY0 + pd.to_timedelta(idx * 7, unit="D"))


def _check_lines(lines: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    missing = [c for c in columns if c not in lines.columns]
    if missing:
        raise ValueError(f"{where}: order lines lack column(s) {missing} (have {list(lines.columns)})")
    if "order_qty" in columns and lines["order_qty"].isna().any():
        row = lines.index[lines["order_qty"].isna()][0]
        raise ValueError(f"{where}: orders.order_qty is empty at row {row!r}")


_PERIODS = "lean_analysis.brand.periods"  # attrs key: (freq, date column) of "period", "_p"


def _with_period(lines: pd.DataFrame, freq: str, date_col: str = "week") -> pd.DataFrame:
    """``lines`` with its ``period`` (:func:`period_of`) and period index ``_p``; when they
    are there already for this ``freq`` (a frame this function made, or rows of one), a
    shallow copy: the callers add columns, they never change values."""
    if lines.attrs.get(_PERIODS) == (freq, date_col) and {"period", "_p"} <= set(lines.columns):
        return lines.copy(deep=False)
    out = lines.copy()
    out["period"] = period_of(out[date_col], freq)
    out["_p"] = _pidx(out["period"], freq)
    out.attrs[_PERIODS] = (freq, date_col)
    return out


def _presence(lines: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Distinct (customer, keys…, period index) with an order > 0."""
    pos = lines.loc[lines["order_qty"] > 0, ["customer_id", *keys, "_p"]]
    return pos.drop_duplicates(ignore_index=True)


def _spread(pres: pd.DataFrame, offsets: range) -> pd.DataFrame:
    """Each presence row (c, …, p) copied to p + k for k in ``offsets``, de-duplicated."""
    offs = np.asarray(list(offsets), dtype=np.int64)
    rep = pres.loc[pres.index.repeat(len(offs))].reset_index(drop=True)
    rep["_p"] = rep["_p"].to_numpy() + np.tile(offs, len(pres))
    return rep.drop_duplicates(ignore_index=True)


def _count(df: pd.DataFrame, keys: list[str], name: str) -> pd.DataFrame:
    return df.groupby(keys, dropna=False).size().rename(name).reset_index()


def _finish(out: pd.DataFrame, freq: str, num: str, den: str, rate: str, lo: int, hi: int):
    out = out[(out["_p"] >= lo) & (out["_p"] <= hi)].copy()
    out[num] = out[num].fillna(0).astype(int)
    out[den] = out[den].fillna(0).astype(int)
    out[rate] = np.where(out[den] > 0, out[num] / out[den].where(out[den] > 0, 1), np.nan)
    out.insert(0, "period", _from_pidx(out["_p"].to_numpy(), freq).to_numpy())
    return out


# ----------------------------------------------------------------------------- volumes


def sales(lines: pd.DataFrame, by: Sequence[str] = ("product_id",), freq: str = "MS") -> pd.DataFrame:
    """Sales per period and ``by``: cartons (条), cases (箱 = cartons ÷ 250), amount (¥),
    value per case (单箱值, ¥/箱 = amount ÷ cases; empty when no cases) and ordering customers.

    Example: 500 cartons for ¥100,000 -> 2 cases, value per case ¥50,000.
    """
    by = list(by)
    _check_lines(lines, ["week", "order_qty", "amount", "customer_id", *by], "brand.sales")
    df = _with_period(lines, freq)
    g = df.groupby(["period", *by], dropna=False)
    out = g.agg(cartons=("order_qty", "sum"), amount=("amount", "sum")).reset_index()
    cust = (
        df[df["order_qty"] > 0].groupby(["period", *by], dropna=False)["customer_id"].nunique()
        .rename("customers").reset_index()
    )
    out = out.merge(cust, on=["period", *by], how="left")
    out["customers"] = out["customers"].fillna(0).astype(int)
    out["cases"] = out["cartons"] / CARTONS_PER_CASE
    out["value_per_case"] = np.where(out["cases"] > 0, out["amount"] / out["cases"].where(out["cases"] > 0, 1), np.nan)
    return out[["period", *by, "cartons", "cases", "amount", "value_per_case", "customers"]]


def share(
    lines: pd.DataFrame, item: str = "brand", by: Sequence[str] = (), value: str = "order_qty",
    freq: str = "MS",
) -> pd.DataFrame:
    """Share of each ``item`` in all sales of the same customers (``by`` group) and period:
    share = Σ value(item) ÷ Σ value(all items). ``value="order_qty"`` (volume, cartons) or
    ``"amount"`` (value, ¥). Example: brand A 30 cartons, brand B 70 -> A's share 0.30.
    """
    by = list(by)
    _check_lines(lines, ["week", item, value, *by], "brand.share")
    df = _with_period(lines, freq)
    num = df.groupby(["period", *by, item], dropna=False)[value].sum().rename("sales").reset_index()
    tot = df.groupby(["period", *by], dropna=False)[value].sum().rename("total").reset_index()
    out = num.merge(tot, on=["period", *by], how="left")
    out["share"] = np.where(out["total"] > 0, out["sales"] / out["total"].where(out["total"] > 0, 1), np.nan)
    return out


# ----------------------------------------------------------------------------- customer counts


def coverage(
    lines: pd.DataFrame, item: str = "product_id", by: Sequence[str] = (), freq: str = "MS",
    window: int = 3, include_current: bool = False, numerator: str = "base",
    items: Sequence | None = None,
) -> pd.DataFrame:
    """Coverage (覆盖率/铺货率) = customers who ordered the item in the period ÷ active
    customers.

    Active (DESIGN §2, as ``kpis.active_customers``): ordered anything in the ``window``
    periods before the current one; ``include_current=True`` uses the last ``window`` periods
    including it. *Assumption* ``numerator="base"`` (as ``kpis.coverage``): only active
    customers count in the numerator (rate ≤ 1); those who ordered the item without being
    active are counted in ``n_ordered_not_active``; ``numerator="all"`` counts everyone.
    ``window_complete`` is False for the first periods, whose window reaches before the data.

    Example: 4 customers ordered something in Jan–Mar; in April 2 of them and 1 new customer
    order product P -> coverage 2/4 = 0.5 (``numerator="all"``: 3/4).
    """
    by = list(by)
    if numerator not in ("base", "all"):
        raise ValueError(f"numerator must be 'base' or 'all', not {numerator!r}")
    _check_lines(lines, ["week", "customer_id", item, "order_qty", *by], "brand.coverage")
    df = _with_period(lines, freq)
    lo, hi = int(df["_p"].min()), int(df["_p"].max())
    offs = range(0, window) if include_current else range(1, window + 1)
    active = _spread(_presence(df, by), offs)
    ordered = _presence(df, [*by, item])
    if items is not None:
        ordered = ordered[ordered[item].isin(list(items))]
    flagged = ordered.merge(active.assign(_act=1), on=["customer_id", *by, "_p"], how="left")
    flagged["_act"] = flagged["_act"].fillna(0).astype(int)
    den = _count(active, [*by, "_p"], "n_active")
    item_values = pd.Series(list(items) if items is not None else sorted(ordered[item].unique()), name=item)
    grid = den.merge(item_values.to_frame(), how="cross")
    num = flagged.groupby([*by, "_p", item]).agg(
        n_all=("_act", "size"), n_base=("_act", "sum")).reset_index()
    num["n_ordered_not_active"] = num["n_all"] - num["n_base"]
    num["n_ordered"] = num["n_base"] if numerator == "base" else num["n_all"]
    out = grid.merge(num[[*by, "_p", item, "n_ordered", "n_ordered_not_active"]],
                     on=[*by, "_p", item], how="outer")
    out["n_ordered_not_active"] = out["n_ordered_not_active"].fillna(0).astype(int)
    out = _finish(out, freq, "n_ordered", "n_active", "coverage", lo, hi)
    out["window_complete"] = out["_p"] - lo >= (window - 1 if include_current else window)
    cols = ["period", *by, item, "n_ordered", "n_ordered_not_active", "n_active", "coverage", "window_complete"]
    return out[cols].sort_values(["period", *by, item], ignore_index=True)


def sell_through(
    lines: pd.DataFrame, item: str = "product_id", by: Sequence[str] = (), freq: str = "MS",
    window: int = 3, numerator: str = "base", items: Sequence | None = None,
) -> pd.DataFrame:
    """Sell-through (动销率) = customers with an order of the item this period ÷ customers
    with an order of the item in the previous ``window`` periods (the base).

    *Assumption* (as ``kpis.sell_through``): the numerator counts only customers of the base
    (``numerator="base"``) so the rate is ≤ 1; ``"all"`` counts every customer ordering the
    item this period.

    Example: 5 customers ordered P in Jan–Mar, 3 of them order it in April -> 0.6.
    """
    by = list(by)
    _check_lines(lines, ["week", "customer_id", item, "order_qty", *by], "brand.sell_through")
    df = _with_period(lines, freq)
    lo, hi = int(df["_p"].min()), int(df["_p"].max())
    pres = _presence(df, [*by, item])
    if items is not None:
        pres = pres[pres[item].isin(list(items))]
    base = _spread(pres, range(1, window + 1))
    keys = ["customer_id", *by, item, "_p"]
    if numerator not in ("base", "all"):
        raise ValueError(f"numerator must be 'base' or 'all', not {numerator!r}")
    now = pres.merge(base, on=keys, how="inner") if numerator == "base" else pres
    den = _count(base, [*by, item, "_p"], "n_base")
    num = _count(now, [*by, item, "_p"], "n_ordered")
    out = den.merge(num, on=[*by, item, "_p"], how="outer")
    out = _finish(out, freq, "n_ordered", "n_base", "sell_through", lo, hi)
    out["window_complete"] = out["_p"] - lo >= window
    return out[["period", *by, item, "n_ordered", "n_base", "sell_through", "window_complete"]].sort_values(
        ["period", *by, item], ignore_index=True
    )


def repurchase_rate(
    lines: pd.DataFrame, item: str = "product_id", by: Sequence[str] = (), freq: str = "MS",
    items: Sequence | None = None,
) -> pd.DataFrame:
    """Repurchase rate (重购率) = customers who ordered the item in both this and the
    previous period ÷ customers who ordered it this period.

    Example: 4 customers order P in April, 3 of them also did in March -> 0.75.
    """
    by = list(by)
    _check_lines(lines, ["week", "customer_id", item, "order_qty", *by], "brand.repurchase_rate")
    df = _with_period(lines, freq)
    lo, hi = int(df["_p"].min()), int(df["_p"].max())
    pres = _presence(df, [*by, item])
    if items is not None:
        pres = pres[pres[item].isin(list(items))]
    prev = _spread(pres, range(1, 2))
    keys = ["customer_id", *by, item, "_p"]
    both = pres.merge(prev, on=keys, how="inner")
    den = _count(pres, [*by, item, "_p"], "n_ordered")
    num = _count(both, [*by, item, "_p"], "n_repeat")
    out = den.merge(num, on=[*by, item, "_p"], how="left")
    out = _finish(out, freq, "n_repeat", "n_ordered", "repurchase_rate", lo + 1, hi)
    return out[["period", *by, item, "n_repeat", "n_ordered", "repurchase_rate"]].sort_values(
        ["period", *by, item], ignore_index=True
    )


# ----------------------------------------------------------------------------- caps


def order_fill(
    lines: pd.DataFrame, item: str = "product_id", by: Sequence[str] = (), freq: str = "MS",
    tol: float = 1e-9,
) -> pd.DataFrame:
    """Order-fill rate (订足率) = Σ order ÷ Σ cap, and order-at-cap share (订足面) = lines
    ordered at the cap ÷ lines, over the rationed lines (``cap_qty`` present and > 0).

    *Assumption*: unrationed lines (empty cap) and zero caps have no cap to fill and are
    left out; they are counted in ``n_uncapped``. "At the cap" is ``order ≥ cap − tol``.

    Example: caps 10, 10, 20 and orders 10, 5, 20 -> fill 35/40 = 0.875, at-cap share 2/3.
    """
    by = list(by)
    _check_lines(lines, ["week", item, "order_qty", "cap_qty", *by], "brand.order_fill")
    df = _with_period(lines, freq)
    capped = df["cap_qty"].notna() & (df["cap_qty"] > 0)
    df["_capped"] = capped.astype(int)
    df["_at_cap"] = (capped & (df["order_qty"] >= df["cap_qty"] - tol)).astype(int)
    df["_ord_c"] = np.where(capped, df["order_qty"], 0.0)
    df["_cap_c"] = np.where(capped, df["cap_qty"], 0.0)
    g = df.groupby(["period", *by, item], dropna=False)
    out = g.agg(
        order_capped=("_ord_c", "sum"), cap=("_cap_c", "sum"), n_lines=("_capped", "sum"),
        n_at_cap=("_at_cap", "sum"), n_all=("_capped", "size"),
    ).reset_index()
    out["n_uncapped"] = out["n_all"] - out["n_lines"]
    out["order_fill_rate"] = np.where(out["cap"] > 0, out["order_capped"] / out["cap"].where(out["cap"] > 0, 1), np.nan)
    out["order_at_cap_share"] = np.where(
        out["n_lines"] > 0, out["n_at_cap"] / out["n_lines"].where(out["n_lines"] > 0, 1), np.nan
    )
    return out[["period", *by, item, "order_capped", "cap", "order_fill_rate", "n_at_cap", "n_lines",
                "order_at_cap_share", "n_uncapped"]]


# ----------------------------------------------------------------------------- shelves


def _latest_checks(checks: pd.DataFrame, item: str, freq: str | None, as_of=None) -> pd.DataFrame:
    need = ["date", "customer_id", item, "on_shelf"]
    missing = [c for c in need if c not in checks.columns]
    if missing:
        raise ValueError(f"brand.on_shelf_rate: shelf checks lack column(s) {missing}")
    c = checks[need].copy()
    c["date"] = pd.to_datetime(c["date"])
    if as_of is not None:
        c = c[c["date"] <= pd.Timestamp(as_of)]
    keys = ["customer_id", item]
    if freq is not None:
        c["period"] = period_of(c["date"], freq)
        keys.append("period")
    last = c.groupby(keys)["date"].transform("max")
    c = c[c["date"] == last]
    return c.groupby(keys)["on_shelf"].any().rename("on_shelf").reset_index()


def on_shelf_rate(
    checks: pd.DataFrame, targets: pd.DataFrame | Sequence, item: str = "product_id",
    by: Sequence[str] = (), freq: str | None = "MS", unchecked: str = "absent",
    items: Sequence | None = None, as_of=None,
) -> pd.DataFrame:
    """On-shelf rate (上柜率) = target customers who carry the item ÷ target customers.

    A customer carries the item in a period when its latest shelf check of the period finds
    it on the shelf (for a brand: any of its specifications on that latest check date).
    ``freq=None``: one rate from the latest check up to ``as_of``. ``targets``: customer ids,
    or a DataFrame with ``customer_id`` (+ the ``by`` columns, e.g. ``group``).

    *Assumption*: a target not checked in the period counts as not carrying
    (``unchecked="absent"``); ``"exclude"`` divides by the checked targets instead. Both
    counts are returned (``n_targets``, ``n_checked``).

    Example: 4 targets, 3 checked, 2 with the item on the shelf -> 0.5 (absent) or 0.667.
    """
    by = list(by)
    if unchecked not in ("absent", "exclude"):
        raise ValueError(f"unchecked must be 'absent' or 'exclude', not {unchecked!r}")
    tg = (targets if isinstance(targets, pd.DataFrame) else pd.DataFrame({"customer_id": list(targets)}))
    tg = tg[["customer_id", *by]].drop_duplicates("customer_id")
    latest = _latest_checks(checks[checks["customer_id"].isin(tg["customer_id"])], item, freq, as_of)
    if items is not None:
        latest = latest[latest[item].isin(list(items))]
    latest = latest.merge(tg, on="customer_id", how="inner")
    pkeys = ["period"] if freq is not None else []
    g = latest.groupby([*pkeys, *by, item])
    out = g.agg(n_checked=("on_shelf", "size"), n_on_shelf=("on_shelf", "sum")).reset_index()
    n_t = tg.groupby(by).size().rename("n_targets").reset_index() if by else None
    if n_t is not None:
        out = out.merge(n_t, on=by, how="left")
    else:
        out["n_targets"] = len(tg)
    den = out["n_targets"] if unchecked == "absent" else out["n_checked"]
    out["n_on_shelf"] = out["n_on_shelf"].astype(int)
    out["on_shelf_rate"] = np.where(den > 0, out["n_on_shelf"] / den.where(den > 0, 1), np.nan)
    return out[[*pkeys, *by, item, "n_on_shelf", "n_checked", "n_targets", "on_shelf_rate"]]


def latest_shelf_status(
    checks: pd.DataFrame, customers: Sequence, item: str = "product_id",
    items: Sequence | None = None, as_of=None,
) -> pd.DataFrame:
    """Per customer and item: the date of its latest shelf check up to ``as_of`` and whether
    that check found the item (for a brand: any of its specifications) on the shelf.
    Customers never checked have an empty ``last_check`` and ``on_shelf``.

    Example: A checked 7 April (off) and 20 April (on) -> last_check 20 April, on_shelf True.
    """
    ids = list(dict.fromkeys(customers))
    c = checks[checks["customer_id"].isin(ids)]
    if items is not None:
        c = c[c[item].isin(list(items))]
    c = c.assign(date=pd.to_datetime(c["date"]))
    if as_of is not None:
        c = c[c["date"] <= pd.Timestamp(as_of)]
    last = c.groupby(["customer_id", item])["date"].transform("max")
    c = c[c["date"] == last]
    got = c.groupby(["customer_id", item]).agg(last_check=("date", "max"),
                                               on_shelf=("on_shelf", "any")).reset_index()
    item_values = list(items) if items is not None else sorted(c[item].unique())
    grid = pd.DataFrame([(cid, it) for cid in ids for it in item_values],
                        columns=["customer_id", item])
    out = grid.merge(got, on=["customer_id", item], how="left")
    out["on_shelf"] = out["on_shelf"].astype("boolean")
    return out


def days_to_shelf(
    checks: pd.DataFrame, launch_date, targets: Sequence, product_id, as_of=None,
) -> pd.DataFrame:
    """Per target customer: days from ``launch_date`` to the first shelf check at or after
    launch that finds ``product_id`` on the shelf (empty when never found by ``as_of``).

    Example: launch 2026-03-02, first check with the product on the shelf 2026-03-16 -> 14.
    """
    launch = pd.Timestamp(launch_date)
    c = checks[(checks["product_id"] == product_id) & checks["customer_id"].isin(list(targets))].copy()
    c["date"] = pd.to_datetime(c["date"])
    c = c[c["date"] >= launch]
    if as_of is not None:
        c = c[c["date"] <= pd.Timestamp(as_of)]
    first = c[c["on_shelf"].astype(bool)].groupby("customer_id")["date"].min()
    out = pd.DataFrame({"customer_id": list(dict.fromkeys(targets))})
    out["first_on_shelf"] = out["customer_id"].map(first)
    out["days_to_shelf"] = (out["first_on_shelf"] - launch).dt.days
    out["n_checks"] = out["customer_id"].map(c.groupby("customer_id").size()).fillna(0).astype(int)
    out.insert(0, "product_id", product_id)
    return out


def new_product_launches(
    products: pd.DataFrame, lines: pd.DataFrame, checks: pd.DataFrame,
    targets: pd.DataFrame | Sequence | None = None, as_of=None,
    coverage_target: float = 1.0, on_shelf_target: float = 1.0, active_window_days: int = 91,
    return_days: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """New products (``launch_date`` set, on or before ``as_of``) against the 100 % targets.

    Per product: ``n_targets``; ``coverage`` = targets who ordered it since launch ÷ targets
    (新品覆盖率); ``on_shelf_rate`` = among the targets checked since launch (≤ ``as_of``),
    those whose latest check finds it on the shelf ÷ those checked (``n_checked``;
    ``checked_share`` = n_checked ÷ targets beside it; an unchecked target is not counted); ``median_days_to_shelf`` over the targets
    that got it on the shelf, ``n_never_on_shelf``; ``coverage_met`` / ``on_shelf_met``
    against the targets (1.0 = 100 %).

    ``targets``: a DataFrame (``product_id``, ``customer_id``) of each product's target
    customers, or one list of customer ids for every product. *Assumption* when None: every
    customer who ordered anything in the ``active_window_days`` before launch.

    ``return_days=True`` also returns the per-customer days to shelf (:func:`days_to_shelf`
    for every product), as ``(summary, days)``.
    """
    need = ["product_id", "launch_date"]
    if any(c not in products.columns for c in need):
        raise ValueError(f"brand.new_product_launches: products lack {need}")
    prods = products[products["launch_date"].notna()].copy()
    prods["launch_date"] = pd.to_datetime(prods["launch_date"])
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else None
    if as_of_ts is not None:
        prods = prods[prods["launch_date"] <= as_of_ts]
    lines = lines.copy()
    lines["week"] = pd.to_datetime(lines["week"])
    if as_of_ts is not None:
        lines = lines[lines["week"] <= as_of_ts]
    rows, per_customer = [], []
    for _, p in prods.sort_values(["launch_date", "product_id"]).iterrows():
        pid, launch = p["product_id"], p["launch_date"]
        if targets is None:
            win = lines[(lines["week"] < launch) & (lines["week"] >= launch - pd.Timedelta(days=active_window_days))]
            tg = sorted(win.loc[win["order_qty"] > 0, "customer_id"].unique())
        elif isinstance(targets, pd.DataFrame):
            tg = sorted(targets.loc[targets["product_id"] == pid, "customer_id"].unique())
        else:
            tg = list(dict.fromkeys(targets))
        after = lines[(lines["product_id"] == pid) & (lines["week"] >= launch - pd.Timedelta(days=6))]
        ordered = set(after.loc[after["order_qty"] > 0, "customer_id"]) & set(tg)
        dts = days_to_shelf(checks, launch, tg, pid, as_of=as_of_ts)
        since = checks[(checks["product_id"] == pid) & checks["customer_id"].isin(tg)
                       & (pd.to_datetime(checks["date"]) >= launch)]
        latest = _latest_checks(since, "product_id", None, as_of_ts)
        n_on = int(latest["on_shelf"].sum())
        n = len(tg)
        cov = len(ordered) / n if n else np.nan
        n_chk = int(len(latest))
        shelf = n_on / n_chk if n_chk else np.nan
        rows.append({
            "product_id": pid, "launch_date": launch, "n_targets": n, "n_ordered": len(ordered),
            "coverage": cov, "n_on_shelf": n_on, "n_checked": n_chk, "on_shelf_rate": shelf,
            "checked_share": n_chk / n if n else np.nan,
            "median_days_to_shelf": float(dts["days_to_shelf"].median()) if dts["days_to_shelf"].notna().any() else np.nan,
            "n_never_on_shelf": int(dts["days_to_shelf"].isna().sum()),
            "coverage_met": bool(n and cov >= coverage_target - 1e-12),
            "on_shelf_met": bool(n_chk and shelf >= on_shelf_target - 1e-12),
        })
        per_customer.append(dts)
    out = pd.DataFrame(rows, columns=["product_id", "launch_date", "n_targets", "n_ordered", "coverage",
                                      "n_on_shelf", "n_checked", "on_shelf_rate", "checked_share",
                                      "median_days_to_shelf",
                                      "n_never_on_shelf", "coverage_met", "on_shelf_met"])
    for col in ("product_name", "brand"):
        if col in products.columns:
            out.insert(1, col, out["product_id"].map(products.set_index("product_id")[col]))
    if not return_days:
        return out
    days = pd.concat(per_customer, ignore_index=True) if per_customer else pd.DataFrame(
        columns=["product_id", "customer_id", "first_on_shelf", "days_to_shelf", "n_checks"])
    return out, days


# ----------------------------------------------------------------------------- one table


def indicator_panel(
    lines: pd.DataFrame, item: str = "brand", by: Sequence[str] = ("group",), freq: str = "MS",
    checks: pd.DataFrame | None = None, targets: pd.DataFrame | None = None,
    items: Sequence | None = None, share_value: str = "order_qty", unchecked: str = "exclude",
) -> pd.DataFrame:
    """All indicators per period, ``by`` group and ``item`` in one wide table: cartons,
    cases, amount, value_per_case, share, coverage, sell_through, repurchase_rate,
    order_fill_rate, order_at_cap_share and (with shelf ``checks`` and ``targets`` carrying
    the ``by`` columns) on_shelf_rate with ``checked_share`` beside it (customers checked in
    the period ÷ customers of the group). ``items`` keeps only those items (after the shares
    and the active-customer counts are computed over everything).

    The on-shelf rate is among the customers checked in the period (``unchecked="exclude"``,
    :func:`on_shelf_rate`): target stores are checked every month, comparison stores now and
    then, so counting an unchecked store as "not on the shelf" would compare check
    frequencies, not shelves.
    """
    by = list(by)
    keys = ["period", *by, item]
    _check_lines(lines, ["week"], "brand.indicator_panel")
    lines = _with_period(lines, freq)  # once for every indicator below
    out = sales(lines, by=[*by, item], freq=freq)
    out = out.merge(share(lines, item=item, by=by, value=share_value, freq=freq)[[*keys, "share"]],
                    on=keys, how="left")
    for f, col in [(coverage, "coverage"), (sell_through, "sell_through"),
                   (repurchase_rate, "repurchase_rate")]:
        out = out.merge(f(lines, item=item, by=by, freq=freq, items=items)[[*keys, col]], on=keys, how="outer")
    fill = order_fill(lines, item=item, by=by, freq=freq)
    out = out.merge(fill[[*keys, "order_fill_rate", "order_at_cap_share"]], on=keys, how="left")
    if checks is not None and targets is not None:
        shelf = on_shelf_rate(checks, targets, item=item, by=by, freq=freq, items=items,
                              unchecked=unchecked)
        shelf["checked_share"] = shelf["n_checked"] / shelf["n_targets"].where(shelf["n_targets"] > 0)
        out = out.merge(shelf[[*keys, "on_shelf_rate", "checked_share"]], on=keys, how="left")
    if items is not None:
        out = out[out[item].isin(list(items))]
    for c in ("cartons", "cases", "amount", "customers"):
        out[c] = out[c].fillna(0)
    return out.sort_values(keys, ignore_index=True)

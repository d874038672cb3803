"""The customer managers' forecasts as a model: :func:`manager_frame` and the backtest join."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import CARTONS_PER_CASE
from ..data.series import series_id
from .models import MANAGER

PRODUCT_LEVELS = ("product_id", "brand", "price_class", "is_key_brand")


def manager_frame(source, level=("product_id",), unit: str = "carton",
                  products: pd.DataFrame | None = None) -> pd.DataFrame:
    """The managers' submitted forecasts as ``unique_id, ds, forecast`` for :func:`backtest`.

    ``source`` is a loaded ``Tables`` (``manager_forecasts`` and, for levels above the
    product, ``products``) or a DataFrame of the ``manager_forecasts`` table (``month,
    product_id, forecast_qty``). ``level`` must match the series' level (``data.to_series``):
    ``product_id`` or product attributes (``brand``, ``price_class``, ``is_key_brand``) or
    ``"total"``; forecasts are summed to the level, and ``unique_id`` is
    :func:`lean_analysis.data.series.series_id` of the level values, the rule ``to_series``
    names series by. ``unit="case"`` divides by
    250 cartons per case, as ``to_series(unit="case")`` does.
    """
    if hasattr(source, "names") and hasattr(source, "__getitem__") and not isinstance(
            source, pd.DataFrame):
        if "manager_forecasts" not in source.names:
            raise KeyError("the manager_forecasts table is not loaded")
        table = source["manager_forecasts"]
        if products is None and "products" in source.names:
            products = source["products"]
    else:
        table = source
    missing = [c for c in ("month", "product_id", "forecast_qty") if c not in table.columns]
    if missing:
        raise ValueError(f"manager_forecasts: missing column(s) {missing}")
    if unit not in ("carton", "case"):
        raise ValueError(f"unit must be 'carton' or 'case', not {unit!r}")
    levels = [] if (level is None or level == "total") else (
        [level] if isinstance(level, str) else list(level))
    bad = [c for c in levels if c not in PRODUCT_LEVELS]
    if bad:
        raise ValueError(f"manager forecasts are per product: level {bad} is not a product "
                         f"attribute ({', '.join(PRODUCT_LEVELS)}) or 'total'")
    df = table[["month", "product_id", "forecast_qty"]].copy()
    extra = [c for c in levels if c != "product_id"]
    if extra:
        if products is None:
            raise ValueError(f"level {levels} needs the products table (products=)")
        df = df.merge(products[["product_id", *extra]], on="product_id", how="left",
                      validate="many_to_one")
        lost = df[extra].isna().any(axis=1)
        if lost.any():
            i = lost.idxmax()
            raise ValueError(f"manager_forecasts: row {i}: product_id {df.at[i, 'product_id']!r} "
                             "is not in the products table; rule: foreign key products.product_id")
    uid = series_id(df, levels)
    out = pd.DataFrame({"unique_id": uid, "ds": pd.to_datetime(df["month"]),
                        "forecast": pd.to_numeric(df["forecast_qty"], errors="coerce")})
    out = out.groupby(["unique_id", "ds"], as_index=False, sort=True)["forecast"].sum(min_count=1)
    if unit == "case":
        out["forecast"] = out["forecast"] / CARTONS_PER_CASE
    return out


def with_manager(models, tables, level=("product_id",), quantity: str = "order_qty",
                 unit: str = "carton") -> tuple[list[str], pd.DataFrame | None]:
    """The models to backtest and the managers' forecasts for them.

    ``"manager"`` stays among ``models`` (moved last) only where the managers' forecasts
    compare with the series: the ``manager_forecasts`` table is loaded, the quantity is
    ``order_qty`` (what the managers forecast) and ``level`` is the product or a product
    attribute (:data:`PRODUCT_LEVELS`); then the second value is :func:`manager_frame`,
    else None and ``"manager"`` is left out.
    """
    models = list(models)
    levels = [] if (level is None or level == "total") else (
        [level] if isinstance(level, str) else list(level))
    stat = [m for m in models if m != MANAGER]
    if (MANAGER in models and "manager_forecasts" in tables.names
            and quantity == "order_qty" and set(levels) <= set(PRODUCT_LEVELS)):
        return [*stat, MANAGER], manager_frame(tables, level=level, unit=unit)
    return stat, None


def check_manager(manager: pd.DataFrame) -> pd.DataFrame:
    """Validate ``unique_id, ds, forecast`` (clear errors naming row and rule)."""
    missing = [c for c in ("unique_id", "ds", "forecast") if c not in manager.columns]
    if missing:
        raise ValueError(f"manager: missing column(s) {missing}; expected unique_id, ds, "
                         "forecast (see forecast.manager_frame)")
    m = manager[["unique_id", "ds", "forecast"]].copy()
    m["ds"] = pd.to_datetime(m["ds"]).astype("datetime64[ns]")
    f = pd.to_numeric(m["forecast"], errors="coerce")
    if f.isna().any():
        i = f.isna().idxmax()
        raise ValueError(f"manager: column forecast, row {i} (unique_id={m.at[i, 'unique_id']!r}, "
                         f"ds={m.at[i, 'ds']:%Y-%m-%d}) is missing or not a number")
    m["forecast"] = f.astype(float)
    dup = m.duplicated(["unique_id", "ds"], keep=False)
    if dup.any():
        i = dup.idxmax()
        raise ValueError(f"manager: unique_id={m.at[i, 'unique_id']!r}, ds={m.at[i, 'ds']:%Y-%m-%d} "
                         "appears more than once; rule: one forecast per (unique_id, ds)")
    return m


def join_manager(grid: pd.DataFrame, manager: pd.DataFrame, level,
                 n_first: pd.Series | None = None) -> tuple[pd.DataFrame, list, int]:
    """Managers' forecasts on the backtest grid at step 1.

    Returns the model rows, the skipped records (series with cutoffs whose next period has
    no manager forecast) and the number of manager rows not used (other periods or series).
    """
    m = check_manager(manager)
    g1 = grid[grid["step"] == 1]
    j = g1.merge(m, on=["unique_id", "ds"], how="left", validate="one_to_one")
    skipped = []
    n_windows = g1.groupby("unique_id").size()
    for uid, sub in j[j["forecast"].isna()].groupby("unique_id", sort=True):
        months = ", ".join(f"{d:%Y-%m}" for d in sub["ds"].iloc[:3])
        more = "…" if len(sub) > 3 else ""
        skipped.append({"unique_id": uid, "model": MANAGER,
                        "reason": f"no manager forecast for {len(sub)} of {n_windows[uid]} "
                                  f"cutoffs ({months}{more})",
                        "n_points": int(n_first[uid]) if n_first is not None else -1,
                        "n_windows_missing": int(len(sub)), "code": "no_manager",
                        "need": f"{months}{more}"})
    used = j["forecast"].notna().sum()
    rows = j[j["forecast"].notna()].copy()
    rows.insert(0, "model", MANAGER)
    for lv in sorted(level or ()):
        rows[f"lo_{lv:g}"] = np.nan
        rows[f"hi_{lv:g}"] = np.nan
    rows = rows.drop(columns=["step"])
    return rows, skipped, int(len(m) - used)

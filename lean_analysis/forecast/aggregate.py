"""Bottom-up accuracy at coarser levels: sum product forecasts to brands, classes, the total."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.series import series_id

KEYS = ["cutoff", "ds", "step"]


def aggregate(bt: pd.DataFrame, series: pd.DataFrame, groups: pd.DataFrame,
              by, common_models="all but manager") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum a backtest and its series from ``unique_id`` up to the level ``by``.

    The forecast of a group (e.g. a brand) is the sum of its members' forecasts
    ("bottom-up"), its actual the sum of their actuals, so the accuracy of every model (and
    of the managers) can be read at the brand, price-class or county level without fitting
    anything again.

    Parameters
    ----------
    bt
        A :func:`backtest` result at the bottom level.
    series
        The bottom-level series (``unique_id, ds, y``): summed likewise for the MASE scale.
    groups
        ``unique_id`` and the ``by`` columns (e.g. the products table renamed
        ``product_id → unique_id``), one row per series.
    by
        Column(s) of ``groups``, or ``"total"`` / ``[]`` for one series of everything.
    common_models
        Models whose points define the members: only the ``(unique_id, cutoff, ds)`` that
        every one of them forecast are summed (default: every model in ``bt`` except the
        managers), so a model that could not run on a new, short series does not lose the
        whole group. ``None``: all points of ``bt``.

    Returns
    -------
    ``(bt_agg, series_agg)`` in the same layouts; ``unique_id`` is the group's
    :func:`lean_analysis.data.series.series_id` (as ``data.to_series`` names series), or
    ``"total"``. A model's group point
    is kept only when the model forecast every member series that has that point in ``bt``
    (so models are summed over the same members); the points left out are counted per model
    in ``bt_agg.attrs["incomplete"]``. Interval bounds are not summed (the bound of a sum is
    not the sum of the bounds): they are NaN.
    """
    cols = [] if (by is None or by == "total") else ([by] if isinstance(by, str) else list(by))
    missing = [c for c in ["unique_id", *cols] if c not in groups.columns]
    if missing:
        raise ValueError(f"groups: missing column(s) {missing}")
    g = groups[["unique_id", *cols]].drop_duplicates()
    if g["unique_id"].duplicated().any():
        uid = g.loc[g["unique_id"].duplicated(), "unique_id"].iloc[0]
        raise ValueError(f"groups: unique_id={uid!r} belongs to more than one group")
    gid = series_id(g, cols)
    mapping = pd.Series(gid.to_numpy(), index=g["unique_id"].to_numpy())
    unmapped = sorted(set(bt["unique_id"]) - set(mapping.index))
    if unmapped:
        raise ValueError(f"groups: no group for unique_id {unmapped[:5]} ({len(unmapped)} series)")

    b = bt[["unique_id", *KEYS, "model", "y", "forecast"]].copy()
    if common_models is not None:
        models = ([m for m in pd.unique(b["model"]) if m != "manager"]
                  if common_models == "all but manager" else list(common_models))
        sub = b[b["model"].isin(models)]
        n_have = sub.groupby(["unique_id", "cutoff", "ds"])["model"].nunique()
        keys = n_have[n_have == len(models)].index
        idx = pd.MultiIndex.from_frame(b[["unique_id", "cutoff", "ds"]])
        b = b[idx.isin(keys)]
    b["group"] = b["unique_id"].map(mapping)
    expected = b.groupby(["group", *KEYS])["unique_id"].nunique().rename("_expected")
    agg = b.groupby(["group", *KEYS, "model"], sort=True).agg(
        y=("y", "sum"), forecast=("forecast", "sum"), _n=("unique_id", "nunique")).reset_index()
    agg = agg.merge(expected.reset_index(), on=["group", *KEYS], how="left")
    complete = agg["_n"] == agg["_expected"]
    incomplete = agg.loc[~complete].groupby("model").size().to_dict()
    agg = agg[complete].rename(columns={"group": "unique_id"})
    for c in bt.columns:
        if c.startswith(("lo_", "hi_")):
            agg[c] = np.nan
    order = {m: i for i, m in enumerate(pd.unique(bt["model"]))}
    agg = agg.assign(_m=agg["model"].map(order)).sort_values(["unique_id", *KEYS[:2], "_m"])
    out = agg[[c for c in bt.columns]].reset_index(drop=True)
    out.attrs = {**bt.attrs, "incomplete": incomplete, "level": cols or "total"}

    members = set(b["unique_id"])
    s = series[series["unique_id"].isin(members)][["unique_id", "ds", "y"]].copy()
    s["unique_id"] = s["unique_id"].map(mapping)
    s_agg = s.groupby(["unique_id", "ds"], as_index=False, sort=True)["y"].sum()
    return out, s_agg


def compare_levels(bt: pd.DataFrame, series: pd.DataFrame, groups: pd.DataFrame | None,
                   levels=("total",), bottom: str = "unique_id", season_length: int | None = None,
                   exclude=("manager",)) -> pd.DataFrame:
    """The recommended model at the bottom level and at each of ``levels`` (bottom-up sums).

    For each level: :func:`aggregate` (the bottom level as it is), :func:`evaluate` by
    model, :func:`recommend` by MASE. Returns one row per level: ``level`` (the bottom
    level's name for the first row), ``n_series``, ``model``, ``mase``,
    ``accuracy_weighted``, ``runner_up``, ``baseline_mase``, ``improvement`` and, when the
    managers are in ``bt``, ``manager_accuracy_weighted`` and ``manager_mase`` (the managers
    are scored on their own points, step 1). Every level is ranked on the points common to
    the statistical models (``evaluate(common="all but manager")``: the bottom level as the
    report's league table, the levels above as :func:`aggregate` sums them), the managers
    on those of them they forecast.
    """
    from .evaluate import evaluate, recommend

    rows = []
    todo = [(bottom, bt, series)]
    for lv in levels:
        if groups is None:
            raise ValueError("compare_levels: levels above the bottom need groups=")
        agg, s_agg = aggregate(bt, series, groups, lv)
        todo.append((lv, agg, s_agg))
    for lv, b, s in todo:
        sc = evaluate(b, train=s, by=["model"], season_length=season_length,
                      common="all but manager")
        rec = recommend(sc, exclude=exclude)
        if rec.empty:
            continue
        r = rec.iloc[0]
        best = sc.set_index("model").loc[r["model"]]
        row = {"level": lv, "n_series": int(b["unique_id"].nunique()), "model": r["model"],
               "mase": r["mase"], "accuracy_weighted": best["accuracy_weighted"],
               "runner_up": r["runner_up"], "baseline_mase": r["baseline_mase"],
               "improvement": r["improvement"]}
        if "manager" in set(sc["model"]):
            m = sc.set_index("model").loc["manager"]
            row["manager_accuracy_weighted"] = m["accuracy_weighted"]
            row["manager_mase"] = m["mase"]
        rows.append(row)
    return pd.DataFrame(rows)

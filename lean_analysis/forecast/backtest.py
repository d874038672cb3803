"""Rolling-origin backtests of a panel of series: :func:`backtest`."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pandas as pd
from statsforecast import StatsForecast

from . import engine as _engine
from .ensemble import combine
from .manager import join_manager
from .models import ENSEMBLE, MANAGER, ModelSpec, resolve
from .panel import (
    SF_COLUMN,
    add_spring_festival,
    calendar_factor,
    check_panel,
    check_regular,
    infer_freq,
)

OUTPUT_COLUMNS = ("unique_id", "cutoff", "ds", "step", "model", "y", "forecast")
SKIPPED_COLUMNS = ("unique_id", "model", "reason", "n_points", "n_windows_missing", "code", "need")


def interval_columns(level) -> list[str]:
    """``lo_80, hi_80, lo_95, hi_95`` for ``level=(80, 95)``."""
    out = []
    for lv in sorted(level or ()):
        out += [f"lo_{lv:g}", f"hi_{lv:g}"]
    return out


def backtest(
    series: pd.DataFrame,
    models=("naive", "snaive", "ses", "ets", "theta", "arima", "ensemble"),
    h: int = 1,
    n_windows: int = 12,
    step: int = 1,
    season_length: int = 12,
    level=(80, 95),
    refit: bool | int = True,
    window: str = "expanding",
    input_size: int | None = None,
    manager: pd.DataFrame | None = None,
    freq: str | None = None,
    n_jobs: int = 1,
    engine=None,
    spring_festival: bool = True,
    model_options: dict[str, dict] | None = None,
    min_train: dict[str, int] | None = None,
    nonnegative: bool = True,
    calendar_adjust: str | None = None,
    festival_adjust: bool = False,
) -> pd.DataFrame:
    """Rolling-origin (time-series cross-validation) forecasts of every series by every model.

    The cutoffs are the last ``n_windows`` origins that leave ``h`` periods to forecast,
    ``step`` periods apart: with ``T`` the panel's last date, cutoff ``k`` (``k = 0 …
    n_windows − 1``) is ``T − (h + step·(n_windows − 1 − k))`` periods. At each cutoff every
    model is fitted to the data up to and including the cutoff (``window="expanding"``) or
    to the last ``input_size`` points (``window="sliding"``) and forecasts the next ``h``
    periods (``step`` = 1 … h in the output). With ``refit=k`` (an integer) the models are
    re-estimated every ``k`` windows and in between only updated with the new data
    (statsforecast's ``forward``: the parameters stay, the states run on), which is much
    faster; ``refit=False`` estimates once at the first cutoff.

    All statistical models run in ONE statsforecast ``cross_validation`` call per set of
    models with the same eligible series (normally one call for the whole panel).

    Parameters
    ----------
    series
        Long panel ``unique_id, ds, y`` (e.g. from ``data.to_series``), one row per series
        and period without gaps (zeros filled). Other columns are ignored.
    models
        Names (see :mod:`lean_analysis.forecast.models`) and/or statsforecast model objects.
        ``"ensemble"`` runs its members (ets, theta, arima) even if not listed, but only the
        listed models are returned. ``"manager"`` needs ``manager``.
    manager
        The managers' forecasts as ``unique_id, ds, forecast`` (see
        :func:`lean_analysis.forecast.manager_frame`), scored as model ``"manager"`` at step
        1 for each cutoff whose next period it covers.
    refit
        ``True`` (re-estimate at every cutoff), an integer ``k`` or ``False``.
    window, input_size
        ``"expanding"`` (all history) or ``"sliding"`` (the last ``input_size`` points).
    spring_festival
        Give ``arima`` the Spring Festival regressor (monthly or weekly data).
    model_options
        Constructor options per model name, e.g. ``{"arima": {"approximation": True}}``.
    min_train
        Override the points a model needs up to the first cutoff (``{"ets": 30}``).
    nonnegative
        Clip forecasts and interval bounds at 0 (quantities cannot be negative); the number
        of clipped forecasts is in ``attrs["clipped"]``.
    calendar_adjust
        ``"weeks"`` (monthly data): the models see ``y`` per order week (``y`` ÷ the number
        of Mondays in the month, 4 or 5, as an order week belongs to the month of its
        Monday) and their forecasts and bounds are multiplied back by the target month's
        weeks — the calendar adjustment of Hyndman & Athanasopoulos, *Forecasting:
        Principles and Practice*, §3.1 (monthly totals driven by the number of trading
        periods). The calendar is known in advance, so this uses no future data.
    festival_adjust
        Give ``ses``, ``ets``, ``theta`` and ``autotheta`` the Spring Festival too: each fit
        estimates the festival's effect β on its training data (regression on seasonally
        differenced data, :func:`lean_analysis.forecast.adjust.festival_coefficient`), the
        model sees ``y − β·x`` and forecasts ``f + β·x_future``. Needs ``spring_festival``.
    n_jobs
        Processes for statsforecast (series are split between them).
    engine
        ``None`` / ``"local"``: this process (and ``n_jobs``). ``"dask"``, a
        ``dask.distributed.Client`` or a scheduler address: the same statsforecast call on
        Dask through fugue (see :mod:`lean_analysis.forecast.engine`).

    Returns
    -------
    DataFrame ``unique_id, cutoff, ds, step, model, y, forecast, lo_<l>, hi_<l>`` (one row
    per series, cutoff, step and model; models without intervals have NaN bounds).
    ``attrs``: ``"skipped"`` — records (list of dicts) of the series × model pairs not
    forecast (too short, ending early, no manager forecast), read them with
    :func:`skipped`; ``"params"``; ``"freq"``; ``"clipped"``; ``"warnings"`` (statsforecast
    warnings by message, counted when ``n_jobs == 1``; with ``n_jobs > 1`` they are
    silenced and not counted).

    Example
    -------
    >>> bt = backtest(series, models=["snaive", "ets"], h=1, n_windows=12)  # doctest: +SKIP
    >>> skipped(bt)                                                         # doctest: +SKIP
    """
    h, n_windows, step = _positive_int(h, "h"), _positive_int(n_windows, "n_windows"), \
        _positive_int(step, "step")
    season_length = _positive_int(season_length, "season_length")
    level = tuple(sorted(level or ()))
    for lv in level:
        if not 0 < lv < 100:
            raise ValueError(f"level {lv!r}: interval levels lie strictly between 0 and 100")
    refit = _check_refit(refit)
    if window not in ("expanding", "sliding"):
        raise ValueError(f"window must be 'expanding' or 'sliding', not {window!r}")
    if window == "sliding":
        if input_size is None:
            raise ValueError("window='sliding' needs input_size (the points each fit uses)")
        input_size = _positive_int(input_size, "input_size")
    elif input_size is not None:
        raise ValueError("input_size applies to window='sliding' only")
    eng = _engine.resolve(engine)

    specs = resolve(models, season_length, spring_festival, model_options, min_train,
                    festival_adjust)
    names = [s.name for s in specs]
    if MANAGER in names and manager is None:
        raise ValueError("model 'manager' needs manager= (a DataFrame unique_id, ds, forecast)")
    if manager is not None and MANAGER not in names:
        specs.append(resolve([MANAGER], season_length)[0])
        names.append(MANAGER)
    run_specs = _to_run(specs, season_length, spring_festival, model_options, min_train,
                       festival_adjust)

    df = check_panel(series)
    freq = infer_freq(df, freq)
    check_regular(df, freq)
    test_size = h + step * (n_windows - 1)

    skipped: list[dict] = []
    sizes = df.groupby("unique_id", sort=True).size()
    last = df.groupby("unique_id", sort=True)["ds"].max()
    panel_end = last.max()
    early = last[last < panel_end]
    for uid, end in early.items():
        for name in names:
            skipped.append(_skip(uid, name, f"ends {end:%Y-%m-%d}, before the panel's last "
                                 f"period {panel_end:%Y-%m-%d}; cutoffs follow the panel calendar",
                                 int(sizes[uid]) - test_size, n_windows, "ends_early",
                                 f"{end:%Y-%m}"))
    n_first = (sizes - test_size).drop(early.index)
    for uid, n in n_first[n_first < 1].items():
        for name in names:
            skipped.append(_skip(uid, name, f"too short: {int(sizes[uid])} points, the backtest "
                                 f"needs more than h + step·(n_windows − 1) = {test_size}",
                                 int(n), n_windows, "too_short_windows", test_size + 1))
    n_first = n_first[n_first >= 1]
    n_fit = n_first.clip(upper=input_size) if input_size else n_first

    frames = []
    warn_counts: Counter = Counter()
    groups = _groups(run_specs, n_fit, skipped, n_windows, refit)
    needs_sf = any(s.uses_exog for g in groups for s in g["specs"])
    data = add_spring_festival(df, freq) if needs_sf else df
    if calendar_adjust is not None:
        data = data.assign(y=data["y"] / calendar_factor(data["ds"], freq, calendar_adjust))
    for g in groups:
        cols = ["unique_id", "ds", "y"] + ([SF_COLUMN] if g["exog"] else [])
        part = data.loc[data["unique_id"].isin(g["ids"]), cols]
        cv = _run(part, [s.model for s in g["specs"]], freq, h, n_windows, step, input_size,
                  level, g["refit"], n_jobs, eng, warn_counts)
        if calendar_adjust is not None:
            f = calendar_factor(cv["ds"], freq, calendar_adjust)
            vals = [c for c in cv.columns if c not in ("unique_id", "ds", "cutoff")]
            cv[vals] = cv[vals].mul(f, axis=0)
        frames += [_long(cv, s.name, level) for s in g["specs"]]

    by_name = {f["model"].iloc[0]: f for f in frames if len(f)}
    ens = next((s for s in specs if s.name == ENSEMBLE), None)
    if ens is not None:
        members = [by_name.get(m) for m in ens.members]
        if all(m is not None for m in members):
            by_name[ENSEMBLE] = combine(members, ENSEMBLE)
        have = set.intersection(*[set(m["unique_id"].unique()) if m is not None else set()
                                  for m in members])
        for uid, n in n_fit.items():
            if n < ens.min_train:
                skipped.append(_skip(uid, ENSEMBLE, f"too short: {int(n)} points for the first "
                                     f"fit, ensemble needs {ens.min_train}", int(n), n_windows,
                                     "too_short", ens.min_train))
            elif uid not in have:
                skipped.append(_skip(uid, ENSEMBLE, "a member model was not run on this series",
                                     int(n), n_windows, "member_missing"))

    grid = _grid(df[df["unique_id"].isin(n_first.index)], test_size, h, step, n_windows)
    if MANAGER in names:
        mgr, mgr_skipped, unused = join_manager(grid, manager, level, n_first)
        skipped += mgr_skipped
        by_name[MANAGER] = mgr
    else:
        unused = 0

    keep = [by_name[n] for n in names if n in by_name]
    cols = list(OUTPUT_COLUMNS) + interval_columns(level)
    if keep:
        bt = pd.concat(keep, ignore_index=True).drop(columns="y")
        bt = bt.merge(grid[["unique_id", "cutoff", "ds", "step", "y"]],
                      on=["unique_id", "cutoff", "ds"], how="left", validate="many_to_one")
    else:
        bt = pd.DataFrame(columns=cols)
    order = {n: i for i, n in enumerate(names)}
    bt["_m"] = bt["model"].map(order)
    bt = bt.sort_values(["unique_id", "cutoff", "step", "_m"], kind="stable")[cols]
    bt = bt.reset_index(drop=True)
    bt["step"] = bt["step"].astype("int64")

    clipped = 0
    if nonnegative and len(bt):
        fc_cols = ["forecast"] + interval_columns(level)
        neg = bt[fc_cols].lt(0)
        clipped = int(neg["forecast"].sum())
        bt[fc_cols] = bt[fc_cols].clip(lower=0)

    bt.attrs = {
        "skipped": sorted((r for r in skipped if r["model"] in names),
                          key=lambda r: (str(r["unique_id"]), r["model"])),
        "params": {"models": names, "h": h, "n_windows": n_windows, "step": step,
                   "season_length": season_length, "level": list(level),
                   "refit": refit, "window": window, "input_size": input_size,
                   "spring_festival": spring_festival, "nonnegative": nonnegative,
                   "calendar_adjust": calendar_adjust, "festival_adjust": festival_adjust},
        "freq": freq,
        "clipped": clipped,
        "manager_rows_unused": int(unused),
        "warnings": dict(warn_counts),
    }
    return bt


def skipped(bt: pd.DataFrame) -> pd.DataFrame:
    """The series × model pairs a backtest did not forecast, as a DataFrame
    ``unique_id, model, reason, n_points, n_windows_missing, code, need``.

    ``n_points`` is the number of observations up to the first cutoff (the training data of
    the first window); ``n_windows_missing`` the cutoffs without a forecast; ``code`` the
    kind of reason (``too_short``: fewer points than the model needs, ``need``;
    ``too_short_windows``: not even one point before the first cutoff, ``need`` = points
    the windows take + 1; ``ends_early``: the series stops before the panel's last period,
    ``need`` = its last month; ``member_missing``: an ensemble member was not run;
    ``no_manager``: cutoffs whose next period has no manager forecast, ``need`` = the first
    such months).
    """
    return pd.DataFrame(bt.attrs.get("skipped", []), columns=list(SKIPPED_COLUMNS))


# --------------------------------------------------------------------------- internals
def _positive_int(x, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int | np.integer) or x < 1:
        raise ValueError(f"{name} must be a positive integer, not {x!r}")
    return int(x)


def _check_refit(refit):
    if refit is True or refit is False:
        return refit
    if isinstance(refit, int | np.integer) and refit >= 1:
        return True if int(refit) == 1 else int(refit)
    raise ValueError(f"refit must be True, False or a positive integer, not {refit!r}")


def _skip(uid, model, reason, n_points, n_missing, code, need=None) -> dict:
    return {"unique_id": uid, "model": model, "reason": reason, "n_points": int(n_points),
            "n_windows_missing": int(n_missing), "code": code, "need": need}


def _to_run(specs, season_length, spring_festival, model_options, min_train,
            festival_adjust=False) -> list[ModelSpec]:
    """The statistical models to fit: the requested ones plus the ensemble's members."""
    run = [s for s in specs if s.model is not None]
    have = {s.name for s in run}
    for s in specs:
        for m in s.members:
            if m not in have:
                run += resolve([m], season_length, spring_festival, model_options, min_train,
                               festival_adjust)
                have.add(m)
    return run


def _groups(specs, n_fit: pd.Series, skipped: list, n_windows: int, refit) -> list[dict]:
    """Split models into statsforecast calls: same eligible series, compatible exogenous
    needs and refit mode. Records the too-short series × model pairs in ``skipped``."""
    groups: dict = {}
    for s in specs:
        ok = n_fit[n_fit >= s.min_train]
        for uid, n in n_fit[n_fit < s.min_train].items():
            skipped.append(_skip(uid, s.name, f"too short: {int(n)} points for the first fit, "
                                 f"{s.name} needs {s.min_train}", int(n), n_windows, "too_short",
                                 s.min_train))
        if ok.empty:
            continue
        ids = tuple(ok.index)
        r = refit if (refit is True or s.has_forward) else True
        exog = "X" if s.uses_exog else ("noX" if getattr(s.model, "uses_exog", False) else "any")
        groups.setdefault((ids, r), []).append((exog, s))
    out = []
    for (ids, r), items in groups.items():
        with_x = [s for e, s in items if e == "X"]
        no_x = [s for e, s in items if e == "noX"]
        anyx = [s for e, s in items if e == "any"]
        if with_x:
            out.append({"ids": ids, "refit": r, "exog": True, "specs": with_x + anyx})
            if no_x:
                out.append({"ids": ids, "refit": r, "exog": False, "specs": no_x})
        else:
            out.append({"ids": ids, "refit": r, "exog": False, "specs": no_x + anyx})
    return out


def _run(part, models, freq, h, n_windows, step, input_size, level, refit, n_jobs, eng,
         warn_counts: Counter) -> pd.DataFrame:
    sf = StatsForecast(models=models, freq=freq, n_jobs=n_jobs)
    kwargs = dict(h=h, n_windows=n_windows, step_size=step, input_size=input_size,
                  level=list(level) or None, refit=refit)
    if eng is not None:
        return _engine.cross_validation(eng, sf, part, kwargs)
    with warnings.catch_warnings(record=(n_jobs == 1)) as caught:
        warnings.simplefilter("always" if n_jobs == 1 else "ignore")
        cv = sf.cross_validation(df=part, **kwargs)
    for w in caught or []:
        warn_counts[str(w.message)] += 1
    return cv


def _long(cv: pd.DataFrame, name: str, level) -> pd.DataFrame:
    cols = {"unique_id": "unique_id", "cutoff": "cutoff", "ds": "ds", "y": "y", name: "forecast"}
    for lv in level:
        cols[f"{name}-lo-{lv:g}"] = f"lo_{lv:g}"
        cols[f"{name}-hi-{lv:g}"] = f"hi_{lv:g}"
    present = {k: v for k, v in cols.items() if k in cv.columns}
    out = cv[list(present)].rename(columns=present)
    for c in interval_columns(level):
        if c not in out.columns:
            out[c] = np.nan
    out.insert(0, "model", name)
    return out


def _grid(df: pd.DataFrame, test_size: int, h: int, step: int, n_windows: int) -> pd.DataFrame:
    """Every (series, cutoff, target date, step) with the actual ``y``, as statsforecast
    places them: cutoff ``k`` is row ``n − test_size + k·step − 1`` of a series of ``n``."""
    rows = []
    for uid, g in df.groupby("unique_id", sort=True):
        ds, y = g["ds"].to_numpy(), g["y"].to_numpy()
        n = len(ds)
        for k in range(n_windows):
            c = n - test_size + k * step - 1
            for s in range(1, h + 1):
                rows.append((uid, ds[c], ds[c + s], s, y[c + s]))
    return pd.DataFrame(rows, columns=["unique_id", "cutoff", "ds", "step", "y"])

"""Rolling-origin backtests of a panel of series: :func:`backtest`."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import conformal as _conformal
from . import engine as _engine
from .manager import join_manager
from .models import ENSEMBLE, MANAGER
from .spec import ForecastSpec, interval_columns, positive_int, prepare, skip_record

OUTPUT_COLUMNS = ("unique_id", "cutoff", "ds", "step", "model", "y", "forecast")
SKIPPED_COLUMNS = ("unique_id", "model", "reason", "n_points", "n_windows_missing", "code", "need")


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
    intervals: str = "conformal",
    forecast_ahead: bool = True,
    search: str = "first",
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
        ``"ensemble"`` runs its members (``ENSEMBLE_MEMBERS``) even if not listed, but only the
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

    forecast_ahead
        ``True`` (default): the fits of the last re-estimation also forecast the ``h``
        periods after the data, kept in ``attrs["ahead"]`` for :func:`predict` with
        ``backtest=`` (which then fits nothing again for these series): statsforecast's
        ``forward`` (the parameters of the last refit, the states run on to the last
        period), exactly what the backtest does between refits. It costs one ``forward``
        per series and model, not a fit. Only for the local engine, ``window="expanding"``
        and ``h`` a multiple of ``step``; the backtest's own rows are the same either way.
    search
        ``"first"`` (default): ``ets`` and ``arima`` choose their form (ETS components,
        ARIMA orders) at each series' first fit and at the last re-estimation; the
        re-estimations in between fit that form's parameters again
        (:mod:`lean_analysis.forecast.search`: half the backtest's time on the county
        sample, no loss of accuracy). ``"every"``: statsforecast's own way, a full search
        at every re-estimation.
    intervals
        ``"conformal"`` (default): the models' own prediction intervals recalibrated on the
        residuals of earlier windows (split conformal, pooled over the series:
        :mod:`lean_analysis.forecast.conformal`; the first window gets none); ``"model"``:
        the models' own intervals. On the county sample (notebook settings, measured with
        ``search="every"``) the 80 % intervals of arima, theta and the ensemble covered
        71.9 %, 73.7 % and 77.1 % with ``"model"``, 80.3 %, 80.5 % and 78.8 % with
        ``"conformal"`` (95 %: 88.7 %, 85.9 %, 92.9 % against 95.3 %, 95.2 %, 95.6 %); with
        the default ``search="first"``, conformal: 80.6 %, 80.5 %, 78.3 % (95 %: 95.6 %,
        95.2 %, 95.8 %).

    Returns
    -------
    DataFrame ``unique_id, cutoff, ds, step, model, y, forecast, lo_<l>, hi_<l>`` (one row
    per series, cutoff, step and model; models without intervals have NaN bounds).
    ``attrs``: ``"skipped"`` — records (list of dicts) of the series × model pairs not
    forecast (too short, ending early, no manager forecast), read them with
    :func:`skipped`; ``"params"``; ``"conformal"`` (records ``model, step, level,
    q, n``: the conformal factors of all windows, from the models' own bounds, which
    :func:`predict` uses with ``intervals="conformal"``); ``"ahead"`` (with
    ``forecast_ahead``: an :class:`Ahead`, or ``None``); ``"freq"``; ``"clipped"``; ``"warnings"`` (statsforecast
    warnings by message, counted when ``n_jobs == 1``; with ``n_jobs > 1`` they are
    silenced and not counted).

    Example
    -------
    >>> bt = backtest(series, models=["snaive", "ets"], h=1, n_windows=12)  # doctest: +SKIP
    >>> skipped(bt)                                                         # doctest: +SKIP
    """
    h, n_windows, step = positive_int(h, "h"), positive_int(n_windows, "n_windows"), \
        positive_int(step, "step")
    refit = _check_refit(refit)
    intervals = _conformal.check(intervals)
    if window not in ("expanding", "sliding"):
        raise ValueError(f"window must be 'expanding' or 'sliding', not {window!r}")
    if window == "sliding":
        if input_size is None:
            raise ValueError("window='sliding' needs input_size (the points each fit uses)")
        input_size = positive_int(input_size, "input_size")
    elif input_size is not None:
        raise ValueError("input_size applies to window='sliding' only")
    spec = prepare(models, season_length=season_length, level=level, freq=freq,
                   spring_festival=spring_festival, model_options=model_options,
                   min_train=min_train, festival_adjust=festival_adjust,
                   calendar_adjust=calendar_adjust, nonnegative=nonnegative, n_jobs=n_jobs,
                   engine=engine, manager=True if manager is not None else None,
                   search=search)
    names = list(spec.names)
    if MANAGER in names and manager is None:
        raise ValueError("model 'manager' needs manager= (a DataFrame unique_id, ds, forecast)")
    level, season_length = spec.level, spec.season_length

    df, freq = spec.panel(series)
    test_size = h + step * (n_windows - 1)

    skipped: list[dict] = []
    sizes = df.groupby("unique_id", sort=True).size()
    last = df.groupby("unique_id", sort=True)["ds"].max()
    panel_end = last.max()
    early = last[last < panel_end]
    at_first = _points_at_first_cutoff(df, test_size)
    for uid, end in early.items():
        for name in names:
            skipped.append(skip_record(
                uid, name, f"ends {end:%Y-%m-%d}, before the panel's last period "
                f"{panel_end:%Y-%m-%d}; cutoffs follow the panel calendar",
                int(at_first[uid]), n_windows, "ends_early", f"{end:%Y-%m}"))
    n_first = (sizes - test_size).drop(early.index)
    for uid in n_first[n_first < 1].index:
        for name in names:
            skipped.append(skip_record(
                uid, name, f"too short: {int(sizes[uid])} points, the backtest needs more than "
                f"h + step·(n_windows − 1) = {test_size}",
                int(at_first[uid]), n_windows, "too_short_windows", test_size + 1))
    n_first = n_first[n_first >= 1]
    n_fit = n_first.clip(upper=input_size) if input_size else n_first

    frames = []
    warn_counts: Counter = Counter()
    groups = spec.groups(n_fit, skipped, n_windows, refit)
    use_ahead = (forecast_ahead and spec.engine is None and window == "expanding"
                 and h % step == 0)
    ahead_key = spec.key() if use_ahead else None  # before any fit touches the models
    data = spec.model_data(df, freq, groups)
    ahead: dict[str, pd.DataFrame] = {}
    for g in groups:
        part = data.loc[data["unique_id"].isin(g["ids"]), spec.columns(g)]
        if use_ahead:
            cv, fc = _run_ahead(spec, g, part, freq, h, n_windows, step, warn_counts)
            for s in g["specs"]:
                ahead[s.name] = _model_columns(fc, s.name)
        else:
            cv = _run(spec, g, part, freq, h, n_windows, step, input_size, warn_counts)
        spec.restore(cv, freq)
        frames += [spec.long(cv, s.name) for s in g["specs"]]

    by_name = {f["model"].iloc[0]: f for f in frames if len(f)}
    ens = spec.ensemble
    if ens is not None:
        members = [by_name.get(m) for m in ens.members]
        combined = spec.combine(by_name)
        if combined is not None:
            by_name[ENSEMBLE] = combined
        have = set.intersection(*[set(m["unique_id"].unique()) if m is not None else set()
                                  for m in members])
        for uid, n in n_fit.items():
            if n < ens.min_train:
                skipped.append(skip_record(uid, ENSEMBLE, f"too short: {int(n)} points for the "
                                           f"first fit, ensemble needs {ens.min_train}", int(n),
                                           n_windows, "too_short", ens.min_train))
            elif uid not in have:
                skipped.append(skip_record(uid, ENSEMBLE, "a member model was not run on this "
                                           "series", int(n), n_windows, "member_missing"))

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

    fac = _conformal.factors(bt, level)
    if intervals == "conformal":
        _conformal.calibrate_backtest(bt, level)
    clipped = spec.clip(bt)

    bt.attrs = {
        "skipped": sorted((r for r in skipped if r["model"] in names),
                          key=lambda r: (str(r["unique_id"]), r["model"])),
        "params": {"models": names, "h": h, "n_windows": n_windows, "step": step,
                   "season_length": season_length, "level": list(level),
                   "refit": refit, "window": window, "input_size": input_size,
                   "spring_festival": spring_festival, "nonnegative": nonnegative,
                   "calendar_adjust": calendar_adjust, "festival_adjust": festival_adjust,
                   "intervals": intervals, "search": search},
        "freq": freq,
        "clipped": clipped,
        "manager_rows_unused": int(unused),
        "warnings": dict(warn_counts),
        "conformal": fac.to_dict("records"),
        "ahead": Ahead(h=h, freq=freq, key=ahead_key, hashes=series_hashes(df),
                       frames=ahead) if use_ahead else None,
    }
    return bt


@dataclass(frozen=True, eq=False)
class Ahead:
    """The forecast of the ``h`` periods after the data made by a backtest's last fits
    (``backtest(..., forecast_ahead=True)``, in ``attrs["ahead"]``), which
    :func:`~lean_analysis.forecast.predict` reuses instead of fitting again.

    ``frames``: per model, statsforecast's forecast columns (``unique_id, ds, <model>,
    <model>-lo-<l>, <model>-hi-<l>``) in the units the models saw (before the calendar
    adjustment is undone); ``key``: the models and data treatment
    (:meth:`ForecastSpec.key`); ``hashes``: each series' fingerprint
    (:func:`series_hashes`), so that a forecast of other data is not reused. Shared, not
    copied, when pandas copies the backtest's ``attrs``.
    """

    h: int
    freq: str
    key: tuple  # ForecastSpec.key(): (treatment, {model: its key})
    hashes: pd.Series
    frames: dict

    def __deepcopy__(self, memo):
        return self

    def covered(self, spec: ForecastSpec, names, hashes: pd.Series, h: int, freq: str) -> list:
        """The series (of ``hashes``, the data a forecast is asked for) whose forecast by
        every model of ``names`` can be taken from here: same models and treatment, ``h``,
        frequency and data."""
        treatment, models = spec.key()
        if (h != self.h or freq != self.freq or treatment != self.key[0]
                or any(models.get(n) != self.key[1].get(n) for n in names)):
            return []
        same = hashes[hashes.eq(self.hashes.reindex(hashes.index))].index
        ids = set(same)
        for n in names:
            f = self.frames.get(n)
            ids &= set(f["unique_id"]) if f is not None else set()
        return [u for u in hashes.index if u in ids]

    def forecast(self, names, ids) -> pd.DataFrame:
        """The stored forecasts of ``names`` for ``ids``, side by side as statsforecast
        gives them (``unique_id, ds`` and the models' columns)."""
        out = None
        for n in names:
            f = self.frames[n]
            f = f[f["unique_id"].isin(ids)]
            out = f if out is None else out.merge(f, on=["unique_id", "ds"], how="inner",
                                                  validate="one_to_one")
        return out.reset_index(drop=True)


def series_hashes(df: pd.DataFrame) -> pd.Series:
    """One fingerprint (uint64) per series of a checked panel (``unique_id, ds, y`` sorted
    by ``unique_id``): the sum of its rows' hashes of ``ds`` and ``y``."""
    rows = pd.util.hash_pandas_object(df[["ds", "y"]], index=False).to_numpy()
    uid = df["unique_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, uid[1:] != uid[:-1]])
    return pd.Series(np.add.reduceat(rows, starts), index=pd.Index(uid[starts], name="unique_id"))


def skipped(bt: pd.DataFrame) -> pd.DataFrame:
    """The series × model pairs a backtest did not forecast, as a DataFrame
    ``unique_id, model, reason, n_points, n_windows_missing, code, need``.

    ``n_points`` is the number of observations up to the first cutoff (the training data of
    the first window); ``n_windows_missing`` the cutoffs without a forecast; ``code`` the
    kind of reason (``too_short``: fewer points than the model needs, ``need``;
    ``too_short_windows``: not even one point before the first cutoff (``n_points`` 0 when
    the series starts after it; never negative), ``need`` = points the windows take + 1;
    ``ends_early``: the series stops before the panel's last period, ``need`` = its last
    month; ``member_missing``: an ensemble member was not run;
    ``no_manager``: cutoffs whose next period has no manager forecast, ``need`` = the first
    such months).
    """
    return pd.DataFrame(bt.attrs.get("skipped", []), columns=list(SKIPPED_COLUMNS))


# --------------------------------------------------------------------------- internals
def _check_refit(refit):
    if refit is True or refit is False:
        return refit
    if isinstance(refit, int | np.integer) and refit >= 1:
        return True if int(refit) == 1 else int(refit)
    raise ValueError(f"refit must be True, False or a positive integer, not {refit!r}")


def _run(spec: ForecastSpec, g: dict, part: pd.DataFrame, freq: str, h: int, n_windows: int,
         step: int, input_size, warn_counts: Counter) -> pd.DataFrame:
    """statsforecast's cross-validation of one group on the spec's engine."""
    if spec.engine is not None:
        sf = spec.statsforecast(g, freq, n_fits(n_windows, g["refit"]))
        kwargs = dict(h=h, n_windows=n_windows, step_size=step, input_size=input_size,
                      level=list(spec.level) or None, refit=g["refit"])
        return _engine.cross_validation(spec.engine, sf, part, kwargs)
    return _cv(spec, g, part, freq, h, n_windows, step, input_size, g["refit"], warn_counts)


def n_fits(n_windows: int, refit) -> int:
    """How many times a cross-validation of ``n_windows`` windows fits each series (at the
    windows :func:`_last_fit` describes: 0 and every ``k`` with ``k % refit == 0``).

    >>> n_fits(12, 3), n_fits(12, True), n_fits(12, False)
    (4, 12, 1)
    """
    return _last_fit(n_windows, refit) // (1 if isinstance(refit, bool) else int(refit)) + 1


def _cv(spec: ForecastSpec, g: dict, part: pd.DataFrame, freq: str, h: int, n_windows: int,
        step: int, input_size, refit, warn_counts: Counter, last_searches: bool = True
        ) -> pd.DataFrame:
    """statsforecast's cross-validation of one group in this process (``spec.n_jobs``);
    ``last_searches``: the last fit of each series searches the automatic models' form
    (:mod:`lean_analysis.forecast.search`)."""
    sf = spec.statsforecast(g, freq, n_fits(n_windows, refit) if last_searches else 0)
    kwargs = dict(h=h, n_windows=n_windows, step_size=step, input_size=input_size,
                  level=list(spec.level) or None, refit=refit)
    n_jobs = spec.n_jobs
    with warnings.catch_warnings(record=(n_jobs == 1)) as caught:
        warnings.simplefilter("always" if n_jobs == 1 else "ignore")
        cv = sf.cross_validation(df=part, **kwargs)
    for w in caught or []:
        warn_counts[str(w.message)] += 1
    return cv


def _points_at_first_cutoff(df: pd.DataFrame, test_size: int) -> pd.Series:
    """Per series, its observations up to and including the panel's first cutoff (the
    ``test_size + 1``-th last date of the panel calendar): 0 for a series that starts after
    it, never negative."""
    dates = np.sort(df["ds"].unique())
    ids = pd.Index(sorted(df["unique_id"].unique()), name="unique_id")
    if len(dates) <= test_size:
        return pd.Series(0, index=ids)
    first_cutoff = dates[len(dates) - test_size - 1]
    n = df[df["ds"] <= first_cutoff].groupby("unique_id", sort=True).size()
    return n.reindex(ids, fill_value=0).astype(int)


def _model_columns(fc: pd.DataFrame, name: str) -> pd.DataFrame:
    cols = [c for c in fc.columns if c == name or c.startswith(f"{name}-lo-")
            or c.startswith(f"{name}-hi-")]
    return fc[["unique_id", "ds", *cols]].reset_index(drop=True)


def _last_fit(n_windows: int, refit) -> int:
    """The window of a backtest's last re-estimation (statsforecast fits at window 0 and at
    every window ``k`` with ``k % refit == 0``)."""
    if refit is False:
        return 0
    if refit is True:
        return n_windows - 1
    return (n_windows - 1) // int(refit) * int(refit)


def _run_ahead(spec: ForecastSpec, g: dict, part: pd.DataFrame, freq: str, h: int,
               n_windows: int, step: int, warn_counts: Counter) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`_run` (expanding window, local engine) and the forecast after the data from the
    last re-estimation, with the same fits: statsforecast's cross-validation of the windows
    before the last re-estimation ``k0`` on the data without its last ``(n_windows − k0)·step``
    periods, then one cross-validation without refit (fit at ``k0``, ``forward`` after) over
    the remaining windows and ``h / step`` more on the data extended by ``h`` future periods
    (``y`` unknown, the regressor known), the last of which ends at the data's last period.

    Returns the backtest's rows (as :func:`_run`) and the forecast after the data
    (``unique_id, ds`` and the models' columns)."""
    from .panel import future_dates

    k0 = _last_fit(n_windows, g["refit"])
    n_late = n_windows - k0
    parts = []
    if k0 > 0:
        back = part.groupby("unique_id", sort=False).cumcount(ascending=False)
        # the last re-estimation (window k0) is the next call's first fit, which searches
        parts.append(_cv(spec, g, part[back.to_numpy() >= n_late * step], freq, h, k0, step,
                         None, g["refit"], warn_counts, last_searches=False))
    last = part.groupby("unique_id", sort=True)["ds"].max()
    fut = pd.concat([pd.DataFrame({"unique_id": u, "ds": future_dates(d, h, freq)})
                     for u, d in last.items()], ignore_index=True)
    if g["exog"]:
        fut = fut.merge(spec.future_exog(part, h, freq), on=["unique_id", "ds"], how="left")
    fut["y"] = np.nan
    ext = pd.concat([part, fut[part.columns]], ignore_index=True).sort_values(
        ["unique_id", "ds"], kind="stable").reset_index(drop=True)
    forward = all(s.has_forward for s in g["specs"])
    late = _cv(spec, g, ext, freq, h, n_late + h // step, step, None,
               False if forward else True, warn_counts)
    is_ahead = late["cutoff"].eq(late["unique_id"].map(last)).to_numpy()
    window = late.groupby("unique_id", sort=False)["cutoff"].rank(method="dense")
    parts.append(late[window.le(n_late).to_numpy()])  # the backtest's own windows
    cv = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    cv = cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)
    fc = late[is_ahead].drop(columns=["cutoff", "y"]).reset_index(drop=True)
    return cv, fc


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

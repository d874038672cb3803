"""Forecasts of the periods after the data: :func:`predict`."""

from __future__ import annotations

import warnings

import pandas as pd
from statsforecast import StatsForecast

from .backtest import _groups, _long, _to_run, interval_columns
from .ensemble import combine
from .models import ENSEMBLE, MANAGER, resolve
from .panel import (
    SF_COLUMN,
    add_spring_festival,
    calendar_factor,
    check_panel,
    check_regular,
    future_dates,
    infer_freq,
)


def predict(series: pd.DataFrame, models=("ets",), h: int = 1, season_length: int = 12,
            level=(80, 95), freq: str | None = None, n_jobs: int = 1,
            spring_festival: bool = True, model_options: dict | None = None,
            min_train: dict | None = None, nonnegative: bool = True,
            calendar_adjust: str | None = None, festival_adjust: bool = False) -> pd.DataFrame:
    """Forecast the ``h`` periods after each series' last date with every model in ``models``.

    Same models, options and eligibility rules as :func:`backtest` (a series needs the
    model's minimum number of points); ``arima`` gets the Spring Festival regressor's future
    values, which the lunar calendar fixes in advance; ``calendar_adjust="weeks"`` as in
    :func:`backtest`. ``manager`` is not a model here.

    Returns ``unique_id, ds, step, model, forecast, lo_<l>, hi_<l>``; ``attrs["skipped"]``
    lists the series × model pairs not forecast (too short).
    """
    level = tuple(sorted(level or ()))
    specs = [s for s in resolve(models, season_length, spring_festival, model_options, min_train,
                    festival_adjust)
             if s.name != MANAGER]
    names = [s.name for s in specs]
    run_specs = _to_run(specs, season_length, spring_festival, model_options, min_train,
                       festival_adjust)
    df = check_panel(series)
    freq = infer_freq(df, freq)
    check_regular(df, freq)
    sizes = df.groupby("unique_id", sort=True).size()
    skipped: list[dict] = []
    groups = _groups(run_specs, sizes, skipped, 0, True)
    needs_sf = any(s.uses_exog for g in groups for s in g["specs"])
    data = add_spring_festival(df, freq) if needs_sf else df
    if calendar_adjust is not None:
        data = data.assign(y=data["y"] / calendar_factor(data["ds"], freq, calendar_adjust))
    frames = {}
    for g in groups:
        part = data[data["unique_id"].isin(g["ids"])]
        cols = ["unique_id", "ds", "y"] + ([SF_COLUMN] if g["exog"] else [])
        x_df = None
        if g["exog"]:
            last = part.groupby("unique_id")["ds"].max()
            fut = pd.concat([pd.DataFrame({"unique_id": uid, "ds": future_dates(d, h, freq)})
                             for uid, d in last.items()], ignore_index=True)
            x_df = add_spring_festival(fut.assign(y=0.0), freq)[["unique_id", "ds", SF_COLUMN]]
        sf = StatsForecast(models=[s.model for s in g["specs"]], freq=freq, n_jobs=n_jobs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = sf.forecast(df=part[cols], h=h, X_df=x_df, level=list(level) or None)
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        fc["cutoff"] = fc.groupby("unique_id")["ds"].transform("min")  # placeholder key
        fc["y"] = float("nan")
        if calendar_adjust is not None:
            f = calendar_factor(fc["ds"], freq, calendar_adjust)
            vals = [c for c in fc.columns if c not in ("unique_id", "ds", "cutoff", "y")]
            fc[vals] = fc[vals].mul(f, axis=0)
        for s in g["specs"]:
            frames[s.name] = _long(fc, s.name, level)
    ens = next((s for s in specs if s.name == ENSEMBLE), None)
    if ens is not None and all(m in frames for m in ens.members):
        frames[ENSEMBLE] = combine([frames[m] for m in ens.members], ENSEMBLE)
    keep = [frames[n] for n in names if n in frames]
    cols = ["unique_id", "ds", "step", "model", "forecast", *interval_columns(level)]
    if not keep:
        return pd.DataFrame(columns=cols)
    out = pd.concat(keep, ignore_index=True)
    out = out.sort_values(["unique_id", "ds"], kind="stable")
    out["step"] = out.groupby(["unique_id", "model"]).cumcount() + 1
    order = {n: i for i, n in enumerate(names)}
    out = out.assign(_m=out["model"].map(order)).sort_values(["unique_id", "step", "_m"],
                                                             kind="stable")[cols]
    if nonnegative:
        fc_cols = ["forecast", *interval_columns(level)]
        out[fc_cols] = out[fc_cols].clip(lower=0)
    out = out.reset_index(drop=True)
    out.attrs = {"skipped": [r for r in skipped if r["model"] in names], "freq": freq}
    return out

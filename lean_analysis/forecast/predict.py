"""Forecasts of the periods after the data: :func:`predict`."""

from __future__ import annotations

import warnings

import pandas as pd

from . import conformal as _conformal
from . import engine as _engine
from .backtest import series_hashes
from .models import ENSEMBLE
from .spec import ForecastSpec, prepare


def predict(series: pd.DataFrame, models=("ets",), h: int = 1, season_length: int = 12,
            level=(80, 95), freq: str | None = None, n_jobs: int = 1,
            spring_festival: bool = True, model_options: dict | None = None,
            min_train: dict | None = None, nonnegative: bool = True,
            calendar_adjust: str | None = None, festival_adjust: bool = False,
            engine=None, intervals: str | None = None, backtest: pd.DataFrame | None = None,
            fallback: bool = True, reuse: bool = True, search: str | None = None) -> pd.DataFrame:
    """Forecast the ``h`` periods after each series' last date with every model in ``models``.

    The models and the data treatment are prepared as for :func:`backtest`
    (:func:`lean_analysis.forecast.prepare`: the same models, options, calendar adjustment,
    Spring Festival regressor and eligibility rules: a series needs the model's minimum
    number of points, all of its points counting as training data); ``arima`` gets the
    regressor's future values, which the lunar calendar fixes in advance. ``manager`` is not
    a model here. ``engine`` as in :func:`backtest`: ``None`` / ``"local"`` (this process,
    ``n_jobs``), ``"dask"``, a ``dask.distributed.Client`` or a scheduler address; the
    forecasts are the same on every engine.

    ``intervals``: ``"model"`` (the models' own intervals; the default without
    ``backtest``) or ``"conformal"`` (the default with ``backtest``): the models' own bounds
    recalibrated with the conformal
    factors of ``backtest`` (a :func:`backtest` of these models with the same settings;
    its ``attrs["conformal"]``, from all of its windows: see
    :mod:`lean_analysis.forecast.conformal`).

    ``search``: as in :func:`backtest` (a forecast from scratch always searches the models'
    form; the setting names which backtest fits may be reused); ``None``: the backtest's,
    or ``"first"``.

    ``reuse`` (default) with ``backtest``: the series and models whose forecast after the
    data the backtest already made (``backtest(..., forecast_ahead=True)``, the default:
    its ``attrs["ahead"]``) take it from there instead of being fitted again, when the
    models, their options, the data treatment, ``h``, the frequency and the series' data
    are the same (each series' fingerprint is compared); the others are fitted here. That
    forecast is statsforecast's ``forward`` of the backtest's last re-estimation: the
    model's form and parameters (ETS model and smoothing parameters, ARIMA orders and
    coefficients, Theta's parameters, the festival effect β) estimated on the data up to
    that window's cutoff, its states run on to the last period, as the backtest itself
    does between refits (with ``refit=3`` and 12 windows: parameters from the data up to
    3 periods before the end). A fresh fit also re-estimates them on the last periods, so
    the two differ a little (on the county sample, notebook settings: the ensemble's
    total by 0.2 %, single products by a few per cent; ``tests/test_forecast_reuse.py``);
    the backtest's accuracy figures are those of the reused scheme. ``reuse=False``: fit
    again. ``attrs["reused"]``: per model, the series taken from the backtest.

    ``fallback`` (default): every series gets a forecast from every model, however short.
    A series with fewer points than a model needs (``min_train``: a product launched in
    the last months) gets the *fallback* forecast instead: the mean of its last ``k =
    min(n, 3)`` values (statsforecast's ``WindowAverage`` idea: a launch has no season or
    trend to estimate yet, and its recent level is the best guess), per order week with
    ``calendar_adjust="weeks"`` (× the target month's weeks), flat over the ``h`` steps,
    without interval bounds (NaN); these rows have ``fallback`` True. ``fallback=False``:
    such pairs are left out, as before.

    Returns ``unique_id, ds, step, model, forecast, lo_<l>, hi_<l>, fallback``;
    ``attrs["skipped"]`` lists the series × model pairs the model itself could not be
    fitted to (too short; they have fallback rows unless ``fallback=False``).
    """
    if intervals is None:
        intervals = "model" if backtest is None else "conformal"
    intervals = _conformal.check(intervals)
    if intervals == "conformal" and (backtest is None or "conformal" not in backtest.attrs):
        raise ValueError("intervals='conformal' needs backtest= (a forecast.backtest of the "
                         "same models, whose attrs['conformal'] holds the factors)")
    if search is None:
        search = backtest.attrs.get("params", {}).get("search", "first") if backtest is not None \
            else "first"
    spec = prepare(models, season_length=season_length, level=level, freq=freq,
                   spring_festival=spring_festival, model_options=model_options,
                   min_train=min_train, festival_adjust=festival_adjust,
                   calendar_adjust=calendar_adjust, nonnegative=nonnegative, n_jobs=n_jobs,
                   engine=engine, manager=False, search=search)
    names = list(spec.names)
    df, freq = spec.panel(series)
    sizes = df.groupby("unique_id", sort=True).size()
    skipped: list[dict] = []
    groups = spec.groups(sizes, skipped)
    data = spec.model_data(df, freq, groups)
    ahead = backtest.attrs.get("ahead") if (reuse and backtest is not None) else None
    hashes = series_hashes(df) if ahead is not None else None
    frames = {}
    reused: dict[str, int] = {}
    for g in groups:
        part = data.loc[data["unique_id"].isin(g["ids"]), spec.columns(g)]
        g_names = [s.name for s in g["specs"]]
        ids = ahead.covered(spec, g_names, hashes.loc[list(g["ids"])], h, freq) \
            if ahead is not None else []
        pieces = [ahead.forecast(g_names, ids)] if ids else []
        rest = part[~part["unique_id"].isin(ids)] if ids else part
        if len(rest):
            x_df = spec.future_exog(rest, h, freq) if g["exog"] else None
            pieces.append(_forecast(spec, g, rest, freq, h, x_df))
        fc = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
        for n in g_names:
            reused[n] = len(ids)
        fc["cutoff"] = fc.groupby("unique_id")["ds"].transform("min")  # placeholder key
        fc["y"] = float("nan")
        spec.restore(fc, freq)
        for s in g["specs"]:
            frames[s.name] = spec.long(fc, s.name)
    combined = spec.combine(frames)
    if combined is not None:
        frames[ENSEMBLE] = combined
    for f in frames.values():
        f["fallback"] = False
    if fallback:
        frames.update(_fallback(spec, df, data, freq, h, names, frames))
    keep = [frames[n] for n in names if n in frames and len(frames[n])]
    cols = ["unique_id", "ds", "step", "model", "forecast", *spec.interval_columns, "fallback"]
    if not keep:
        return pd.DataFrame(columns=cols)
    out = pd.concat(keep, ignore_index=True)
    out = out.sort_values(["unique_id", "ds"], kind="stable")
    out["step"] = out.groupby(["unique_id", "model"]).cumcount() + 1
    order = {n: i for i, n in enumerate(names)}
    out = out.assign(_m=out["model"].map(order)).sort_values(["unique_id", "step", "_m"],
                                                             kind="stable")[cols]
    if intervals == "conformal":
        fac = pd.DataFrame(backtest.attrs["conformal"], columns=["model", "step", "level", "q", "n"])
        _conformal.calibrate_forecast(out, fac, spec.level)
    spec.clip(out)
    out = out.reset_index(drop=True)
    out.attrs = {"skipped": [r for r in skipped if r["model"] in names], "freq": freq,
                 "intervals": intervals, "reused": reused}
    return out


FALLBACK_WINDOW = 3


def _fallback(spec: ForecastSpec, df: pd.DataFrame, data: pd.DataFrame, freq: str, h: int,
              names: list[str], frames: dict) -> dict[str, pd.DataFrame]:
    """Each model's frame with the fallback rows (see :func:`predict`) of the series it did
    not forecast added."""
    from .panel import future_dates

    uids = df["unique_id"].unique()
    tail = data.groupby("unique_id", sort=True)["y"].apply(
        lambda y: float(y.iloc[-FALLBACK_WINDOW:].mean()))
    last = df.groupby("unique_id", sort=True)["ds"].max()
    out = {}
    for name in names:
        have = frames.get(name)
        done = set(have["unique_id"]) if have is not None and len(have) else set()
        todo = [u for u in uids if u not in done]
        if not todo:
            continue
        rows = pd.concat([pd.DataFrame({"unique_id": u, "ds": future_dates(last[u], h, freq),
                                        "forecast": tail[u]}) for u in todo], ignore_index=True)
        rows = spec.restore(rows, freq)
        rows.insert(0, "model", name)
        for c in spec.interval_columns:
            rows[c] = float("nan")
        rows["fallback"] = True
        out[name] = rows if have is None or not len(have) else pd.concat(
            [have, rows], ignore_index=True)
    return out


def _forecast(spec: ForecastSpec, g: dict, part: pd.DataFrame, freq: str, h: int,
              x_df: pd.DataFrame | None) -> pd.DataFrame:
    """statsforecast's forecast of one group on the spec's engine: ``unique_id, ds`` and the
    models' columns."""
    sf = spec.statsforecast(g, freq)
    level = list(spec.level) or None
    if spec.engine is not None:
        return _engine.forecast(spec.engine, sf, part, h=h, X_df=x_df, level=level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = sf.forecast(df=part, h=h, X_df=x_df, level=level)
    return fc.reset_index() if "unique_id" not in fc.columns else fc

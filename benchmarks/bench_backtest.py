"""forecast.backtest beside a plain statsforecast cross_validation; the notebook's workload.

    .venv/bin/python benchmarks/bench_backtest.py [--data DIR] [--synthetic] [--quick]
        [--n-jobs 2] [--refit 3] [--refits 1,3,12]

Part 1, overhead (goal ≤ 1.10, issue 13): ``forecast.backtest(series, models=[naive, snaive, ses, ets,
theta, arima, ensemble], h=1, n_windows=12, refit=R)`` against
``StatsForecast([Naive, SeasonalNaive, AutoETS(ANN), AutoETS, Theta, AutoARIMA(**ARIMA_DEFAULTS)],
freq="MS", n_jobs=N).cross_validation(df, h=1, n_windows=12, level=[80, 95], refit=R)`` plus
the ensemble's CES members, ``AutoCES`` on y and on log y, each in a cross_validation of its
own without intervals (AutoCES simulates them, 45 s on the county; ours puts normal ones
from the residuals around them, see ``lean_analysis.forecast.normal_intervals``), on the
same series (those long enough for every model, so both do the same fits) with the same
Spring Festival column, in the same run and with the same ``n_jobs``, ours with
``search="every"`` (a full search at every refit, as statsforecast does); ours with the
default ``search="first"`` (lean_analysis.forecast.search) is timed beside it. The ensemble is a median
of its members' forecasts: ours computes it, the anchor does not. Ours also forecasts the month
after the data from its last refit (``forecast_ahead=True``, the default: one ``forward``
per series and model, which ``predict(backtest=bt)`` then reuses); the anchor does not. Each side runs twice,
alternating; the best time of each is compared.

Part 1 runs the plain models (no calendar or festival adjustment), so that both sides fit
exactly the same statsforecast models.

Part 2, the notebook's workload on the county (80 products, 12 windows, all models incl.
the managers, the notebook's settings: ``calendar_adjust="weeks"``,
``festival_adjust=True``; goal ≤ 60 s on 2 cores): load + to_series, backtest, evaluate,
next month's forecast of the recommended model (``predict(backtest=bt)``, reusing the
backtest's last fits, beside a fresh fit ``reuse=False``); for refit every 1, 3 and 12 windows, with
each model's MASE and weighted accuracy so that the cost of a cheaper refit can be read.

Times are wall-clock (``wall``) and CPU seconds of this process and its workers (``cpu``);
on a busy machine ``cpu / n_jobs`` estimates the wall time on idle cores.

``--data`` defaults to ``config.SAMPLE_DIR``; when absent the county sample is written to a
temporary folder with ``lean_analysis.sample.write_sample(size="county")``. ``--synthetic``
uses 80 synthetic monthly series of 36 months instead (no managers, no load step).
``--quick``: 20 series, refit 12 only in part 2. ``--search first|every``: the backtest search of
part 2 (lean_analysis.forecast.search; default first).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODELS = ["naive", "snaive", "ses", "ets", "theta", "arima", "ensemble"]


def cpu_seconds() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class Timer:
    def __enter__(self):
        self.w0, self.c0 = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w0
        self.cpu = cpu_seconds() - self.c0


def synthetic(n=80, seed=0) -> pd.DataFrame:
    from lean_analysis.calendar import spring_festival_regressor

    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-11-01", periods=36, freq="MS")
    sf = spring_festival_regressor(ds)
    season = 1 + 0.06 * np.cos(2 * np.pi * (ds.month.to_numpy() - 10) / 12) + 0.5 * sf
    frames = []
    for i in range(n):
        shock = np.exp(np.convolve(rng.normal(0, 0.08, 40), 0.7 ** np.arange(5))[:36])
        y = rng.uniform(200, 5000) * season * shock * rng.lognormal(0, 0.05, 36)
        frames.append(pd.DataFrame({"unique_id": f"P{i:03d}", "ds": ds, "y": np.round(y)}))
    return pd.concat(frames, ignore_index=True)


def county_dir(arg: str | None) -> Path:
    from lean_analysis import config

    if arg:
        return Path(arg)
    if (config.SAMPLE_DIR / "orders.csv").exists() or (config.SAMPLE_DIR / "orders").exists():
        return config.SAMPLE_DIR
    from lean_analysis.sample import write_sample

    out = Path(tempfile.mkdtemp(prefix="bench_backtest_"))
    print(f"(writing the county sample to {out} …)", flush=True)
    write_sample(out, size="county")
    return out


def anchor(series: pd.DataFrame, n_jobs: int, refit) -> pd.DataFrame:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoCES, AutoETS, Naive, SeasonalNaive, Theta

    from lean_analysis.forecast.models import ARIMA_DEFAULTS
    from lean_analysis.forecast.panel import add_spring_festival

    df = add_spring_festival(series[["unique_id", "ds", "y"]], "MS")
    models = [Naive(alias="naive"), SeasonalNaive(12, alias="snaive"),
              AutoETS(season_length=1, model="ANN", alias="ses"),
              AutoETS(season_length=12, alias="ets"), Theta(season_length=12, alias="theta"),
              AutoARIMA(season_length=12, alias="arima", **ARIMA_DEFAULTS)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = StatsForecast(models=models, freq="MS", n_jobs=n_jobs).cross_validation(
            df=df, h=1, n_windows=12, level=[80, 95], refit=refit)
        # the ensemble's CES members: AutoCES on y and on log(y + c) (c = 1 for a series
        # with a 0), without AutoCES's simulated intervals (ours takes normal ones from the
        # residuals, which the anchor is spared)
        c = df.groupby("unique_id")["y"].transform(lambda y: 0.0 if (y > 0).all() else 1.0)
        logged = df.assign(y=np.log(df["y"] + c))
        for name, d in (("ces", df), ("ces_log", logged)):
            cv[name] = StatsForecast(models=[AutoCES(season_length=12, alias=name)], freq="MS",
                                     n_jobs=n_jobs).cross_validation(
                df=d, h=1, n_windows=12, refit=refit)[name].to_numpy()
    return cv


def part1(series: pd.DataFrame, n_jobs: int, refit, repeat: int = 2) -> None:
    from lean_analysis import forecast

    full = series.groupby("unique_id")["y"].transform("size") >= 12 + 24
    s = series[full]
    n = s["unique_id"].nunique()
    print(f"\n== part 1: overhead on {n} series × 12 windows, refit={refit}, n_jobs={n_jobs}")
    ours_t, anch_t, first_t = [], [], []
    for _ in range(repeat):
        with Timer() as ta:
            cv = anchor(s, n_jobs, refit)
        with Timer() as to:  # the same fits as the anchor: a search at every refit
            bt = forecast.backtest(s, models=MODELS, h=1, n_windows=12, refit=refit,
                                   n_jobs=n_jobs, level=[80, 95], search="every")
        with Timer() as tf:  # the default: ETS and ARIMA search at the first and last fits
            forecast.backtest(s, models=MODELS, h=1, n_windows=12, refit=refit,
                              n_jobs=n_jobs, level=[80, 95])
        anch_t.append(ta)
        ours_t.append(to)
        first_t.append(tf)
    a = min(anch_t, key=lambda t: t.wall)
    o = min(ours_t, key=lambda t: t.wall)
    f = min(first_t, key=lambda t: t.wall)
    same = np.allclose(bt[bt["model"] == "ets"].sort_values(["unique_id", "cutoff"])["forecast"],
                       cv.sort_values(["unique_id", "cutoff"])["ets"].clip(lower=0))
    print(f"anchor statsforecast.cross_validation: wall {a.wall:7.1f} s  cpu {a.cpu:7.1f} s")
    print(f"ours   forecast.backtest search=every: wall {o.wall:7.1f} s  cpu {o.cpu:7.1f} s")
    print(f"ours   forecast.backtest (default)   : wall {f.wall:7.1f} s  cpu {f.cpu:7.1f} s")
    print(f"ratio ours/anchor, the same fits: wall {o.wall / a.wall:.3f}  cpu {o.cpu / a.cpu:.3f}"
          f"  (goal ≤ 1.10)   ets forecasts identical: {same}")
    print(f"ratio ours (default, search=first)/anchor: wall {f.wall / a.wall:.3f}  "
          f"cpu {f.cpu / a.cpu:.3f}")


def part2(data_dir: Path | None, series: pd.DataFrame | None, n_jobs: int, refits,
          search: str = "first") -> None:
    from lean_analysis import data, forecast

    print(f"\n== part 2: notebook workload, n_jobs={n_jobs}, search={search}")
    mgr = None
    if data_dir is not None:
        with Timer() as tl:
            tables = data.load(data_dir)
            series = data.to_series(tables, level=["product_id"], freq="MS")
            mgr = forecast.manager_frame(tables, level=["product_id"])
        print(f"load + to_series + manager_frame: wall {tl.wall:6.1f} s  cpu {tl.cpu:6.1f} s  "
              f"({series['unique_id'].nunique()} series)")
    models = MODELS + (["manager"] if mgr is not None else [])
    table = []
    for refit in refits:
        with Timer() as tb:
            bt = forecast.backtest(series, models=models, manager=mgr, h=1, n_windows=12,
                                   refit=refit, n_jobs=n_jobs, calendar_adjust="weeks",
                                   festival_adjust=True, search=search)
        with Timer() as te:
            sc = forecast.evaluate(bt, train=series, by=["model"], censored="capped_share"
                                   if "capped_share" in series.columns else None)
            rec = forecast.recommend(sc).iloc[0]["model"]
        with Timer() as tp:
            forecast.predict(series, models=[rec], h=1, n_jobs=n_jobs, calendar_adjust="weeks",
                             festival_adjust=True, backtest=bt)
        with Timer() as tf:
            forecast.predict(series, models=[rec], h=1, n_jobs=n_jobs, calendar_adjust="weeks",
                             festival_adjust=True, backtest=bt, reuse=False)
        total_w = tb.wall + te.wall + tp.wall
        total_c = tb.cpu + te.cpu + tp.cpu
        print(f"\nrefit={refit!s:>4}: backtest wall {tb.wall:6.1f} s cpu {tb.cpu:6.1f} s | evaluate "
              f"{te.wall:4.1f} s | predict ({rec}, reused) wall {tp.wall:4.1f} s cpu {tp.cpu:4.1f} s"
              f" (fresh fit: wall {tf.wall:4.1f} s cpu {tf.cpu:4.1f} s) | total wall "
              f"{total_w:6.1f} s, cpu/{n_jobs} {total_c / n_jobs:6.1f} s")
        print(sc[["model", "n", "mase", "accuracy_weighted", "accuracy", "bias_pct"]]
              .round(3).to_string(index=False))
        table.append((refit, total_w, total_c / n_jobs, sc.set_index("model")["mase"]))
    print("\nMASE by model and refit (lower is better):")
    print(pd.DataFrame({f"refit={r}": m for r, *_, m in table}).round(3).to_string())
    print("time: " + ", ".join(f"refit={r}: wall {w:.1f} s, cpu/{n_jobs} {c:.1f} s"
                               for r, w, c, _ in table))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data")
    p.add_argument("--synthetic", action="store_true")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--n-jobs", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--refit", default="3", help="refit of part 1 (True or an integer)")
    p.add_argument("--refits", default="1,3,12", help="refits compared in part 2")
    p.add_argument("--search", default="first", choices=["first", "every"],
                   help="search of part 2 (forecast.backtest)")
    p.add_argument("--skip-part1", action="store_true")
    p.add_argument("--skip-part2", action="store_true")
    a = p.parse_args(argv)
    parse = lambda r: True if r in ("True", "1") else int(r)  # noqa: E731
    refits = [parse(r) for r in a.refits.split(",")]
    print(f"machine: {os.cpu_count()} cpus; load average {os.getloadavg()[0]:.1f}")
    if a.synthetic:
        print("(synthetic series: 80 × 36 months; no managers, no load step)")
        data_dir, series = None, synthetic()
    else:
        from lean_analysis import data

        data_dir = county_dir(a.data)
        series = data.to_series(data.load(data_dir), level=["product_id"], freq="MS")
    if a.quick:
        keep = sorted(series["unique_id"].unique())[:20]
        series = series[series["unique_id"].isin(keep)]
        data_dir, refits = None, [12]
    if not a.skip_part1:
        part1(series, a.n_jobs, parse(a.refit))
    if not a.skip_part2:
        part2(data_dir, series, a.n_jobs, refits, a.search)


if __name__ == "__main__":
    main()

"""Scoring backtests: :func:`evaluate`, forecast value added, and the recommended model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import metrics as M
from .models import BASELINE, MANAGER

KEYS = ["unique_id", "cutoff", "ds"]
POINT_METRICS = ("accuracy", "accuracy_weighted", "wape", "mae", "rmse", "mape", "smape", "mase",
                 "bias", "bias_pct")
CENSOR_METRICS = ("accuracy", "accuracy_weighted", "wape", "mase", "bias_pct")
# Higher is better for these; lower for the others (bias measures by their absolute value).
HIGHER_BETTER = {"accuracy", "accuracy_weighted"}
ABSOLUTE = {"bias", "bias_pct"}


def evaluate(bt: pd.DataFrame, train: pd.DataFrame | None = None, by=("model",),
             season_length: int | None = None, censored=None, censor_threshold: float = 0.2,
             common: bool = False) -> pd.DataFrame:
    """Accuracy of a backtest, grouped by ``by``.

    Parameters
    ----------
    bt
        Output of :func:`backtest` (``unique_id, cutoff, ds, step, model, y, forecast,
        lo_<l>, hi_<l>``).
    train
        The series the backtest ran on (``unique_id, ds, y`` and level columns). Needed for
        ``mase`` (scale = in-sample seasonal naive MAE of each series using only data up to
        each cutoff; without ``train`` mase is NaN), for level columns in ``by`` and for a
        ``censored`` column that ``bt`` lacks.
    by
        Any of ``model, step, unique_id, cutoff, ds, month`` (month of year of ``ds``) and
        level columns of ``train`` (e.g. ``brand``, ``price_class``); ``[]`` for one row.
    season_length
        For the MASE scale; default: the backtest's.
    censored
        Points whose actual is censored by the allocation cap: a boolean mask aligned with
        ``bt``'s rows, or a column name (in ``bt`` or ``train``, matched on ``unique_id, ds``):
        a boolean column is used as it is, a numeric one (e.g. ``capped_share`` from
        ``data.to_series``: the share of rationed order lines ordered at the cap) flags points
        where it exceeds ``censor_threshold``; NaN (no rationed line) is not flagged. The result
        then has ``n_censored`` and ``<metric>_uncensored`` for accuracy, accuracy_weighted,
        wape, mase and bias_pct computed without the flagged points. At a capped point the
        order understates demand, so accuracy there measures how well the cap was forecast.
    common
        Score every model on the same points only. ``True``: the ``(unique_id, cutoff, ds)``
        that every model in ``bt`` forecast (with ``manager`` in ``bt``: its step-1
        cutoffs); use it to compare models fairly (e.g. for :func:`value_added`). A list of
        model names, or ``"all but manager"``: the points every one of those models forecast
        (the statistical models, for ranking them: :func:`recommend`); every model, the
        managers too, is then scored on those points where it has a forecast, so a model
        outside the list may have fewer. ``attrs["common"]`` then describes the points:
        ``models`` (that define them), ``n_points``, ``n_series``, ``n_cutoffs``, ``steps``
        and ``n_left_out`` (points of the defining models outside the common set).

    Returns
    -------
    One row per group: the ``by`` columns, ``n`` (points), ``accuracy``,
    ``accuracy_weighted``, ``wape``, ``mae``, ``rmse``, ``mape``, ``smape``, ``mase``,
    ``bias``, ``bias_pct``, ``coverage_<l>`` and ``winkler_<l>`` for each interval level in
    ``bt`` (NaN for models without intervals) with ``n_interval_<l>`` (the points with both
    bounds, which the coverage counts), and the censoring columns. Definitions and
    references: :mod:`lean_analysis.forecast.metrics`. ``attrs["n_dropped"]``: rows without
    a forecast or actual (left out).

    References
    ----------
    Hyndman & Koehler (2006) for the measures and the MASE scale (see
    :mod:`lean_analysis.forecast.metrics`); Tashman (2000), "Out-of-sample tests of
    forecasting accuracy", *International Journal of Forecasting* 16(4), 437–450, for
    scoring rolling-origin forecasts.

    Examples
    --------
    One series, two target months, actuals 100 and 50, forecasts 90 and 80. By hand:
    accuracy (0.9 + 0.4) / 2 = 0.65; weighted 1 − (10 + 30) / 150 = 0.7333; bias
    (−10 + 30) / 150 = 0.1333 (no ``train``: MASE is NaN).

    >>> ds = pd.to_datetime(["2024-03-01", "2024-04-01"])
    >>> bt = pd.DataFrame({"unique_id": "a", "cutoff": ds - pd.DateOffset(months=1), "ds": ds,
    ...                    "step": 1, "model": "ets", "y": [100.0, 50.0],
    ...                    "forecast": [90.0, 80.0]})
    >>> sc = evaluate(bt)
    >>> sc[["model", "n", "accuracy", "accuracy_weighted", "bias_pct"]].round(4).to_dict("records")
    [{'model': 'ets', 'n': 2, 'accuracy': 0.65, 'accuracy_weighted': 0.7333, 'bias_pct': 0.1333}]
    """
    by = [by] if isinstance(by, str) else list(by or [])
    need = {"unique_id", "cutoff", "ds", "model", "y", "forecast"}
    missing = need - set(bt.columns)
    if missing:
        raise ValueError(f"bt: missing column(s) {sorted(missing)}; expected a forecast.backtest result")
    if season_length is None:
        season_length = int(bt.attrs.get("params", {}).get("season_length", 12))
    levels = sorted({float(c[3:]) for c in bt.columns if c.startswith("lo_")})
    df = bt.copy()
    for c in ("cutoff", "ds"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    ok = df["y"].notna() & df["forecast"].notna()
    n_dropped = int((~ok).sum())

    if censored is not None:
        df["_censored"] = censor_flags(df, censored, censor_threshold, train)
    df = df[ok].reset_index(drop=True)
    common_info = None
    if common is not None and common is not False:
        df, common_info = _common_points(df, common)

    for col in by:
        if col in df.columns:
            continue
        if col == "month":
            df["month"] = pd.to_datetime(df["ds"]).dt.month
        elif train is not None and col in train.columns:
            df = df.merge(_level_map(train, col), on="unique_id", how="left", validate="many_to_one")
        else:
            raise ValueError(f"by: column {col!r} is neither in bt, nor 'month', nor a column of train")

    if train is not None:
        df = df.merge(_mase_scales(train, season_length), on=["unique_id", "cutoff"], how="left",
                      validate="many_to_one")
    else:
        df["_scale"] = np.nan

    rows = []
    groups = df.groupby(by, sort=True, dropna=False).indices if by else {(): np.arange(len(df))}
    a_all, f_all, s_all = (df[c].to_numpy(float) for c in ("y", "forecast", "_scale"))
    cens_all = df["_censored"].to_numpy(bool) if censored is not None else None
    for key, idx in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        a, f, s = a_all[idx], f_all[idx], s_all[idx]
        row = dict(zip(by, key, strict=True))
        row.update(_scores(a, f, s))
        for lv in levels:
            lo = df[f"lo_{lv:g}"].to_numpy(float)[idx]
            hi = df[f"hi_{lv:g}"].to_numpy(float)[idx]
            has = np.isfinite(lo) & np.isfinite(hi)
            row[f"coverage_{lv:g}"] = M.coverage(a[has], lo[has], hi[has]) if has.any() else np.nan
            row[f"winkler_{lv:g}"] = M.winkler(a[has], lo[has], hi[has], lv) if has.any() else np.nan
            row[f"n_interval_{lv:g}"] = int(has.sum())
        if cens_all is not None:
            c = cens_all[idx]
            row["n_censored"] = int(c.sum())
            keep = ~c
            sub = _scores(a[keep], f[keep], s[keep]) if keep.any() else {}
            for m in CENSOR_METRICS:
                row[f"{m}_uncensored"] = sub.get(m, np.nan)
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        out = pd.DataFrame(columns=[*by, "n", *POINT_METRICS])
    out.attrs = {"n_dropped": n_dropped, "season_length": season_length,
                 "censor_threshold": censor_threshold if censored is not None else None}
    if common_info is not None:
        out.attrs["common"] = common_info
    return out


def _common_points(df: pd.DataFrame, common) -> tuple[pd.DataFrame, dict]:
    """The rows of ``df`` at the points every model of ``common`` forecast (see
    :func:`evaluate`), and the description of those points."""
    present = list(pd.unique(df["model"]))
    if common is True:
        models = present
    elif isinstance(common, str):
        if common != "all but manager":
            raise ValueError(f"common must be True, a list of models or 'all but manager', "
                             f"not {common!r}")
        models = [m for m in present if m != MANAGER]
    else:
        models = list(common)
        absent = [m for m in models if m not in present]
        if absent:
            raise ValueError(f"common: model(s) {absent} are not in bt (models: {present})")
    sub = df[df["model"].isin(models)]
    n_have = sub.groupby(KEYS)["model"].nunique()
    keys = n_have[n_have == len(models)].index
    idx = pd.MultiIndex.from_frame(df[KEYS])
    out = df[idx.isin(keys)].reset_index(drop=True)
    mine = out[out["model"].isin(models)]
    info = {"models": models, "n_points": int(len(keys)),
            "n_series": int(mine["unique_id"].nunique()),
            "n_cutoffs": int(mine["cutoff"].nunique()),
            "steps": sorted(int(x) for x in mine["step"].unique()) if "step" in mine else [],
            "n_left_out": int(len(n_have) - len(keys))}
    return out, info


def _scores(a, f, s) -> dict:
    return {
        "n": int(len(a)),
        "accuracy": M.accuracy(a, f),
        "accuracy_weighted": M.accuracy_weighted(a, f),
        "wape": M.wape(a, f),
        "mae": M.mae(a, f),
        "rmse": M.rmse(a, f),
        "mape": M.mape(a, f),
        "smape": M.smape(a, f),
        "mase": M.mase(a, f, s),
        "bias": M.bias(a, f),
        "bias_pct": M.bias_pct(a, f),
    }


def _level_map(train: pd.DataFrame, col: str) -> pd.DataFrame:
    m = train[["unique_id", col]].drop_duplicates()
    dup = m["unique_id"].duplicated(keep=False)
    if dup.any():
        uid = m.loc[dup, "unique_id"].iloc[0]
        raise ValueError(f"train: column {col!r} takes several values for unique_id={uid!r}; "
                         "rule: a level column is constant within a series")
    return m


def _mase_scales(train: pd.DataFrame, m: int) -> pd.DataFrame:
    """The MASE scale of every (series, date) as the cutoff: mean |y_t − y_{t−m}| over t ≤
    the date (all data up to the cutoff, none after)."""
    t = train[["unique_id", "ds", "y"]].copy()
    t["ds"] = pd.to_datetime(t["ds"]).astype("datetime64[ns]")
    t = t.sort_values(["unique_id", "ds"], kind="stable")
    lag = t.groupby("unique_id", sort=False)["y"].shift(m)
    d = (t["y"] - lag).abs()
    g = d.groupby(t["unique_id"], sort=False)
    num = g.cumsum()
    cnt = d.notna().astype(int).groupby(t["unique_id"], sort=False).cumsum()
    scale = (num / cnt.where(cnt > 0)).to_numpy()
    return pd.DataFrame({"unique_id": t["unique_id"].to_numpy(), "cutoff": t["ds"].to_numpy(),
                         "_scale": scale})


def censor_flags(points: pd.DataFrame, censored="capped_share", threshold: float = 0.2,
                 train: pd.DataFrame | None = None) -> np.ndarray:
    """Which points' actuals are censored by the allocation cap: the one censoring rule of
    the forecast package (used by :func:`evaluate` and :func:`censoring`).

    At a capped point the order (订购量) is the cap, not the demand, so it understates
    demand: accuracy there measures how well the cap was forecast.

    Parameters
    ----------
    points
        Rows with ``unique_id, ds`` (a backtest, or series points).
    censored
        A column name (of ``points``, else of ``train``, matched on ``unique_id, ds``): a
        boolean column is used as it is; a numeric one (``capped_share`` of
        ``data.to_series``: the share of rationed order lines ordered at the cap, 订足面)
        flags the points where it exceeds ``threshold``, NaN (no rationed line) is not
        flagged. Or a boolean mask with one value per row of ``points``.
    threshold
        The share above which a point counts as censored.
    train
        The series, when the column is not in ``points``.

    Returns
    -------
    numpy.ndarray of bool, one per row of ``points``.

    Examples
    --------
    Capped shares 0.5, 0.2 and NaN against 0.2: only 0.5 exceeds it (0.2 does not, NaN
    has no rationed line):

    >>> pts = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=3,
    ...                     freq="MS"), "capped_share": [0.5, 0.2, np.nan]})
    >>> censor_flags(pts, "capped_share", 0.2).tolist()
    [True, False, False]
    """
    df = points
    if isinstance(censored, str):
        if censored in df.columns:
            col = df[censored]
        elif train is not None and censored in train.columns:
            t = train[["unique_id", "ds", censored]].copy()
            t["ds"] = pd.to_datetime(t["ds"]).astype("datetime64[ns]")
            col = df[["unique_id", "ds"]].merge(t, on=["unique_id", "ds"], how="left",
                                                validate="many_to_one")[censored]
        else:
            raise ValueError(f"censored: column {censored!r} is in neither bt nor train")
        if col.dtype == bool:
            return col.to_numpy()
        v = pd.to_numeric(col, errors="coerce").to_numpy(float)
        return np.nan_to_num(v, nan=-np.inf) > threshold
    mask = np.asarray(censored)
    if mask.shape != (len(df),) or mask.dtype != bool:
        raise ValueError(f"censored: a boolean mask must have one value per row of bt ({len(df)}), "
                         f"got shape {mask.shape} and dtype {mask.dtype}")
    return mask


def censoring(series: pd.DataFrame, bt: pd.DataFrame, censored: str = "capped_share",
              threshold: float = 0.2) -> dict:
    """How much of a backtest's actuals is censored by the allocation cap.

    Parameters
    ----------
    series
        The series the backtest ran on (``unique_id, ds, y`` and the ``censored`` column).
    bt
        A :func:`backtest` result: its target points ``(unique_id, ds)`` are counted once.
    censored, threshold
        The rule of :func:`censor_flags`.

    Returns
    -------
    dict
        ``n_points`` (distinct target points), ``volume`` (Σ y over them),
        ``censored_share`` (censored points ÷ points) and ``censored_volume_share`` (Σ y of
        censored points ÷ volume; None when the volume is 0); both shares None when the
        series have no ``censored`` column or there is no point.

    Examples
    --------
    Three target points of volume 10 + 30 + 60 = 100; the last (capped share 0.8) is
    censored: 1 of 3 points, 60 of 100 cases.

    >>> ds = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> series = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [10.0, 30.0, 60.0],
    ...                        "capped_share": [0.0, np.nan, 0.8]})
    >>> bt = pd.DataFrame({"unique_id": "a", "ds": ds.repeat(2)})  # two models
    >>> c = censoring(series, bt, threshold=0.2)
    >>> c["n_points"], float(c["volume"]), round(c["censored_share"], 4), c["censored_volume_share"]
    (3, 100.0, 0.3333, 0.6)
    """
    points = series.merge(bt[["unique_id", "ds"]].drop_duplicates(), on=["unique_id", "ds"])
    vol = points["y"].sum()
    out = {"n_points": int(len(points)), "volume": vol, "censored_share": None,
           "censored_volume_share": None, "threshold": threshold}
    if censored in points.columns and len(points):
        flag = censor_flags(points, censored, threshold)
        out["censored_share"] = float(flag.mean())
        out["censored_volume_share"] = float(points.loc[flag, "y"].sum() / vol) if vol else None
    return out


def recommend(scores: pd.DataFrame, by=None, metric: str = "mase",
              exclude=(MANAGER,), baseline: str = BASELINE) -> pd.DataFrame:
    """The best model in each group of ``by`` by ``metric`` (lowest MASE by default).

    Parameters
    ----------
    scores
        :func:`evaluate` with ``model`` and the ``by`` columns in its ``by``.
    by
        Column(s) to recommend within (``None``: one recommendation).
    metric
        The measure that decides; higher is better for ``accuracy`` and
        ``accuracy_weighted``, the absolute value decides for the bias measures, lower is
        better for the others.
    exclude
        Models that are not candidates (the managers' forecast by default: the
        recommendation is a model to run).
    baseline
        The benchmark of ``improvement`` (seasonal naive).

    Returns
    -------
    DataFrame
        The ``by`` columns, ``model``, ``<metric>``, ``runner_up``, ``runner_up_<metric>``,
        ``baseline_<metric>`` and ``improvement`` = 1 − best/baseline (lower-is-better
        metrics) or best − baseline (higher-is-better). Ties go to the model that sorts
        first.

    References
    ----------
    MASE as the measure to compare models across series: Hyndman & Koehler (2006),
    *International Journal of Forecasting* 22(4), 679–688.

    Examples
    --------
    The managers (MASE 0.5) are excluded; ets (0.6) beats arima (0.8); improvement over
    seasonal naive (1.0) by hand: 1 − 0.6 / 1.0 = 0.4.

    >>> scores = pd.DataFrame({"model": ["snaive", "ets", "arima", "manager"],
    ...                        "mase": [1.0, 0.6, 0.8, 0.5]})
    >>> recommend(scores).round(4).to_dict("records")
    [{'model': 'ets', 'mase': 0.6, 'runner_up': 'arima', 'runner_up_mase': 0.8, 'baseline_mase': 1.0, 'improvement': 0.4}]
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    if "model" not in scores.columns or metric not in scores.columns:
        raise ValueError(f"scores needs columns 'model' and {metric!r} (from evaluate(by=['model', ...]))")
    higher = metric in HIGHER_BETTER
    cand = scores[~scores["model"].isin(exclude) & scores[metric].notna()]
    rows = []
    groups = cand.groupby(by, sort=True, dropna=False) if by else [((), cand)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        val = g[metric].abs() if metric in ABSOLUTE else g[metric]
        g = g.assign(_v=-val if higher else val).sort_values(["_v", "model"], kind="stable")
        best = g.iloc[0]
        row = dict(zip(by, key, strict=True))
        row.update({"model": best["model"], metric: best[metric]})
        row["runner_up"] = g["model"].iloc[1] if len(g) > 1 else None
        row[f"runner_up_{metric}"] = g[metric].iloc[1] if len(g) > 1 else np.nan
        base = g.loc[g["model"] == baseline, metric]
        b = float(base.iloc[0]) if len(base) else np.nan
        row[f"baseline_{metric}"] = b
        if higher:
            row["improvement"] = float(best[metric]) - b
        else:
            row["improvement"] = 1.0 - float(best[metric]) / b if b and np.isfinite(b) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def value_added(scores: pd.DataFrame, manager: str = MANAGER, baseline: str = BASELINE,
                metrics=("accuracy", "accuracy_weighted", "wape", "mase", "bias_pct"),
                select: str = "mase") -> pd.DataFrame:
    """Forecast value added (FVA) of the managers' forecast over two benchmarks: the best
    statistical model (lowest ``select``, excluding the managers) and seasonal naive.

    FVA is the improvement in a measure from one step of the forecasting process to the
    next. Here ``value_added = benchmark − manager`` for error measures (wape, mase, …),
    ``manager − benchmark`` for accuracy measures and ``|benchmark| − |manager|`` for bias
    measures, so a POSITIVE value means the managers add value. Compare like with like:
    compute ``scores`` with ``evaluate(bt, train, by=["model", ...], common=True)`` so every
    model is scored on the managers' points (step 1, the cutoffs they covered).

    Parameters
    ----------
    scores
        :func:`evaluate` by ``model`` (and other columns, kept as groups).
    manager, baseline
        The managers' and the seasonal naive model's names.
    metrics
        The measures compared.
    select
        The measure that picks the best statistical model (lower is better).

    Returns
    -------
    DataFrame
        A long table: the other ``by`` columns of ``scores``, ``benchmark_role`` (``best`` /
        ``baseline``), ``benchmark`` (model), ``metric``, ``manager``,
        ``benchmark_value``, ``value_added``.

    References
    ----------
    Gilliland, M. (2013). FVA: a reality check on forecasting practices. *Foresight* 29,
    14–18.

    Examples
    --------
    The best model is ets (MASE 0.6). By hand: weighted accuracy 0.80 − 0.85 = −0.05 and
    MASE 0.6 − 0.7 = −0.1 against ets (the managers lose value); 0.80 − 0.70 = 0.1 and
    1.0 − 0.7 = 0.3 against seasonal naive (they add value).

    >>> sc = pd.DataFrame({"model": ["manager", "ets", "snaive"],
    ...                    "accuracy_weighted": [0.80, 0.85, 0.70], "mase": [0.7, 0.6, 1.0]})
    >>> va = value_added(sc, metrics=("accuracy_weighted", "mase"))
    >>> va[["benchmark", "metric", "value_added"]].round(4).values.tolist()
    [['ets', 'accuracy_weighted', -0.05], ['ets', 'mase', -0.1], ['snaive', 'accuracy_weighted', 0.1], ['snaive', 'mase', 0.3]]
    """
    if "model" not in scores.columns:
        raise ValueError("scores needs a 'model' column (evaluate(by=['model', ...]))")
    metric_cols = set(POINT_METRICS) | {"n"} | {c for c in scores.columns
                                               if c.startswith(("coverage_", "winkler_", "n_"))
                                               or c.endswith("_uncensored")}
    by = [c for c in scores.columns if c != "model" and c not in metric_cols]
    rows = []
    groups = scores.groupby(by, sort=True, dropna=False) if by else [((), scores)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        mgr = g[g["model"] == manager]
        if mgr.empty:
            continue
        stat = g[(g["model"] != manager) & g[select].notna()].sort_values([select, "model"])
        benches = []
        if len(stat):
            benches.append(("best", stat.iloc[0]))
        base = g[g["model"] == baseline]
        if len(base):
            benches.append(("baseline", base.iloc[0]))
        for role, b in benches:
            for m in metrics:
                mv, bv = float(mgr.iloc[0][m]), float(b[m])
                if m in HIGHER_BETTER:
                    va = mv - bv
                elif m in ABSOLUTE:
                    va = abs(bv) - abs(mv)
                else:
                    va = bv - mv
                row = dict(zip(by, key, strict=True))
                row.update({"benchmark_role": role, "benchmark": b["model"], "metric": m,
                            "manager": mv, "benchmark_value": bv, "value_added": va})
                rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "benchmark_role", "benchmark", "metric", "manager",
                                       "benchmark_value", "value_added"])

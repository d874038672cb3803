"""Figures, display tables and texts of the demand-forecast backtest report
(notebooks/01_demand_forecast_backtest.ipynb; its metrics are
:func:`lean_analysis.forecast.figures`).

Inputs are the results of :mod:`lean_analysis.forecast` (backtests, scores, value added,
recommendations, forecasts); this module computes no statistic: it labels, formats and
draws. Wording comes from ``report/texts/forecast.yaml`` in the chosen language; plots use
the shared theme and return the figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lean_analysis.calendar import spring_festival_regressor
from lean_analysis.report.texts import t
from lean_analysis.report.theme import PALETTE, use_theme

HIGHLIGHT = {"manager": PALETTE[1], "snaive": PALETTE[5]}


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or bool(pd.isna(v))


def _pct(v: Any, digits: int = 1, signed: bool = False) -> str:
    if _missing(v):
        return "—"
    return f"{float(v) * 100:{'+' if signed else ''}.{digits}f}%"


def model_label(name: str, lang: str = "zh") -> str:
    """The model's name in the report language (custom models keep their alias)."""
    try:
        return t(f"fc_model_{name}", lang)
    except KeyError:
        return str(name)


def level_label(level: Any, lang: str = "zh") -> str:
    """``["product_id"]`` -> 规格 / specification; ``"total"`` -> 全县合计."""
    cols = ["total"] if level in (None, "total", []) else (
        [level] if isinstance(level, str) else list(level))
    sep = "×"
    out = []
    for c in cols:
        try:
            out.append(t(f"fc_level_{c}", lang))
        except KeyError:
            out.append(str(c))
    return sep.join(out)


def intro_text(period: str, quantity: str, level, h: int, n_windows: int, refit, lang: str = "zh",
               search: str = "every", fits: int | None = None,
               ensemble: Sequence[str] = ()) -> str:
    """The method paragraph; with ``search="first"`` and more than two ``fits`` per series
    (:func:`lean_analysis.forecast.n_fits`: some re-estimation keeps the first window's
    form) it says when ETS and ARIMA choose their form (:mod:`lean_analysis.forecast.search`);
    with ``ensemble`` (the members, ``forecast.ENSEMBLE_MEMBERS``, when the ensemble runs)
    what the ensemble is."""
    k = 1 if refit is True else (n_windows if refit is False else int(refit))
    text = t("fc_intro", lang, period=period, quantity=t(f"fc_quantity_{quantity}", lang),
             level=level_label(level, lang), h=h, n_windows=n_windows, refit=k)
    if ensemble:
        names = [model_label(m, lang) for m in ensemble]
        sep, last = ("、", "和") if lang == "zh" else (", ", " and ")
        members = sep.join(names[:-1]) + last + names[-1] if len(names) > 1 else names[0]
        text += t("fc_intro_ensemble", lang, members=members)
    if search == "first" and fits is not None and fits > 2:
        text += t("fc_intro_search_first", lang)
    return text


def adjust_text(calendar_adjust: str | None, festival_adjust: bool, lang: str = "zh") -> str:
    """How the models treat the calendar (empty when nothing is adjusted)."""
    parts = []
    if calendar_adjust:
        parts.append(t(f"fc_adjust_{calendar_adjust}", lang))
    if festival_adjust:
        parts.append(t("fc_adjust_festival", lang))
    return ("" if lang == "zh" else " ").join(parts)


def data_note(series: pd.DataFrame, bt: pd.DataFrame, threshold: float, lang: str = "zh") -> str:
    return t("fc_data_note", lang, last=f"{series['ds'].max():%Y-%m}",
             n_series=series["unique_id"].nunique(), n_months=series["ds"].nunique(),
             first_target=f"{bt['ds'].min():%Y-%m}" if len(bt) else "—",
             last_target=f"{bt['ds'].max():%Y-%m}" if len(bt) else "—",
             threshold=_pct(threshold, 0))


def summary_cards(series: pd.DataFrame, n_skipped: int, censoring: Mapping[str, Any],
                  lang: str = "zh") -> list[dict]:
    """KPI cards: series, backtest volume, censored shares, skipped pairs. ``censoring`` is
    :func:`lean_analysis.forecast.censoring` of the backtest (the analysis decides which
    points are censored)."""
    cards = [
        {"label": t("fc_card_series", lang), "value": series["unique_id"].nunique(), "format": "int"},
        {"label": t("fc_card_volume", lang), "value": censoring["volume"], "format": "int"},
    ]
    if censoring.get("censored_share") is not None:
        cards += [
            {"label": t("fc_card_censored", lang), "value": censoring["censored_share"],
             "format": "percent"},
            {"label": t("fc_card_censored_volume", lang),
             "value": censoring["censored_volume_share"], "format": "percent"},
        ]
    cards.append({"label": t("fc_card_skipped", lang), "value": n_skipped, "format": "int"})
    return cards


def league_display(scores: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    """The league table (one row per model, sorted by MASE) and its formats."""
    s = scores.sort_values(["mase", "model"], na_position="last")
    cols = {"model": "fc_col_model", "n": "fc_col_n", "accuracy": "fc_col_accuracy",
            "accuracy_weighted": "fc_col_accuracy_weighted",
            "accuracy_uncensored": "fc_col_accuracy_uncensored",
            "accuracy_weighted_uncensored": "fc_col_accuracy_weighted_uncensored",
            "mape": "fc_col_mape", "smape": "fc_col_smape", "mase": "fc_col_mase",
            "rmse": "fc_col_rmse", "bias_pct": "fc_col_bias_pct"}
    out = pd.DataFrame({t(k, lang): s[c].to_numpy() for c, k in cols.items() if c in s.columns})
    out[t("fc_col_model", lang)] = [model_label(m, lang) for m in s["model"]]
    fmts: dict[str, Any] = {t("fc_col_n", lang): "int", t("fc_col_mase", lang): ".3f",
                            t("fc_col_rmse", lang): ",.1f"}
    for c in ("accuracy", "accuracy_weighted", "accuracy_uncensored",
              "accuracy_weighted_uncensored", "mape", "smape", "bias_pct"):
        if c in s.columns:
            fmts[t(cols[c], lang)] = "percent"
    for c in s.columns:
        if c.startswith("coverage_"):
            name = t("fc_col_coverage", lang, level=c.split("_", 1)[1])
            out[name] = s[c].to_numpy()
            fmts[name] = "percent"
    return out, fmts


def league_note(scores: pd.DataFrame, lang: str = "zh") -> str:
    """What the league table compares: the points common to the ranked models
    (``scores.attrs["common"]`` of ``evaluate(..., common=...)``): how many, over how many
    series and backtest months, and the managers' share of them."""
    c = scores.attrs.get("common")
    if not c:
        return t("fc_league_note_all", lang)
    n_mgr = None
    if "manager" in set(scores["model"]):
        n_mgr = int(scores.loc[scores["model"] == "manager", "n"].iloc[0])
    text = t("fc_league_note", lang, n=_count(c["n_points"], "point", lang),
             series=_count(c["n_series"], "series", lang),
             windows=_count(c["n_cutoffs"], "window", lang),
             steps=_ahead(c["steps"], lang))
    if c.get("n_left_out"):
        text += t("fc_league_left_out", lang, n=_count(c["n_left_out"], "point", lang))
    if n_mgr is not None:
        key = "fc_league_manager_all" if n_mgr == c["n_points"] else "fc_league_manager_some"
        text += t(key, lang, n=_count(n_mgr, "point", lang))
    return text + t("fc_league_coverage", lang)


def _ahead(steps, lang: str = "zh") -> str:
    """``[1]`` -> 提前 1 个月 / 1 month ahead; ``[1, 2, 3]`` -> 提前 1–3 个月 / 1–3 months ahead."""
    steps = sorted(int(x) for x in steps) or [1]
    if len(steps) == 1:
        return _count(steps[0], "ahead", lang)
    return t("fc_count_ahead_other", lang, n=f"{steps[0]}–{steps[-1]}")


def _count(n: int, noun: str, lang: str = "zh") -> str:
    """``n`` and its noun in the report language (English singular or plural)."""
    n = int(n)
    form = "one" if (lang == "en" and n == 1) else "other"
    return t(f"fc_count_{noun}_{form}", lang, n=f"{n:,}")


def fva_display(va: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    names = {"accuracy": "fc_col_accuracy", "accuracy_weighted": "fc_col_accuracy_weighted",
             "wape": "fc_col_mape", "mase": "fc_col_mase", "bias_pct": "fc_col_bias_pct"}
    rows = []
    for r in va.itertuples(index=False):
        label = "WAPE" if r.metric == "wape" else t(names.get(r.metric, "fc_col_metric"), lang)
        rows.append({
            t("fc_col_benchmark", lang): (model_label(r.benchmark, lang) if r.benchmark_role == "baseline"
                                          else f"{t('fc_role_best', lang)} · {model_label(r.benchmark, lang)}"),
            t("fc_col_metric", lang): label,
            t("fc_col_manager", lang): _fmt_metric(r.metric, r.manager),
            t("fc_col_benchmark_value", lang): _fmt_metric(r.metric, r.benchmark_value),
            t("fc_col_value_added", lang): _fmt_metric(r.metric, r.value_added, signed=True),
        })
    return pd.DataFrame(rows), {}


def _fmt_metric(metric_name: str, v: Any, signed: bool = False) -> str:
    if _missing(v):
        return "—"
    if metric_name == "mase":
        return f"{float(v):{'+' if signed else ''}.3f}"
    return _pct(v, 1, signed)


def spring_festival_months(months: Iterable) -> set[pd.Timestamp]:
    """The months (first days) holding part of a Spring Festival run-up (lunar calendar)."""
    m = pd.DatetimeIndex(pd.to_datetime(list(months))).to_period("M").to_timestamp()
    return {d for d, v in zip(m, spring_festival_regressor(m, "MS"), strict=True) if v > 0}


def _colours(models: Iterable[str]) -> dict[str, str]:
    """A colour per model: the managers and seasonal naive fixed, the others in turn."""
    others = [c for c in PALETTE if c not in HIGHLIGHT.values()]
    out, i = {}, 0
    for m in models:
        if m in HIGHLIGHT:
            out[m] = HIGHLIGHT[m]
        else:
            out[m] = others[i % len(others)]
            i += 1
    return out


def accuracy_by_month_plot(by_month: pd.DataFrame, models: Iterable[str], lang: str = "zh",
                           value: str = "accuracy_weighted"):
    """Lines of ``value`` by target month (``ds``) for ``models``; Spring Festival months
    shaded. ``by_month`` is ``evaluate(bt, by=["model", "ds"])``."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    use_theme()
    models = list(models)
    colours = _colours(models)
    fig, ax = plt.subplots()
    months = sorted(pd.to_datetime(by_month["ds"].unique()))
    for d in spring_festival_months(months):
        ax.axvspan(d - pd.Timedelta(days=15), d + pd.Timedelta(days=15), color="#f3d9a4",
                   alpha=0.6, lw=0)
    for m in models:
        sub = by_month[by_month["model"] == m].sort_values("ds")
        if sub.empty:
            continue
        ax.plot(sub["ds"], sub[value], marker="o", lw=2.4 if m in HIGHLIGHT else 1.6,
                color=colours[m], label=model_label(m, lang))
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(color="#f3d9a4", alpha=0.6))
    labels.append(t("fc_spring_festival", lang))
    ax.set_ylabel(t("fc_col_accuracy_weighted", lang))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v * 100:.0f}%")
    ax.set_xlabel(t("fc_month", lang))
    ax.legend(handles, labels, loc="lower left", ncol=2)
    fig.autofmt_xdate()
    return fig


def horizon_plot(by_step: pd.DataFrame, models: Iterable[str], lang: str = "zh"):
    import matplotlib.pyplot as plt

    use_theme()
    fig, ax = plt.subplots()
    colours = _colours(models)
    for m in models:
        sub = by_step[by_step["model"] == m].sort_values("step")
        ax.plot(sub["step"], sub["accuracy_weighted"], marker="o", label=model_label(m, lang),
                color=colours[m])
    ax.set_xlabel(t("fc_horizon", lang))
    ax.set_ylabel(t("fc_col_accuracy_weighted", lang))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v * 100:.0f}%")
    ax.legend()
    return fig


def total_plot(bt_total: pd.DataFrame, models: Iterable[str], lang: str = "zh"):
    """Actuals and each model's step-1 forecasts of the total (``forecast.aggregate(bt,
    series, groups, "total")``: every model summed over the same series), by month."""
    import matplotlib.pyplot as plt

    use_theme()
    models = list(models)
    colours = _colours(models)
    b = bt_total[bt_total["step"] == 1]
    fig, ax = plt.subplots()
    actual = b.drop_duplicates("ds").set_index("ds")["y"].sort_index()
    ax.plot(actual.index, actual.to_numpy(), color="black", lw=2.4, marker="o",
            label=t("fc_actual", lang))
    for m in models:
        sub = b[b["model"] == m].sort_values("ds")
        if sub.empty:
            continue
        ax.plot(sub["ds"], sub["forecast"], marker=".", lw=1.6, label=model_label(m, lang),
                color=colours[m])
    ax.set_ylabel(t("sales_cases", lang))
    ax.legend(ncol=2)
    fig.autofmt_xdate()
    return fig


def worst_display(by_series: pd.DataFrame, model: str, names: Mapping[str, str] | None, n: int,
                  lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    """The ``n`` series with the lowest weighted accuracy for ``model``."""
    s = by_series[by_series["model"] == model].sort_values(["accuracy_weighted", "unique_id"]).head(n)
    out = pd.DataFrame({
        t("fc_col_series", lang): s["unique_id"].to_numpy(),
        t("fc_col_name", lang): [(names or {}).get(u, "") for u in s["unique_id"]],
        t("fc_col_accuracy_weighted", lang): s["accuracy_weighted"].to_numpy(),
        t("fc_col_accuracy", lang): s["accuracy"].to_numpy(),
        t("fc_col_mase", lang): s["mase"].to_numpy(),
        t("fc_col_bias_pct", lang): s["bias_pct"].to_numpy(),
    })
    fmts = {t("fc_col_accuracy_weighted", lang): "percent", t("fc_col_accuracy", lang): "percent",
            t("fc_col_mase", lang): ".3f", t("fc_col_bias_pct", lang): "percent"}
    return out, fmts


def bias_plot(scores: pd.DataFrame, lang: str = "zh"):
    import matplotlib.pyplot as plt

    use_theme()
    s = scores.sort_values("bias_pct")
    fig, ax = plt.subplots()
    colours = [HIGHLIGHT.get(m, PALETTE[0]) for m in s["model"]]
    ax.barh([model_label(m, lang) for m in s["model"]], s["bias_pct"], color=colours)
    ax.axvline(0, color="black", lw=1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v * 100:+.0f}%")
    ax.set_xlabel(t("fc_col_bias_pct", lang))
    labels = []
    for y, v in enumerate(s["bias_pct"]):
        labels.append(ax.annotate(_pct(v, 1, True), (v, y), xytext=(4 if v >= 0 else -4, 0),
                                  textcoords="offset points", va="center",
                                  ha="left" if v >= 0 else "right", fontsize=9))
    _fit_labels(fig, ax, labels)
    return fig


def _fit_labels(fig, ax, labels, pad: float = 6.0, rounds: int = 6) -> None:
    """Widen the x-axis until every value label lies inside the axes, ``pad`` pixels from
    its edges, so no label sits on the tick labels or the axis label. Measured with the
    renderer (``get_window_extent``); a label is offset from its bar in points, so it keeps
    its width in pixels while the bars shrink: a few rounds converge."""
    if not labels:
        return
    for _ in range(rounds):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        box = ax.get_window_extent(renderer)
        left = min(lb.get_window_extent(renderer).x0 for lb in labels)
        right = max(lb.get_window_extent(renderer).x1 for lb in labels)
        over_l = max(box.x0 + pad - left, 0.0)
        over_r = max(right - (box.x1 - pad), 0.0)
        if over_l < 0.5 and over_r < 0.5:
            return
        x0, x1 = ax.get_xlim()
        per_px = (x1 - x0) / box.width
        ax.set_xlim(x0 - over_l * per_px * 1.1, x1 + over_r * per_px * 1.1)


def calibration_plot(scores: pd.DataFrame, lang: str = "zh"):
    """Coverage of each interval level by model, beside the nominal level."""
    import matplotlib.pyplot as plt

    use_theme()
    levels = sorted(float(c.split("_", 1)[1]) for c in scores.columns if c.startswith("coverage_"))
    s = scores.dropna(subset=[f"coverage_{lv:g}" for lv in levels], how="all")
    fig, ax = plt.subplots()
    width = 0.8 / max(len(levels), 1)
    y = np.arange(len(s))
    for i, lv in enumerate(levels):
        ax.barh(y + i * width, s[f"coverage_{lv:g}"], height=width, color=PALETTE[i % len(PALETTE)],
                label=f"{lv:g}%")
        ax.axvline(lv / 100, color=PALETTE[i % len(PALETTE)], ls="--", lw=1)
    ax.set_yticks(y + width * (len(levels) - 1) / 2, [model_label(m, lang) for m in s["model"]])
    ax.xaxis.set_major_formatter(lambda v, _: f"{v * 100:.0f}%")
    ax.set_xlim(0, 1)
    ax.set_xlabel(t("fc_coverage", lang))
    ax.legend(title=t("fc_nominal", lang), loc="upper center", bbox_to_anchor=(0.5, -0.15),
              ncol=len(levels))
    return fig


def coverage_warning(scores: pd.DataFrame, lang: str = "zh", tolerance: float = 0.05) -> str | None:
    """A warning naming every model whose empirical coverage (``coverage_<l>`` of the
    scores) is more than ``tolerance`` (5 points) off its nominal level; None when all are
    within it.

    >>> sc = pd.DataFrame({"model": ["ets", "theta"], "coverage_80": [0.79, 0.72],
    ...                    "coverage_95": [0.95, 0.96]})
    >>> coverage_warning(sc, "en")
    'Intervals off their nominal coverage by more than 5 points: Theta 80 % interval covers 72.0%. Read these intervals with care.'
    """
    parts = []
    for r in scores.to_dict("records"):
        for c in sorted((c for c in r if c.startswith("coverage_")), key=lambda c: float(c[9:])):
            v, nominal = r[c], float(c.split("_", 1)[1]) / 100
            if not _missing(v) and abs(float(v) - nominal) > tolerance + 1e-12:
                parts.append(t("fc_coverage_off_item", lang, model=model_label(r["model"], lang),
                               level=c.split("_", 1)[1], cov=_pct(v)))
    if not parts:
        return None
    sep = "；" if lang == "zh" else "; "
    return t("fc_coverage_off", lang, points=f"{tolerance * 100:g}", items=sep.join(parts))


def intervals_text(intervals: str, lang: str = "zh") -> str:
    """How the prediction intervals were made (``"model"`` or ``"conformal"``)."""
    return t(f"fc_intervals_{intervals}", lang)


def recommend_display(rows: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    """``rows``: one per level with ``level, n_series, model, mase, accuracy_weighted,
    runner_up, baseline_mase, improvement`` and optionally ``manager_accuracy_weighted``."""
    out = pd.DataFrame({
        t("fc_col_level", lang): [level_label(v, lang) for v in rows["level"]],
        t("fc_col_n_series", lang): rows["n_series"].to_numpy(),
        t("fc_col_recommended", lang): [model_label(m, lang) for m in rows["model"]],
        t("fc_col_mase", lang): rows["mase"].to_numpy(),
        t("fc_col_accuracy_weighted", lang): rows["accuracy_weighted"].to_numpy(),
        t("fc_col_runner_up", lang): [model_label(m, lang) if isinstance(m, str) else "—"
                                      for m in rows["runner_up"]],
        t("fc_col_baseline_mase", lang): rows["baseline_mase"].to_numpy(),
        t("fc_col_improvement", lang): rows["improvement"].to_numpy(),
    })
    fmts = {t("fc_col_n_series", lang): "int", t("fc_col_mase", lang): ".3f",
            t("fc_col_accuracy_weighted", lang): "percent", t("fc_col_baseline_mase", lang): ".3f",
            t("fc_col_improvement", lang): "percent"}
    if "manager_accuracy_weighted" in rows.columns:
        out[t("fc_col_manager_accuracy", lang)] = rows["manager_accuracy_weighted"].to_numpy()
        fmts[t("fc_col_manager_accuracy", lang)] = "percent"
    return out, fmts


def next_display(pred: pd.DataFrame, names: Mapping[str, str] | None,
                 manager: pd.DataFrame | None, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    """Next period's forecasts per series (already in the report's unit), with the managers'
    (a column only when ``manager`` holds forecasts for these series and months: see
    :func:`manager_missing_text`) and a mark on the fallback forecasts of short series."""
    p = pred.sort_values(["unique_id", "step"])
    out = pd.DataFrame({
        t("fc_col_series", lang): p["unique_id"].to_numpy(),
        t("fc_col_name", lang): [(names or {}).get(u, "") for u in p["unique_id"]],
        t("fc_month", lang): [f"{d:%Y-%m}" for d in p["ds"]],
        t("fc_col_forecast", lang): p["forecast"].to_numpy(),
    })
    fmts: dict[str, Any] = {t("fc_col_forecast", lang): ",.1f"}
    for c in p.columns:
        if c.startswith(("lo_", "hi_")):
            key = "fc_col_lo" if c.startswith("lo_") else "fc_col_hi"
            name = t(key, lang, level=c.split("_", 1)[1])
            out[name] = p[c].to_numpy()
            fmts[name] = ",.1f"
    if manager is not None and len(manager):
        m = p[["unique_id", "ds"]].merge(manager[["unique_id", "ds", "forecast"]],
                                         on=["unique_id", "ds"], how="left")
        if m["forecast"].notna().any():  # no column of dashes for a month not yet submitted
            out[t("fc_col_manager_forecast", lang)] = m["forecast"].to_numpy()
            fmts[t("fc_col_manager_forecast", lang)] = ",.1f"
    if "fallback" in p.columns:
        out[t("fc_col_fallback", lang)] = [t("fc_fallback_yes", lang) if f else ""
                                           for f in p["fallback"].to_numpy(bool)]
    return out, fmts


def fallback_text(pred: pd.DataFrame, lang: str = "zh") -> str | None:
    """The note on the fallback forecasts of short series (None when there are none)."""
    if "fallback" not in pred.columns or not pred["fallback"].any():
        return None
    n = int(pred.loc[pred["fallback"], "unique_id"].nunique())
    return t("fc_fallback_note", lang, n=_count(n, "spec", lang))


def manager_missing_text(manager: pd.DataFrame | None, month: str, lang: str = "zh") -> str | None:
    """One line when the data hold no managers' forecasts for ``month`` (``manager`` is the
    whole ``manager_frame`` or None: then nothing is said, the report has no managers)."""
    if manager is None or not len(manager):
        return None
    ds = pd.to_datetime(manager["ds"])
    if (ds.dt.strftime("%Y-%m") == month).any():
        return None
    return t("fc_next_no_manager", lang, month=month, last=f"{ds.max():%Y-%m}")


def next_total_text(change: Mapping[str, Any], manager_next: pd.DataFrame | None = None,
                    lang: str = "zh") -> str:
    """The next month's total, its interval and its change on the last month, raw and per
    ordering week (``change`` is :func:`lean_analysis.forecast.summary.next_month_change`);
    with the managers' total when they forecast that month."""
    text = t("fc_next_total", lang, total=f"{change['total']:,.1f}",
             interval=_total_interval(change, lang))
    text += next_weeks_text(change, lang)
    if manager_next is not None and len(manager_next):
        text += t("fc_next_total_manager", lang, total=f"{manager_next['forecast'].sum():,.1f}")
    return text


def _total_interval(change: Mapping[str, Any], lang: str = "zh") -> str:
    if _missing(change.get("lo")) or _missing(change.get("hi")):
        return t("fc_total_no_interval", lang)
    return t("fc_total_interval", lang, level=f"{change['level']:g}", lo=f"{change['lo']:,.1f}",
             hi=f"{change['hi']:,.1f}", n=_count(change["n_months"], "month", lang))


def _month_name(month: str, lang: str = "zh") -> str:
    d = pd.Timestamp(month)
    return f"{d.month} 月" if lang == "zh" else f"{d:%B}"


def next_weeks_text(change: Mapping[str, Any], lang: str = "zh") -> str:
    """The change on the last month's actual, raw and per ordering week, naming each
    month's ordering weeks (Mondays): a 5-week month after a 4-week one is +25 % at the
    same weekly rate."""
    if _missing(change.get("change")):
        return ""
    key = "fc_next_change_weeks" if change["weeks"] != change["weeks_last"] else "fc_next_change_same"
    return t(key, lang, month=_month_name(change["month"], lang),
             last=_month_name(change["last_month"], lang),
             weeks=_count(change["weeks"], "week", lang),
             weeks_last=str(change["weeks_last"]),
             last_total=f"{change['last_total']:,.1f}", change=_pct(change["change"], 1, True),
             per_week=_pct(change["change_per_week"], 1, True))


def summary_findings(numbers: Mapping[str, Any], lang: str = "zh") -> list[dict[str, Any]]:
    """The report's findings for :func:`lean_analysis.report.show.summary` (3–5), each one
    sentence with its number, its uncertainty and what to do, from
    :func:`lean_analysis.forecast.summary.summary_numbers`: the recommended model against
    seasonal naive; the managers' value added (when measured); the interval coverage
    (warned when more than 5 points off nominal); next month's county total with its
    interval and the change per ordering week. The forecast report feeds no yearly target
    (no figure of ``01_demand_forecast_backtest`` in :data:`lean_analysis.targets.FIGURES`
    has ``feeds``), so no target status is listed."""
    n = numbers
    model = model_label(n["model"], lang)
    c = n.get("common") or {}
    out: list[dict[str, Any]] = []
    snaive = n.get("snaive_accuracy_weighted")
    out.append({
        "text": t("fc_sum_model", lang, model=model, acc=_pct(n["accuracy_weighted"]),
                  snaive=_pct(snaive), mase=_num(n["mase"]), snaive_mase=_num(n.get("snaive_mase")),
                  impr=_pct(n.get("improvement")), n=_count(n["n"], "point", lang),
                  series=_count(c.get("n_series", 0), "series", lang),
                  windows=_count(c.get("n_cutoffs", 0), "window", lang)),
        "uncertainty": (t("fc_sum_model_range", lang, lo=_pct(n["acc_month_min"]),
                          hi=_pct(n["acc_month_max"]), n=_count(n["n_months"], "month", lang))
                        if n.get("n_months") else ""),
        "action": t("fc_sum_model_action", lang, model=model),
    })
    m = n.get("manager")
    if m:
        x = m["value_added"]
        pts = f"{abs(x) * 100:.1f}"
        out.append({
            "text": t("fc_sum_manager_" + ("better" if x > 0 else "worse"), lang,
                      acc=_pct(m["accuracy_weighted"]), best=model_label(m["best"], lang),
                      pts=pts, bias=_pct(m["bias_pct"], 1, True)),
            "uncertainty": (t("fc_sum_manager_months", lang, k=m["months_better"],
                              n=_count(m["n_months"], "month", lang))
                            if m.get("n_months") else ""),
            "action": t("fc_sum_manager_action_" + ("better" if x > 0 else "worse"), lang,
                        bias=_pct(m["bias_pct"], 1, True)),
        })
    cov = n.get("coverage")
    if cov:
        out.append({
            "text": t("fc_sum_coverage_" + ("off" if cov["off"] else "ok"), lang,
                      model=model, level=f"{cov['level']:g}", cov=_pct(cov["value"]),
                      gap=f"{abs(cov['gap']) * 100:.1f}",
                      side=t("fc_sum_coverage_" + ("narrow" if cov["gap"] < 0 else "wide"), lang)),
            "uncertainty": t("fc_sum_coverage_ci", lang, lo=_pct(cov["ci_low"]), hi=_pct(cov["ci_high"]),
                             n=_count(cov["n"], "point", lang)),
            "action": t("fc_sum_coverage_action_" + ("off" if cov["off"] else "ok"), lang,
                        level=f"{cov['level']:g}"),
        })
    ch = n.get("change")
    if ch:
        out.append({
            "text": t("fc_sum_next", lang, month=ch["month"], total=f"{ch['total']:,.1f}")
                    + next_weeks_text(ch, lang),
            "uncertainty": _total_interval(ch, lang),
            "action": t("fc_sum_next_action", lang),
        })
    return out


def _num(v: Any, digits: int = 3) -> str:
    return "—" if _missing(v) else f"{float(v):.{digits}f}"


def reason_text(row: Mapping[str, Any], lang: str = "zh") -> str:
    """A skipped record's reason in the report language (the library's English text when
    its code is unknown)."""
    code = row.get("code")
    try:
        n = row.get("n_points")
        return t(f"fc_reason_{code}", lang, n=_count(n, "point", lang) if not _missing(n) else "—",
                 need=row.get("need"), k=_count(row.get("n_windows_missing") or 0, "window", lang))
    except KeyError:
        return str(row.get("reason", ""))


def skipped_display(sk: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    out = pd.DataFrame({
        t("fc_col_series", lang): sk["unique_id"].to_numpy(),
        t("fc_col_model", lang): [model_label(m, lang) for m in sk["model"]],
        t("fc_col_reason", lang): [reason_text(r, lang) for r in sk.to_dict("records")],
        t("fc_col_n_points", lang): sk["n_points"].to_numpy(),
        t("fc_col_n_missing", lang): sk["n_windows_missing"].to_numpy(),
    })
    return out, {t("fc_col_n_points", lang): "int", t("fc_col_n_missing", lang): "int"}

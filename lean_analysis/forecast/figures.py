"""The forecast report's published figures: :func:`figures` (its ``metrics.json``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..targets import figure


def figures(scores: pd.DataFrame, rec: Mapping[str, Any], va: pd.DataFrame | None,
            pred: pd.DataFrame, level_rows: pd.DataFrame | None = None,
            bottom=None) -> dict[str, dict]:
    """The key figures of the demand-forecast backtest, as :func:`lean_analysis.targets.figure`
    entries for ``metrics.json`` (every name is declared for report
    ``01_demand_forecast_backtest`` in :data:`lean_analysis.targets.FIGURES`).

    Parameters
    ----------
    scores
        :func:`evaluate` by ``["model"]``; the report passes the points common to the
        statistical models (``common="all but manager"``), on which it ranks them.
    rec
        The recommendation row (:func:`recommend`), ``rec["model"]`` the best model.
    va
        :func:`value_added` of the managers, or None.
    pred
        :func:`predict` of the recommended model (next period).
    level_rows
        :func:`compare_levels` (the lowest MASE per level) or, with the reconciliation,
        :func:`combine_levels` (the level's recommendation: the model whose sums or whose
        reconciliation it is, and ``recommended_method_<level>``: ``bottom_up`` for sums,
        ``mint_shrink`` or ``erm``): one ``recommended_model_<level>`` per row.
    bottom
        The series level (e.g. ``["product_id"]``): its row is left out, as
        ``recommended_model`` is that level's recommendation (one figure, one value).

    Returns
    -------
    dict
        Figure name -> ``{"value", "unit", "definition"}``: ``recommended_model``,
        ``forecast_accuracy``, ``forecast_accuracy_weighted``, ``mase``,
        ``mase_seasonal_naive``, ``bias_pct``, ``next_period_forecast_total``,
        ``coverage_<level>``; with the managers ``manager_accuracy``,
        ``manager_accuracy_weighted``, ``manager_bias_pct`` (and ``manager_value_added``
        from ``va``).
    """
    s = scores.set_index("model")
    best = rec["model"]
    figs = {
        "recommended_model": figure(best, "model", "model with the lowest MASE at the series "
                                    "level (managers excluded)"),
        "forecast_accuracy": figure(s.loc[best, "accuracy"], "fraction",
                                    "mean over backtest points of max(0, 1 − |F − A| / A), "
                                    "recommended model"),
        "forecast_accuracy_weighted": figure(s.loc[best, "accuracy_weighted"], "fraction",
                                             "1 − Σ|F − A| / ΣA (1 − WAPE), recommended model"),
        "mase": figure(s.loc[best, "mase"], "ratio", "MASE of the recommended model (scale: "
                       "in-sample seasonal naive MAE up to each cutoff)"),
        "mase_seasonal_naive": figure(s.loc["snaive", "mase"] if "snaive" in s.index else None,
                                      "ratio", "MASE of seasonal naive"),
        "bias_pct": figure(s.loc[best, "bias_pct"], "fraction", "Σ(F − A) / ΣA, recommended model"),
        "next_period_forecast_total": figure(pred["forecast"].sum(), "case",
                                             "sum of next period's forecasts of the recommended "
                                             "model"),
    }
    for c in s.columns:
        if c.startswith("coverage_"):
            figs[c] = figure(s.loc[best, c], "fraction",
                             f"share of actuals inside the {c.split('_', 1)[1]}% interval, "
                             "recommended model")
    if "manager" in s.index:
        figs["manager_accuracy"] = figure(s.loc["manager", "accuracy"], "fraction",
                                          "industry accuracy of the managers' forecasts")
        figs["manager_accuracy_weighted"] = figure(s.loc["manager", "accuracy_weighted"],
                                                   "fraction",
                                                   "1 − WAPE of the managers' forecasts")
        figs["manager_bias_pct"] = figure(s.loc["manager", "bias_pct"], "fraction",
                                          "Σ(F − A) / ΣA of the managers' forecasts")
    if va is not None and len(va):
        v = va[(va["benchmark_role"] == "best") & (va["metric"] == "accuracy_weighted")]
        if len(v):
            figs["manager_value_added"] = figure(
                v["value_added"].iloc[0], "fraction",
                "managers' weighted accuracy − best model's, on the managers' points (FVA)")
    if level_rows is not None:
        skip = None if bottom is None else _key(bottom)
        combined = "choice" in level_rows.columns
        rc_model = level_rows.attrs.get("model")
        for r in level_rows.to_dict("records"):
            key = _key(r["level"])
            if key == skip:
                continue
            if not combined:
                figs[f"recommended_model_{key}"] = figure(r["model"], "model",
                                                          f"lowest MASE at level {key}")
                continue
            if not isinstance(r.get("choice"), str):
                continue
            summed = r["choice"] == "sum"
            figs[f"recommended_model_{key}"] = figure(
                r["best_model"] if summed else rc_model, "model",
                f"the model of the recommendation at level {key} (lowest MASE among each "
                "model's sums and the reconciliations of the recommended model)")
            figs[f"recommended_method_{key}"] = figure(
                "bottom_up" if summed else r["choice"], "method",
                f"how the recommendation at level {key} makes the level add up: bottom_up "
                "(sums of the specifications' forecasts), mint_shrink or erm")
    return figs


def _key(level) -> str:
    return "_".join(level) if isinstance(level, list | tuple) else str(level)

"""forecast.figures: the forecast report's metrics.json figures, computed by the analysis."""

from __future__ import annotations

import pandas as pd
import pytest

from lean_analysis import forecast, targets

REPORT = "01_demand_forecast_backtest"


@pytest.fixture
def inputs():
    scores = pd.DataFrame({
        "model": ["snaive", "ets", "manager"],
        "accuracy": [0.70, 0.80, 0.75], "accuracy_weighted": [0.72, 0.83, 0.78],
        "mase": [1.00, 0.60, 0.70], "bias_pct": [0.05, -0.01, 0.04],
        "coverage_80": [0.70, 0.78, None], "coverage_95": [0.90, 0.94, None]})
    rec = {"model": "ets"}
    va = pd.DataFrame({"benchmark_role": ["best", "best", "baseline"],
                       "metric": ["mase", "accuracy_weighted", "accuracy_weighted"],
                       "value_added": [-0.1, -0.05, 0.06]})
    pred = pd.DataFrame({"unique_id": ["a", "b"], "forecast": [10.5, 20.25]})
    levels = pd.DataFrame({"level": [["product_id"], "brand", "total"],
                           "model": ["ets", "arima", "ensemble"]})
    return scores, rec, va, pred, levels


def test_figures_by_hand(inputs):
    figs = forecast.figures(*inputs)
    value = {k: v["value"] for k, v in figs.items()}
    assert value == {
        "recommended_model": "ets", "forecast_accuracy": 0.80, "forecast_accuracy_weighted": 0.83,
        "mase": 0.60, "mase_seasonal_naive": 1.00, "bias_pct": -0.01,
        "next_period_forecast_total": 30.75,  # 10.5 + 20.25
        "coverage_80": 0.78, "coverage_95": 0.94,
        "manager_accuracy": 0.75, "manager_accuracy_weighted": 0.78, "manager_bias_pct": 0.04,
        "manager_value_added": -0.05,  # best model, weighted accuracy
        "recommended_model_product_id": "ets", "recommended_model_brand": "arima",
        "recommended_model_total": "ensemble"}
    assert figs["mase"] == targets.figure(
        0.60, "ratio", "MASE of the recommended model (scale: in-sample seasonal naive MAE up to "
        "each cutoff)")
    assert figs["coverage_80"]["definition"] == ("share of actuals inside the 80% interval, "
                                                 "recommended model")


def test_every_figure_is_declared_for_the_report(inputs):
    scores, rec, va, pred, levels = inputs
    for args in [(scores, rec, va, pred, levels),
                 (scores[scores["model"] != "manager"], rec, None, pred, None)]:
        figs = forecast.figures(*args)
        undeclared = [n for n in figs if targets.lookup(n, REPORT) is None]
        assert undeclared == []
        targets.check_figures(REPORT, figs)  # names and units
    without = forecast.figures(scores[scores["model"] != "manager"], rec, None, pred)
    assert not any(k.startswith("manager") for k in without)
    assert forecast.figures(scores[scores["model"] != "snaive"], rec, va, pred)[
        "mase_seasonal_naive"]["value"] is None


def test_the_report_module_no_longer_computes_figures():
    from lean_analysis.report import plots_forecast

    assert not hasattr(plots_forecast, "forecast_metrics")


def test_summary_cards_read_the_analysis_censoring():
    from lean_analysis.report import plots_forecast as pf

    ds = pd.date_range("2024-01-01", periods=4, freq="MS")
    series = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [10.0, 30.0, 60.0, 5.0],
                           "capped_share": [0.0, None, 0.8, 0.9]})
    bt = pd.DataFrame({"unique_id": "a", "ds": ds[:3]})
    c = forecast.censoring(series, bt, threshold=0.2)
    # 3 backtest points (10 + 30 + 60 = 100 cases); censored: the third (0.8 > 0.2)
    assert (c["n_points"], c["volume"], c["censored_share"], c["censored_volume_share"]) == \
        (3, 100.0, pytest.approx(1 / 3), pytest.approx(0.6))
    cards = pf.summary_cards(series, 2, c, "en")
    assert [x["value"] for x in cards] == [1, 100.0, c["censored_share"], 0.6, 2]
    no_cap = forecast.censoring(series.drop(columns="capped_share"), bt)
    assert len(pf.summary_cards(series, 0, no_cap, "en")) == 3

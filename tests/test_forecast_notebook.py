"""notebooks/01_demand_forecast_backtest.ipynb executed on the small sample: its
metrics.json carries the figures forecast.backtest/evaluate give with the default params."""

from __future__ import annotations

import json

import pytest
import yaml

from lean_analysis import config, data, forecast

pytestmark = pytest.mark.notebooks
PERIOD = "2026-10"


def test_forecast_notebook_writes_its_metrics(small_dir, small_tables, tmp_path):
    import papermill as pm

    out = tmp_path / "out"
    pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / "01_demand_forecast_backtest.ipynb"), str(tmp_path / "run.ipynb"),
        parameters={"period": PERIOD, "data_dir": str(small_dir), "output_dir": str(out), "lang": "en"},
        cwd=str(tmp_path), progress_bar=False)
    doc = json.loads((out / "01_demand_forecast_backtest.metrics.json").read_text(encoding="utf-8"))
    figs = doc["figures"]
    p = yaml.safe_load((config.PARAMS_DIR / "01_demand_forecast_backtest.yaml").read_text(encoding="utf-8"))
    series = data.to_series(small_tables, level=p["level"], freq="MS", value=p["quantity"],
                            unit=p["unit"], end=PERIOD)
    mgr = forecast.manager_frame(small_tables, level=p["level"], unit=p["unit"])
    bt = forecast.backtest(series, models=p["models"], manager=mgr, h=p["h"], n_windows=p["n_windows"],
                           refit=p["refit"], level=p["level_pi"], calendar_adjust=p["calendar_adjust"],
                           festival_adjust=p["festival_adjust"])
    sc = forecast.evaluate(bt, train=series, by=["model"]).set_index("model")
    best = forecast.recommend(sc.reset_index()).iloc[0]["model"]
    assert doc["period"] == PERIOD and figs["recommended_model"]["value"] == best
    assert figs["forecast_accuracy_weighted"]["value"] == pytest.approx(sc.loc[best, "accuracy_weighted"])
    assert figs["mase"]["value"] == pytest.approx(sc.loc[best, "mase"])
    assert figs["manager_bias_pct"]["value"] == pytest.approx(sc.loc["manager", "bias_pct"])
    assert doc["skipped"] == len(forecast.skipped(bt))

"""notebooks/01_demand_forecast_backtest.ipynb executed on the small sample: its
metrics.json carries the figures forecast.backtest/evaluate give with the default params."""

from __future__ import annotations

import json

import nbformat
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
    # ranked on the points every statistical model forecast (equal n, managers included)
    sc = forecast.evaluate(bt, train=series, by=["model"], common="all but manager").set_index("model")
    assert sc["n"].nunique() == 1
    best = forecast.recommend(sc.reset_index()).iloc[0]["model"]
    assert doc["period"] == PERIOD and figs["recommended_model"]["value"] == best
    assert figs["forecast_accuracy_weighted"]["value"] == pytest.approx(sc.loc[best, "accuracy_weighted"])
    assert figs["mase"]["value"] == pytest.approx(sc.loc[best, "mase"])
    assert figs["manager_bias_pct"]["value"] == pytest.approx(sc.loc["manager", "bias_pct"])
    assert doc["skipped"] == len(forecast.skipped(bt))
    assert (forecast.skipped(bt)["n_points"] >= 0).all()

    # the page: the summary block (moved to the top by the HTML renderer), the league note
    # with the common points, no managers' column for 2026-11 (not in the data) but a line
    nb = nbformat.read(tmp_path / "run.ipynb", as_version=4)
    html = "\n".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))
    last = "".join(o.get("data", {}).get("text/html", "") for o in nb.cells[-1].get("outputs", []))
    assert 'data-la-summary="1"' in last and last.count('class="la-finding"') >= 3
    assert "November has 5 ordering weeks (October 4)" in last
    assert f"the {int(sc['n'].iloc[0])} points of" in html
    assert "managers (cases)" not in html
    assert "The managers&#x27; forecasts for 2026-11 are not in the data yet" in html or \
        "The managers' forecasts for 2026-11 are not in the data yet" in html

"""notebooks/00_monthly_overview.ipynb executed on the small sample with planted metrics of
the other reports: its metrics.json carries the scorecard the run index shows."""

from __future__ import annotations

import json

import pytest

from lean_analysis import config, kpis
from lean_analysis.params import load_targets
from lean_analysis.report.metrics import metric, write_metrics

pytestmark = pytest.mark.notebooks
PERIOD = "2026-10"


def test_overview_notebook_writes_the_scorecard(small_dir, small_tables, tmp_path):
    import papermill as pm

    out = tmp_path / "out"
    write_metrics(out, "03_satisfaction_survey", PERIOD,
                  {"satisfaction_index": metric(95.0, "index", "planted")})
    write_metrics(out, "02_brand_cultivation", PERIOD,
                  {"target_on_shelf_rate": metric(0.5, "share", "planted")})
    pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / "00_monthly_overview.ipynb"), str(tmp_path / "run.ipynb"),
        parameters={"period": PERIOD, "data_dir": str(small_dir), "output_dir": str(out),
                    "lang": "en"},
        cwd=str(tmp_path), progress_bar=False)
    doc = json.loads((out / "00_monthly_overview.metrics.json").read_text(encoding="utf-8"))
    figs = doc["figures"]
    assert doc["period"] == PERIOD
    assert figs["scorecard_satisfaction"]["status"] == "met"            # planted 95 ≥ 90
    assert figs["scorecard_target_on_shelf_rate"]["status"] == "not_met"  # planted 0.5 < 1
    expected = kpis.scorecard(small_tables, PERIOD, load_targets()).set_index("indicator")
    for key in ("retailer_margin", "key_brand_share", "new_product_coverage"):
        assert figs[f"scorecard_{key}"]["status"] == expected.loc[key, "status"]
        assert figs[f"scorecard_{key}"]["target"] == expected.loc[key, "target"]
    assert figs["month_sales_cases"]["value"] == pytest.approx(
        kpis.sales(small_tables, PERIOD).iloc[0]["cases"])

"""notebooks/02_brand_cultivation.ipynb executed on the small sample: its metrics.json
carries the effects and on-shelf rates the brand package computes, and the figure the
scorecard reads."""

from __future__ import annotations

import json

import pytest

from lean_analysis import brand, config

pytestmark = pytest.mark.notebooks
PERIOD = "2026-10"


def test_brand_notebook_writes_its_metrics(small_dir, small_tables, small_truth, tmp_path):
    import papermill as pm

    out = tmp_path / "out"
    pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / "02_brand_cultivation.ipynb"), str(tmp_path / "run.ipynb"),
        parameters={"period": PERIOD, "data_dir": str(small_dir), "output_dir": str(out), "lang": "en"},
        cwd=str(tmp_path), progress_bar=False)
    doc = json.loads((out / "02_brand_cultivation.metrics.json").read_text(encoding="utf-8"))
    figs = doc["figures"]
    assert doc["period"] == PERIOD and doc["programmes"] == ["P1", "P2"]
    targets = brand.all_target_customers(small_tables)
    ev = brand.evaluate_programme(small_tables, "P1", PERIOD, exclude=targets)
    assert figs["effect_P1"]["value"] == pytest.approx(ev.effect.estimate)
    assert (figs["effect_P1"]["ci_low"], figs["effect_P1"]["ci_high"]) == pytest.approx(
        (ev.effect.ci_low, ev.effect.ci_high))
    assert figs["effect_P1"]["method"] == "synth" and figs["effect_P2"]["method"] == "did"
    # the scorecard's source (params/00_monthly_overview.yaml): pooled over cultivation programmes
    assert figs["target_on_shelf_rate"]["unit"] == "share"
    assert figs["target_on_shelf_rate"]["value"] == pytest.approx(ev.on_shelf_rate)
    assert figs["target_on_shelf_rate"]["programmes"] == ["P1"]
    # new products of the last 12 months (new_product_months): none in the small sample
    recent = sorted(p["product_id"] for p in small_truth["new_products"]
                    if "2025-11-01" <= p["launch_date"] <= "2026-10-31")
    if recent:
        assert figs["new_product_coverage"]["products"] == recent
    else:
        assert "new_product_coverage" not in figs

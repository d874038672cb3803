"""lean_analysis.targets: units, status against a target, the registry of published figures."""

from __future__ import annotations

import math

import pytest

from lean_analysis import kpis, targets
from lean_analysis.report.metrics import metric, write_metrics


def test_convert_between_fractions_and_0_100_scales():
    assert targets.convert(0.112, "share", "%") == pytest.approx(11.2)
    assert targets.convert(89.5, "%", "share") == pytest.approx(0.895)
    # one vocabulary: "rate" and "score"/"分" convert everywhere (they differed before)
    assert targets.convert(0.9, "rate", "index") == pytest.approx(90)
    assert targets.convert(90, "分", "share") == pytest.approx(0.9)
    assert targets.convert(91.0, "points", "index") == 91.0          # same scale: as is
    assert targets.convert(3.0, "case", "case") == 3.0
    # a ratio (MASE) is not a fraction
    with pytest.raises(ValueError, match="cannot compare a figure in 'ratio'"):
        targets.convert(0.5, "ratio", "%")
    assert not targets.is_fraction("ratio") and targets.is_fraction("fraction")


def test_status_rules():
    assert targets.status(0.112, 0.112, ">=") == "met"
    assert targets.status(0.11199999999999, 0.112, ">=") == "met"   # equal at 9 decimals
    assert targets.status(0.1119, 0.112, ">=") == "not_met"
    assert targets.status(5, 5, "==") == "met" and targets.status(4, 5, "<") == "met"
    assert targets.status(None, 1) == "not_measured"
    assert targets.status(math.nan, 1) == "not_measured"
    # an interval that holds the target: the data cannot tell
    assert targets.status(89.62, 90, ">=", ci=(89.2, 90.0)) == "within_margin"
    assert targets.status(89.62, 90, ">=", ci=(89.2, 89.9)) == "not_met"
    assert targets.status(91.0, 90, ">=", ci=(90.1, 92.0)) == "met"
    assert targets.status(91.0, 90, ">=", ci=(None, 92.0)) == "met"   # incomplete interval ignored
    with pytest.raises(ValueError, match="direction"):
        targets.status(1, 1, "≥")


def test_target_from_the_targets_file():
    t = targets.Target.from_spec("satisfaction", {"value": 90, "unit": "index", "direction": ">=",
                                                  "label_zh": "客户满意度", "compared_with": "x"})
    assert (t.value, t.unit, t.label("zh"), t.extra) == (90.0, "index", "客户满意度",
                                                          {"compared_with": "x"})
    assert t.status(0.91, unit="share") == "met"                      # 91 index ≥ 90
    assert t.status(0.896, unit="share", ci=(0.88, 0.91)) == "within_margin"
    with pytest.raises(targets.TargetError, match=r"targets.m.value: must be a number"):
        targets.Target.from_spec("m", {"value": "11.2%", "unit": "share"})
    with pytest.raises(targets.TargetError, match=r"targets.m.direction"):
        targets.Target.from_spec("m", {"value": 1, "direction": "=>"})
    shipped = targets.read_targets()
    assert {"retailer_margin", "satisfaction", "key_brand_share"} <= set(shipped)
    assert shipped["retailer_margin"].value == pytest.approx(0.112)


def test_registry_declares_every_published_figure():
    spec = targets.lookup("effect_P7", "02_brand_cultivation")
    assert spec is not None and spec.name == "effect_{programme}"
    assert targets.lookup("effect_P7", "03_satisfaction_survey") is None
    assert targets.lookup("dimension_货源供应", "03_satisfaction_survey").unit == "index"
    assert targets.lookup("mase").unit == "ratio"
    # the scorecard's sources come from the figures that feed a target
    assert targets.scorecard_sources() == {
        "target_on_shelf_rate": {"report": "02_brand_cultivation", "figure": "target_on_shelf_rate"},
        "satisfaction": {"report": "03_satisfaction_survey", "figure": "satisfaction_index"},
    }
    assert kpis.DEFAULT_SOURCES == targets.scorecard_sources()


def test_write_metrics_refuses_an_undeclared_figure(tmp_path):
    with pytest.raises(targets.UnregisteredFigure, match="made_up"):
        write_metrics(tmp_path, "03_satisfaction_survey", "2026-10",
                      {"made_up": metric(1.0, "index", "x")})
    with pytest.raises(targets.UnregisteredFigure, match=r"unit 'share', declared 'index'"):
        write_metrics(tmp_path, "03_satisfaction_survey", "2026-10",
                      {"satisfaction_index": metric(0.9, "share", "x")})
    assert not list(tmp_path.iterdir())                              # nothing written
    path = write_metrics(tmp_path, "03_satisfaction_survey", "2026-10",
                         {"satisfaction_index": metric(90.0, "index", "x")})
    assert path.exists()


def test_register_adds_an_analysts_figure(tmp_path):
    targets.register(targets.FigureSpec("visits", "99_my_report", "customers", "visits"))
    try:
        write_metrics(tmp_path, "99_my_report", "2026-10", {"visits": metric(3, "customers", "v")})
        assert [f.name for f in targets.figures_of("99_my_report")] == ["visits"]
    finally:
        targets.FIGURES[:] = [f for f in targets.FIGURES if f.report != "99_my_report"]

"""The survey report's display layer: labels, escaping of comments, metrics, figures."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from lean_analysis import survey
from lean_analysis.report import plots_survey as ps
from lean_analysis.report import show
from lean_analysis.report.metrics import write_metrics


def test_dimension_and_theme_labels():
    assert ps.dim_label("配送服务", "en") == "delivery"
    assert ps.dim_label("配送服务", "zh") == "配送服务"
    assert ps.dim_label("自定义维度", "en") == "自定义维度"
    assert ps.theme_label("货源紧张", "en") == "supply shortage"
    assert ps.variable_label("index", "en") == "satisfaction index"
    # every theme of the analysis has a label
    assert set(survey.THEMES) == set(ps.THEME_KEYS)


def test_example_comments_are_escaped_on_display():
    raw = '<script>alert("x")</script>送货太慢 & 货源不足'
    df = pd.DataFrame({"comment": [raw, "送货经常晚"]})
    tbl, fmts = ps.example_display(survey.example_comments(df, n=5), "zh")
    assert raw in tbl[ps.t("sv_comment", "zh")].tolist()  # raw until displayed
    html = show.table_html(tbl, formats=fmts)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;送货太慢 &amp; 货源不足" in html


def test_metrics_carry_index_share_interval_and_dimensions(tmp_path):
    idx = survey.DesignEstimate(88.0, 0.5, 87.02, 88.98, 400, 1.1, 394)
    share = survey.DesignEstimate(0.68, 0.02, 0.64, 0.72, 398, 1.2, 394, method="logit")
    cmp = survey.target_comparison(idx, 90, ">=", "index", "index")
    dims = pd.DataFrame({"variable": ["货源供应", "其他"], "estimate": [80.0, 90.0],
                         "se": [1.0, 1.0], "ci_low": [78.0, 88.0], "ci_high": [82.0, 92.0],
                         "n": [400, 400]})
    figs = survey.figures(idx, share, cmp, "satisfaction_index", dims, 0.95)
    path = write_metrics(tmp_path, "03_satisfaction_survey", "2026-10", figs)
    doc = json.loads(path.read_text(encoding="utf-8"))["figures"]
    si = doc["satisfaction_index"]
    assert (si["value"], si["unit"], si["ci_low"], si["ci_high"]) == (88.0, "index", 87.02, 88.98)
    assert si["target"] == 90.0 and si["status"] == "not_met"
    assert si["prob_meeting"] == pytest.approx(0.0, abs=1e-4)
    assert doc["satisfied_share"]["unit"] == "share" and "target" not in doc["satisfied_share"]
    assert doc["dimension_supply"]["value"] == 80.0 and doc["dimension_其他"]["value"] == 90.0


def test_tables_and_figures_build(small_tables):
    items = small_tables["survey_items"]
    scored = survey.score_responses(small_tables["survey_responses"], items)
    dims = scored.attrs["dimensions"]
    smp = survey.weighted_sample(scored, small_tables["customers"], "2026-10")
    d = smp.design()
    est = survey.design_means(d, dims)
    drv = survey.driver_importance(smp.data, "overall_score", dims)
    ipa = survey.ipa_table(drv, est.set_index("variable")["estimate"])
    dom = survey.design_by(d, "index", "area")
    diffs = survey.segment_differences(d, "index", "area")
    league = survey.manager_league(smp.data, "index", weight="weight")
    for lang in ("zh", "en"):
        tbl, _ = ps.driver_display(ipa, lang)
        assert len(tbl) == len(dims)
        tbl, _ = ps.segment_display(dom, diffs, "area", lang)
        assert set(tbl.iloc[:, 0]) == {ps.t("urban", lang), ps.t("rural", lang)}
        for fig in (ps.dimension_plot(est, lang), ps.ipa_plot(ipa, lang),
                    ps.segment_plot(dom, "area", 88.0, lang), ps.league_plot(league, lang=lang)):
            assert fig.axes
            plt.close(fig)


def test_summary_findings_state_the_interval_and_the_first_improvement():
    idx = survey.DesignEstimate(89.62, 0.2, 89.2, 90.0, 400, 1.1, 394)
    share = survey.DesignEstimate(0.68, 0.02, 0.64, 0.72, 398, 1.2, 394, method="logit")
    cmp = survey.target_comparison(idx, 90, ">=", "index", "index")
    ipa = pd.DataFrame({"dimension": ["货源供应", "配送服务"], "importance": [0.4, 0.2],
                        "performance": [80.0, 90.0], "quadrant": ["fix_first", "keep_up"],
                        "priority": [1, 2]})
    dims = pd.DataFrame({"variable": ["货源供应", "配送服务"], "estimate": [80.0, 90.0],
                         "se": [1.0, 1.0], "ci_low": [78.0, 88.0], "ci_high": [82.0, 92.0],
                         "n": [400, 400]})
    themes = survey.theme_counts(pd.Series(["订货很方便", "网上订货快", "紧俏烟货源不足",
                                            "好烟总是订不到", "送货太慢"]))
    f = ps.summary_findings(idx, share, cmp, "satisfaction_index", 0.95, ipa, dims, themes,
                            None, lang="zh")
    assert 3 <= len(f) <= 5
    assert f[0] == {"status": "within_margin", "text": (
        "满意度指数 89.62（95% 区间 89.20–90.00，目标 ≥ 90.00，目标在区间内，尚不能判定是否达成）："
        "货源供应是首要改进项。")}
    assert "货源供应得分 80.0（95% 区间 78.0–82.0）" in f[1]["text"] and "40%" in f[1]["text"]
    # the complaint theme counts complaints only: 2 supply complaints, ordering praise apart
    assert "“货源紧张”（2 条" in f[2]["text"] and "另有 2 次表扬" in f[2]["text"]
    assert "满意率 68.0%（95% 区间 64.0%–72.0%）" in f[3]["text"]
    en = ps.summary_findings(idx, share, cmp, "satisfaction_index", 0.95, ipa, dims, themes,
                             None, lang="en")
    assert en[0]["status"] == "within_margin" and "cannot be told" in en[0]["text"]

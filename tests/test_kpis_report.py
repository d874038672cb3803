"""The overview's display layer (report/plots_overview.py) on the hand-made tables of
test_kpis.py: labels, cards, metrics for the run index, and the figures."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest
from test_kpis import (  # the toy county of test_kpis.py
    CUSTOMER_ORDERS,
    NEW_ORDERS,
    SALES_ORDERS,
    TARGETS,
    make_tables,
    programmes,
    survey_metrics,
)

from lean_analysis import kpis
from lean_analysis.kpis.figures import headline_figures, scorecard_figures
from lean_analysis.report import plots_overview as po
from lean_analysis.report.metrics import read_metrics, write_metrics


@pytest.fixture
def sales_tables(tmp_path):
    return make_tables(tmp_path, SALES_ORDERS)


def test_sales_table_labels_top_and_total(sales_tables):
    by_brand = kpis.sales(sales_tables, "2026-02", by="brand")
    total = kpis.sales(sales_tables, "2026-02")
    tbl, fmts = po.sales_table(by_brand, "brand", "zh", top=1, total=total)
    # 2026-02: 白沙 1.2 cases, 芙蓉王 0.8, 红塔山 0 → top 1 + "others" (2) + total
    assert list(tbl.iloc[:, 0]) == ["白沙", "其他 2 个", "合计"]
    cases = tbl["销量（箱）"]
    assert list(cases) == [pytest.approx(1.2), pytest.approx(0.8), pytest.approx(2.0)]
    # others: 芙蓉王 + 红塔山, a year before 1.6 + 1.0 cases → YoY 0.8 ÷ 2.6 − 1
    yoy = tbl["销量（箱） 同比"].iloc[1]
    assert yoy == pytest.approx(0.8 / 2.6 - 1)
    assert fmts["销量（箱） 同比"](yoy) == f"{(0.8 / 2.6 - 1) * 100:+.1f}%"
    pc, _ = po.sales_table(kpis.sales(sales_tables, "2026-02", by="price_class"), "price_class", "en")
    # class 2 (红塔山) sold only a year before: listed with 0 cases
    assert list(pc["price class"]) == ["price class 1", "price class 2", "price class 3"]


def test_headline_cards_and_metrics(sales_tables):
    head = kpis.headline(sales_tables, "2026-02")
    cards = {c["label"]: c for c in po.headline_cards(head, "en")}
    # cases 2 vs 1 and 5: +100 % MoM, −60 % YoY; key share 0.8 vs 0.8 (Jan) and
    # 145,000 ÷ 175,000 = 0.8286 (2025-02) → +0.00 pp, −2.86 pp
    assert cards["sales (cases)"]["note"] == "raw: MoM +100.0% · YoY -60.0%"
    # February 2026, January 2026 and February 2025 all have 4 Mondays: adjusted = raw
    assert cards["sales per ordering week (cases)"]["note"] == (
        "4 ordering weeks, calendar-adjusted · MoM +100.0% · YoY -60.0%")
    assert cards["sales per ordering week (cases)"]["value"] == 0.5
    assert cards["key-brand sales share"]["note"] == "MoM +0.00 pp · YoY -2.86 pp"
    figs = headline_figures(head)
    assert figs["month_sales_cases"]["value"] == 2.0 and figs["month_sales_cases"]["prev_year"] == 5.0
    assert all("target" not in f for f in figs.values())      # not scorecard headline figures
    assert figs["month_active_customers"]["definition"].endswith("months M-3 .. M-1 of month M")


def test_scorecard_metrics_feed_the_run_index(tmp_path):
    from lean_analysis.runner import scorecard_rows

    (tmp_path / "data").mkdir()
    tables = make_tables(tmp_path / "data", NEW_ORDERS,
                         **programmes(("P1", "新品培育", "", "NEW", ["A", "E"])))
    sc = kpis.scorecard(tables, "2026-10", TARGETS, {"03_satisfaction_survey": survey_metrics(91.2)})
    figs = scorecard_figures(sc)
    assert list(figs) == [f"scorecard_{k}" for k in TARGETS]
    m = figs["scorecard_retailer_margin"]
    assert (m["target"], m["status"], m["unit"]) == (11.2, "met", "%")
    assert [f["order"] for f in figs.values()] == [0, 1, 2, 3, 4]
    assert m["value"] == pytest.approx(100 * 192 / 1692)
    assert figs["scorecard_target_on_shelf_rate"]["value"] is None
    assert figs["scorecard_target_on_shelf_rate"]["status"] == "not_measured"
    write_metrics(tmp_path, "00_monthly_overview", "2026-10", figs)
    rows = scorecard_rows(read_metrics(tmp_path, "00_monthly_overview"), "zh")
    # TARGETS has no labels: the common texts name two of them, the rest keep their key
    assert {r["label"]: r["status"] for r in rows} == {
        "零售户毛利率": "met", "satisfaction": "met", "重点品牌销售比重": "met",
        "new_product_coverage": "not_met", "target_on_shelf_rate": "not_measured"}
    table = po.scorecard_table(sc, "zh")
    assert list(table["状态"]) == ["达成", "达成", "达成", "未达成", "未测量"]
    assert table["目标值"].iloc[0] == "≥ 11.20%"
    assert table["考核指标"].iloc[0] == "零售户毛利率"
    assert table["说明"].iloc[4] == "本期没有品牌培育评估的结果"     # no internal names
    assert list(table["来源"]) == ["订单数据", "满意度调查", "订单数据", "订单数据", "品牌培育评估"]
    cards = po.scorecard_cards(sc, "en")
    assert cards[3]["label"] == "new_product_coverage" and cards[3]["status"] == "not_met"
    assert math.isclose(cards[3]["value"], 75.0)


def test_figures_render_with_the_cjk_font(tmp_path, sales_tables):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (tmp_path / "c").mkdir()
    cust = make_tables(tmp_path / "c", CUSTOMER_ORDERS)
    scores = pd.DataFrame({"manager_id": ["M1", "M2"], "score": [90.0, float("nan")],
                           "ytd_mean": [85.0, 70.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # a missing glyph is a UserWarning
        figs = [
            po.trend_cases(kpis.monthly_sales(sales_tables, "2026-02", by="price_class"), "zh"),
            po.trend_mix(kpis.monthly_indicators(sales_tables, "2026-02"), "zh",
                         targets={"key_brand_share": 0.895, "retailer_margin": 0.112}),
            po.sales_compare(kpis.sales(sales_tables, "2026-02", by="brand"), "brand", "zh"),
            po.coverage_bars(kpis.product_indicators(cust, "2026-10"), "zh"),
            po.manager_bars(scores, "zh"),
        ]
        for fig in figs:
            fig.canvas.draw()
    assert [len(f.axes) for f in figs] == [1, 3, 1, 1, 1]
    for fig in figs:
        plt.close(fig)


def test_scorecard_table_within_margin_and_source_words(tmp_path):
    new_tables = make_tables(tmp_path, NEW_ORDERS, **programmes(("P1", "新品培育", "", "NEW", ["A", "E"])))
    doc = {"report": "03_satisfaction_survey", "period": "2026-10", "wave": "2026-09",
           "figures": {"satisfaction_index": {"value": 89.62, "unit": "index", "definition": "x",
                                              "ci_low": 89.2, "ci_high": 90.0}}}
    sc = kpis.scorecard(new_tables, "2026-10", TARGETS, {"03_satisfaction_survey": doc})
    for lang, status, source, actual in (
            ("zh", "待定（区间含目标）", "满意度调查（2026-09 波次）", "89.62（置信区间 89.20–90.00）"),
            ("en", "within margin", "satisfaction survey (2026-09 wave)",
             "89.62 (confidence interval 89.20–90.00)")):
        table = po.scorecard_table(sc, lang).set_index(po.t("ov_indicator", lang))
        row = table.iloc[1]
        assert row[po.t("ov_status", lang)] == status
        assert row[po.t("ov_source", lang)] == source
        assert row[po.t("actual", lang)] == actual
        text = table.to_string()
        for internal in ("03_satisfaction_survey", "metrics.json", "satisfaction_index"):
            assert internal not in text


def test_product_table_is_short_and_by_name(small_tables):
    pi = kpis.product_indicators(small_tables, "2026-10")
    # 80 specifications as in the county: the small sample's 12, repeated with new names
    many = pd.concat([pi.assign(product_id=pi["product_id"] + f"_{k}",
                                product_name=pi["product_name"] + f"#{k}",
                                cases=pi["cases"] * (1 + k / 10))
                      for k in range(7)], ignore_index=True).head(80)
    for d, top, worst in ((many, 10, 5), (pi, 5, 3)):
        tbl, fmts = po.product_table(d, "zh", top=top, worst=worst)
        assert len(tbl) == top + worst <= 15 and tbl.attrs == {"shown": top + worst, "total": len(d)}
        names = tbl["规格"].tolist()
        head = d.sort_values(["cases", "product_id"], ascending=[False, True]).head(top)
        assert names[:top] == head["product_name"].tolist()
        rest = d[~d["product_id"].isin(head["product_id"])]
        low = rest.sort_values(["demand_fill_rate", "product_id"]).head(worst)
        assert names[top:] == low["product_name"].tolist()
        assert "product_id" not in tbl.columns and "需求满足率" in tbl.columns
        assert tbl["列入原因"].tolist() == [f"销量前 {top}"] * top + [f"需求满足率最低 {worst}"] * worst
    assert str(len(many)) in po.product_table_note(po.product_table(many, "zh")[0], "zh")


def test_summary_findings_overview(small_tables):
    head = kpis.headline(small_tables, "2026-10")
    doc = {"report": "03_satisfaction_survey", "period": "2026-10", "wave": "2026-10",
           "figures": {"satisfaction_index": {"value": 89.62, "unit": "index", "definition": "x",
                                              "ci_low": 89.2, "ci_high": 90.0}}}
    from lean_analysis.params import load_targets

    card = kpis.scorecard(small_tables, "2026-10", load_targets(), {"03_satisfaction_survey": doc})
    pi = kpis.product_indicators(small_tables, "2026-10")
    f = po.summary_findings(head, card, pi, "zh")
    h = head.set_index("indicator")
    assert 3 <= len(f) <= 7 and all(set(x) == {"text", "status"} for x in f)
    w = h.loc["sales_cases_per_week"]
    assert f[0]["status"] is None and f"{w['value']:,.1f}" in f[0]["text"]
    assert f"{w['mom'] * 100:+.1f}%" in f[0]["text"] and "按订货周调整" in f[0]["text"]
    fill = h.loc["demand_fill_rate", "value"]
    assert f"{fill * 100:.1f}%" in f[1]["text"] and f"{(1 - fill) * 100:.1f}%" in f[1]["text"]
    worst = pi.sort_values(["demand_fill_rate", "product_id"]).iloc[0]["product_name"]
    assert worst in f[1]["text"]
    statuses = {x["status"] for x in f[2:]}
    assert "within_margin" in statuses                      # the satisfaction target
    sat = next(x for x in f if x["status"] == "within_margin")
    assert "89.62" in sat["text"] and "89.20–90.00" in sat["text"]  # as the index writes it
    met = card[card["status"] == "met"]
    if len(met):
        assert sum(x["status"] == "met" for x in f) == 1      # the met targets in one line
    assert len([x for x in f[2:] if x["status"] != "met"]) == int((card["status"] != "met").sum())
    for x in f:
        assert "pp" not in x["text"] and "metrics.json" not in x["text"]
    en = po.summary_findings(head, card, pi, "en")
    assert "calendar-adjusted" in en[0]["text"]

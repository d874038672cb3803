"""outputs/history.html: the figures month by month, read from the metrics.json files."""

from __future__ import annotations

import json

from lean_analysis.report import history


def _period(root, period, margin, sat, sat_ci):
    d = root / period
    d.mkdir(parents=True)
    (d / "00_monthly_overview.metrics.json").write_text(json.dumps({"report": "00_monthly_overview", "figures": {
        "scorecard_retailer_margin": {"value": margin, "target": 0.112, "unit": "share", "order": 0,
                                      "label_zh": "零售户毛利率", "span": f"2026-01 .. {period}"},
        "scorecard_satisfaction": {"value": sat, "target": 90.0, "unit": "index", "order": 1,
                                   "source": "03_satisfaction_survey:satisfaction_index"},
        "month_sales_cases": {"value": 45.08, "unit": "case"},
        "month_note": {"value": "text", "unit": "model"},
    }}), encoding="utf-8")
    (d / "03_satisfaction_survey.metrics.json").write_text(json.dumps({"report": "03_satisfaction_survey", "figures": {
        "satisfaction_index": {"value": sat, "unit": "index", "ci_low": sat_ci[0], "ci_high": sat_ci[1]},
        "satisfied_share": {"value": 0.77, "unit": "share", "ci_low": 0.6, "ci_high": 0.9},
    }}), encoding="utf-8")


def test_history_reads_every_period(tmp_path):
    _period(tmp_path, "2026-09", 0.110, 89.0, (88.0, 90.5))
    _period(tmp_path, "2026-10", 0.116, 91.2, (89.6, 92.9))
    (tmp_path / "2026-10.failed-20261101T060000").mkdir()  # not a period
    (tmp_path / "2026-11").mkdir()  # a period folder without metrics yet
    periods, series = history.collect(tmp_path)
    assert periods == ["2026-09", "2026-10", "2026-11"]
    names = [(s.report, s.name) for s in series]
    # the targets first, in their order; the survey's index only once (as the scorecard's)
    assert names == [("00_monthly_overview", "scorecard_retailer_margin"),
                     ("00_monthly_overview", "scorecard_satisfaction"),
                     ("00_monthly_overview", "month_sales_cases"),
                     ("03_satisfaction_survey", "satisfied_share")]
    path = history.write_history(tmp_path, "zh")
    page = path.read_text(encoding="utf-8")
    assert path.name == "history.html" and 'src="data:image/png;base64,' in page
    assert "<th class=\"la-num\">2026-09</th><th class=\"la-num\">2026-10</th>" in page
    assert "<td>零售户毛利率</td><td>本年累计</td><td class=\"la-num\">11.20%</td>" \
           "<td class=\"la-num\">11.00%</td><td class=\"la-num\">11.60%</td><td class=\"la-num\"></td>" in page
    assert "<td>销量（箱）</td><td>当月</td>" in page and "<td>满意率</td><td>本期调查</td>" in page
    assert "<td>satisfaction</td><td>本期调查</td>" in page  # basis of the source figure
    assert '<a href="index.html">' in page and "@font-face" in page
    en = history.history_html(tmp_path, "en")
    assert "Figures month by month" in en and "<td>sales (cases)</td><td>month</td>" in en


def test_history_without_periods(tmp_path):
    page = history.history_html(tmp_path / "none", "zh")
    assert "尚无已发布的期间" in page and "<img" not in page

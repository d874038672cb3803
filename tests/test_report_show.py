"""Display helpers: every data value escaped, numbers formatted, figures embedded."""

from __future__ import annotations

import base64
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lean_analysis.report import show  # noqa: E402

EVIL = "<script>alert(1)</script>"


def test_table_escapes_values_and_headers():
    df = pd.DataFrame({"customer_name": [EVIL, "芙蓉王店"], f"col {EVIL}": [1, 2]})
    out = show.table_html(df)
    assert EVIL not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert out.count("&lt;script&gt;") == 2  # the value and the column header
    assert "芙蓉王店" in out
    assert "<script" not in out


def test_table_escapes_index_and_caption():
    df = pd.DataFrame({"x": [1.5]}, index=pd.Index([EVIL], name="who"))
    out = show.table_html(df, caption=EVIL)
    assert EVIL not in out and out.count("&lt;script&gt;") == 2


def test_pandas_styler_would_not_escape():
    """Why show.table builds its own HTML: a Styler passes values through raw."""
    df = pd.DataFrame({"name": [EVIL]})
    assert EVIL in df.style.to_html()
    assert EVIL not in df.to_html()  # to_html escapes; show.table_html does too


def test_number_formats():
    df = pd.DataFrame({
        "name": ["a", "b"],
        "cases": [1234567, 5],
        "value": [1234.5678, np.nan],
        "share": [0.8954, 0.1],
        "flag": [True, False],
        "day": pd.to_datetime(["2026-10-05", "2026-10-12"]),
    })
    out = show.table_html(df, percent=["share"], formats={"value": "money"}, lang="en")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", out)
    assert cells == ["a", "1,234,567", "1,234.57", "89.5%", "yes", "2026-10-05",
                     "b", "5", "—", "10.0%", "no", "2026-10-12"]
    assert '<td class="la-num">1,234,567</td>' in out  # numbers right-aligned


def test_format_value_and_metric():
    assert show.format_value(0.112, "percent") == "11.2%"
    assert show.format_value(0.11234, "percent2") == "11.23%"
    assert show.format_value(1234.4, "int") == "1,234"
    assert show.format_value(3.14159, ".3f") == "3.142"
    assert show.format_value(0.5, "{:.0%}") == "50%"
    assert show.format_value(None) == show.MISSING
    assert show.format_value(pd.NaT) == show.MISSING
    assert show.format_value(True, lang="zh") == "是"
    assert show.format_metric(0.895, "share") == "89.50%"  # targets are that close: two decimals
    assert show.format_metric(0.89456, "share") == "89.46%" and show.figure_number(0.89456, "share") == "89.46%"
    assert show.format_metric(91.234, "index") == "91.23 分"
    assert show.format_metric(91.234, "index", "en") == "91.23 points"
    assert show.format_metric(2.0, "furlongs") == "2.00 furlongs"  # unknown units as written
    assert show.format_metric(None, "share", "zh") == "未测量"


def test_rows_beyond_max_rows_are_counted_not_dropped_silently():
    df = pd.DataFrame({"i": range(12)})
    out = show.table_html(df, max_rows=10, lang="en")
    assert len(re.findall(r"<tr>", out)) == 1 + 10
    assert "2 more rows in the attached workbook (12 rows in all)" in out
    # a person reads 15 rows on the page; the rest go to the workbook
    out = show.table_html(pd.DataFrame({"i": range(40)}), lang="zh")
    assert len(re.findall(r"<tr>", out)) == 1 + show.TABLE_ROWS == 16
    assert "另有 25 行见附带的 Excel 工作簿（共 40 行）" in out


def test_wide_tables_are_marked_to_print_smaller():
    """A table of 11 columns or more, index included, has the class la-wide (the print
    stylesheet sets it smaller so that it fits the width of an A4 page)."""
    narrow = pd.DataFrame({f"c{i}": [1] for i in range(show.WIDE_COLUMNS - 1)})
    assert '<table class="la-table">' in show.table_html(narrow)
    wide = pd.DataFrame({f"c{i}": [1] for i in range(show.WIDE_COLUMNS)})
    assert '<table class="la-table la-wide">' in show.table_html(wide)
    indexed = narrow.set_axis(pd.Index(["a"], name="who"))
    assert '<table class="la-table la-wide">' in show.table_html(indexed)
    from lean_analysis.report.html import css

    assert "table.la-table.la-wide" in css()


def test_table_output_carries_the_whole_table(monkeypatch):
    from lean_analysis.report.html import TABLE_MIME

    shown = []
    monkeypatch.setattr(show, "_display_bundle", shown.append)
    df = pd.DataFrame({"name": [EVIL, "b"] * 20, "share": [0.5, np.nan] * 20,
                       "day": pd.to_datetime(["2026-10-05"] * 40)})
    show.table(df, percent=["share"], caption="份额", lang="zh")
    bundle = shown[0]
    assert "<script" not in bundle["text/html"] and bundle["text/html"].count("<tr>") == 16
    payload = bundle[TABLE_MIME]
    assert payload["columns"] == ["name", "share", "day"] and payload["total"] == 40
    assert payload["rows"][0] == [EVIL, 0.5, "2026-10-05"] and payload["rows"][1][1] is None
    assert payload["formats"] == [None, "0.0%", None] and payload["caption"] == "份额"
    import json

    json.dumps(payload)  # JSON as it is, for the notebook file


def test_figure_parts_value_interval_basis_status():
    sat = {"value": 89.62, "unit": "index", "ci_low": 88.2, "ci_high": 91.0, "level": 0.95,
           "target": 90.0, "direction": ">="}
    p = show.figure_parts("satisfaction_index", sat, "zh", "03_satisfaction_survey")
    assert p == {"value": "89.62 分", "interval": "95% 区间 88.20–91.00", "basis": "本期调查",
                 "target": "90.00 分", "status": "within_margin", "status_text": "待定（区间含目标）"}
    assert show.figure_text("satisfaction_index", sat, "en") == \
        "89.62 points (95% interval 88.20–91.00; survey wave) · target 90.00 points · within margin"
    # a scorecard figure: its own status, its span, the basis of the figure it is read from
    card = {"value": 0.8808, "unit": "share", "target": 0.895, "status": "not_met",
            "span": "2026-01 .. 2026-10", "source": "orders"}
    assert show.figure_text("scorecard_key_brand_share", card, "zh") == \
        "88.08%（本年累计 2026-01 .. 2026-10） · 目标值 89.50% · 未达成"
    fed = {"value": 1.0, "unit": "share", "target": 1.0, "span": "2026-10",
           "source": "02_brand_cultivation:target_on_shelf_rate"}
    assert show.figure_parts("scorecard_target_on_shelf_rate", fed, "zh")["basis"] == "最近一次检查 2026-10"
    assert show.figure_parts("month_sales_cases", {"value": 45.08, "unit": "case"}, "en")["basis"] == "month"
    assert show.figure_parts("mase", {"value": 0.93, "unit": "ratio"}, "zh")["basis"] == "回测"
    assert show.figure_parts("x", {"value": None, "unit": "share"}, "zh")["value"] == "未测量"


def test_summary_block_escapes_and_carries_its_parts():
    sat = {"value": 91.2, "unit": "index", "ci_low": 89.6, "ci_high": 92.9, "target": 90,
           "direction": ">=", "label_zh": "客户满意度"}
    out = show.summary_html(
        [{"text": f"满意度 {EVIL}", "name": "satisfaction_index", "fig": sat, "action": "关注货源供应"},
         {"text": "没有数字的结论", "uncertainty": "样本少"}],
        "zh", targets={"satisfaction_index": sat, "n": {"value": 3, "unit": "case"}},
        report="03_satisfaction_survey")
    assert 'data-la-summary="1"' in out and EVIL not in out and "&lt;script&gt;" in out
    assert "91.20 分" in out and "95% 区间 89.60–92.90" in out and "建议：</strong>关注货源供应" in out
    assert "不确定性：样本少" in out
    assert out.count("<tr>") == 2  # the header and the one figure with a target
    assert 'la-badge-within_margin">待定（区间含目标）' in out
    cards = show.kpi_cards_html([{"label": "x", "value": 1, "status": "within_margin"}], "en")
    assert "within margin" in cards and "#b26a00" in cards


def test_unknown_format_column_is_an_error():
    with pytest.raises(KeyError, match="nope"):
        show.table_html(pd.DataFrame({"a": [1]}), formats={"nope": "int"})


def test_figure_is_embedded_png_and_closed(monkeypatch):
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    out = show.figure_html(fig, caption="销量（箱） <i>")
    m = re.search(r'src="data:image/png;base64,([^"]+)"', out)
    assert m and base64.b64decode(m.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
    assert "销量（箱） &lt;i&gt;" in out
    # same figure, same bytes (no timestamp in the PNG)
    assert show.figure_png(fig) == show.figure_png(fig)
    num = fig.number
    shown = []
    monkeypatch.setattr(show, "_display_html", shown.append)  # capture instead of display
    show.figure(fig)
    assert not plt.fignum_exists(num) and shown and "data:image/png;base64," in shown[0]


def test_heading_note_boxes_and_cards_escape():
    assert show.heading_html(EVIL, 3) == "<h3 class=\"la-heading\">&lt;script&gt;alert(1)&lt;/script&gt;</h3>"
    note = show.note_html(f"first {EVIL}\n\nsecond")
    assert note.count("<p>") == 2 and EVIL not in note
    box = show.note_html("缺少数据", "warning")
    assert 'class="la-box la-warning"' in box
    cards = show.kpi_cards_html([{"label": EVIL, "value": 0.9, "format": "percent",
                                  "target": 0.895, "status": "met"}], lang="zh")
    assert EVIL not in cards and "90.0%" in cards and "89.5%" in cards and "达成" in cards
    with pytest.raises(ValueError, match="status"):
        show.kpi_cards_html([{"label": "x", "value": 1, "status": "good"}])
    with pytest.raises(ValueError, match="level"):
        show.heading_html("x", 7)

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
    assert show.format_metric(0.895, "share") == "89.5%"
    assert show.format_metric(91.234, "index") == "91.23 分"
    assert show.format_metric(91.234, "index", "en") == "91.23 points"
    assert show.format_metric(2.0, "furlongs") == "2.00 furlongs"  # unknown units as written
    assert show.format_metric(None, "share", "zh") == "未测量"


def test_rows_beyond_max_rows_are_counted_not_dropped_silently():
    df = pd.DataFrame({"i": range(12)})
    out = show.table_html(df, max_rows=10, lang="en")
    assert len(re.findall(r"<tr>", out)) == 1 + 10
    assert "showing the first 10 of 12 rows" in out


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

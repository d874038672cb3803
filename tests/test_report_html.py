"""The reviewer HTML from synthetic executed notebooks (no kernel): what is shown, what is
left out, the header, the table of contents, the error box, no network."""

from __future__ import annotations

import re

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lean_analysis.report import html as rhtml
from lean_analysis.report.failure import ReportFailed

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//""", re.I)


def _cell(source, outputs=(), tags=()):
    c = new_code_cell(source)
    c.outputs = list(outputs)
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def _html(markup):
    return new_output("display_data", data={"text/html": markup, "text/plain": "<HTML>"})


def _notebook():
    nb = new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.cells = [
        new_markdown_cell("## analyst note in markdown"),
        _cell('period = "2026-10"', tags=["parameters"]),
        _cell('period = "2026-09"', [new_output("stream", name="stdout", text="INJECTED")],
              tags=["injected-parameters"]),
        _cell("show things", [
            _html('<h2 class="la-heading">销量（箱）</h2>'),
            _html('<h3 id="mine">by brand &amp; area</h3><h2>second &lt;b&gt;</h2>'),
            new_output("stream", name="stderr", text="UserWarning: hidden"),
            new_output("stream", name="stdout", text="printed text"),
            new_output("execute_result", data={"text/plain": "[<matplotlib.lines.Line2D at 0x7f1>]"},
                       execution_count=3),
            new_output("execute_result", data={"text/plain": "PosixPath('/x/y.metrics.json')"},
                       execution_count=4),
            new_output("display_data", data={
                "application/javascript": "require(['https://cdn.example.org/x.js'])"}),
            _html('<img src="data:image/png;base64,iVBORw0KGgo=" alt="fig">'),
        ]),
        _cell("debug", [new_output("stream", name="stdout", text="DEBUG ONLY")], tags=["remove_cell"]),
        _cell("expected", [new_output("error", ename="KeyError", evalue="fine", traceback=[])],
              tags=["raises-exception"]),
    ]
    return nb


def test_prepare_keeps_outputs_only_and_builds_the_toc():
    nb, toc, error = rhtml.prepare(_notebook())
    assert error is None  # the raises-exception cell is expected
    assert toc == [(2, "sec-1", "销量（箱）"), (3, "mine", "by brand & area"), (2, "sec-3", "second <b>")]
    kinds = [o.get("name") or o.output_type for c in nb.cells for o in c.outputs]
    assert "stderr" not in kinds and "error" not in kinds
    assert len(nb.cells) == 2 and "widgets" not in nb.metadata


def test_render_report_page():
    page = rhtml.render_report(
        _notebook(), title="测试 <x>", period="2026-10", lang="zh",
        parameters={"n": 3, "items": ["a", "<b>"], "data_dir": "data/sample-county"},
        data_path="data/sample-county", fingerprint="abc123", run_time="2026-11-01 06:00:00",
        commit="deadbeef")
    for absent in ("analyst note", "INJECTED", "hidden", "Line2D", "PosixPath", "DEBUG ONLY",
                   "show things", "cdn.example.org", "<script", "widget-state"):
        assert absent not in page, absent
    assert "printed text" in page and 'src="data:image/png;base64,' in page
    assert "<title>测试 &lt;x&gt; · 2026-10</title>" in page
    assert '<tr><th><code>items</code></th><td><code>["a", "&lt;b&gt;"]</code></td></tr>' in page
    assert "<td>abc123</td>" in page and "<td>deadbeef</td>" in page and "<td>完成</td>" in page
    assert '<li class="la-toc-3"><a href="#mine">by brand &amp; area</a></li>' in page
    assert 'class="la-failed"' not in page
    assert not EXTERNAL.search(page) and "http" not in page
    assert "@media print" in page and '"Noto Sans CJK SC"' in page


def test_failed_report_shows_the_error_first():
    nb = _notebook()
    nb.cells.append(_cell("boom", [new_output(
        "error", ename="ValueError", evalue="bad <input>",
        traceback=["\x1b[0;31mValueError\x1b[0m: bad <input>"])]))
    page = rhtml.render_report(nb, title="t", period="2026-10", lang="en")
    assert page.index('class="la-failed"') < page.index('<main class="la-main">')
    assert "<strong>ValueError</strong>: bad &lt;input&gt;" in page
    assert "failed in code cell 5" in page  # the injected cell is not counted
    assert "\x1b" not in page and "[0;31m" not in page
    assert "<td>failed</td>" in page
    found = rhtml.notebook_error(nb)
    assert found == ReportFailed("ValueError", "bad <input>", "ValueError: bad <input>", 5)


def test_notebook_that_never_ran():
    error = ReportFailed("RuntimeError", "Kernel didn't respond in 180 seconds")
    page = rhtml.render_report(None, title="t", period="2026-10", lang="zh", error=error)
    assert "本报告运行失败" in page
    assert "<strong>RuntimeError</strong>: Kernel didn't respond in 180 seconds" in page
    assert "出错位置" not in page  # no cell failed
    # an error read back from a manifest (a mapping) shows the same
    as_read = {"ename": error.ename, "evalue": error.evalue, "traceback": "", "cell": None}
    assert rhtml.render_report(None, title="t", period="2026-10", lang="zh", error=as_read,
                               embed_font=False) == \
        rhtml.render_report(None, title="t", period="2026-10", lang="zh", error=error,
                            embed_font=False)


def test_report_page_embeds_the_cjk_glyphs_it_uses():
    """Chinese renders even where no CJK font is installed: the page carries a subset of Noto
    Sans CJK whose character map covers every non-ASCII character of the page's text."""
    import base64
    import io

    from fontTools.ttLib import TTFont

    page = rhtml.render_report(_notebook(), title="客户满意度 <x>", period="2026-10", lang="zh")
    m = re.search(r'font-family: "LA Noto Sans CJK"; src: url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)',
                  page)
    assert m, "no embedded font"
    cmap = TTFont(io.BytesIO(base64.b64decode(m.group(1)))).getBestCmap()
    text = rhtml._DATA_URI.sub("", page)
    used = {c for c in text if ord(c) > 127}
    assert "满" in used and "销" in used
    assert not {c for c in used if ord(c) not in cmap}
    assert len(cmap) < 2000  # a subset, not the 16 MB font
    plain = rhtml.render_report(_notebook(), title="t", period="2026-10", embed_font=False)
    assert "@font-face" not in plain


def test_scorecard_rows_labels_and_status():
    from lean_analysis import targets
    from lean_analysis.report.index_pages import scorecard_rows

    metrics = {"figures": {
        "scorecard_satisfaction": {"value": 91.0, "target": 90, "unit": "index", "order": 1},
        "scorecard_retailer_margin": {"value": 0.1, "target": 0.112, "unit": "share",
                                      "direction": ">=", "order": 0, "label_en": "margin"},
        "other": {"value": 1.0, "unit": "case"},
    }}
    rows = scorecard_rows(metrics, "en")
    # no label: the target's key, never the internal figure name
    assert [(r["label"], r["status"]) for r in rows] == [("margin", "not_met"),
                                                         ("satisfaction", "met")]
    labels = {"satisfaction": targets.Target("satisfaction", 90, "index", label_en="customer satisfaction")}
    assert [r["label"] for r in scorecard_rows(metrics, "en", labels)] == ["margin", "customer satisfaction"]


def test_report_package_imports_no_runner_and_no_analysis_module():
    import subprocess
    import sys

    code = ("import sys, lean_analysis.report.index_pages, lean_analysis.report.html, "
            "lean_analysis.report.failure; print(sorted(m for m in sys.modules if m.startswith('lean_analysis.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for banned in ("runner", "forecast", "brand", "survey", "kpis", "data"):
        assert f"'lean_analysis.{banned}" not in out, banned


def test_header_folds_the_parameters_under_labels():
    page = rhtml.render_report(
        _notebook(), title="t", period="2026-10", lang="zh", embed_font=False,
        parameters={"period": "2026-10", "h": 1, "models": ["ets", "theta"], "festival_adjust": True,
                    "engine": "", "threshold_tier": 15},
        data_path="data/x", fingerprint="abc123", run_time="2026-11-01 06:00:00", commit="c0ffee")
    head = page[page.index('<header class="la-header">'):page.index("</header>")]
    line = head[:head.index("<details")]
    # one line in view: period, fingerprint, status; everything else folded
    assert "<td>2026-10</td>" in line and "<td>abc123</td>" in line and "<td>完成</td>" in line
    assert "c0ffee" not in line and "data/x" not in line
    assert '<details class="la-params">' in head and "open" not in head[head.index("<details"):][:40]
    assert "本次运行的参数（6 项）" in head
    for shown in ("<tr><th>预测步长（月）</th><td>1</td></tr>", "<tr><th>模型</th><td>指数平滑（ETS）、Theta 法</td></tr>",
                  "<tr><th>春节调整</th><td>是</td></tr>", "<tr><th>计算引擎</th><td>—</td></tr>",
                  "<tr><th><code>threshold_tier</code></th><td><code>15</code></td></tr>",
                  "<tr><th>代码版本</th><td>c0ffee</td></tr>"):
        assert shown in head, shown
    assert "festival_adjust" not in page and '["ets"' not in page
    en = rhtml.render_report(_notebook(), title="t", period="2026-10", lang="en", embed_font=False,
                             parameters={"models": ["ets", "theta"]})
    assert "<tr><th>models</th><td>exponential smoothing (ETS), Theta</td></tr>" in en  # as the forecast page names them


def test_every_shipped_parameter_and_identifier_value_is_shown_in_words():
    """The header of every shipped report names each parameter by its label, and each
    identifier among the default values (``tier_band``, ``conformal``, ``product_id``) in
    words: a reviewer reads 分层变量 市场类型、档位段, not ``strata: ["area", "tier_band"]``."""
    import re

    import papermill

    from lean_analysis import config
    from lean_analysis.report.texts import keys

    known = set(keys())
    missing = []
    for nb in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        for name, p in papermill.inspect_notebook(str(nb)).items():
            if name == "output_dir":  # set by the runner, never shown
                continue
            if f"param_{name}" not in known:
                missing.append(f"{nb.stem}: param_{name}")
            for v in re.findall(r'"([a-z][a-z_]*)"', str(p["default"])):
                if not {f"pv_{v}", f"fc_model_{v}", f"fc_level_{v}"} & known and name != "lang":
                    missing.append(f"{nb.stem}: {name} = {v} (pv_{v})")
    assert missing == []


def test_summary_is_moved_under_the_header_and_tables_link_the_workbook():
    import pandas as pd

    from lean_analysis.report import show

    nb = _notebook()
    df = pd.DataFrame({"i": range(30)})
    table = new_output("display_data", data={"text/html": show.table_html(df),
                                             rhtml.TABLE_MIME: show.table_payload(df)})
    summary = show.summary_html([{"text": "满意度达标", "value": 91.2, "unit": "index",
                                  "ci_low": 89.6, "ci_high": 92.9, "action": "保持"}], "zh")
    nb.cells.append(_cell("tables", [table, _html(summary)]))
    page = rhtml.render_report(nb, title="t", period="2026-10", lang="zh", embed_font=False)
    assert page.index("</header>") < page.index('id="summary"') < page.index('<nav class="la-toc">')
    assert page.count("data-la-summary") == 1 and "本月结论</a>" not in page  # not in the TOC
    assert "另有 15 行见附带的 Excel 工作簿" in page and "vnd.lean-analysis" not in page
    assert 'class="la-workbook"' not in page  # no papermill output path: no file to link
    nb.metadata["papermill"] = {"output_path": "/x/.staging-1/02_brand.ipynb"}
    page = rhtml.render_report(nb, title="t", period="2026-10", lang="zh", embed_font=False)
    assert '<td class="la-workbook"><a href="02_brand.xlsx">全部表格（Excel）</a></td>' in page
    # a page without a summary or tables still renders, without the section or the link
    plain = rhtml.render_report(_notebook(), title="t", period="2026-10", embed_font=False)
    assert 'id="summary"' not in plain and 'class="la-workbook"' not in plain


def test_index_scorecard_says_basis_interval_and_links_history(tmp_path):
    from lean_analysis.report import index_pages

    metrics = {"report": "00_monthly_overview", "figures": {
        "scorecard_retailer_margin": {"value": 0.116, "target": 0.112, "unit": "share", "order": 0,
                                      "status": "met", "span": "2026-01 .. 2026-10",
                                      "label_zh": "零售户毛利率"},
        "scorecard_satisfaction": {"value": 89.62, "target": 90.0, "unit": "index", "order": 1,
                                   "ci_low": 88.2, "ci_high": 91.0, "span": "2026-10",
                                   "source": "03_satisfaction_survey:satisfaction_index",
                                   "label_zh": "客户满意度"},
    }}
    rows = index_pages.scorecard_rows(metrics, "zh")
    assert [(r["basis"], r["interval"], r["status"]) for r in rows] == [
        ("本年累计 2026-01 .. 2026-10", "", "met"),
        ("本期调查 2026-10", "95% 区间 88.20–91.00", "within_margin")]
    page = index_pages.render_period_index(period="2026-10", lang="zh", reports=[], scorecard=rows,
                                           meta=[])
    assert "<td>零售户毛利率</td>\n<td class=\"la-num\">11.60%</td>" in page
    assert '<td class="la-basis">本期调查 2026-10</td>' in page and "<th>口径</th>" in page
    assert '<span class="la-badge la-badge-within_margin">待定（区间含目标）</span>' in page
    table = page[page.index("la-scorecard"):]
    assert table.count("<tr>") == 1 + len(rows)
    assert '<a href="../history.html">历史走势</a>' in page
    assert '<a href="history.html">历史走势</a>' in index_pages.periods_index_html(tmp_path, "zh")

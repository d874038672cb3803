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
    assert [(r["label"], r["status"]) for r in rows] == [("margin", "not_met"),
                                                         ("scorecard_satisfaction", "met")]
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

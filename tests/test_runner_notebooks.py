"""The real monthly batch (params/monthly.yaml) end to end on the small sample, with every
report notebook that exists at the time, and `pytest --nbval-lax` over notebooks/."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from lean_analysis import config
from lean_analysis.params import load_batch, load_targets

PERIOD = "2026-10"  # the sample's last full month
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//""", re.I)
HAN = re.compile(r"[\u4e00-\u9fff]")

BATCH = load_batch(config.BATCH_FILE)
PRESENT = [r for r in BATCH.reports if r.notebook.exists()]
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))

pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.skipif(not PRESENT, reason="no report notebook of params/monthly.yaml exists yet"),
]


@pytest.fixture(scope="module")
def real_run(small_batch):
    """params/monthly.yaml restricted to the notebooks present, in Chinese: the session's
    shared run (tests/conftest.py ``small_batch``), read only here."""
    return small_batch("zh")


def test_every_report_runs(real_run):
    res, _ = real_run
    failed = {r.name: r.note for r in res.reports if r.status != "ok"}
    assert failed == {}
    assert res.exit_code == 0 and res.published


def test_reviewer_html_of_every_report(real_run, small_truth, small_tables):
    res, folder = real_run
    raw = [*small_truth["escape"]["comments"]]
    names = small_tables["customers"].set_index("customer_id")["customer_name"]
    raw += [names[c] for c in small_truth["escape"]["customer_ids"]]
    assert any("<script>" in v for v in raw)
    for r in res.reports:
        page = (folder / f"{r.name}.html").read_text(encoding="utf-8")
        assert "jp-InputArea" not in page, r.name  # no code
        assert "injected-parameters" not in page and "output_dir" not in page, r.name
        assert not EXTERNAL.search(page), r.name  # nothing from the network
        assert "<script" not in page.lower(), r.name
        assert 'class="la-params"' in page and f"<td>{small_tables.fingerprint}</td>" in page
        assert len(HAN.findall(page)) > 20, r.name  # Chinese text (lang zh)
        for value in raw:  # data values with markup never appear unescaped
            assert value not in page, (r.name, value)


def test_index_has_the_scorecard_headline(real_run):
    res, folder = real_run
    index = (folder / "index.html").read_text(encoding="utf-8")
    for r in res.reports:
        assert f'href="{r.name}.html"' in index
    score = next((s for s in BATCH.reports if s.scorecard), None)
    if score is None or score not in PRESENT:
        pytest.skip("the scorecard report is not there yet")
    metrics = json.loads((folder / f"{score.name}.metrics.json").read_text(encoding="utf-8"))
    with_target = [k for k, v in metrics["figures"].items() if isinstance(v, dict) and "target" in v]
    assert len(with_target) == len(load_targets())  # one headline row per yearly target
    table = index[index.index("la-scorecard"):]
    assert table.count("<tr>") == 1 + len(with_target)


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebook yet")
def test_nbval_lax_over_notebooks(small_dir, tmp_path):
    """`pytest --nbval-lax notebooks/`: every notebook runs top to bottom with its default
    parameters. The data are the small sample (LEAN_ANALYSIS_DATA) and the project folder a
    scratch copy of params/ (LEAN_ANALYSIS_HOME), so nothing is written under outputs/."""
    home = tmp_path / "home"
    shutil.copytree(config.PARAMS_DIR, home / "params")
    env = {**os.environ, "LEAN_ANALYSIS_HOME": str(home), "LEAN_ANALYSIS_DATA": str(small_dir)}
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
           "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(tmp_path),
           *map(str, NOTEBOOKS)]
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " failed" not in done.stdout


def test_new_product_coverage_one_value_on_every_page(real_run):
    """The yearly new-product coverage is one figure: the brand page shows the overview's
    ``scorecard_new_product_coverage`` in the same words (value, basis, target, status), and
    the brand report's own target-customer figure has another name (it used to publish a
    ``new_product_coverage`` of its own on another customer base)."""
    import html as _html

    from lean_analysis.report import show

    _, folder = real_run
    overview = json.loads((folder / "00_monthly_overview.metrics.json").read_text(encoding="utf-8"))
    fig = overview["figures"]["scorecard_new_product_coverage"]
    words = show.figure_text("scorecard_new_product_coverage", fig, "zh", "00_monthly_overview")
    brand_page = _html.unescape((folder / "02_brand_cultivation.html").read_text(encoding="utf-8"))
    assert words in brand_page
    brand_figs = json.loads((folder / "02_brand_cultivation.metrics.json").read_text(encoding="utf-8"))["figures"]
    assert "new_product_coverage" not in brand_figs
    index = _html.unescape((folder / "index.html").read_text(encoding="utf-8"))
    assert show.figure_parts("scorecard_new_product_coverage", fig, "zh")["value"] in index


def _summary(page: str) -> str:
    start = page.index('id="summary"')
    return page[start:page.index("</section>", start)]


def test_every_target_figure_reads_the_same_on_every_page(real_run):
    """Each yearly target's figure is written once, by ``show.figure_number`` (two decimals),
    on the index, in the overview's summary, and in the summary of the report that feeds it
    (the survey's satisfaction, the brand report's on-shelf rate): the index once showed
    11.5% where the overview said 11.46%, the survey 89.6 where the index said 89.62."""
    import html as _html

    from lean_analysis.report import show

    _, folder = real_run
    page = {p.stem: _html.unescape(p.read_text(encoding="utf-8")) for p in folder.glob("*.html")}
    overview = json.loads((folder / "00_monthly_overview.metrics.json").read_text(encoding="utf-8"))
    checked = 0
    for name, fig in overview["figures"].items():
        if not name.startswith("scorecard_") or fig.get("value") is None:
            continue
        number = show.figure_number(fig["value"], fig["unit"])
        assert number in page["index"], (name, number)
        assert number in _summary(page["00_monthly_overview"]), (name, number)
        source = str(fig.get("source") or "")
        if ":" in source:  # fed by another report: its summary says the same
            assert number in _summary(page[source.split(":")[0]]), (name, number, source)
        checked += 1
    assert checked >= 4
    # the on-shelf rate is a rate among the checked: how many were checked stands beside it,
    # as the brand report counted them
    shelf = overview["figures"]["scorecard_target_on_shelf_rate"]
    brand = json.loads((folder / "02_brand_cultivation.metrics.json").read_text(encoding="utf-8"))
    src = brand["figures"]["target_on_shelf_rate"]
    assert (shelf["n_checked"], shelf["n_targets"]) == (src["n_checked"], src["n_targets"])
    words = f"已检查 {src['n_checked']}/{src['n_targets']} 户"
    assert words in page["index"] and words in page["00_monthly_overview"]


def _visible_text(page: str) -> str:
    import html as _html

    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'<img\b[^>]*>', " ", page)  # embedded pictures (base64)
    return _html.unescape(re.sub(r"<[^>]+>", " ", page))


INTERNAL = re.compile(r"metrics\.json|jieba|\b\d\d_[a-z_]+:[a-z_]+|\bNaN\b|\bnan\b|\bNone\b|\{[a-z_]+\}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_speak_words_not_internal_names(small_batch, lang):
    """What a reviewer reads has no internal names (``03_satisfaction_survey:satisfaction_index``,
    metrics.json, jieba), no unformatted values (NaN, None, a ``{placeholder}``), and in
    Chinese no "pp" for 个百分点."""
    _, folder = small_batch(lang)
    for p in sorted(folder.glob("*.html")):
        text = _visible_text(p.read_text(encoding="utf-8"))
        found = sorted(set(INTERNAL.findall(text)))
        assert found == [], (p.name, found)
        assert lang == "en" or not re.search(r"\d\s*pp\b", text), p.name

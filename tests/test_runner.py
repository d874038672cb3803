"""The monthly runner end to end, on the small sample, with the tiny fixture notebooks of
tests/fixtures/notebooks (so that these tests do not depend on the real reports).

Kernels are started only where a test needs them (about nine short notebook runs)."""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from lean_analysis import config, runner
from lean_analysis.cli import build_parser, cli_list, cli_run
from lean_analysis.params import ParamError
from lean_analysis.runner import batch, execute

FIX = Path(__file__).parent / "fixtures" / "notebooks"
PERIOD = "2026-10"  # the sample's last full month (truth.json last_full_month)
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//""", re.I)

pytestmark = pytest.mark.notebooks


def _run(batch, data, out, **kw):
    kw.setdefault("progress", False)
    return runner.run_batch(batch, period=PERIOD, data=data, outputs=out, **kw)


def _write_batch(path: Path, reports: list[dict], defaults: dict | None = None) -> Path:
    doc = {"defaults": defaults or {"lang": "zh"}, "reports": reports}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _fx(name: str, **extra) -> dict:
    entry = {"name": name, "notebook": str(FIX / f"{name}.ipynb"), "params": None}
    entry.update(extra)
    return entry


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def good_run(small_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs")
    res = _run(FIX / "batch_ok.yaml", small_dir, out, lang="zh")
    return res, out


@pytest.fixture()
def no_kernel(monkeypatch):
    """Fail the test if a kernel would start."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(execute, "execute_notebook", refuse)
    monkeypatch.setattr(batch, "start_kernel", refuse)  # nor one started ahead
    return calls


# --------------------------------------------------------------------------- a good run
def test_good_run_writes_every_output(good_run):
    res, out = good_run
    assert (res.status, res.exit_code, res.published) == ("ok", 0, True)
    folder = out / PERIOD
    assert res.folder == folder
    for name in ("fx_table", "fx_overview"):
        for ext in ("ipynb", "html", "metrics.json"):
            assert (folder / f"{name}.{ext}").is_file(), f"{name}.{ext}"
        assert (folder / "logs" / f"{name}.log").is_file()
    assert (folder / "index.html").is_file() and (folder / "manifest.json").is_file()
    assert "report fx_table: ok" in (folder / "logs" / "run.log").read_text(encoding="utf-8")
    # nothing left behind, and the list of periods links the period
    assert sorted(p.name for p in out.iterdir()) == [PERIOD, "history.html", "index.html"]
    assert f'href="{PERIOD}/index.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_reviewer_html(good_run, small_dir, small_tables):
    _, out = good_run
    page = (out / PERIOD / "fx_table.html").read_text(encoding="utf-8")
    # no code, no markdown cells, no injected-parameters cell
    assert "tables = data.load(" not in page and "show.heading(" not in page
    assert "jp-InputArea" not in page
    assert "Analyst note" not in page
    assert "# Parameters" not in page and "output_dir = " not in page
    # no stderr/warnings (they are in the report's log instead)
    assert "a warning reviewers must not see" not in page and "stderr noise" not in page
    log = (out / PERIOD / "logs" / "fx_table.log").read_text(encoding="utf-8")
    assert "a warning reviewers must not see" in log and "stderr noise" in log
    # nothing from the network: no external src/href/url(), no script at all
    assert not EXTERNAL.search(page)
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower()
    # the header: period, parameters (escaped), the data fingerprint
    assert '<html lang="zh-CN">' in page and re.search(r'<meta charset="utf-8"\s*/?>', page)
    assert "<th><code>threshold_tier</code></th><td><code>15</code></td>" in page
    assert "<td><code>&lt;b&gt;bold&lt;/b&gt; 标签</code></td>" in page
    assert f"<td>{small_tables.fingerprint}</td>" in page
    assert f"<td>{PERIOD}</td>" in page
    assert "output_dir" not in page and ".staging-" not in page
    # Chinese text (zh): the headings, in the table of contents with their anchors
    assert '<a href="#sec-1">档位</a>' in page and '<a href="#sec-2">销量（箱）</a>' in page
    assert re.search(r'<h2 [^>]*id="sec-2"[^>]*>销量（箱）</h2>', page)
    # a data value containing <script> is escaped (the sample's customer names)
    customers = pd.read_csv(small_dir / "customers.csv", dtype=str)
    marked = customers.loc[customers["customer_name"].str.contains("<script>", regex=False),
                           "customer_name"].tolist()
    assert marked
    for name in marked:
        assert name not in page
        assert html.escape(name, quote=False) in page or html.escape(name) in page
    # figures are embedded; the page prints
    assert 'src="data:image/png;base64,' in page
    assert "@media print" in page


def test_metrics_index_and_manifest(good_run, small_dir, small_tables):
    res, out = good_run
    folder = out / PERIOD
    # the notebook's figures, checked against an independent computation
    customers = pd.read_csv(small_dir / "customers.csv")
    m = json.loads((folder / "fx_table.metrics.json").read_text(encoding="utf-8"))
    assert m["period"] == PERIOD
    assert m["figures"]["customers"]["value"] == len(customers)
    share = float((customers["tier"] >= 15).mean())
    assert m["figures"]["high_tier_share"]["value"] == pytest.approx(share, abs=1e-9)
    orders = pd.read_csv(small_dir / "orders.csv", usecols=["order_qty"])
    assert m["figures"]["sales_cases"]["value"] == pytest.approx(orders["order_qty"].sum() / 250)
    # index: each report with status and link; the scorecard headline from fx_overview
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.count('<span class="la-badge la-badge-ok">完成</span>') == 2
    assert '<a href="fx_table.html">测试表格</a>' in index
    assert f"<td>重点品牌销售比重</td>\n<td class=\"la-num\">{share * 100:.2f}%</td>" in index
    # an unlabeled target is named by its key, not by the internal figure name
    assert "<td>satisfaction</td>" in index and "scorecard_satisfaction" not in index
    assert "未测量" in index
    assert "rows_seen" not in index  # no target: not a scorecard figure
    assert not EXTERNAL.search(index)
    # manifest: statuses, parameters (no staging path), data fingerprint, versions
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["status"] == "ok" and man["period"] == PERIOD
    assert man["data"]["fingerprint"] == small_tables.fingerprint
    assert man["data"]["last_week"] == "2026-10-26"
    assert {"python", "pandas", "papermill", "nbconvert"} <= set(man["versions"])
    reports = {r["name"]: r for r in man["reports"]}
    assert [r["name"] for r in man["reports"]] == ["fx_overview", "fx_table"]  # batch order
    assert reports["fx_table"]["parameters"]["threshold_tier"] == 15
    assert reports["fx_table"]["status"] == "ok"
    assert {"kernel_start_s", "execute_s", "render_s", "total_s"} <= set(reports["fx_table"]["timings"])
    text = (folder / "manifest.json").read_text(encoding="utf-8")
    assert ".staging-" not in text and "output_dir" not in text
    assert [r.name for r in res.reports] == ["fx_overview", "fx_table"]


def test_kernel_is_this_environment(good_run):
    _, out = good_run
    nb = nbformat.read(out / PERIOD / "fx_table.ipynb", as_version=4)
    stdout = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs if o.get("name") == "stdout")
    assert f"python {sys.executable}" in stdout


def test_rerun_gives_same_metrics_and_replaces_the_period(good_run, small_dir, tmp_path):
    _, out = good_run
    out2 = tmp_path / "outputs"
    shutil.copytree(out, out2)
    before = json.loads((out2 / PERIOD / "manifest.json").read_text(encoding="utf-8"))
    res = _run(FIX / "batch_ok.yaml", small_dir, out2)
    assert res.exit_code == 0 and res.published
    for name in ("fx_table", "fx_overview"):
        assert (out2 / PERIOD / f"{name}.metrics.json").read_bytes() == \
            (out / PERIOD / f"{name}.metrics.json").read_bytes()
    after = json.loads((out2 / PERIOD / "manifest.json").read_text(encoding="utf-8"))
    assert after["finished"] > before["finished"]  # the new run replaced the old one
    assert sorted(p.name for p in out2.iterdir()) == [PERIOD, "history.html", "index.html"]  # no .old-/.staging-


# --------------------------------------------------------------------------- failures
def test_failing_report_keeps_previous_good_run(good_run, small_dir, tmp_path, capsys):
    _, out = good_run
    out3 = tmp_path / "outputs"
    shutil.copytree(out, out3)
    good = _snapshot(out3 / PERIOD)
    args = build_parser().parse_args([
        "run", str(FIX / "batch_fail.yaml"), "--period", PERIOD, "--data", str(small_dir),
        "--outputs", str(out3), "--jobs", "2"])
    assert cli_run(args) == 1
    err = capsys.readouterr().err
    assert "previous good run of 2026-10 is kept" in err
    # the good run of the period is untouched, byte for byte
    assert _snapshot(out3 / PERIOD) == good
    failed = [p for p in out3.iterdir() if p.name.startswith(f"{PERIOD}.failed-")]
    assert len(failed) == 1
    f = failed[0]
    # the failing report still has its HTML, with the error at the top
    page = (f / "fx_fail.html").read_text(encoding="utf-8")
    assert page.index('class="la-failed"') < page.index('<main class="la-main">')
    assert "<strong>ValueError</strong>: planned failure &lt;b&gt;in fx_fail&lt;/b&gt;" in page
    assert "出错位置：第 4 个代码单元" in page  # parameters, setup, heading, raise
    assert "before the failure" in page and "never reached" not in page
    assert "<b>in fx_fail</b>" not in page
    # the other reports ran, and the index shows the failure
    for name in ("fx_table", "fx_overview"):
        assert (f / f"{name}.html").is_file() and (f / f"{name}.metrics.json").is_file()
    index = (f / "index.html").read_text(encoding="utf-8")
    assert index.count('<span class="la-badge la-badge-failed">') == 1
    assert index.count('<span class="la-badge la-badge-ok">') == 2
    man = json.loads((f / "manifest.json").read_text(encoding="utf-8"))
    assert man["status"] == "failed"
    assert {r["name"]: r["status"] for r in man["reports"]} == \
        {"fx_overview": "ok", "fx_table": "ok", "fx_fail": "failed"}
    periods = (out3 / "index.html").read_text(encoding="utf-8")
    assert f'href="{f.name}/index.html"' in periods and f'href="{PERIOD}/index.html"' in periods


def test_failing_run_without_previous_good_is_published(small_dir, tmp_path):
    out = tmp_path / "outputs"
    batch = _write_batch(tmp_path / "b.yaml", [_fx("fx_table"), _fx("fx_fail")])
    res = _run(batch, small_dir, out, only=["fx_fail"], lang="en")
    assert (res.exit_code, res.published, res.status) == (1, True, "failed")
    page = (out / PERIOD / "fx_fail.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    assert "This report failed" in page and "forecast accuracy" in page
    assert res.report("fx_table").status == "skipped"  # not selected, nothing to carry over
    assert not (out / PERIOD / "fx_table.html").exists()


def test_only_reruns_one_report_and_keeps_the_others(good_run, small_dir, tmp_path):
    _, out = good_run
    out4 = tmp_path / "outputs"
    shutil.copytree(out, out4)
    kept = (out4 / PERIOD / "fx_overview.html").read_bytes()
    res = _run(FIX / "batch_ok.yaml", small_dir, out4, only=["fx_table"])
    assert res.exit_code == 0 and res.published
    assert (out4 / PERIOD / "fx_overview.html").read_bytes() == kept
    man = json.loads((out4 / PERIOD / "manifest.json").read_text(encoding="utf-8"))
    reports = {r["name"]: r for r in man["reports"]}
    assert reports["fx_overview"]["carried_over"] is True and reports["fx_overview"]["status"] == "ok"
    assert reports["fx_table"]["carried_over"] is False
    assert man["only"] == ["fx_table"]


# --------------------------------------------------------------------------- checks before kernels
def test_unknown_key_fails_before_any_kernel(small_dir, tmp_path, no_kernel, capsys):
    params = tmp_path / "fx_table.yaml"
    params.write_text("n_rows: 2\nthreshhold_tier: 3\n", encoding="utf-8")
    batch = _write_batch(tmp_path / "b.yaml", [_fx("fx_table", params=str(params))])
    out = tmp_path / "outputs"
    args = build_parser().parse_args(["run", str(batch), "--period", PERIOD, "--data",
                                      str(small_dir), "--outputs", str(out)])
    assert cli_run(args) == 2
    err = capsys.readouterr().err
    assert str(params) in err and "'threshhold_tier'" in err and "unknown parameter" in err
    assert no_kernel == [] and not out.exists()


@pytest.mark.parametrize("line, key, says", [
    ("unit: boxes", "unit", "'boxes' is not allowed"),
    ("models: [prophet]", "models", "'prophet' is not allowed"),
    ("n_windows: -1", "n_windows", "-1 is out of range"),
    ("n_windows: 100000", "n_windows", "100000 is out of range"),
    ("level: [[product_id], brand]", "level", "expected a list of str"),
])
def test_shipped_forecast_notebook_rules_fail_before_any_kernel(line, key, says, small_dir,
                                                                tmp_path, no_kernel, capsys):
    """The hostile tester's values for notebooks/01 (issue 16, item 6): each is refused
    before any kernel, exit 2, naming the params file and the key."""
    _check_refused_before_any_kernel("01_demand_forecast_backtest", line, key, says, small_dir,
                                     tmp_path, no_kernel, capsys)


def _check_refused_before_any_kernel(name, line, key, says, small_dir, tmp_path, no_kernel,
                                     capsys):
    """``line`` as the params file of the shipped notebook ``name``: exit 2 before any
    kernel, the error naming the params file, the key and ``says``; nothing published."""
    params = tmp_path / f"{name[:2]}.yaml"
    params.write_text(line + "\n", encoding="utf-8")
    nb = config.NOTEBOOKS_DIR / f"{name}.ipynb"
    batch = _write_batch(tmp_path / "b.yaml", [{"name": name, "notebook": str(nb),
                                                "params": str(params)}])
    out = tmp_path / "outputs"
    args = build_parser().parse_args(["run", str(batch), "--period", PERIOD, "--data",
                                      str(small_dir), "--outputs", str(out)])
    assert cli_run(args) == 2
    err = capsys.readouterr().err
    assert str(params) in err and repr(key) in err and says in err, err
    assert no_kernel == [] and not out.exists()


@pytest.mark.parametrize("line, key, says", [
    ("share_method: exact", "share_method", "'exact' is not allowed"),
    ("correction: fdr", "correction", "'fdr' is not allowed"),
    ("segments: [area, colour]", "segments", "'colour' is not allowed"),
    ("level: 1.5", "level", "1.5 is out of range"),
    ("alpha_threshold: -0.1", "alpha_threshold", "-0.1 is out of range"),
    ("examples_per_theme: 1000", "examples_per_theme", "1000 is out of range"),
])
def test_shipped_survey_notebook_rules_fail_before_any_kernel(line, key, says, small_dir,
                                                              tmp_path, no_kernel, capsys):
    """notebooks/03 declares its allowed values and ranges too (issue 16, item 6)."""
    _check_refused_before_any_kernel("03_satisfaction_survey", line, key, says, small_dir,
                                     tmp_path, no_kernel, capsys)


def test_every_shipped_notebook_declares_its_choices_and_ranges():
    """Every parameter of the shipped notebooks whose values are a closed set or a range
    says so: the string and number parameters without a declaration are the free ones
    listed here (paths, periods, waves, file names, engines)."""
    from lean_analysis.params import notebook_parameters

    free = {"period", "data_dir", "lang", "output_dir", "targets_file", "wave", "prev_wave",
            "engine", "scorecard_sources", "active_include_current", "festival_adjust",
            "reconcile", "programme_ids"}
    undeclared = []
    for nb in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        for name, p in notebook_parameters(nb).items():
            if name not in free and p.choices is None and p.bounds is None:
                undeclared.append(f"{nb.stem}:{name}")
    assert undeclared == [], undeclared


def test_wrong_type_fails_before_any_kernel(small_dir, tmp_path, no_kernel):
    params = tmp_path / "fx_table.yaml"
    params.write_text("threshold_tier: '15'\n", encoding="utf-8")
    batch = _write_batch(tmp_path / "b.yaml", [_fx("fx_table", params=str(params))])
    with pytest.raises(ParamError) as e:
        _run(batch, small_dir, tmp_path / "outputs")
    assert e.value.file == str(params) and e.value.key == "threshold_tier"
    assert "wrong type: expected int, got str '15'" in str(e.value)
    assert no_kernel == []


def test_float_parameter_accepts_int_but_not_bool(small_dir, tmp_path, no_kernel):
    params = tmp_path / "fx_overview.yaml"
    batch = _write_batch(tmp_path / "b.yaml", [_fx("fx_overview", params=str(params))])
    params.write_text("target_share: true\n", encoding="utf-8")
    with pytest.raises(ParamError, match="target_share.*expected float, got bool"):
        _run(batch, small_dir, tmp_path / "outputs")
    params.write_text("target_share: 1\n", encoding="utf-8")
    plan = runner.plan_batch(batch, PERIOD, small_dir)
    assert plan.run[0][1]["target_share"] == 1
    assert no_kernel == []


def test_missing_notebook_is_named(small_dir, tmp_path, no_kernel):
    entry = _fx("fx_table")
    entry["notebook"] = str(tmp_path / "nope.ipynb")
    batch = _write_batch(tmp_path / "b.yaml", [entry])
    with pytest.raises(ParamError) as e:
        _run(batch, small_dir, tmp_path / "outputs")
    assert e.value.key == "fx_table.notebook" and "nope.ipynb does not exist" in str(e.value)
    assert str(batch) in str(e.value)


def test_period_not_covered_by_the_data(small_dir, tmp_path, no_kernel):
    batch = _write_batch(tmp_path / "b.yaml", [_fx("fx_table")])
    with pytest.raises(ParamError) as e:
        runner.run_batch(batch, period="2026-11", data=small_dir, outputs=tmp_path / "o")
    assert e.value.key == "--period"
    assert "2026-11 is not covered" in str(e.value) and "2024-11-04 .. 2026-10-26" in str(e.value)
    assert "its order weeks run 2026-11-02 .. 2026-11-30" in str(e.value)


def test_missing_table_is_named(small_dir, tmp_path, no_kernel):
    data = tmp_path / "data"
    shutil.copytree(small_dir, data, ignore=shutil.ignore_patterns("survey_*"))
    batch = _write_batch(tmp_path / "b.yaml", [_fx("fx_table", tables=["survey_responses"])])
    with pytest.raises(ParamError) as e:
        _run(batch, data, tmp_path / "outputs")
    assert e.value.key == "fx_table.tables" and "survey_responses missing" in str(e.value)
    (data / "orders.csv").unlink()
    with pytest.raises(ParamError, match="orders"):
        _run(batch, data, tmp_path / "outputs")


def test_report_outside_its_months_is_skipped(small_dir, tmp_path, no_kernel):
    batch = _write_batch(tmp_path / "b.yaml", [_fx("fx_table", months=[3, 9])])
    res = _run(batch, small_dir, tmp_path / "outputs")
    assert res.exit_code == 0 and res.report("fx_table").status == "skipped"
    assert "3, 9" in res.report("fx_table").note
    index = (tmp_path / "outputs" / PERIOD / "index.html").read_text(encoding="utf-8")
    assert '<span class="la-badge la-badge-skipped">' in index


def test_unknown_report_for_only(small_dir, no_kernel, tmp_path):
    with pytest.raises(ParamError, match="no report named 'fx_nope'"):
        _run(FIX / "batch_ok.yaml", small_dir, tmp_path / "o", only=["fx_nope"])


def test_list_shows_parameters(capsys):
    args = build_parser().parse_args(["list"])
    args.batch = str(FIX / "batch_ok.yaml")
    cli_list(args)
    text = capsys.readouterr().out
    assert "fx_table  (tests/fixtures/notebooks/fx_table.ipynb)" in text
    assert "    threshold_tier: int = 10  -> 15 (params file)" in text
    assert "    period: str = '2026-10'  (set by the runner)" in text
    assert "    n_rows: int = 3  -> 5 (params file)  # rows shown" in text


def test_list_shows_the_figures_each_report_publishes(capsys):
    """`lean-analysis list` on the real batch: under each report, the figures it declares in
    lean_analysis.targets.FIGURES (name, unit, definition)."""
    from lean_analysis import targets

    assert cli_list(build_parser().parse_args(["list"])) == 0
    text = capsys.readouterr().out
    sections = re.split(r"^(?=\S)", text, flags=re.M)
    survey = next(s for s in sections if s.startswith("03_satisfaction_survey  ("))
    spec = targets.lookup("satisfaction_index", "03_satisfaction_survey")
    assert f"      satisfaction_index [index]: {spec.definition}  (target satisfaction)\n" in survey
    overview = next(s for s in sections if s.startswith("00_monthly_overview  ("))
    assert "      scorecard_{target} [unit varies]: " in overview
    assert "      satisfaction_index [" not in overview
    for section in sections:
        report = section.split("  ", 1)[0]
        names = re.findall(r"^      (\S+) \[", section, flags=re.M)
        assert names == [f.name for f in targets.figures_of(report)], report


def test_failure_of_a_failing_cell_comes_from_papermills_error():
    """No kernel: papermill's PapermillExecutionError gives ename, evalue, the traceback
    without colour codes and the failing cell's number among the source notebook's code
    cells; anything else gives the exception's type and message."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    from papermill.exceptions import PapermillExecutionError

    from lean_analysis.runner import ReportFailed

    nb = new_notebook()
    injected = new_code_cell("period = '2026-10'")
    injected.metadata["tags"] = ["injected-parameters"]
    expected = new_code_cell("1 / 0")
    expected.metadata["tags"] = ["raises-exception"]
    cells = [new_markdown_cell("# note"), new_code_cell("period = ''"), injected, expected,
             new_code_cell("raise ValueError('bad')")]

    def raised(index, ename="ValueError", tb=("\x1b[0;31mValueError\x1b[0m: bad",)):
        return PapermillExecutionError(index, 3, cells[index].source, ename, "bad", list(tb))

    # the notebook as papermill writes it: an error-marker cell at the top and one before the
    # failing cell, added after cell_index was taken
    markers = [new_markdown_cell("error"), new_markdown_cell("anchor")]
    for m in markers:
        m.metadata["tags"] = ["papermill-error-cell-tag"]
    nb.cells = [markers[0], *cells[:4], markers[1], cells[4]]

    assert execute.failure_of(raised(4), nb) == ReportFailed(
        "ValueError", "bad", "ValueError: bad", 3)  # parameters, expected, raise
    generic = execute.failure_of(raised(3, "ZeroDivisionError"), nb)  # an expected error
    assert (generic.ename, generic.cell, generic.traceback) == ("PapermillExecutionError", None, "")
    assert execute.failure_of(raised(4, "CellExecutionError", ()), nb).ename == "PapermillExecutionError"
    assert execute.failure_of(raised(4), None).cell is None
    died = execute.failure_of(RuntimeError("Kernel died"), nb)
    assert died == ReportFailed("RuntimeError", "Kernel died") and died.message == "RuntimeError: Kernel died"

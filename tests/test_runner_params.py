"""Batch files, notebook parameters, data checks and secret masking (no kernel involved)."""

from __future__ import annotations

import datetime as dt

import nbformat
import pytest
import yaml

from lean_analysis import config
from lean_analysis.params import (
    DataInfo,
    NotebookParameter,
    ParamError,
    check_period,
    check_value,
    inspect_data,
    load_batch,
    load_targets,
    mask_secrets,
    notebook_parameters,
    period_mondays,
)


def _nb(tmp_path, source: str, tag: bool = True):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    if tag:
        cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("x"), cell]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    return path


def test_notebook_parameters_types_defaults_and_help(tmp_path):
    path = _nb(tmp_path, 'period = "2026-10"  # the month\nn: int = 12\nalpha = 0.05\n'
                         'flag = False\nitems = ["a", "b"]\nopt = None\nmaybe: float | None = None\n'
                         'sources = {"a": {"report": "r"}}\n')
    p = notebook_parameters(path)
    assert list(p) == ["period", "n", "alpha", "flag", "items", "opt", "maybe", "sources"]
    assert p["period"] == NotebookParameter("period", ("str",), "2026-10", "the month")
    assert p["n"].types == ("int",) and p["n"].default == 12
    assert p["alpha"].types == ("float",) and p["flag"].types == ("bool",)
    assert p["items"].types == ("list",) and p["sources"].types == ("dict",)
    assert p["opt"].types == () and p["opt"].type_name == "any"
    assert p["maybe"].types == ("float", "None")


def test_notebook_without_parameters_cell_or_with_code_in_it(tmp_path):
    with pytest.raises(ParamError, match="no cell tagged 'parameters'"):
        notebook_parameters(_nb(tmp_path, "x = 1", tag=False))
    with pytest.raises(ParamError, match="key 'x': the parameters cell must assign a literal"):
        notebook_parameters(_nb(tmp_path, "import os\nx = os.getcwd()"))


@pytest.mark.parametrize("types,value,ok", [
    (("int",), 3, True), (("int",), True, False), (("int",), 3.0, False), (("float",), 3, True),
    (("float",), True, False), (("str",), "a", True), (("str",), 1, False), (("bool",), 0, False),
    (("list",), [1], True), (("dict",), {}, True), ((), object(), True),
    (("float", "None"), None, True), (("str",), dt.date(2026, 3, 1), False),
])
def test_check_value(types, value, ok):
    why = check_value(NotebookParameter("x", types, None), value)
    assert (why is None) is ok
    if isinstance(value, dt.date):
        assert "write it in quotes" in why


def test_batch_file_errors_name_file_and_key(tmp_path):
    path = tmp_path / "b.yaml"

    def load(doc):
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        with pytest.raises(ParamError) as e:
            load_batch(path)
        assert e.value.file == str(path)
        return e.value

    assert load({"reprots": []}).key == "reprots"
    assert load({"reports": []}).key == "reports"
    assert load({"reports": [{"name": "a", "noteboook": "x"}]}).key == "a.noteboook"
    assert load({"reports": [{"name": "a", "months": [13]}]}).key == "a.months"
    assert load({"reports": [{"name": "a", "tables": ["order"]}]}).key == "a.tables"
    assert load({"reports": [{"name": "a"}, {"name": "a"}]}).key == "reports[1].name"
    assert load({"defaults": {"lang": "fr"}, "reports": [{"name": "a"}]}).key == "defaults.lang"


def test_the_monthly_batch_lists_the_five_reports_overview_last():
    batch = load_batch(config.BATCH_FILE)
    assert batch.names() == ["00_monthly_overview", "01_demand_forecast_backtest",
                             "02_brand_cultivation", "03_satisfaction_survey",
                             "04_market_placement"]
    assert [r.name for r in batch.reports if r.runs_last] == ["00_monthly_overview"]
    assert [r.name for r in batch.reports if r.scorecard] == ["00_monthly_overview"]
    assert batch.defaults == {"lang": "zh"}
    for r in batch.reports:
        assert r.notebook == config.NOTEBOOKS_DIR / f"{r.name}.ipynb"
        assert r.params_file == config.PARAMS_DIR / f"{r.name}.yaml"
        # every report has a title of its own in both languages, not its file name
        from lean_analysis.runner.plan import report_title
        for lang in ("zh", "en"):
            assert report_title(r, lang) != r.name, (r.name, lang)


def test_targets_file_holds_the_yearly_targets_of_the_rules():
    targets = load_targets()
    assert {k: (v["value"], v["unit"], v["direction"]) for k, v in targets.items()} == {
        "retailer_margin": (0.112, "share", ">="),
        "satisfaction": (90, "index", ">="),
        "key_brand_share": (0.895, "share", ">="),
        "new_product_coverage": (1.0, "share", ">="),
        "target_on_shelf_rate": (1.0, "share", ">="),
    }
    assert targets["key_brand_share"]["basis"] == "value"
    assert all(v["definition"] and v["label_zh"] and v["label_en"] for v in targets.values())


def test_mask_secrets():
    assert mask_secrets("postgresql://ana:s3cr3t@db.local:5432/sales") == \
        "postgresql://ana:***@db.local:5432/sales"
    assert mask_secrets("duckdb:///x.db?password=abc&mode=ro") == "duckdb:///x.db?password=***&mode=ro"
    assert mask_secrets("data/sample-county") == "data/sample-county"


def test_database_url_is_refused_with_the_password_masked(tmp_path):
    with pytest.raises(ParamError) as e:
        inspect_data("postgresql://ana:s3cr3t@db/sales")
    assert "s3cr3t" not in str(e.value) and "***" in str(e.value) and e.value.key == "--data"
    with pytest.raises(ParamError, match="does not exist"):
        inspect_data(tmp_path / "nowhere")


def test_period_coverage_rule():
    # October 2026: Mondays 5 .. 26; the data must hold both
    assert period_mondays("2026-10") == (dt.date(2026, 10, 5), dt.date(2026, 10, 26))
    assert period_mondays("2026-06") == (dt.date(2026, 6, 1), dt.date(2026, 6, 29))
    info = DataInfo(config.PROJECT_ROOT, "folder", ["orders"], dt.date(2024, 11, 4),
                    dt.date(2026, 10, 26))
    check_period(info, "2026-10")
    check_period(info, "2024-11")
    for bad in ("2026-11", "2024-10"):
        with pytest.raises(ParamError, match=f"{bad} is not covered"):
            check_period(info, bad)
    short = DataInfo(config.PROJECT_ROOT, "folder", ["orders"], dt.date(2024, 11, 4),
                     dt.date(2026, 10, 19))
    with pytest.raises(ParamError, match="2026-10 is not covered"):
        check_period(short, "2026-10")  # the last week of October is missing


def test_inspect_data_on_the_small_sample(small_dir, small_truth, small_tables):
    info = inspect_data(small_dir)
    assert str(info.first_week) == small_truth["first_week"]
    assert str(info.last_week) == small_truth["last_week"]
    assert {"customers", "products", "orders", "survey_items"} <= set(info.tables)
    assert info.fingerprint == small_tables.fingerprint


def test_allowed_values_ranges_and_list_elements_declared_in_the_parameters_cell(tmp_path):
    path = _nb(tmp_path, 'unit = "case"  # quantity {case, carton}\n'
                         'n_windows = 12  # backtest windows [1, 120]\n'
                         'alpha = 0.05  # level [0, 1]\n'
                         'models = ["ets", "theta"]  # {ets, theta, arima}\n'
                         'engine = ""  # {"", dask}\n'
                         'strata = ["area", "tier_band"]  # columns\n')
    p = notebook_parameters(path)
    assert p["unit"].choices == ("case", "carton") and p["unit"].help == "quantity"
    assert p["n_windows"].bounds == (1.0, 120.0) and p["n_windows"].help == "backtest windows"
    assert p["strata"].item_type == "str" and p["strata"].choices is None
    assert check_value(p["unit"], "carton") is None
    assert "'boxes' is not allowed (allowed: 'case', 'carton')" in check_value(p["unit"], "boxes")
    assert "-1 is out of range [1, 120]" in check_value(p["n_windows"], -1)
    assert "100000 is out of range" in check_value(p["n_windows"], 100000)
    assert check_value(p["alpha"], 0.1) is None and "out of range [0, 1]" in check_value(p["alpha"], 5)
    assert "'prophet' is not allowed" in check_value(p["models"], ["ets", "prophet"])
    assert check_value(p["engine"], "") is None and check_value(p["engine"], "dask") is None
    assert "expected a list of str" in check_value(p["strata"], [["area"], "tier_band"])


def test_shipped_notebooks_defaults_fit_their_own_rules():
    for nb in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        for param in notebook_parameters(nb).values():
            assert check_value(param, param.default) is None, (nb.name, param)


def test_a_yaml_key_written_twice_is_an_error(tmp_path):
    (tmp_path / "monthly.yaml").write_text(
        "reports:\n  - name: a\n    months: [1]\n    months: [2]\n", encoding="utf-8")
    with pytest.raises(ParamError, match=r"key 'months': written twice \(lines 3 and 4\)"):
        load_batch(tmp_path / "monthly.yaml", root=tmp_path)


def test_period_must_be_year_and_month():
    from lean_analysis.calendar import parse_period

    assert str(parse_period("2026-10")) == "2026-10"
    assert str(parse_period("last-month", today=dt.date(2026, 1, 15))) == "2025-12"
    for bad in ("2026", "2026Q3", "2026-13", "2026-1", "26-10", " 2026-10"):
        with pytest.raises(ValueError, match="is not YYYY-MM"):
            parse_period(bad)

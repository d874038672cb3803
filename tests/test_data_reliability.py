"""Reliability of the data side: gaps in the orders, non-finite numbers and impossible dates,
periods without orders, upper-case file extensions, machine paths and secrets in messages.

Each test reproduces a hostile tester's input (on the hand-made tables of
``test_data_common`` or the small sample) and asserts the exact outcome.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest
from test_data_common import good_frames, write

from lean_analysis import data
from lean_analysis.cli import main as cli_main
from lean_analysis.data import ValidationError
from lean_analysis.params import DataInfo, ParamError, check_period, check_tables, inspect_data

FEB = ["2025-02-03", "2025-02-10", "2025-02-17", "2025-02-24"]


def _errors(problems):
    return [p for p in problems if p.severity == "error"]


def _without_weeks(fr, weeks):
    o = fr["orders"]
    fr["orders"] = o[~o["week"].isin(weeks)].reset_index(drop=True)
    return fr


# --------------------------------------------------------------------------- 1. gaps


def test_a_month_without_order_lines_is_an_error(tmp_path, capsys):
    src = write(tmp_path, _without_weeks(good_frames(), FEB))
    problems = data.validate(src)
    [p] = problems
    assert (p.table, p.column, p.rule, p.severity) == ("orders", "week", "missing weeks", "error")
    assert p.values == FEB
    assert p.n_rows == 0 and p.rows == []
    assert p.message.startswith(
        "Table orders, column week: 4 weeks inside the order weeks 2025-01-06 .. 2025-03-31 "
        "have no order lines (2025-02-03, 2025-02-10, 2025-02-17, 2025-02-24)")
    assert "closed_weeks" in p.message and "(rule missing weeks)" in p.message
    with pytest.raises(ValidationError, match="missing weeks"):
        data.load(src)
    assert cli_main(["validate", "--data", str(src)]) == 1
    out = capsys.readouterr().out
    assert "FAILED: 1 error(s), 0 warning(s)" in out and "2025-02-10" in out


def test_one_week_without_order_lines_is_an_error(tmp_path):
    src = write(tmp_path, _without_weeks(good_frames(), ["2025-03-10"]))
    [p] = data.validate(src)
    assert (p.rule, p.severity, p.values) == ("missing weeks", "error", ["2025-03-10"])
    assert "1 week inside the order weeks 2025-01-06 .. 2025-03-31 has no order lines " \
           "(2025-03-10)" in p.message


@pytest.mark.parametrize("fmt", ["csv", "parquet", "duckdb"])
def test_weeks_declared_closed_are_a_warning_that_counts_them(fmt, tmp_path):
    fr = _without_weeks(good_frames(), FEB)
    fr["closed_weeks"] = pd.DataFrame({"week": FEB[:3] + ["2025-03-03"],
                                       "reason": ["春节", "春节", "春节", None]})
    src = write(tmp_path, fr, fmt)
    problems = data.validate(src)
    by_rule = {p.rule: p for p in problems}
    assert set(by_rule) == {"missing weeks", "closed weeks"}
    assert by_rule["missing weeks"].severity == "error"
    assert by_rule["missing weeks"].values == ["2025-02-24"]  # not declared closed
    closed = by_rule["closed weeks"]
    assert (closed.table, closed.column, closed.severity) == ("orders", "week", "warning")
    assert closed.values == FEB[:3]
    assert "3 weeks without order lines are declared closed in closed_weeks" in closed.message
    assert "2025-03-03" in closed.message and "has order lines" in closed.message

    fr["closed_weeks"] = pd.DataFrame({"week": FEB, "reason": ["春节"] * 4})
    src = write(tmp_path / "all", fr, fmt)
    [p] = data.validate(src)
    assert (p.rule, p.severity, p.values) == ("closed weeks", "warning", FEB)
    with data.load(src) as t:  # warnings do not stop the load
        g = data.gaps(t)
        assert [str(w) for w in g.closed] == FEB and g.missing == []
        assert g.first == dt.date(2025, 1, 6) and g.last == dt.date(2025, 3, 31)


def test_closed_weeks_must_be_mondays(tmp_path):
    fr = good_frames()
    fr["closed_weeks"] = pd.DataFrame({"week": ["2025-02-04"], "reason": ["x"]})
    problems = _errors(data.validate(write(tmp_path, fr)))
    assert [(p.table, p.column, p.rule, p.rows) for p in problems] == [
        ("closed_weeks", "week", "week is a Monday", [1])]


def test_gaps_in_a_window_and_the_report_note(tmp_path):
    fr = _without_weeks(good_frames(), FEB[1:2] + ["2025-03-17"])
    fr["closed_weeks"] = pd.DataFrame({"week": ["2025-03-17"], "reason": ["停业"]})
    with data.load(write(tmp_path, fr), validate=False) as t:
        g = data.gaps(t)
        assert g.missing == [dt.date(2025, 2, 10)] and g.closed == [dt.date(2025, 3, 17)]
        assert bool(g)
        assert g.note("en") == ("Note: this window (2025-01-06 .. 2025-03-31) contains 1 week "
                                "without order lines (2025-02-10) and 1 week declared closed "
                                "(2025-03-17); their sales are counted as zero.")
        assert g.note("zh") == ("注意：本期窗口（2025-01-06 至 2025-03-31）含 1 周无订单数据"
                                "（2025-02-10）、1 周停业（2025-03-17）；这些周的销量按 0 计。")
        jan = data.gaps(t, "2025-01-01", "2025-01-31")
        assert not jan and jan.note("zh") == "" and jan.missing == jan.closed == []
        mar = data.gaps(t, "2025-03")  # a month: its Mondays
        assert mar.closed == [dt.date(2025, 3, 17)] and mar.missing == []
        assert (mar.first, mar.last) == (dt.date(2025, 3, 3), dt.date(2025, 3, 31))


def test_the_sample_has_no_gaps_and_declares_no_closed_weeks(small_dir, small_tables):
    """The generator writes orders in every week (Spring Festival raises demand, it does not
    close the wholesaler), so the closed_weeks table it writes is empty and the sample
    validates clean."""
    g = data.gaps(small_tables)
    assert g.missing == [] and g.closed == [] and g.n_weeks == 104
    assert (small_dir / "closed_weeks.csv").read_text(encoding="utf-8") == '"week","reason"\n'
    assert "closed_weeks" in small_tables.names and small_tables.count("closed_weeks") == 0


def test_a_deleted_month_of_the_sample_fails_validation(small_dir, tmp_path):
    d = tmp_path / "s"
    shutil.copytree(small_dir, d)
    o = pd.read_csv(d / "orders.csv", dtype=str, keep_default_na=False)
    sep = [w for w in o["week"].unique() if w.startswith("2026-09")]
    o[~o["week"].isin(sep)].to_csv(d / "orders.csv", index=False)
    [p] = data.validate(d)
    assert (p.rule, p.values) == ("missing weeks", sorted(sep))
    assert len(sep) == 4
    info = inspect_data(d)
    with pytest.raises(ParamError) as e:
        check_period(info, "2026-10")
    assert "2026-09-07, 2026-09-14, 2026-09-21, 2026-09-28" in str(e.value)
    assert "orders.week has 4 weeks without order lines" in str(e.value)


# --------------------------------------------------------------------------- 2. numbers, dates


@pytest.mark.parametrize("value", ["inf", "Infinity", "1e400", "nan", "-inf", "NaN"])
def test_non_finite_numbers_are_an_error_in_csv(value, tmp_path):
    fr = good_frames()
    fr["orders"]["amount"] = fr["orders"]["amount"].astype(object)
    fr["orders"].loc[3, "amount"] = value
    [p] = _errors(data.validate(write(tmp_path, fr)))
    assert (p.table, p.column, p.rule, p.rows, p.values) == (
        "orders", "amount", "finite number", [4], [value])
    assert p.message == (f"Table orders, column amount, row 4: value '{value}' is not a finite "
                         "number (rule finite number).")


@pytest.mark.parametrize("fmt", ["parquet", "duckdb", "xlsx"])
def test_non_finite_numbers_are_an_error_in_every_format(fmt, tmp_path):
    fr = good_frames()
    o = fr["orders"]
    o.loc[2, "amount"] = float("inf")
    o.loc[5, "demand_qty"] = float("-inf")
    fr["survey_responses"]["q1"] = fr["survey_responses"]["q1"].astype(float)
    fr["survey_responses"].loc[1, "q1"] = float("inf")
    problems = _errors(data.validate(write(tmp_path, fr, fmt)))
    got = sorted((p.table, p.column, p.rule, p.rows) for p in problems)
    assert got == [("orders", "amount", "finite number", [3]),
                   ("orders", "demand_qty", "finite number", [6]),
                   ("survey_responses", "q1", "finite number", [2])]


def test_infinite_and_pre_1900_dates_are_errors(tmp_path):
    fr = good_frames()
    fr["orders"].loc[4, "week"] = "infinity"
    fr["customers"].loc[2, "active_from"] = "25-10-22"  # read as the year 0025
    fr["products"].loc[1, "launch_date"] = "-infinity"
    problems = _errors(data.validate(write(tmp_path, fr)))
    got = {(p.table, p.column): p for p in problems}
    assert sorted(got) == [("customers", "active_from"), ("orders", "week"),
                           ("products", "launch_date")]
    assert got[("orders", "week")].message == (
        "Table orders, column week, row 5: value 'infinity' is not a date between 1900-01-01 "
        "and 2261-12-31 (rule date range).")
    assert got[("customers", "active_from")].rows == [3]
    assert "value '25-10-22' is not a date between 1900-01-01" in \
        got[("customers", "active_from")].message
    assert all(p.rule == "date range" for p in problems)


def test_dates_out_of_range_in_parquet_and_duckdb(tmp_path):
    fr = good_frames()
    fr["customers"]["active_from"] = pd.to_datetime(fr["customers"]["active_from"]).dt.date
    fr["customers"].loc[1, "active_from"] = dt.date(25, 10, 22)
    for fmt in ("parquet", "duckdb"):
        [p] = _errors(data.validate(write(tmp_path / fmt, fr, fmt)))
        assert (p.table, p.column, p.rule, p.rows) == ("customers", "active_from", "date range", [2])
    path = tmp_path / "duckdb" / "data.duckdb"
    con = duckdb.connect(str(path))
    con.execute("UPDATE customers SET active_from = DATE 'infinity' WHERE customer_id = 'C003'")
    con.close()
    [p] = _errors(data.validate(path))
    assert p.rows == [2, 3] and p.rule == "date range"


def test_an_infinite_week_does_not_reach_the_pre_check_as_a_raw_duckdb_error(tmp_path):
    fr = good_frames()
    fr["orders"].loc[4, "week"] = "infinity"
    src = write(tmp_path / "export", fr)
    info = inspect_data(src)  # today: ParamError "Conversion Error: Could not convert DATE ..."
    assert (info.first_week, info.last_week) == (dt.date(2025, 1, 6), dt.date(2025, 3, 31))
    assert info.invalid_weeks
    with pytest.raises(ParamError) as e:
        check_period(info, "2025-02")
    assert str(e.value) == (
        "--data: export: orders.week holds values that are not order weeks (empty, not a "
        "date, or outside 1900-01-01 .. 2261-12-31); `lean-analysis validate --data export` "
        "names their rows")
    assert not inspect_data(write(tmp_path / "good", good_frames())).invalid_weeks


# --------------------------------------------------------------------------- 3. periods


def test_a_period_without_order_lines_is_refused_before_any_kernel(small_dir, tmp_path, capsys):
    d = tmp_path / "s"
    shutil.copytree(small_dir, d)
    o = pd.read_csv(d / "orders.csv", dtype=str, keep_default_na=False)
    lone = o.iloc[[0]].copy()
    lone["week"] = "2099-01-05"
    pd.concat([o, lone]).to_csv(d / "orders.csv", index=False)
    info = inspect_data(d)
    with pytest.raises(ParamError) as e:
        check_period(info, "2050-01")
    assert e.value.key == "--period"
    msg = str(e.value)
    assert "2050-01 has no order lines in the data in s" in msg
    assert "the orders have the months 2024-11 .. 2026-10 and 2099-01" in msg
    # the weeks between 2026-10-26 and 2099-01-05 are holes in the range, reported too
    assert "orders.week has 3,766 weeks without order lines inside 2024-11-04 .. 2099-01-05 " \
           "(2026-11-02, 2026-11-09," in msg
    with pytest.raises(ParamError, match="2026-11 has no order lines"):
        check_period(info, "2026-11")
    # the CLI: exit 2 before any kernel, the message on stderr
    assert cli_main(["run", "--period", "2050-01", "--data", str(d)]) == 2
    err = capsys.readouterr().err
    assert "2050-01 has no order lines" in err


def test_period_check_with_weeks_known():
    weeks = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(13)]
    info = DataInfo(data.__path__[0], "folder", ["orders"], weeks[0], weeks[-1],
                    weeks=[w for w in weeks if w.month != 2], closed_weeks=[])
    with pytest.raises(ParamError) as e:
        check_period(info, "2025-02")
    assert "--period: 2025-02 has no order lines in the data in lean_analysis/data: the " \
           "orders have the months 2025-01 and 2025-03; and orders.week has 4 weeks" in str(e.value)
    for month in ("2025-01", "2025-03"):  # they have orders, but the range has holes
        with pytest.raises(ParamError) as e:
            check_period(info, month)
        assert e.value.key == "--data"
        assert str(e.value).startswith(
            "--data: lean_analysis/data: orders.week has 4 weeks without order lines inside "
            "2025-01-06 .. 2025-03-31 (2025-02-03, 2025-02-10, 2025-02-17, 2025-02-24): every "
            "report would read them as zero sales")
    closed = DataInfo(data.__path__[0], "folder", ["orders", "closed_weeks"], weeks[0],
                      weeks[-1], weeks=[w for w in weeks if w.month != 2],
                      closed_weeks=[w for w in weeks if w.month == 2])
    check_period(closed, "2025-03")  # declared closed: no error
    with pytest.raises(ParamError, match="2025-02 has no order lines"):
        check_period(closed, "2025-02")


# --------------------------------------------------------------------------- 4. extensions


def test_upper_case_extensions_are_accepted(tmp_path):
    src = write(tmp_path, good_frames())
    (src / "products.csv").rename(src / "products.CSV")
    (src / "customers.csv").rename(src / "customers.Csv")
    pd.read_csv(src / "orders.csv", dtype=str).to_parquet(src / "orders.Parquet")
    (src / "orders.csv").unlink()
    pd.read_csv(src / "manager_tests.csv", dtype=str).to_excel(src / "manager_tests.XLSX",
                                                               index=False)
    (src / "manager_tests.csv").unlink()
    assert data.validate(src) == []
    with data.load(src) as t:
        assert t.count("products") == 4 and t.count("orders") == len(good_frames()["orders"])
        assert [p.name for p in t.sources["products"]] == ["products.CSV"]

    db = write(tmp_path / "db", good_frames(), "duckdb")
    up = db.rename(db.with_name("data.DuckDB"))
    assert data.validate(up) == []


def test_a_table_in_two_cases_is_one_form_per_table(tmp_path):
    src = write(tmp_path, good_frames())
    shutil.copy(src / "products.csv", src / "products.CSV")
    problems = data.validate(src)
    [p] = problems
    assert (p.table, p.rule, p.severity) == ("products", "one form per table", "error")
    assert "products.CSV" in p.message and "products.csv" in p.message


def test_parts_with_upper_case_extensions(tmp_path):
    fr = good_frames()
    o = fr.pop("orders")
    src = write(tmp_path, fr)
    (src / "orders").mkdir()
    o.iloc[:100].to_csv(src / "orders" / "part-0.CSV", index=False)
    o.iloc[100:].to_csv(src / "orders" / "part-1.csv", index=False)
    assert data.validate(src) == []
    with data.load(src) as t:
        assert t.count("orders") == len(o)


# --------------------------------------------------------------------------- 5. paths, secrets


def test_data_messages_show_no_absolute_machine_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "hunter2secret")
    base = tmp_path / "hunter2secret-export"
    fr = good_frames()
    fr.pop("products")
    src = write(base, fr)
    (src / "manager_tests.parquet").write_bytes(b"not a parquet file")
    (src / "manager_tests.csv").unlink()
    problems = data.validate(src)
    text = "\n".join(p.message for p in problems)
    assert "products" in text and "manager_tests.parquet" in text
    for shown in [text, *(str(x) for x in _raised(src))]:
        assert str(tmp_path) not in shown, shown
        assert "hunter2secret" not in shown, shown
    missing = next(p for p in problems if p.rule == "missing table")
    assert "in ***-export" in missing.message


def _raised(src):
    """The messages of what opening and loading ``src`` (and a few wrong sources) raise."""
    out = []
    for arg in (src, src / "nowhere", src / "customers.csv"):
        try:
            data.load(arg)
        except (ValidationError, ValueError, OSError) as e:
            out.append(e)
    assert len(out) == 3
    return out


def test_pre_check_messages_show_no_absolute_machine_path(tmp_path):
    src = write(tmp_path / "export", good_frames())
    info = inspect_data(src)
    with pytest.raises(ParamError) as e:
        check_period(info, "2026-10")
    assert str(tmp_path) not in str(e.value) and "export" in str(e.value)
    with pytest.raises(ParamError) as e:
        check_tables(info, ["nope"], "x.yaml", "tables")
    assert str(tmp_path) not in str(e.value)
    with pytest.raises(ParamError) as e:
        inspect_data(tmp_path / "nowhere")
    assert str(tmp_path) not in str(e.value) and "nowhere does not exist" in str(e.value)
    bad = tmp_path / "x.txt"
    bad.write_text("x")
    with pytest.raises(ParamError) as e:
        inspect_data(bad)
    assert str(tmp_path) not in str(e.value)


def test_cli_validate_shows_no_absolute_path(tmp_path, capsys):
    fr = good_frames()
    fr["customers"].loc[1, "tier"] = 31
    src = write(tmp_path / "bad", fr)
    assert cli_main(["validate", "--data", str(src)]) == 1
    out = capsys.readouterr()
    assert str(tmp_path) not in out.out + out.err
    assert "(bad)" in out.out
    assert cli_main(["validate", "--data", str(tmp_path / "nowhere")]) == 1
    out = capsys.readouterr()
    assert str(tmp_path) not in out.out + out.err and "nowhere" in out.err

"""Validation: every rule on a bad input, all problems in one run, row numbers per format."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from test_data_common import good_frames, write

from lean_analysis import data
from lean_analysis.cli import main as cli_main
from lean_analysis.data import Problem, ValidationError


def _set(table, col, i, value):
    def f(fr):
        df = fr[table]
        if not pd.api.types.is_object_dtype(df[col]):
            df[col] = df[col].astype(object)
        df.loc[i, col] = value
    return f


def _first_capped_row(fr, avoid=(4, 5, 6, 7, 11)):
    o = fr["orders"]
    return next(i for i in o.index if pd.notna(o.loc[i, "cap_qty"]) and i not in avoid)


def _order_above_cap(fr):
    o = fr["orders"]
    i = _first_capped_row(fr)
    o.loc[i, "order_qty"] = o.loc[i, "cap_qty"] + 5


def _dup_first_order(fr):
    o = fr["orders"]
    fr["orders"] = pd.concat([o, o.iloc[[0]]], ignore_index=True)


def _add_col(table, col, value):
    def f(fr):
        fr[table][col] = value
    return f


def _cell(case_id, table, column, i, value, rule, row, text, flagged=None):
    """A case that plants ``value`` at index ``i`` of ``table.column``; the problem is expected
    in ``table``, at column ``flagged`` (default: the column planted)."""
    return (case_id, _set(table, column, i, value), table, flagged or column, rule, row, text)


# (id, corruption, table, column, rule, row (1-based data row) or None, text in the message);
# _cell(id, table, column, index planted, value, rule, row, text[, flagged column]) for the
# cases that plant one bad value
CASES = [
    # supply (精准市场投放): negative, and a specification that is not rationed
    _cell("supply negative", "supply", "supply_qty", 0, -1.0, "range >= 0", 1, "-1.0"),
    _cell("supply not rationed", "supply", "product_id", 0, "P02", "product is rationed", 1,
          "'P02'"),
    _cell("not null", "customers", "customer_name", 1, None, "not null", 2, "empty"),
    _cell("type date", "orders", "week", 6, "2025-13-01", "type date", 7, "'2025-13-01'"),
    _cell("type date nullable", "products", "launch_date", 0, "soon", "type date", 1, "'soon'"),
    _cell("type int", "customers", "tier", 2, "abc", "type int", 3, "'abc'"),
    _cell("type int fraction", "customers", "tier", 4, "12.5", "type int", 5, "'12.5'"),
    _cell("type float", "orders", "demand_qty", 11, "1,5", "type float", 12, "'1,5'"),
    _cell("type bool", "customers", "is_modern_terminal", 3, "maybe", "type bool", 4, "'maybe'"),
    _cell("range 1-30", "customers", "tier", 1, 31, "range 1–30", 2, "31"),
    _cell("range 1-5", "products", "price_class", 0, 6, "range 1–5", 1, "6"),
    _cell("range >= 0", "orders", "order_qty", 4, -3.0, "range >= 0", 5, "-3.0"),
    _cell("range 0-100", "manager_tests", "score", 1, 101.0, "range 0–100", 2, "101.0"),
    _cell("allowed area", "customers", "area", 2, "city", "allowed values", 3, "'city'"),
    _cell("allowed kind", "programmes", "kind", 1, "other", "allowed values", 2, "'other'"),
    _cell("fk customer", "orders", "customer_id", 5, "C999",
          "foreign key -> customers.customer_id", 6, "'C999'"),
    _cell("fk product", "shelf_checks", "product_id", 1, "P99",
          "foreign key -> products.product_id", 2, "'P99'"),
    _cell("fk programme", "programme_targets", "programme_id", 2, "X1",
          "foreign key -> programmes.programme_id", 3, "'X1'"),
    ("unique key", _dup_first_order, "orders", "week, customer_id, product_id", "unique key", 1,
     "appears 2 times"),
    ("order <= cap", _order_above_cap, "orders", "order_qty", "order_qty <= cap_qty", None,
     " > cap_qty "),
    _cell("retail >= wholesale", "products", "retail_price", 1, 50.0,
          "retail_price >= wholesale_price", 2, "retail_price 50.0 < wholesale_price 95.5"),
    _cell("active_to >= active_from", "customers", "active_to", 3, "2019-01-01",
          "active_to >= active_from", 4, "active_to 2019-01-01 < active_from 2020-01-01"),
    _cell("end >= start", "programmes", "end", 0, "2025-01-01",
          "end >= start", 1, "end 2025-01-01 < start 2025-02-03"),
    _cell("brand or product_id", "programmes", "product_id", 1, None,
          "brand or product_id", 2, "both brand and product_id are empty", flagged="brand"),
    _cell("scale_max > scale_min", "survey_items", "scale_max", 1, 1,
          "scale_max > scale_min", 2, "scale_max 1 <= scale_min 1"),
    _cell("items within scale", "survey_responses", "q1", 0, 7,
          "items within scale", 1, "scale 1–5 of item q1"),
    # row 2 of survey_responses has a comment spanning two lines: row 4 is still row 4
    _cell("row after multi-line record", "survey_responses", "q3", 3, 6,
          "items within scale", 4, "value 6.0"),
    _cell("overall within scale", "survey_responses", "overall", 2, 11,
          "items within scale", 3, "scale 0–10 of item overall"),
    _cell("item type", "survey_responses", "q2", 1, "good", "type float", 2, "'good'"),
    ("unknown item column", _add_col("survey_responses", "q9", 3),
     "survey_responses", "q9", "unknown column", None, "not an item_id of survey_items"),
    _cell("week is a Monday", "orders", "week", 7, "2025-01-07",
          "week is a Monday", 8, "'2025-01-07 (Tuesday)'"),
    _cell("month is the first day", "manager_forecasts", "month", 1, "2025-02-15",
          "month is the first day", 2, "'2025-02-15'"),
    _cell("wave is YYYY-MM", "survey_responses", "wave", 2, "2025-3",
          "wave is YYYY-MM", 3, "'2025-3'"),
    ("missing column", lambda fr: fr["products"].drop(columns=["brand"], inplace=True),
     "products", "brand", "missing column", None, "the column is missing"),
    ("missing table", lambda fr: fr.pop("orders"),
     "orders", None, "missing table", None, "required table is missing"),
]


def _find(problems, table, column, rule):
    hits = [p for p in problems if p.table == table and p.column == column and p.rule == rule]
    assert hits, f"no problem {table}.{column} {rule!r} in:\n" + "\n".join(
        p.message for p in problems)
    return hits[0]


def _check_problem(p: Problem, table, column, rule, row, text):
    assert p.severity == "error"
    assert f"Table {table}" in p.message
    if column:
        assert f"column {column}" in p.message or f"columns {column}" in p.message
    assert f"rule {rule}" in p.message
    assert text in p.message
    if row is not None:
        assert p.rows[0] == row
        assert f"row {row}" in p.message or f"rows {row}" in p.message


@pytest.fixture(scope="module")
def good_dir(tmp_path_factory):
    return write(tmp_path_factory.mktemp("good"), good_frames())


def test_good_tables_have_no_problem(good_dir):
    assert data.validate(good_dir) == []


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_rule_alone(case, tmp_path):
    _, corrupt, table, column, rule, row, text = case
    fr = good_frames()
    corrupt(fr)
    if row is None and rule == "order_qty <= cap_qty":
        row = _first_capped_row(good_frames()) + 1
    problems = data.validate(write(tmp_path, fr))
    p = _find(problems, table, column, rule)
    _check_problem(p, table, column, rule, row, text)
    errors = [q for q in problems if q.severity == "error"]
    assert errors == [p], "only the planted problem is an error"
    if rule == "unique key":
        assert p.rows == [1, len(fr["orders"])] and p.n_rows == 2


def test_all_problems_in_one_run(tmp_path):
    cases = [c for c in CASES if c[4] != "missing table"]
    fr = good_frames()
    capped_row = _first_capped_row(fr) + 1
    for c in cases:
        c[1](fr)
    problems = data.validate(write(tmp_path, fr))
    for _, _, table, column, rule, row, text in cases:
        if rule == "order_qty <= cap_qty":
            row = capped_row
        if rule == "items within scale" and column == "q1":
            continue  # q1's scale is intact, but see below
        p = next((p for p in problems if p.table == table and p.column == column
                  and p.rule == rule and (row is None or row in p.rows)), None)
        assert p is not None, (table, column, rule, row)
        assert text in p.message
    assert len({(p.table, p.column, p.rule) for p in problems}) >= len(cases) - 2
    with pytest.raises(ValidationError) as e:
        data.load(tmp_path)
    assert isinstance(e.value, ValueError)
    assert [p.message for p in e.value.problems] == [p.message for p in problems]
    for p in problems:
        assert p.message in str(e.value)


def test_row_list_is_capped_but_count_is_complete(tmp_path):
    fr = good_frames()
    bad = list(range(3, 3 + 2 * 25, 2))  # 25 rows
    fr["orders"].loc[bad, "order_qty"] = -1.0
    problems = data.validate(write(tmp_path, fr))
    p = _find(problems, "orders", "order_qty", "range >= 0")
    assert p.n_rows == 25
    assert p.rows == [i + 1 for i in bad[:10]]
    assert "25 rows" in p.message and "(first 4, 6, 8," in p.message


def test_warnings_do_not_stop_load(tmp_path):
    fr = good_frames()
    fr["customers"]["region"] = "东区"
    fr["products"].drop(columns=["launch_date"], inplace=True)
    tables = data.load(write(tmp_path, fr))
    rules = {(p.table, p.column, p.rule, p.severity) for p in tables.warnings}
    assert rules == {("customers", "region", "unknown column", "warning"),
                     ("products", "launch_date", "missing column", "warning")}
    assert tables["products"]["launch_date"].isna().all()


def test_csv_rows_that_cannot_be_read(tmp_path):
    src = write(tmp_path, good_frames())
    path = src / "orders.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[3] += ",extra"  # data row 3: too many fields
    lines[6] = "2025-01-06,C002"  # data row 6: too few
    fields = lines[10].split(",")
    fields[5] = "-1"  # data row 10: a negative order, found after the two bad rows
    lines[10] = ",".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")
    problems = data.validate(src)
    fmt = [p for p in problems if p.rule == "csv format"]
    assert sorted(r for p in fmt for r in p.rows) == [3, 6]
    assert all(p.table == "orders" and "row" in p.message for p in fmt)
    p = _find(problems, "orders", "order_qty", "range >= 0")
    assert p.rows == [10] and "row 10" in p.message


def test_csv_not_utf8(tmp_path):
    fr = good_frames()
    src = write(tmp_path, fr)
    fr["customers"].to_csv(src / "customers.csv", index=False, encoding="gbk")
    problems = data.validate(src)
    p = next(p for p in problems if p.rule == "csv format")
    assert p.table == "customers" and "not UTF-8" in p.message
    assert p.n_rows == len(fr["customers"])
    # the orders' foreign key is not checked against the unreadable customers
    fk = _find(problems, "orders", "customer_id", "foreign key -> customers.customer_id")
    assert fk.severity == "warning"


@pytest.mark.parametrize("fmt", ["parquet", "xlsx", "duckdb"])
def test_row_numbers_in_other_formats(fmt, tmp_path):
    fr = good_frames()
    fr["orders"].loc[4, "order_qty"] = -3.0
    fr["customers"].loc[2, "area"] = "city"
    problems = data.validate(write(tmp_path, fr, fmt))
    assert _find(problems, "orders", "order_qty", "range >= 0").rows == [5]
    assert _find(problems, "customers", "area", "allowed values").rows == [3]
    assert len([p for p in problems if p.severity == "error"]) == 2


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_row_numbers_in_parts(fmt, tmp_path):
    fr = good_frames()
    write(tmp_path, {k: v for k, v in fr.items() if k != "orders"})
    parts = tmp_path / "orders"
    parts.mkdir()
    o = fr["orders"]
    half = len(o) // 2
    o.loc[half + 2, "order_qty"] = -3.0  # row 3 of the second part
    for i, part in enumerate([o.iloc[:half], o.iloc[half:]]):
        if fmt == "csv":
            part.to_csv(parts / f"part-{i}.csv", index=False)
        else:
            part.to_parquet(parts / f"part-{i}.parquet", index=False)
    problems = data.validate(tmp_path)
    p = _find(problems, "orders", "order_qty", "range >= 0")
    assert p.rows == [3] and p.files == [f"part-1.{fmt}"]
    assert f"row 3 (part-1.{fmt})" in p.message
    assert [q for q in problems if q.severity == "error"] == [p]


def test_one_form_per_table(tmp_path):
    fr = good_frames()
    src = write(tmp_path, fr)
    fr["manager_tests"].to_parquet(src / "manager_tests.parquet")
    problems = data.validate(src)
    p = _find(problems, "manager_tests", None, "one form per table")
    assert "manager_tests.parquet" in p.message and "manager_tests.csv" in p.message


def test_unknown_table_file_is_a_warning(tmp_path):
    src = write(tmp_path, good_frames())
    shutil.copy(src / "orders.csv", src / "order.csv")
    problems = data.validate(src)
    assert [(p.table, p.rule, p.severity) for p in problems] == [
        ("order", "unknown table", "warning")]


def test_cli_exit_codes(tmp_path, capsys):
    good = write(tmp_path / "good", good_frames())
    assert cli_main(["validate", "--data", str(good)]) == 0
    out = capsys.readouterr().out
    n_rows = sum(len(df) for df in good_frames().values())
    assert f"OK: {len(good_frames())} tables, {n_rows:,} rows checked" in out

    fr = good_frames()
    fr["customers"].loc[1, "tier"] = 31
    fr["orders"].loc[5, "customer_id"] = "C999"
    bad = write(tmp_path / "bad", fr)
    assert cli_main(["validate", "--data", str(bad)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["severity", "table", "column", "rows", "rule", "message"]
    row = next(line for line in lines if "range 1–30" in line)
    assert row.split()[:4] == ["error", "customers", "tier", "2"]
    # the columns are aligned: every row's rule starts where the header's does
    col = lines[0].index("rule")
    assert all(line[col:].startswith(("rule", "-", "range", "foreign")) for line in lines[:4])
    assert "FAILED: 2 error(s)" in out

    assert cli_main(["validate", "--data", str(tmp_path / "nowhere")]) == 1


def test_area_in_the_users_words_is_read_as_urban_rural(small_dir, tmp_path):
    """城网 / 农网 (the users' words, DESIGN §1) are read as urban / rural, spaces around them
    ignored; the rows are counted in a warning, and other words are still errors."""
    d = tmp_path / "zh"
    shutil.copytree(small_dir, d)
    customers = pd.read_csv(d / "customers.csv", dtype=str, keep_default_na=False)
    expected = customers["area"].copy()
    customers["area"] = customers["area"].map({"urban": "城网", "rural": "农网"})
    customers.loc[3, "area"] = " 城网 " if expected[3] == "urban" else " 农网 "
    customers.to_csv(d / "customers.csv", index=False)

    problems = data.validate(d)
    assert [(p.table, p.column, p.rule, p.severity, p.n_rows) for p in problems] == [
        ("customers", "area", "synonyms", "warning", len(customers))]
    assert problems[0].rows[:3] == [1, 2, 3]
    with data.load(d) as t:
        got = t["customers"].set_index("customer_id")["area"]
    assert got.to_dict() == dict(zip(customers["customer_id"], expected, strict=True))

    customers.loc[5, "area"] = "城区"
    customers.to_csv(d / "customers.csv", index=False)
    errors = [p for p in data.validate(d) if p.severity == "error"]
    assert [(p.column, p.rule, p.rows, p.values) for p in errors] == [
        ("area", "allowed values", [6], ["城区"])]

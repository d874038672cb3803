"""Loading: formats give equal tables, types per schema, missing tables, fingerprint."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_data_common import good_frames, write

from lean_analysis import data
from lean_analysis.data import SCHEMAS, Tables, ValidationError


@pytest.fixture(scope="module")
def csv_tables(tmp_path_factory) -> Tables:
    return data.load(write(tmp_path_factory.mktemp("csv"), good_frames()))


@pytest.mark.parametrize("fmt", ["parquet", "xlsx", "duckdb"])
def test_formats_give_equal_tables(fmt, csv_tables, tmp_path):
    other = data.load(write(tmp_path, good_frames(), fmt))
    assert other.names == csv_tables.names == list(SCHEMAS)
    for name in csv_tables.names:
        pd.testing.assert_frame_equal(other[name], csv_tables[name], check_dtype=False)
    assert other.warnings == []


def test_excel_with_real_dates_and_numbers(csv_tables, tmp_path):
    """Excel cells holding dates, numbers and booleans read as the CSV text would."""
    fr = good_frames()
    o = fr["orders"]
    o["week"] = pd.to_datetime(o["week"])  # date cells
    c = fr["customers"]
    c["active_from"] = [dt.datetime(2020, 1, 1)] * 5 + [dt.datetime(2024, 6, 1, 0, 0)]
    c["is_modern_terminal"] = [True, False, True, False, True, False]
    write(tmp_path, {"orders": o, "customers": c}, "xlsx")
    write(tmp_path, {k: v for k, v in fr.items() if k not in ("orders", "customers")}, "csv")
    t = data.load(tmp_path)
    for name in ("orders", "customers"):
        pd.testing.assert_frame_equal(t[name], csv_tables[name], check_dtype=False)


def test_types_follow_the_schema(csv_tables):
    cols = dict(csv_tables.sql("DESCRIBE orders")[["column_name", "column_type"]].values)
    assert cols == {"week": "DATE", "customer_id": "VARCHAR", "product_id": "VARCHAR",
                    "demand_qty": "DOUBLE", "cap_qty": "DOUBLE", "order_qty": "DOUBLE",
                    "amount": "DOUBLE"}
    cust = csv_tables["customers"]
    assert cust["customer_id"].tolist()[0] == "007"  # an id is text: leading zeros stay
    assert "0004" in csv_tables["products"]["product_id"].tolist()
    # true/false, 是/否, 1/0
    assert cust["is_modern_terminal"].tolist() == [True, False, True, False, True, False]
    assert cust["tier"].tolist() == [3, 12, 25, 30, 8, 15]
    assert cust["active_to"].notna().sum() == 1
    # survey item columns are numbers; the comment keeps its line break
    resp = csv_tables["survey_responses"]
    assert resp["q1"].tolist()[:2] == [5.0, 4.0] and pd.isna(resp["q1"][2])
    assert resp["comment"][1] == "送货慢,\n希望改进"


def test_orders_are_a_view_over_the_file(csv_tables):
    kinds = dict(csv_tables.con.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall())
    assert "read_csv" in csv_tables.raw["orders"].plain_sql
    assert "orders" in kinds
    assert csv_tables.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'orders'").fetchall()[0][0] == 0
    assert csv_tables.count("orders") == len(good_frames()["orders"])


def test_missing_required_table_is_named(tmp_path):
    fr = good_frames()
    del fr["products"]
    with pytest.raises(ValidationError) as e:
        data.load(write(tmp_path, fr))
    msg = str(e.value)
    assert "Table products: the required table is missing" in msg
    assert "products.csv" in msg
    assert [p.rule for p in e.value.problems if p.severity == "error"] == ["missing table"]


def test_optional_tables_may_be_absent(tmp_path):
    fr = {k: v for k, v in good_frames().items() if SCHEMAS[k].required}
    t = data.load(write(tmp_path, fr))
    assert t.names == ["customers", "products", "orders"]
    assert t.warnings == []


def test_survey_responses_need_survey_items(tmp_path):
    fr = good_frames()
    del fr["survey_items"]
    problems = data.validate(write(tmp_path, fr))
    assert [(p.table, p.rule) for p in problems] == [("survey_responses", "items within scale")]
    assert "survey_items is missing" in problems[0].message


def test_load_a_subset_with_its_references(tmp_path):
    t = data.load(write(tmp_path, good_frames()), tables=["orders"])
    assert t.names == ["customers", "products", "orders"]
    with pytest.raises(ValueError, match="unknown table"):
        data.load(tmp_path, tables=["order"])


def test_no_such_source(tmp_path):
    with pytest.raises(FileNotFoundError):
        data.load(tmp_path / "nowhere")
    (tmp_path / "orders.csv").write_text("a\n1\n")
    with pytest.raises(ValueError, match="neither a folder"):
        data.load(tmp_path / "orders.csv")


def test_fingerprint(tmp_path):
    src = write(tmp_path / "a", good_frames())
    f1 = data.load(src).fingerprint
    assert data.load(src).fingerprint == f1 and len(f1) == 16
    same = write(tmp_path / "b", good_frames())
    assert data.load(same).fingerprint == f1  # the content, not the folder's place
    text = (src / "manager_tests.csv").read_text(encoding="utf-8")
    (src / "manager_tests.csv").write_text(text.replace("88.0", "87.0"), encoding="utf-8")
    assert data.load(src).fingerprint != f1
    db = write(tmp_path / "db", good_frames(), "duckdb")
    t = data.load(db)
    assert t.sources["orders"] == [db]
    assert len(t.fingerprint) == 16 and t.fingerprint == data.load(db).fingerprint


def test_database_with_numeric_ids_warns(tmp_path):
    fr = good_frames()
    path = write(tmp_path, fr, "duckdb")
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE manager_tests2 AS SELECT month, "
                "CAST(row_number() OVER () AS INTEGER) AS manager_id, score FROM manager_tests")
    con.execute("DROP TABLE manager_tests")
    con.execute("ALTER TABLE manager_tests2 RENAME TO manager_tests")
    con.close()
    problems = data.validate(path)
    assert [(p.table, p.column, p.rule, p.severity) for p in problems] == [
        ("manager_tests", "manager_id", "type str", "warning")]
    assert "stores it as INTEGER" in problems[0].message


def test_materialize_gives_the_same_tables(csv_tables, tmp_path):
    t = data.load(write(tmp_path, good_frames()), materialize=True)
    pd.testing.assert_frame_equal(t["orders"], csv_tables["orders"])
    assert t.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_typed_orders'"
    ).fetchall()[0][0] == 1


def test_schema_reference_is_up_to_date():
    """lean_analysis/data/TABLES.md is generated: regenerate it with
    ``python -c "from lean_analysis.data import schema_markdown as m; print(m(), end='')"``."""
    committed = Path(data.__file__).parent / "TABLES.md"
    assert committed.read_text(encoding="utf-8") == data.schema_markdown()


def test_schema_reference_names_every_table_and_rule():
    md = data.schema_markdown()
    for name, s in SCHEMAS.items():
        assert f"### {name}" in md
        for c in s.columns:
            assert f"| `{c.name}` |" in md
        for ch in s.checks:
            assert f"(`{ch}`)" in md
    assert "| `tier` | integer | no | range 1–30 |" in md
    assert "foreign key -> customers.customer_id" in md


def test_validate_an_open_tables_again(csv_tables):
    assert data.validate(csv_tables) == []
    assert data.validate(csv_tables) == []


def test_default_source_is_the_configured_data_dir(tmp_path, monkeypatch):
    src = write(tmp_path, good_frames())
    monkeypatch.setenv("LEAN_ANALYSIS_DATA", str(src))
    t = data.load()
    assert t.source == src.resolve() and t.count("orders") == len(good_frames()["orders"])

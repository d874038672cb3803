"""The checked copy of the tables (lean_analysis.data.checked_copy): a second load of the same
bytes reads the typed Parquet copy without checking again, and returns what a load without
copies returns; any changed byte, a changed rule, or an error anywhere in the source means
the checks run; copies in use are never pruned."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from test_data_common import good_frames, write

from lean_analysis import data
from lean_analysis.data import SCHEMAS, ValidationError, checked_copy


@pytest.fixture
def cache(tmp_path, monkeypatch):
    base = tmp_path / "checked"
    monkeypatch.setenv("LEAN_ANALYSIS_LOAD_CACHE", str(base))
    return base


def _uncached(folder, monkeypatch, **kw):
    with monkeypatch.context() as m:
        m.setenv("LEAN_ANALYSIS_LOAD_CACHE", "off")
        return data.load(folder, **kw)


def _frames_with_a_warning() -> dict[str, pd.DataFrame]:
    fr = good_frames()
    fr["customers"]["remark"] = "x"  # an unknown column: a warning, not an error
    return fr


def test_second_load_reads_the_copy_and_equals_a_load_without_it(tmp_path, cache, monkeypatch):
    src = write(tmp_path / "src", _frames_with_a_warning())
    ref = _uncached(src, monkeypatch)
    assert ref.checked_copy is None and ref.warnings  # the unknown column
    first = data.load(src)  # checks, keeps the copy, reads it
    second = data.load(src)  # reads it without checking
    some = data.load(src, tables=["orders"])  # a subset, from the copy of all tables
    copies = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(copies) == 1 and first.checked_copy == second.checked_copy == some.checked_copy == copies[0]
    assert sorted(p.name for p in copies[0].glob("*.parquet")) == sorted(f"{n}.parquet" for n in ref.names)
    for t in (first, second):
        assert t.names == ref.names and t.warnings == ref.warnings
        assert t.fingerprint == ref.fingerprint
        for name in ref.names:
            pd.testing.assert_frame_equal(t[name], ref[name], check_dtype=True, obj=name)
            assert t.raw[name].n_rows == ref.raw[name].n_rows == len(ref[name])
    ref_some = _uncached(src, monkeypatch, tables=["orders"])
    assert some.names == ref_some.names == ["customers", "products", "orders"]
    for name in some.names:
        pd.testing.assert_frame_equal(some[name], ref_some[name], check_dtype=True, obj=name)
    assert some.warnings == [p for p in ref.warnings if p.table in some.names]
    # the copy is typed: the views read Parquet, not the CSV
    sql = dict(second.con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall())
    assert "read_parquet" in sql["orders"] and "read_csv" not in sql["orders"]


def test_a_changed_byte_is_checked_again_and_its_error_named(tmp_path, cache):
    fr = good_frames()
    src = write(tmp_path / "src", fr)
    good = data.load(src)
    bad = fr["orders"].copy()
    bad.loc[4, "order_qty"] = -1.0
    write(src, {"orders": bad})
    with pytest.raises(ValidationError) as err:
        data.load(src)
    assert any(p.table == "orders" and p.column == "order_qty" and p.rows == [5]
               for p in err.value.problems)
    write(src, {"orders": fr["orders"]})  # the same bytes again: the same copy
    assert data.load(src).checked_copy == good.checked_copy


def test_a_changed_rule_makes_another_copy(tmp_path, cache, monkeypatch):
    src = write(tmp_path / "src", good_frames())
    one = data.load(src).checked_copy
    monkeypatch.setattr(checked_copy, "_CODE", "another version of the checks")
    two = data.load(src).checked_copy
    assert one != two and one.parent == two.parent and (two / "meta.json").exists()


def test_an_error_in_another_table_keeps_no_copy(tmp_path, cache):
    fr = good_frames()
    fr["survey_responses"].loc[0, "q1"] = 9  # outside the item's scale: an error
    src = write(tmp_path / "src", fr)
    t = data.load(src, tables=["orders"])  # checked alone, as without copies: no error
    assert t.checked_copy is None and t.names == ["customers", "products", "orders"]
    with pytest.raises(ValidationError, match="survey_responses"):
        data.load(src)
    assert not cache.exists() or not [p for p in cache.iterdir() if not p.name.startswith(".")]


def test_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAN_ANALYSIS_LOAD_CACHE", "off")
    assert checked_copy.root() is None
    assert data.load(write(tmp_path / "src", good_frames())).checked_copy is None


def test_prune_keeps_the_newest_and_those_in_use(tmp_path):
    base = tmp_path / "checked"
    names = [f"c{i}" for i in range(checked_copy.KEEP + 3)]
    for i, name in enumerate(names):  # c0 oldest
        (base / name).mkdir(parents=True)
        (base / name / "meta.json").write_text(json.dumps({}), encoding="utf-8")
        os.utime(base / name / "meta.json", (1_000_000 + i, 1_000_000 + i))
    (base / "c0" / f".in-use-{os.getpid()}").touch()  # read by a live process (this one)
    (base / "c1" / ".in-use-999999999").touch()  # by a process that has ended
    checked_copy._prune(base)
    kept = sorted(p.name for p in base.iterdir())
    assert kept == sorted(["c0", *names[-checked_copy.KEEP:]])


def test_every_table_of_the_schema_round_trips_with_its_types(tmp_path, cache, monkeypatch):
    src = write(tmp_path / "src", good_frames())
    ref = _uncached(src, monkeypatch)
    copy = data.load(src)
    assert set(ref.names) == set(SCHEMAS)
    for name in SCHEMAS:
        want = ref.sql(f'DESCRIBE "{name}"')[["column_name", "column_type"]]
        got = copy.sql(f'DESCRIBE "{name}"')[["column_name", "column_type"]]
        pd.testing.assert_frame_equal(got, want, obj=name)

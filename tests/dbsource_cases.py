"""The tests of a database source, run against a real throwaway server of each kind by
tests/test_source_postgres.py and tests/test_source_mysql.py.

The small sample is loaded into the server under the database's own (non-canonical) table
and column names; a mapping file maps them back. Then ``validate`` and two reports of the
monthly batch run from the database: their metrics.json must equal those of the same sample
read from files, byte for byte, and every table of the snapshot the files' table. The password comes from the variable the mapping
names, and no output of the run holds it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lean_analysis.data import testservers
from lean_analysis.data.schemas import SCHEMAS

# canonical table -> (database table, {canonical column: database column})
NAMES = {
    "customers": ("t_kh", {"customer_id": "khbm", "customer_name": "khmc", "tier": "dw",
                           "manager_id": "khjl"}),
    "products": ("t_sp", {"product_id": "spbm", "product_name": "spmc", "wholesale_price": "pfj"}),
    "orders": ("t_dd", {"week": "zc", "customer_id": "khbm", "product_id": "spbm",
                        "order_qty": "dgl", "cap_qty": "xl"}),
    "survey_responses": ("t_my", {"customer_id": "khbm"}),
}
PASSWORD_ENV = "LEAN_TEST_DB_PASSWORD"
PERIOD = "2026-10"


def server_fixture(kind: str):
    """A module fixture: a throwaway server of ``kind`` holding the small sample under
    :data:`NAMES`, plus its mapping file; stopped and removed at the end."""

    @pytest.fixture(scope="module")
    def server(small_dir, tmp_path_factory):
        if not testservers.available(kind):
            if os.environ.get("CI"):
                pytest.fail(f"{kind} is not installed on CI (make test installs it)")
            pytest.skip(f"{kind} is not installed (Debian package; `make test` installs it as root)")
        start = testservers.start_postgres if kind == "postgres" else testservers.start_mariadb
        srv = start()
        try:
            counts = testservers.load_sample(srv, small_dir, NAMES)
            tmp = tmp_path_factory.mktemp(f"src-{kind}")
            mapping = tmp / "source.yaml"
            mapping.write_text(yaml.safe_dump({
                "password_env": PASSWORD_ENV,
                "tables": {k: {"table": t, "columns": c} for k, (t, c) in NAMES.items()},
            }, allow_unicode=True), encoding="utf-8")
            yield srv, f"{srv.url}?mapping={mapping}", counts, tmp
        finally:
            srv.stop()

    return server


def env_with(password: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "MYSQL_PWD")}
    env[PASSWORD_ENV] = password
    env["LEAN_ANALYSIS_CACHE"] = str(tmp / "cache")
    return env


def cli(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lean-analysis")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=900)


def check_validate(server, small_tables):
    srv, url, counts, tmp = server
    assert counts["orders"] == small_tables.count("orders")
    r = cli(["validate", "--data", url], env_with(srv.password, tmp))
    assert r.returncode == 0, r.stdout + r.stderr
    assert srv.password not in r.stdout + r.stderr


# The reports run from the database (for time, two of the five; neither reads another report's
# metrics, as the overview's scorecard does): placement reads orders, customers and products,
# the survey its responses (the four mapped tables). The other reports read the same loaded
# tables: that every table of the snapshot equals the files' is checked below, table by table.
DB_REPORTS = ["03_satisfaction_survey", "04_market_placement"]


def check_batch_equals_files(server, small_batch, small_tables):
    srv, url, _, tmp = server
    _, files_folder = small_batch("zh")
    from conftest import write_batch

    from lean_analysis import data

    out = tmp / "outputs"
    r = cli(["run", str(write_batch(tmp, DB_REPORTS)), "--period", PERIOD, "--data", url, "--outputs", str(out),
             "--jobs", "2"],
            env_with(srv.password, tmp))
    assert r.returncode == 0, r.stdout + r.stderr
    folder = out / PERIOD
    metrics = sorted(p.name for p in folder.glob("*.metrics.json"))
    assert metrics == sorted(f"{n}.metrics.json" for n in DB_REPORTS)
    for name in metrics:
        assert (folder / name).read_bytes() == (files_folder / name).read_bytes(), name
    # the password is in no file of the run and not in what it printed
    leaked = [p for p in out.rglob("*") if p.is_file() and srv.password.encode() in p.read_bytes()]
    assert leaked == [] and srv.password not in r.stdout + r.stderr
    # the reports say where the data came from: the URL without password
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert srv.url.split("?")[0] in page
    # a second run reads the orders from the local snapshot
    snaps = list((tmp / "cache").glob("*/*/orders.parquet"))
    assert len(snaps) == 1, snaps
    # every table of the snapshot, as loaded, equals the same table loaded from the files
    with data.load(snaps[0].parent) as snap:
        assert sorted(snap.names) == sorted(small_tables.names)
        for name in small_tables.names:
            key = list(SCHEMAS[name].key) or list(small_tables[name].columns)
            a, b = (f.sort_values(key).reset_index(drop=True) for f in (snap[name], small_tables[name]))
            pd.testing.assert_frame_equal(a, b, check_dtype=True, obj=name)


def check_failures(server):
    srv, url, _, tmp = server
    env = env_with(srv.password, tmp)
    out = tmp / "fail-outputs"
    cases = {
        "wrong password": (url, env_with("not-the-password", tmp), "refused the user or password"),
        "server down": (url.replace(f":{srv.port}/", ":1/"), env, "cannot connect"),
        "missing table": (url.replace("source.yaml", "missing-table.yaml"), env, "t_nowhere"),
        "missing column": (url.replace("source.yaml", "missing-column.yaml"), env, "nope_col"),
        "timeout": (url.replace("source.yaml", "slow.yaml") + "&timeout=1", env, "timed out"),
    }
    doc = yaml.safe_load((tmp / "source.yaml").read_text(encoding="utf-8"))
    bad = {**doc, "tables": {**doc["tables"], "products": {"table": "t_nowhere"}}}
    (tmp / "missing-table.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    cols = dict(NAMES["customers"][1], tier="nope_col")
    bad = {**doc, "tables": {**doc["tables"], "customers": {"table": "t_kh", "columns": cols}}}
    (tmp / "missing-column.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    slow = ("SELECT t.* FROM t_sp t, (SELECT pg_sleep(3)) s" if srv.kind == "postgres" else
            "SELECT * FROM t_sp WHERE SLEEP(1) = 0")  # 3 s > timeout=1
    bad = {**doc, "tables": {**doc["tables"], "products": {"query": slow}}}
    (tmp / "slow.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    for what, (u, e, expect) in cases.items():
        r = cli(["run", "--period", PERIOD, "--data", u, "--outputs", str(out)], e)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert r.returncode == 2, (what, r.stdout, r.stderr)
        assert len(lines) == 1 and lines[0].startswith("lean-analysis run: error:"), (what, lines)
        assert expect in lines[0] and srv.url.split("@")[0] in lines[0], (what, lines)
        assert srv.password not in r.stderr + r.stdout, what
        assert not (out / PERIOD).exists(), what  # nothing published
    # a password in the URL itself is refused, and not echoed
    r = cli(["validate", "--data", url.replace("lean@", f"lean:{srv.password}@")], env)
    assert r.returncode != 0 and srv.password not in r.stdout + r.stderr
    assert "holds a password" in r.stdout + r.stderr


def check_bad_row_names_source_table_and_key(server, small_tables):
    srv, url, _, tmp = server
    cid = sorted(small_tables["customers"]["customer_id"])[0]
    old = int(small_tables["customers"].set_index("customer_id").loc[cid, "tier"])
    q = '"' if srv.kind == "postgres" else "`"
    testservers.execute(srv, f"UPDATE {q}t_kh{q} SET {q}dw{q} = 99 WHERE {q}khbm{q} = '{cid}'")
    try:
        r = cli(["validate", "--data", url], env_with(srv.password, tmp))
    finally:
        testservers.execute(srv, f"UPDATE {q}t_kh{q} SET {q}dw{q} = {old} WHERE {q}khbm{q} = '{cid}'")
    assert r.returncode == 1, r.stdout + r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "tier" in ln and "error" in ln)
    assert f"source table t_kh, key (khbm={cid})" in line, line

"""Database source vs files: load + validate + aggregate from a local PostgreSQL, as ratios
against the same from Parquet measured in the same run.

For each scale (county × K) it writes the sample as Parquet, starts a throwaway PostgreSQL
(lean_analysis.data.testservers), loads the tables into it, then times:

- ``parquet``: ``data.load(folder)`` (validated) + ``data.to_series`` by product and month
  (the anchor);
- ``pg cold``: the same from ``postgresql://…`` with an empty snapshot cache (every table
  pulled through ADBC into Arrow and a Parquet snapshot, then validated and aggregated);
- ``pg warm``: again, the orders' snapshot reused (its source fingerprint unchanged: only the
  small tables and the count/last week of the orders are read from the server);
- ``pg push-down``: the monthly aggregation by product pushed to the server as SQL (what
  the alternative design would pull instead of the order lines), for comparison.

    python benchmarks/bench_source.py                 # county × 1 and × 16
    python benchmarks/bench_source.py --scales 1      # quicker
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from lean_analysis import data  # noqa: E402
from lean_analysis.data import testservers  # noqa: E402
from lean_analysis.sample import write_sample  # noqa: E402

WORK = HERE / "_work" / "source"


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def load_and_aggregate(source) -> int:
    with data.load(source, tables=["customers", "products", "orders"]) as t:
        s = data.to_series(t, level=["product_id"], freq="MS", value="order_qty")
        return len(s)


def push_down(srv) -> int:
    import adbc_driver_postgresql.dbapi as adbc

    uri = f"postgresql://lean:{srv.password}@127.0.0.1:{srv.port}/lean"
    with adbc.connect(uri) as conn, conn.cursor() as cur:
        cur.execute("SELECT product_id, date_trunc('month', week) AS ds, sum(order_qty) AS y "
                    "FROM orders GROUP BY 1, 2")
        return cur.fetch_arrow_table().num_rows


def run(scale: int) -> dict:
    folder = WORK / f"county-x{scale}"
    if not (folder / "truth.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        write_sample(folder, size="county" if scale == 1 else f"county*{scale}", fmt="parquet")
    srv = testservers.start_postgres()
    try:
        t_load, _ = timed(lambda: testservers.load_sample(srv, folder, {}))
        os.environ["LEAN_ANALYSIS_DB_PASSWORD"] = srv.password
        cache = WORK / f"cache-x{scale}"
        shutil.rmtree(cache, ignore_errors=True)
        os.environ["LEAN_ANALYSIS_CACHE"] = str(cache)
        url = srv.url
        t_parquet, n1 = timed(lambda: load_and_aggregate(folder))
        t_cold, n2 = timed(lambda: load_and_aggregate(url))
        t_warm, n3 = timed(lambda: load_and_aggregate(url))
        t_push, n_push = timed(lambda: push_down(srv))
        assert n1 == n2 == n3, (n1, n2, n3)
        return {"scale": scale, "load_into_pg_s": t_load, "parquet_s": t_parquet,
                "pg_cold_s": t_cold, "pg_warm_s": t_warm, "push_down_s": t_push,
                "series_points": n1, "push_down_rows": n_push}
    finally:
        srv.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,16")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for scale in (int(x) for x in args.scales.split(",")):
        r = run(scale)
        a = r["parquet_s"]
        print(f"county x{scale}: parquet {a:.1f} s (anchor) | pg cold {r['pg_cold_s']:.1f} s "
              f"(x{r['pg_cold_s'] / a:.2f}) | pg warm {r['pg_warm_s']:.1f} s "
              f"(x{r['pg_warm_s'] / a:.2f}) | push-down aggregate alone {r['push_down_s']:.1f} s "
              f"(x{r['push_down_s'] / a:.2f}) | loading the server {r['load_into_pg_s']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

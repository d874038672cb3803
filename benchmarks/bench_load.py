"""Load + validate + aggregate the county sample, beside a plain pandas.read_csv.

    .venv/bin/python benchmarks/bench_load.py [--data DIR] [--synthetic]

Ours: ``data.load(DIR)`` (every validation check) then ``data.to_series(level=["product_id"],
freq="MS")``. Anchor: ``pandas.read_csv`` of the same files plus a pandas groupby of orders
to monthly product totals (no validation at all). Each side runs in its own subprocess so
that its peak memory (``ru_maxrss``) is its own. Goal (issue 2): ours ≤ 15 s and ≤ 2 GiB.

``--data`` defaults to ``config.SAMPLE_DIR``; when it is absent the county sample is written
there with ``lean_analysis.sample.write_sample(size="county")``. ``--synthetic`` (or a
missing sample generator) writes a synthetic county of the same shape (1,000 customers,
80 products, 156 weeks, ~3M order lines) to a temporary folder instead.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def side_ours(data_dir: str) -> dict:
    t0 = time.perf_counter()
    from lean_analysis import data

    tables = data.load(data_dir)
    t1 = time.perf_counter()
    series = data.to_series(tables, level=["product_id"], freq="MS")
    t2 = time.perf_counter()
    n_orders = tables.count("orders")
    return {"wall_s": t2 - t0, "load_validate_s": t1 - t0, "to_series_s": t2 - t1,
            "peak_mib": _peak_mib(), "rows_out": len(series), "order_lines": n_orders}


def side_pandas(data_dir: str) -> dict:
    t0 = time.perf_counter()
    import pandas as pd

    folder = Path(data_dir)
    frames = {}
    for p in sorted(folder.glob("*.csv")):
        frames[p.stem] = pd.read_csv(p)
    for p in sorted(folder.glob("*.parquet")):
        frames[p.stem] = pd.read_parquet(p)
    orders = frames["orders"]
    week = pd.to_datetime(orders["week"])
    month = week.dt.to_period("M").dt.start_time
    series = orders.groupby([orders["product_id"], month])["order_qty"].sum()
    t1 = time.perf_counter()
    return {"wall_s": t1 - t0, "peak_mib": _peak_mib(), "rows_out": len(series),
            "order_lines": len(orders)}


def write_synthetic(out: Path, seed: int = 1) -> Path:
    """A county-shaped synthetic data set (valid against the schemas), CSV."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_c, n_p, n_w = 1000, 80, 156
    cust = pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n_c)],
        "customer_name": [f"零售户{i}" for i in range(n_c)],
        "area": rng.choice(["urban", "rural"], n_c),
        "tier": rng.integers(1, 31, n_c),
        "format": rng.choice(["便利店", "食杂店", "超市"], n_c),
        "manager_id": [f"M{i % 8:02d}" for i in range(n_c)],
        "is_modern_terminal": rng.random(n_c) < 0.05,
        "active_from": "2020-01-01",
        "active_to": None,
    })
    wholesale = rng.uniform(20, 400, n_p).round(2)
    prod = pd.DataFrame({
        "product_id": [f"P{i:03d}" for i in range(n_p)],
        "brand": rng.choice(["芙蓉王", "红塔山", "白沙", "黄鹤楼"], n_p),
        "product_name": [f"规格{i}" for i in range(n_p)],
        "price_class": rng.integers(1, 6, n_p),
        "wholesale_price": wholesale,
        "retail_price": (wholesale * 1.12).round(2),
        "is_key_brand": rng.random(n_p) < 0.5,
        "launch_date": None,
    })
    prod.to_csv(out / "products.csv", index=False)
    cust.to_csv(out / "customers.csv", index=False)
    weeks = [dt.date(2023, 1, 2) + dt.timedelta(weeks=i) for i in range(n_w)]
    capped = rng.random(n_p) < 0.2
    with open(out / "orders.csv", "w", encoding="utf-8") as f:
        f.write("week,customer_id,product_id,demand_qty,cap_qty,order_qty,amount\n")
        for w in weeks:
            n = n_c * 20
            c = rng.integers(0, n_c, n)
            p = rng.integers(0, n_p, n)
            key = np.unique(c * n_p + p)
            c, p = key // n_p, key % n_p
            demand = rng.poisson(3, len(key)).astype(float)
            cap = np.where(capped[p], rng.integers(1, 6, len(key)), np.nan)
            order = np.where(np.isnan(cap), demand, np.minimum(demand, cap))
            df = pd.DataFrame({
                "week": w.isoformat(), "customer_id": cust["customer_id"].to_numpy()[c],
                "product_id": prod["product_id"].to_numpy()[p], "demand_qty": demand,
                "cap_qty": cap, "order_qty": order, "amount": (order * wholesale[p]).round(2),
            })
            df.to_csv(f, index=False, header=False)
    return out


def _run_side(side: str, data_dir: Path) -> dict:
    env = dict(os.environ)
    res = subprocess.run(
        [sys.executable, str(HERE), "--side", side, "--data", str(data_dir)],
        capture_output=True, text=True, env=env, check=False,
    )
    if res.returncode != 0:
        sys.stderr.write(res.stderr)
        raise SystemExit(f"the {side} side failed")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="folder of tables (default: the county sample)")
    ap.add_argument("--synthetic", action="store_true", help="use a synthetic county instead")
    ap.add_argument("--side", choices=["ours", "pandas"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.side:
        result = side_ours(args.data) if args.side == "ours" else side_pandas(args.data)
        print(json.dumps(result))
        return 0

    tmp = None
    if args.synthetic:
        tmp = tempfile.TemporaryDirectory()
        data_dir = write_synthetic(Path(tmp.name) / "synthetic-county")
        what = "synthetic county (benchmarks/bench_load.py write_synthetic)"
    else:
        from lean_analysis import config

        data_dir = Path(args.data) if args.data else config.SAMPLE_DIR
        what = str(data_dir)
        if not (data_dir / "orders.csv").exists() and not (data_dir / "orders").is_dir() \
                and not (data_dir / "orders.parquet").exists():
            try:
                from lean_analysis.sample import write_sample
            except ImportError:
                tmp = tempfile.TemporaryDirectory()
                data_dir = write_synthetic(Path(tmp.name) / "synthetic-county")
                what = "synthetic county (lean_analysis.sample.write_sample is not available)"
            else:
                print(f"writing the county sample to {data_dir} ...", flush=True)
                write_sample(data_dir, size="county")
    try:
        ours = _run_side("ours", data_dir)
        anchor = _run_side("pandas", data_dir)
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(f"data: {what}; {ours['order_lines']:,} order lines; {os.cpu_count()} cores")
    print(f"{'':34}{'wall s':>9}{'peak MiB':>10}")
    print(f"{'ours: load+validate+to_series':34}{ours['wall_s']:9.2f}{ours['peak_mib']:10.0f}"
          f"   (load+validate {ours['load_validate_s']:.2f} s, to_series {ours['to_series_s']:.2f} s)")
    print(f"{'anchor: pandas read_csv+groupby':34}{anchor['wall_s']:9.2f}{anchor['peak_mib']:10.0f}")
    print(f"ratio ours/anchor: time {ours['wall_s'] / anchor['wall_s']:.2f}, "
          f"peak memory {ours['peak_mib'] / anchor['peak_mib']:.2f}")
    ok = ours["wall_s"] <= 15 and ours["peak_mib"] <= 2048
    print(f"goal ≤ 15 s and ≤ 2 GiB: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

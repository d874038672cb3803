"""Time brand.did (TWFE on pyfixest, with the event study) against statsmodels OLS with
unit and time dummies (the anchor), both with unit-clustered standard errors.

    .venv/bin/python benchmarks/bench_did.py [--quick] [--customers 5000] [--months 36]

The full panel (5,000 customers × 36 months = 180,000 rows) is out of reach for the dummy
regression (a 180,000 × 5,036 design matrix, ~7 GB), so the anchor is timed on smaller panels
of the same design (300 and 600 customers); the script prints the measured ratio at equal size
and the anchor's time extrapolated to the full panel from the two subsets' growth
(time ∝ customers^b, b fitted), saying which figure is measured and which extrapolated.
Goal: brand.did ≤ 2 s on the full panel.
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import numpy as np
import pandas as pd


def simulate(n_customers: int, n_months: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n_customers), n_months)
    t = np.tile(np.arange(n_months), n_customers)
    treated = u < n_customers // 10
    start = n_months * 2 // 3
    y = (20 + rng.normal(0, 5, n_customers)[u] + 2 * np.sin(t / 2)
         + rng.normal(0, 3, len(u)) + 2.0 * (treated & (t >= start)))
    return pd.DataFrame({"customer_id": [f"C{i:05d}" for i in u], "month": t, "qty": y,
                         "is_target": treated})


def time_brand(panel: pd.DataFrame, start: int, repeat: int = 3,
               event_study: bool = True) -> tuple[float, object]:
    from lean_analysis import brand

    best, res = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = brand.did(panel, "customer_id", "month", "qty", "is_target", start=start,
                        event_study=event_study)
        best = min(best, time.perf_counter() - t0)
    return best, res


def time_statsmodels(panel: pd.DataFrame, start: int, repeat: int = 2) -> tuple[float, float, float]:
    """statsmodels OLS with customer and month dummies, clustered SE; best of ``repeat``,
    with single-threaded BLAS like brand.did (multi-threaded OpenBLAS on a busy 2-core
    machine made single runs vary 5-fold)."""
    import statsmodels.formula.api as smf
    from threadpoolctl import threadpool_limits

    d = panel.assign(D=(panel["is_target"] & (panel["month"] >= start)).astype(float))
    best, fit = math.inf, None
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(repeat):
            t0 = time.perf_counter()
            fit = smf.ols("qty ~ D + C(customer_id) + C(month)", d).fit(
                cov_type="cluster", cov_kwds={"groups": pd.factorize(d["customer_id"])[0]})
            best = min(best, time.perf_counter() - t0)
    return best, float(fit.params["D"]), float(fit.bse["D"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--quick", action="store_true", help="anchor on 300 customers only")
    args = ap.parse_args()

    panel = simulate(args.customers, args.months)
    start = args.months * 2 // 3
    from lean_analysis import brand  # noqa: F401  (import cost not timed)

    # warm-up (pyfixest's first call compiles / imports formula machinery)
    time_brand(simulate(200, args.months, seed=1), start, repeat=1)

    t_full, res = time_brand(panel, start)
    t_twfe, _ = time_brand(panel, start, event_study=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # KiB -> MiB (Linux)
    print(f"brand.did  {args.customers:>5} customers × {args.months} months "
          f"({len(panel):,} rows): {t_full:.2f} s with the event study, {t_twfe:.2f} s without "
          f"(best of 3); process peak RSS so far {peak:.0f} MiB")
    print(f"           estimate {res.estimate:.3f} (planted 2.0), SE {res.se:.3f}, "
          f"pre-trend p {res.pretrend_p:.2f}; goal ≤ 2 s: {'met' if t_full <= 2 else 'NOT met'}")

    sizes = [300] if args.quick else [300, 600]
    times = {}
    for n in sizes:
        sub = simulate(n, args.months, seed=n)  # same design, n customers, 10 % treated
        t_sm, b_sm, se_sm = time_statsmodels(sub, start)
        t_b, r_b = time_brand(sub, start)
        times[n] = t_sm
        print(f"subset {n:>4} customers ({len(sub):,} rows): statsmodels OLS with dummies "
              f"{t_sm:.2f} s, brand.did {t_b:.3f} s -> ratio {t_sm / t_b:.0f}× (measured); "
              f"estimates {b_sm:.4f} vs {r_b.estimate:.4f} (planted 2.0)")
    gib = len(panel) * (args.customers + args.months) * 8 / 2**30
    if len(times) == 2 and times[600] > times[300]:
        b = math.log(times[600] / times[300]) / math.log(2)
        extrap = times[300] * (args.customers / 300) ** b
        print(f"statsmodels time grows as customers^{b:.2f}; extrapolated to {args.customers} "
              f"customers: {extrap:,.0f} s -> ratio ≈ {extrap / t_full:,.0f}× (extrapolated, "
              f"not measured; the dummy design alone would need {gib:.1f} GiB)")
    elif len(times) == 2:
        print("statsmodels timings did not grow with size in this run (machine load); "
              "no extrapolation printed")


if __name__ == "__main__":
    main()

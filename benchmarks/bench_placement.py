"""Time the placement recommendation for 80 specifications × 30 tiers against anchors
measured in the same run.

    .venv/bin/python benchmarks/bench_placement.py [--products 80] [--seed 0]

Two steps of :func:`lean_analysis.placement.recommend` scale with the specifications:

1. the demand fit (one censored NB fit per specification, :func:`placement.uncensor`'s
   ``fit_nb``: scipy BFGS with the analytic gradient), anchored on the same likelihood
   maximised by statsmodels ``GenericLikelihoodModel`` (numerical gradients, as the first
   version did);
2. the caps (``caps_for(policy="demand")``: the LP relaxation with the rounding repair),
   anchored on the exact 0–1 MILP (HiGHS, ``method="milp"``), with the served cartons
   the repaired LP gives up against the optimum.

Each specification: lines simulated from the model (3 months, ~2,000 lines, demand ≥ cap
hidden on half of the capped lines), 30 tiers with 0–25 ordering customers per week, a
supply of 40–90 % of the expected demand. Prints seconds and ratios (anchor ÷ ours), no
limits: the machine is shared.
"""

from __future__ import annotations

import argparse
import importlib
import time
import warnings

import numpy as np
import pandas as pd


def simulate(n_products: int, seed: int):
    rng = np.random.default_rng(seed)
    tiers = np.arange(1, 31)
    out = []
    for i in range(n_products):
        beta = np.array([rng.uniform(-1, 1), rng.uniform(0.8, 2.0), rng.uniform(-0.3, 0.1)])
        gamma = np.array([rng.uniform(-1, 1), rng.uniform(-0.5, 0.5)])
        n = rng.integers(0, 26, 30).astype(float)
        tier = rng.choice(tiers, 2000, p=(n + 0.5) / (n + 0.5).sum())
        z = (tier - 15) / 10
        mu = np.exp(beta[0] + beta[1] * z + beta[2] * z * z)
        a = np.exp(gamma[0] + gamma[1] * z)
        d = rng.negative_binomial(1 / a, 1 / (1 + a * mu))
        cap = np.maximum(1, np.round(np.exp(0.08 * (tier - 1)))).astype(float)
        keep = d >= 1
        tier, d, cap = tier[keep], d[keep], cap[keep]
        censored = (d >= cap) & (rng.random(len(d)) < 0.5)
        value = np.where(censored, cap, d).astype(float)
        out.append({"pid": f"S{i:03d}", "tier": tier, "value": value, "censored": censored, "n": n,
                    "mean_demand": float((n * np.exp(beta[0] + beta[1] * (tiers - 15) / 10
                                                     + beta[2] * ((tiers - 15) / 10) ** 2)).sum())})
    return out, rng


def grouped(s):
    g = pd.DataFrame({"tier": s["tier"], "value": s["value"], "censored": s["censored"]})
    return g.groupby(["tier", "value", "censored"]).size().reset_index(name="w")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=80)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    U = importlib.import_module("lean_analysis.placement.uncensor")
    R = importlib.import_module("lean_analysis.placement.recommend")
    specs, rng = simulate(args.products, args.seed)
    groups = [grouped(s) for s in specs]

    # 1. the demand fit
    t0 = time.perf_counter()
    fits = [U.fit_nb(g["value"], g["tier"], g["censored"], g["w"])[0] for g in groups]
    t_fit = time.perf_counter() - t0
    n_anchor = min(len(groups), 10)  # the anchor is slow: timed on 10, scaled per fit
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for g in groups[:n_anchor]:
            U.NBTierModel(g["value"], g["tier"], g["censored"], g["w"]).fit(method="bfgs")
    t_fit_anchor = (time.perf_counter() - t0) / n_anchor * len(groups)

    # 2. the caps
    params = pd.DataFrame([{"product_id": s["pid"], "const": f[0], "z": f[1], "z2": f[2],
                            "log_alpha": f[3], "log_alpha_z": f[4], "identified": True}
                           for s, f in zip(specs, fits, strict=True)])
    unc = U.Uncensored(lines=pd.DataFrame({"value": np.concatenate([s["value"] for s in specs])}),
                       params=params)
    supplies = [float(rng.uniform(0.4, 0.9) * s["mean_demand"]) for s in specs]
    t0 = time.perf_counter()
    ours = [R.caps_for("demand", s["pid"], s["n"], sup, unc, 0.08)[0]
            for s, sup in zip(specs, supplies, strict=True)]
    t_caps = time.perf_counter() - t0
    t0 = time.perf_counter()
    exact = []
    for s, sup in zip(specs, supplies, strict=True):
        gain = R._gain(unc, s["pid"], s["n"], sup)
        exact.append((R.solve_caps(gain, s["n"], sup, 1, method="milp"), gain))
    t_caps_anchor = time.perf_counter() - t0
    short = []
    for c, (e, gain) in zip(ours, exact, strict=True):
        if e is not None and c is not None:
            short.append(1 - R.served_of(gain, c).sum() / R.served_of(gain, e).sum())
    print(f"specifications × tiers: {args.products} × 30")
    print(f"demand fit : ours {t_fit:7.2f} s  anchor (statsmodels, numerical gradient, "
          f"{n_anchor} timed) {t_fit_anchor:7.2f} s  ratio {t_fit_anchor / t_fit:6.1f}×")
    print(f"caps       : ours {t_caps:7.2f} s  anchor (exact MILP) {t_caps_anchor:7.2f} s  "
          f"ratio {t_caps_anchor / t_caps:6.1f}×")
    print(f"recommend  : ours {t_fit + t_caps:7.2f} s  anchor {t_fit_anchor + t_caps_anchor:7.2f} s  "
          f"ratio {(t_fit_anchor + t_caps_anchor) / (t_fit + t_caps):6.1f}×")
    print(f"served cartons given up by the repaired LP vs the MILP optimum: mean "
          f"{np.mean(short):.4%}, max {np.max(short):.4%}")


if __name__ == "__main__":
    main()

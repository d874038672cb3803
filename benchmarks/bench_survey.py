"""Benchmark: the whole survey analysis on 100,000 respondents × 20 items.

Times scoring, stratified weights, design-based index / satisfied share / dimension means,
domain estimates (area, tier band, format, manager), alpha per dimension, Shapley drivers,
the EB manager league and segment differences, beside the anchor: plain pandas means of the
same data (item means and the same domain group-bys, no design). Goal: ≤ 5 s on 2 cores.

    .venv/bin/python benchmarks/bench_survey.py [--quick] [--n 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from lean_analysis import survey

DIMS = {"货源供应": 3, "订货服务": 3, "配送服务": 3, "客户经理服务": 3, "品牌宣传": 3,
        "投诉处理": 3, "市场管理": 2}  # 20 items


def simulate(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = []
    for d, k in DIMS.items():
        for j in range(k):
            rows.append({"item_id": f"{d}_{j + 1}", "dimension": d, "label_zh": f"{d}{j + 1}",
                         "label_en": f"{d} {j + 1}", "scale_min": 1, "scale_max": 5,
                         "reverse": j == 2, "weight": 1.0 / 20})
    rows.append({"item_id": "overall", "dimension": "overall", "label_zh": "总体",
                 "label_en": "overall", "scale_min": 1, "scale_max": 5, "reverse": False,
                 "weight": 0.0})
    items = pd.DataFrame(rows)
    n_pop = 10 * n
    pop = pd.DataFrame({
        "area": rng.choice(["urban", "rural"], n_pop, p=[0.4, 0.6]),
        "tier_band": rng.choice(["1-10", "11-20", "21-30"], n_pop, p=[0.5, 0.35, 0.15]),
    })
    smp = pop.sample(n=n, random_state=seed).reset_index(drop=True)
    smp["format"] = rng.choice(["便利店", "食杂店", "超市", "烟酒店"], n)
    smp["manager_id"] = [f"M{i:03d}" for i in rng.integers(0, 600, n)]
    smp["wave"] = "2026-10"
    weights = rng.dirichlet(np.ones(len(DIMS)) * 2)
    latent = rng.normal(0, 1, (n, len(DIMS)))
    overall = latent @ weights * 2 + rng.normal(0, 0.5, n)
    for di, (d, k) in enumerate(DIMS.items()):
        for j in range(k):
            x = np.clip(np.round(3.5 + latent[:, di] + rng.normal(0, 0.7, n)), 1, 5)
            if j == 2:
                x = 6 - x
            x[rng.random(n) < 0.02] = np.nan
            smp[f"{d}_{j + 1}"] = x
    smp["overall"] = np.clip(np.round(3.8 + overall), 1, 5)
    return smp, items, pop


def analysis(smp: pd.DataFrame, items: pd.DataFrame, pop: pd.DataFrame) -> dict:
    scored = survey.score_responses(smp, items, weights="items")
    dims = scored.attrs["dimensions"]
    df = survey.stratified_weights(scored, pop, ["area", "tier_band"])
    d = survey.Design(df, weight="weight", strata=["area", "tier_band"], fpc="fpc")
    out = {"index": survey.design_mean(d, "index"), "share": survey.design_share(d, "satisfied")}
    out["dims"] = [survey.design_mean(d, c) for c in dims]
    out["domains"] = {b: survey.design_by(d, ["index", *dims], b)
                      for b in ["area", "tier_band", "format", "manager_id"]}
    out["share_by_area"] = survey.design_by(d, "satisfied", "area", stat="share")
    out["segments"] = survey.segment_differences(d, "index", "format")
    scores = survey.item_scores(smp, items)
    out["reliability"] = survey.reliability_table(scores, items)
    out["drivers"] = survey.driver_importance(df, "overall_score", dims)
    out["ipa"] = survey.ipa_table(out["drivers"], pd.Series({c: e.estimate for c, e in
                                                             zip(dims, out["dims"], strict=True)}))
    out["league"] = survey.manager_league(df, "index")
    return out


def anchor(smp: pd.DataFrame, items: pd.DataFrame) -> None:
    cols = [c for c in items["item_id"]]
    smp[cols].mean()
    for b in ["area", "tier_band", "format", "manager_id"]:
        smp.groupby(b)[cols].mean()


def best_of(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="10,000 respondents, one repeat")
    args = ap.parse_args()
    n = 10_000 if args.quick else args.n
    repeat = 1 if args.quick else 3
    smp, items, pop = simulate(n, args.seed)
    survey.tokenize(["预热"])  # load jieba once (not part of the numeric analysis)
    ours = best_of(lambda: analysis(smp, items, pop), repeat)
    base = best_of(lambda: anchor(smp, items), repeat)
    tracemalloc.start()
    res = analysis(smp, items, pop)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"respondents {n:,} × {len(items) - 1} items (+ overall); best of {repeat}")
    print(f"survey analysis          {ours:8.3f} s   (goal ≤ 5 s)")
    print(f"plain pandas means       {base:8.3f} s")
    print(f"ratio                    {ours / base:8.1f} ×")
    print(f"peak traced memory       {peak / 2**20:8.1f} MiB")
    print(f"index {res['index'].estimate:.2f} ± {res['index'].se:.3f}, "
          f"satisfied {res['share'].estimate:.3f}, managers {len(res['league'])}")


if __name__ == "__main__":
    main()

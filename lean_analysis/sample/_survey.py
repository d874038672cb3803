"""Satisfaction survey: items, a population of answers for every customer, a stratified sample.

Every active customer of a wave answers (the population); the true population index is
computed on all of them; then a stratified random sample (area × tier band, different
sampling fractions per stratum) is kept as the respondents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lean_analysis.sample import _catalogue as cat
from lean_analysis.sample._world import World, stream

WAVES = ("2026-04", "2026-10")
# Sampling fraction per stratum (area, tier band): different, so the weights matter.
FRACTIONS = {
    ("urban", "1-10"): 0.35, ("urban", "11-20"): 0.50, ("urban", "21-30"): 0.70,
    ("rural", "1-10"): 0.30, ("rural", "11-20"): 0.40, ("rural", "21-30"): 0.60,
}
# Planted driver weights of the dimensions (normalised to sum 1): 13, 11, 9, 7, 5, 3, 1 / 49.
# The larger weights go to the dimensions with the most room below the ceiling (5), so that
# ~400 respondents rank them correctly (Shapley/LMG, relative weights).
DRIVER_RAW = {"supply": 13, "complaints": 11, "delivery": 9, "market": 7, "promotion": 5,
              "manager": 3, "ordering": 1}
# Latent centre of each dimension's items (1–5 answer scale) and the latent spread.
CENTER = {"supply": 4.62, "ordering": 4.90, "delivery": 4.82, "manager": 4.88,
          "promotion": 4.77, "complaints": 4.72, "market": 4.77}
SPREAD = 0.6
SEGMENT_SCALE = 1.0
PERSISTENT = 0.6  # share of the latent variance that a customer keeps between waves
ITEM_NOISE = {3: 0.30, 2: 0.22}  # by number of items of the dimension (equal reliability)
OVERALL_CENTER, OVERALL_SCALE, OVERALL_NOISE = 8.7, 1.5, 0.10
P_MISSING_ITEM, P_MISSING_OVERALL, P_EMPTY_COMMENT = 0.01, 0.005, 0.38
WAVE_SHIFT = {1: {"ordering": 0.20, "promotion": 0.10}}  # wave index -> dimension -> shift

INDEX_DEFINITION = (
    "item score = (x − scale_min) / (scale_max − scale_min) × 100, reversed (100 − score) "
    "when reverse; respondent index = Σ weight_i × score_i / Σ weight_i over the answered "
    "items of the 7 dimensions (the overall item excluded); population index = plain mean of "
    "the respondent index over every customer of the wave's frame (active on the first day "
    "of the wave month). Satisfied share = share of those answering the overall question with "
    "an answer in its top 2 boxes (9–10 on 1–10)."
)


def items_frame() -> pd.DataFrame:
    rows = []
    for zh, key, _en, items in cat.DIMENSIONS:
        for item_id, lzh, len_, rev in items:
            rows.append((item_id, zh, lzh, len_, 1, 5, rev, cat.ITEM_WEIGHT[key]))
    oid, odim, ozh, oen = cat.OVERALL_ITEM
    rows.append((oid, odim, ozh, oen, 1, 10, False, 0.0))
    return pd.DataFrame(rows, columns=["item_id", "dimension", "label_zh", "label_en",
                                       "scale_min", "scale_max", "reverse", "weight"])


def manager_quality(world: World) -> np.ndarray:
    """A latent quality per customer manager (drives survey answers and test scores)."""
    return stream(world.seed, "managers").standard_normal(len(world.manager_ids))


def _frame(world: World, wave: str) -> np.ndarray:
    d0 = pd.Timestamp(wave + "-01").date()
    cu = world.customers
    active_to = cu["active_to"]
    ok = (cu["active_from"] <= d0) & (active_to.isna() | active_to.map(lambda x: x is None or x >= d0))
    return np.flatnonzero(ok.to_numpy())


def make_survey(world: World) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    rng = stream(world.seed, "survey")
    items = items_frame()
    dims = [(zh, key, its) for zh, key, _en, its in cat.DIMENSIONS]
    D = len(dims)
    C = world.size.n_customers
    cu = world.customers
    rural = ~world.urban
    band = cu["tier_band"].to_numpy()
    quality = manager_quality(world)[world.manager]
    seg = np.zeros((C, D))
    for j, (_zh, key, _its) in enumerate(dims):
        if key == "delivery":
            seg[:, j] -= 0.30 * rural
        if key == "market":
            seg[:, j] -= 0.10 * rural
        if key == "supply":
            seg[:, j] += np.where(band == "1-10", -0.25, np.where(band == "21-30", 0.15, 0.0))
        if key == "manager":
            seg[:, j] += 0.15 * quality + 0.10 * (band == "21-30")
    seg *= SEGMENT_SCALE
    center = np.array([CENTER[key] for _zh, key, _its in dims])
    beta_raw = np.array([DRIVER_RAW[key] for _zh, key, _its in dims], dtype=float)
    beta = beta_raw / beta_raw.sum()
    persistent = rng.standard_normal((C, D))

    item_ids = [i[0] for _zh, _key, its in dims for i in its]
    weights = np.array([cat.ITEM_WEIGHT[key] for _zh, key, its in dims for _ in its])
    item_dim = np.array([j for j, (_zh, _key, its) in enumerate(dims) for _ in its])
    reverse = np.array([i[3] for _zh, _key, its in dims for i in its])

    truth = {"dimensions": [zh for zh, _k, _i in dims],
             "dimension_keys": {zh: key for zh, key, _i in dims},
             "driver_weights": {zh: float(b) for (zh, _k, _i), b in zip(dims, beta, strict=True)},
             "driver_order": [dims[j][0] for j in np.argsort(-beta, kind="stable")],
             "waves": list(WAVES), "population_index": {}, "population_satisfied_share": {},
             "population_dimension_scores": {}, "n_respondents": {}, "strata": {},
             "sampling_fractions": {f"{a}|{b}": f for (a, b), f in FRACTIONS.items()},
             "strata_definition": "area × config.tier_band(tier), label 'area|band'",
             "frame_definition": "customers active on the first day of the wave month "
                                 "(active_from ≤ day and (active_to empty or ≥ day))",
             "index_definition": INDEX_DEFINITION,
             "overall_model": (
                 f"overall = clip(round({OVERALL_CENTER} + {OVERALL_SCALE} × (Σ_d β_d z_d / ‖β‖ "
                 f"+ {OVERALL_NOISE} ε)), 1, 10), ε ~ N(0, 1), "
                 "z_d = the customer's dimension score (mean 0–100 item score of the dimension, "
                 "before answers are blanked) standardised by the first wave's population mean "
                 "and SD; β = driver_weights"),
             "population_note": "every customer of the frame answers (the population, on which "
                                "population_index is computed); the respondents are a "
                                "stratified random sample of it without replacement"}
    ref = None
    frames = []
    for w, wave in enumerate(WAVES):
        frame = _frame(world, wave)
        shift = np.array([WAVE_SHIFT.get(w, {}).get(key, 0.0) for _zh, key, _its in dims])
        fresh = rng.standard_normal((C, D))
        z = (center + shift + seg
             + SPREAD * (np.sqrt(PERSISTENT) * persistent + np.sqrt(1 - PERSISTENT) * fresh))
        x = np.empty((C, len(item_ids)))
        for k in range(len(item_ids)):
            j = item_dim[k]
            n_items = len(dims[j][2])
            x[:, k] = np.clip(np.round(z[:, j] + ITEM_NOISE[n_items] * rng.standard_normal(C)), 1, 5)
        score = (x - 1) / 4 * 100  # satisfaction direction, before reverse wording
        dim_score = np.column_stack([score[:, item_dim == j].mean(axis=1) for j in range(D)])
        if ref is None:
            ref = dim_score[frame].mean(axis=0), dim_score[frame].std(axis=0)
        zd = (dim_score - ref[0]) / ref[1]
        lat = zd @ beta / np.sqrt(beta @ beta) + OVERALL_NOISE * rng.standard_normal(C)
        overall = np.clip(np.round(OVERALL_CENTER + OVERALL_SCALE * lat), 1, 10)
        answers = np.where(reverse[None, :], 6 - x, x)
        answers[rng.random(answers.shape) < P_MISSING_ITEM] = np.nan
        overall[rng.random(C) < P_MISSING_OVERALL] = np.nan
        # the index as the survey analysis computes it, on every customer of the frame
        sc = (answers - 1) / 4 * 100
        sc = np.where(reverse[None, :], 100 - sc, sc)
        ok = ~np.isnan(sc)
        idx = (np.where(ok, sc, 0) * weights).sum(axis=1) / (ok * weights).sum(axis=1)
        truth["population_index"][wave] = float(idx[frame].mean())
        ov = overall[frame]
        truth["population_satisfied_share"][wave] = float((ov[~np.isnan(ov)] >= 9).mean())
        dscore = _dimension_means(sc, item_dim, D)
        truth["population_dimension_scores"][wave] = {
            dims[j][0]: float(np.nanmean(dscore[frame, j])) for j in range(D)}

        # stratified sample
        keys = np.array([f"{a}|{b}" for a, b in zip(cu["area"], band, strict=True)], dtype=object)
        chosen = []
        strata = {}
        for (area, b), f in FRACTIONS.items():
            label = f"{area}|{b}"
            members = frame[keys[frame] == label]
            n_h = len(members)
            k = max(min(2, n_h), int(round(f * n_h)))
            pick = np.sort(rng.choice(members, size=k, replace=False)) if k else members[:0]
            chosen.append(pick)
            strata[label] = {"N": int(n_h), "n": int(k)}
        sample = np.sort(np.concatenate(chosen))
        truth["strata"][wave] = strata
        truth["n_respondents"][wave] = int(len(sample))
        comments = _comments(rng, sample, dims, sc, item_dim, overall, wave)
        df = pd.DataFrame(answers[sample], columns=item_ids)
        df.insert(0, "customer_id", cu["customer_id"].to_numpy()[sample])
        df.insert(0, "wave", wave)
        df["overall"] = overall[sample]
        df["comment"] = comments
        frames.append(df)
    responses = pd.concat(frames, ignore_index=True)
    return items, responses, truth


def _dimension_means(sc: np.ndarray, item_dim: np.ndarray, D: int) -> np.ndarray:
    """Mean answered item score per respondent and dimension (NaN when none answered)."""
    out = np.full((sc.shape[0], D), np.nan)
    for j in range(D):
        block = sc[:, item_dim == j]
        n = (~np.isnan(block)).sum(axis=1)
        out[:, j] = np.where(n > 0, np.nansum(block, axis=1) / np.maximum(n, 1), np.nan)
    return out


def _comments(rng, sample, dims, sc, item_dim, overall, wave) -> list:
    out: list = []
    D = len(dims)
    dscore = _dimension_means(sc, item_dim, D)
    for c in sample:
        u = rng.random()
        pick = rng.integers(0, 1_000_000)
        if u < P_EMPTY_COMMENT:
            out.append(None)
            continue
        ds = dscore[c]
        worst = int(np.nanargmin(ds))
        key_w = dims[worst][1]
        if ds[worst] < 75:
            opts = cat.COMPLAINTS[key_w]
        elif not np.isnan(overall[c]) and overall[c] >= 9:
            opts = cat.PRAISE[dims[int(np.nanargmax(ds))][1]]
        else:
            opts = cat.NEUTRAL
        out.append(opts[pick % len(opts)])
    # a few comments that a report must escape: all in the last wave, one in the first
    escape = cat.ESCAPE_COMMENTS if wave == WAVES[-1] else cat.ESCAPE_COMMENTS[:1]
    rows = rng.choice(len(sample), size=min(len(escape), len(sample)), replace=False)
    for r, text in zip(sorted(rows), escape, strict=False):
        out[r] = text
    return out

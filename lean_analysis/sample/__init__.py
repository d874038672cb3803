"""A seeded synthetic county: every canonical table (``data/schemas.py``) and ``truth.json``.

``write_sample(out, size="small", seed=20261027, fmt="csv")`` writes the tables into ``out``
and returns the truth dict (also written as ``out/truth.json``). Same seed, same bytes.

Sizes
    ``small``: 60 customers, 12 specifications, 104 weeks (for tests, about a second);
    ``county``: 1,000 customers, 80 specifications, 156 weeks (a few million order lines);
    ``county*K``: K × 1,000 customers, written in chunks (orders and shelf checks as folders
    of parts ``orders/part-00000.<fmt>`` …, one part per 1,000 customers), never holding all
    order lines in memory; Parquet by default.
    The data end with the order week starting Monday 2026-10-26 (so 2026-10 is the last full
    month) and start 104 / 156 weeks earlier (2024-11-04 / 2023-11-06).

How the data are made
    Customers: area urban/rural (40 % urban), tier 1–30 (more low tiers; urban higher),
    format, modern terminals among urban 便利店/超市/烟酒店/商场 of tier ≥ 6, managers serving
    the customers of one area (county: 100–200 each), a few customers opening or closing
    during the data (no orders outside active_from … active_to).
    Weekly demand of customer c for specification p in week t:
    ``demand ~ Poisson(μ·G)``, ``G ~ Gamma(3, 1/3)`` (negative binomial with mean μ), with
    ``μ = base[c,p] × exp(g_p·years) × season(t) × (1 + uplift × 4 × r_t) × shock[p,t] × lift``
    where base = customer volume (grows with tier) × specification popularity × area
    affinity of its price class × a customer-specification Gamma(2) taste (0 when the customer
    does not carry it); season = 1 + 0.06·cos(2π(day of year − 280)/365.25); r_t =
    ``calendar.spring_festival_regressor(week, "W", pre_days=28)`` (share of the 28-day run-up
    before Spring Festival in the week, so 4·r_t is the share of the week's days inside the
    run-up); shock = a product AR(1) (φ 0.7) in logs with mean 1; lift = programme lift at the
    targets after the start. Only lines with demand > 0 are written. New specifications are
    ordered from the first Monday on or after their launch date, each customer adopting after
    an exponential delay (mean 6 weeks). Scarce specifications (some class 1) have a cap per
    tier and month; ``order_qty = min(demand_qty, cap_qty)``; ``amount = round(order_qty ×
    wholesale_price, 2)``. Quantities are whole cartons.

truth.json keys
    seed, size, format, first_week, last_week (Mondays, ISO), last_full_month ("2026-10"),
    n_weeks, n_customers, n_products, n_managers, n_order_lines.
    capped_line_share: share of ALL order lines with cap_qty not null and order_qty ≥ cap_qty;
    rationed_line_share: share of lines with cap_qty not null.
    key_brand_share: {"value": Σ amount of key-brand lines / Σ amount, "volume": Σ order_qty
    key / Σ order_qty} over all order lines.
    retailer_margin: Σ order_qty × (retail − wholesale) / Σ order_qty × retail.
    (These three are computed from the written lines: plain aggregation recovers them.)
    spring_festival: {"dates": {year: ISO date} for festivals whose run-up overlaps the data,
    "uplift": 0.5, "pre_days": 28, "definition": …}: the weekly demand mean is multiplied by
    1 + uplift × 4 × r_t, i.e. by 1 + uplift in a week lying wholly inside the 28-day run-up;
    over a month the expected demand ratio to the no-festival baseline is the mean of that
    multiplier over the month's weeks.
    manager_forecast_bias: planted bias b = 0.08: forecast_qty = round((1 + b) × A × ε), A =
    the month's actual Σ order_qty of the product (all customers), ε lognormal with mean 1
    (σ = manager_forecast_sigma); so Σ(F − A)/ΣA ≈ b. manager_forecast_bias_realised: the
    same ratio over the written rows. Rows: every product and month from the month of the
    product's first orderable week; manager_id = the manager the product's brand is dealt to.
    cultivation: {"programme_id": "P1", "brand", "product_id", "target_customers", "start",
    "lift": relative lift of expected demand at the targets from the start (0.5),
    "effect_cartons_per_month": expected absolute effect on the product's order_qty per target
    customer per month, averaged over the post months (start month … last full month) and the
    targets, from the planted means (the product is never capped, so order = demand),
    "baseline_cartons_per_month": the counterfactual mean on the same cells,
    "effect_by_target", "outcome": "order_qty", "post_months", "pre_months",
    "comparison_pool": untreated urban modern terminals active throughout that carry the
    product (P2 targets excluded, placebo stores included; county: about 70)}. The two
    targets are urban modern terminals whose planted level of the product lies at the 40th
    and 60th percentiles of the modern terminals of tiers 8–24; every modern terminal carries
    the product; the product is never rationed.
    terminal: {"programme_id": "P2", "target_customers", "start", "lift": relative lift (0.12)
    of expected demand of EVERY key-brand specification at the targets from the start,
    "effect_cartons_per_month": expected effect on key-brand order_qty per target customer per
    month (caps accounted for exactly: E[min(D, cap)] under the negative binomial),
    "effect_demand_cartons_per_month", "brand": the programmes row names 芙蓉王 (the schema
    needs a brand or product) and "effect_brand_cartons_per_month" is the expected effect on
    that brand's order_qty; the relative lift is the same for every key brand}. Each urban
    manager picks 3–4 and each rural manager 1–2 of their own stores (weighted to high tiers;
    not modern terminals, which stay the P1 comparison pool).
    placebo: {"customer_ids"}: untreated urban modern terminals, active throughout, carrying
    the cultivated product, with pre-period levels inside the range of the pool.
    new_products: [{"product_id", "launch_date", "first_order_week"}]; scarce_products: ids.
    survey: {"dimensions", "dimension_keys", "driver_weights" (β normalised to sum 1: 13, 11,
    9, 7, 5, 3, 1 / 49 over 货源供应, 投诉处理, 配送服务, 市场管理, 品牌宣传, 客户经理服务, 订货服务),
    "driver_order", "waves" ("2026-04", "2026-10"), "population_index" {wave: true mean index
    over every customer of the frame}, "population_satisfied_share",
    "population_dimension_scores", "n_respondents", "strata" {wave: {"area|band": {"N", "n"}}},
    "sampling_fractions", "index_definition", "frame_definition", "overall_model"}.
    Survey model: each customer has a latent per dimension (centre + segment effects: rural
    lower on delivery and market, low tiers lower and high tiers higher on supply, managers'
    quality on manager service; + a persistent and a wave-specific N(0, 1) part); each item
    = clip(round(latent + noise), 1, 5) (reverse-worded items store 6 − that); the overall
    question (1–10) = clip(round(8.7 + 1.5 × (Σ β_d z_d / ‖β‖ + 0.1 ε))) where z_d is the
    customer's dimension score standardised by the first wave's population, so relative
    importance (Shapley/LMG, relative weights) of the dimension scores ranks the dimensions
    as β does. Wave 2 improves 订货服务 and 品牌宣传. Every customer of a wave's frame answers;
    a stratified random sample (area × tier band, fractions 30–70 %) is written, with about
    1 % of answers blank and comments (some empty) tied to the worst or best dimension.
    escape: {"customer_ids", "comments"}: values that a report must HTML-escape.
    manager_ids: all manager ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from lean_analysis.data.schemas import SCHEMAS
from lean_analysis.sample import _catalogue as cat
from lean_analysis.sample._io import arrow_table, clear_table, write_table
from lean_analysis.sample._orders import (
    PART_CHUNKS,
    Totals,
    chunks,
    draw_chunk,
    expected_mu,
    visit_plan,
)
from lean_analysis.sample._placement import PlacementTotals
from lean_analysis.sample._survey import make_survey, manager_quality
from lean_analysis.sample._world import (
    FORECAST_BIAS,
    FORECAST_SIGMA,
    LAST_FULL_MONTH,
    NB_SHAPE,
    P1_LIFT,
    P1_START,
    P2_LIFT,
    P2_START,
    SF_PRE_DAYS,
    SF_UPLIFT,
    World,
    build_world,
    parse_size,
    spring_festival_dates,
    stream,
)

__all__ = ["write_sample", "parse_size"]

DEFAULT_SEED = 20261027


def write_sample(out, size: str = "small", seed: int = DEFAULT_SEED, fmt: str | None = "csv",
                 parts: bool | None = None) -> dict:
    """Write the synthetic county of ``size`` into folder ``out``; return the truth dict.

    ``fmt`` is ``"csv"`` or ``"parquet"`` (``None``: csv, or parquet for ``county*K``).
    ``parts``: write orders and shelf checks as folders of parts, one per 1,000 customers,
    generated and written one at a time (default: only for ``county*K``). The rows are the
    same either way. Earlier files of the canonical tables in ``out`` are replaced.
    """
    spec = parse_size(size)
    fmt = fmt or ("parquet" if spec.chunked else "csv")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format {fmt!r}: expected csv or parquet")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        clear_table(out, name)
    tj = out / "truth.json"
    if tj.exists():
        tj.unlink()

    world = build_world(int(seed), spec)
    world.visit_plan = visit_plan(world)
    totals = Totals(len(world.products), len(world.months))
    cust_ids = pa.array(world.customers["customer_id"].tolist(), pa.string())
    prod_ids = pa.array(world.products["product_id"].tolist(), pa.string())
    placed = PlacementTotals(world)

    if spec.chunked if parts is None else parts:
        for sub in ("orders", "shelf_checks"):
            (out / sub).mkdir()
        buf: list[dict] = []
        ordered: set[int] = set()
        plan = chunks(world)
        for k, (chunk, c0, c1) in enumerate(plan):
            buf.append(draw_chunk(world, chunk, c0, c1, totals))
            placed.add(buf[-1])
            if len(buf) == PART_CHUNKS or k == len(plan) - 1:
                part = len(list((out / "orders").iterdir()))
                ordered |= _write_orders(world, buf, cust_ids, prod_ids,
                                         out / "orders" / f"part-{part:05d}", fmt)
                _write_shelf(world, buf, cust_ids, prod_ids, out / "shelf_checks" / f"part-{part:05d}", fmt)
                buf = []
    else:
        buf = [draw_chunk(world, chunk, c0, c1, totals) for chunk, c0, c1 in chunks(world)]
        for b in buf:
            placed.add(b)
        ordered = _write_orders(world, buf, cust_ids, prod_ids, out / "orders", fmt)
        _write_shelf(world, buf, cust_ids, prod_ids, out / "shelf_checks", fmt)
        del buf
    # weeks without a single order line are declared closed (none at the standard sizes:
    # Spring Festival raises demand, it does not close the wholesaler), so the sample validates
    closed = [t for t in range(world.n_weeks) if t not in ordered]
    write_table(arrow_table("closed_weeks", {
        "week": pa.array(world.weeks[closed], pa.date32()),
        "reason": ["no order lines"] * len(closed),
    }), out / "closed_weeks", fmt)

    cu = world.customers
    write_table(arrow_table("customers", {c: cu[c] for c in SCHEMAS["customers"].column_names}),
                out / "customers", fmt)
    pr = world.products
    write_table(arrow_table("products", {c: pr[c] for c in SCHEMAS["products"].column_names}),
                out / "products", fmt)
    forecasts, realised = _manager_forecasts(world, totals)
    write_table(arrow_table("manager_forecasts", forecasts), out / "manager_forecasts", fmt)
    progs, targets = _programmes(world)
    write_table(arrow_table("programmes", progs), out / "programmes", fmt)
    write_table(arrow_table("programme_targets", targets), out / "programme_targets", fmt)
    items, responses, survey_truth = make_survey(world)
    write_table(arrow_table("survey_items", {c: items[c] for c in items.columns}),
                out / "survey_items", fmt)
    extra = [i for i in items["item_id"] if i != "overall"]
    write_table(arrow_table("survey_responses", {c: responses[c] for c in responses.columns}, extra),
                out / "survey_responses", fmt)
    write_table(arrow_table("manager_tests", _manager_tests(world)), out / "manager_tests", fmt)

    write_table(arrow_table("supply", placed.supply()), out / "supply", fmt)

    truth = _truth(world, totals, fmt, realised, survey_truth, responses)
    truth["placement"] = placed.truth()
    tj.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return truth


# ---- tables ----------------------------------------------------------------------------------

def _write_orders(world: World, buf: list[dict], cust_ids, prod_ids, path: Path,
                  fmt: str) -> set[int]:
    """Write the order lines of ``buf``; returns the week indices that have order lines."""
    cat_ = {k: np.concatenate([b[k] for b in buf]) for k in ("t", "c", "p", "demand", "cap", "order",
                                                              "amount")}
    order = np.argsort(cat_["t"], kind="stable")  # chunks are in customer order already
    cols = {k: v[order] for k, v in cat_.items()}
    table = arrow_table("orders", {
        "week": pa.array(world.weeks[cols["t"]], pa.date32()),
        "customer_id": pc.take(cust_ids, pa.array(cols["c"])),
        "product_id": pc.take(prod_ids, pa.array(cols["p"])),
        "demand_qty": cols["demand"],
        "cap_qty": pa.array(cols["cap"], pa.float64(), from_pandas=True),
        "order_qty": cols["order"],
        "amount": cols["amount"],
    })
    write_table(table, path, fmt)
    return {int(t) for t in np.unique(cols["t"])}


def _write_shelf(world: World, buf: list[dict], cust_ids, prod_ids, path: Path, fmt: str) -> None:
    sh = {k: np.concatenate([b["shelf"][k] for b in buf]) for k in ("date", "c", "p", "on_shelf",
                                                                     "stock")}
    order = np.lexsort((sh["p"], sh["c"], sh["date"].astype(np.int64)))
    sh = {k: v[order] for k, v in sh.items()}
    table = arrow_table("shelf_checks", {
        "date": pa.array(sh["date"], pa.date32()),
        "customer_id": pc.take(cust_ids, pa.array(sh["c"])),
        "product_id": pc.take(prod_ids, pa.array(sh["p"])),
        "on_shelf": sh["on_shelf"],
        "stock_qty": pa.array(sh["stock"], pa.float64(), from_pandas=True),
    })
    write_table(table, path, fmt)


def _brand_managers(world: World) -> np.ndarray:
    """The manager who submits each product's forecast: brands dealt round-robin."""
    brands = list(dict.fromkeys(world.products["brand"]))
    mids = world.manager_ids
    by_brand = {b: mids[i % len(mids)] for i, b in enumerate(brands)}
    return np.array([by_brand[b] for b in world.products["brand"]], dtype=object)


def _manager_forecasts(world: World, totals: Totals) -> tuple[dict, float]:
    rng = stream(world.seed, "forecasts")
    P, M = totals.order_pm.shape
    first_month = world.week_month[np.minimum(world.launch_idx, world.n_weeks - 1)]
    eps = rng.lognormal(-FORECAST_SIGMA**2 / 2, FORECAST_SIGMA, (M, P))
    actual = totals.order_pm.T  # month × product
    fc = np.round((1 + FORECAST_BIAS) * actual * eps)
    keep = np.arange(M)[:, None] >= first_month[None, :]
    mi, pi = np.nonzero(keep)  # sorted by month, then product
    realised = float((fc[mi, pi] - actual[mi, pi]).sum() / actual[mi, pi].sum())
    cols = {
        "month": pa.array(world.months[mi].astype("datetime64[D]"), pa.date32()),
        "product_id": world.products["product_id"].to_numpy()[pi].tolist(),
        "forecast_qty": fc[mi, pi],
        "manager_id": _brand_managers(world)[pi].tolist(),
    }
    return cols, realised


def _programmes(world: World) -> tuple[dict, dict]:
    cult_pid = world.products["product_id"].iloc[world.cult]
    cult_name = world.products["product_name"].iloc[world.cult]
    progs = {
        "programme_id": ["P1", "P2"],
        "name": [f"{cult_name}现代终端培育", "标杆终端驻店服务"],
        "brand": [world.products["brand"].iloc[world.cult], "芙蓉王"],
        "product_id": [cult_pid, None],
        "start": [P1_START, P2_START],
        "end": [None, None],
        "kind": ["cultivation", "terminal"],
    }
    ids = world.customers["customer_id"].to_numpy()
    rows = [("P1", ids[c]) for c in world.p1_targets] + [("P2", ids[c]) for c in world.p2_targets]
    rows.sort()
    targets = {"programme_id": [r[0] for r in rows], "customer_id": [r[1] for r in rows]}
    return progs, targets


def _manager_tests(world: World) -> dict:
    rng = stream(world.seed, "tests")
    q = manager_quality(world)
    M, K = len(world.months), len(q)
    score = 76 + 5 * q[None, :] + 0.15 * np.arange(M)[:, None] + rng.normal(0, 5, (M, K))
    score = np.clip(np.round(score, 1), 0, 100)
    mi, ki = np.meshgrid(np.arange(M), np.arange(K), indexing="ij")
    return {
        "month": pa.array(world.months[mi.ravel()].astype("datetime64[D]"), pa.date32()),
        "manager_id": world.manager_ids[ki.ravel()].tolist(),
        "score": score.ravel(),
    }


# ---- truth -----------------------------------------------------------------------------------

def _expected_min(mu: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """E[min(D, cap)] for D negative binomial with mean ``mu`` and shape NB_SHAPE (cap NaN = ∞)."""
    out = mu.astype(float).copy()
    capped = ~np.isnan(cap) & (mu > 0)
    if capped.any():
        m, c = mu[capped], cap[capped].astype(np.int64)
        j = np.arange(int(c.max()))[None, :]
        sf = stats.nbinom.sf(j, NB_SHAPE, NB_SHAPE / (NB_SHAPE + m[:, None]))
        out[capped] = (sf * (j < c[:, None])).sum(axis=1)
    return out


def _monthly(world: World, weekly: np.ndarray, first_idx: int) -> np.ndarray:
    """Monthly sums of a weekly series over the months from the one of week ``first_idx``."""
    sums = np.bincount(world.week_month, weights=weekly, minlength=len(world.months))
    return sums[world.week_month[first_idx]:]


def _cultivation_truth(world: World) -> dict:
    ids = world.customers["customer_id"].to_numpy()
    s = world.p1_start_idx
    effects, baselines, by_target = [], [], {}
    for c in world.p1_targets:
        mu0 = expected_mu(world, c, world.cult)
        post = np.where(np.arange(world.n_weeks) >= s, mu0, 0.0)
        eff = _monthly(world, P1_LIFT * post, s)
        base = _monthly(world, post, s)
        effects.append(eff)
        baselines.append(base)
        by_target[ids[c]] = float(eff.mean())
    effects, baselines = np.array(effects), np.array(baselines)
    pool = [c for c in world.comparison_pool if world.base[c, world.cult] > 0]
    return {
        "programme_id": "P1",
        "brand": world.products["brand"].iloc[world.cult],
        "product_id": world.products["product_id"].iloc[world.cult],
        "target_customers": [ids[c] for c in world.p1_targets],
        "start": P1_START.isoformat(),
        "lift": P1_LIFT,
        "effect_cartons_per_month": float(effects.mean()),
        "baseline_cartons_per_month": float(baselines.mean()),
        "effect_by_target": by_target,
        "outcome": "order_qty",
        "pre_months": int(world.week_month[s]),
        "post_months": int(len(world.months) - world.week_month[s]),
        "comparison_pool": [ids[c] for c in pool],
    }


def _terminal_truth(world: World) -> dict:
    ids = world.customers["customer_id"].to_numpy()
    s = world.p2_start_idx
    T = world.n_weeks
    brand_mask = (world.products["brand"] == "芙蓉王").to_numpy()
    order_eff, demand_eff, brand_eff = [], [], []
    for c in world.p2_targets:
        o = np.zeros(T)
        d = np.zeros(T)
        b = np.zeros(T)
        for p in np.flatnonzero(world.key & (world.base[c] > 0)):
            mu0 = expected_mu(world, c, int(p))
            mu0 = np.where(np.arange(T) >= s, mu0, 0.0)
            cap = world.cap[p, world.tier[c], :].astype(float)
            eo = _expected_min(mu0 * (1 + P2_LIFT), cap) - _expected_min(mu0, cap)
            o += eo
            d += P2_LIFT * mu0
            if brand_mask[p]:
                b += eo
        order_eff.append(_monthly(world, o, s))
        demand_eff.append(_monthly(world, d, s))
        brand_eff.append(_monthly(world, b, s))
    return {
        "programme_id": "P2",
        "target_customers": [ids[c] for c in world.p2_targets],
        "start": P2_START.isoformat(),
        "lift": P2_LIFT,
        "lift_applies_to": "every key-brand specification (is_key_brand) at the targets",
        "effect_cartons_per_month": float(np.mean(order_eff)),
        "effect_demand_cartons_per_month": float(np.mean(demand_eff)),
        "brand": "芙蓉王",
        "effect_brand_cartons_per_month": float(np.mean(brand_eff)),
        "outcome": "order_qty",
        "pre_months": int(world.week_month[s]),
        "post_months": int(len(world.months) - world.week_month[s]),
    }


def _truth(world: World, totals: Totals, fmt: str, realised: float, survey: dict,
           responses: pd.DataFrame) -> dict:
    ids = world.customers["customer_id"].to_numpy()
    pids = world.products["product_id"].to_numpy()
    names = world.customers["customer_name"]
    escape_ids = [ids[i] for i in np.flatnonzero(names.isin(cat.ESCAPE_NAMES).to_numpy())]
    new = [{"product_id": pids[p],
            "launch_date": world.products["launch_date"].iloc[p].isoformat(),
            "first_order_week": str(world.weeks[world.launch_idx[p]])}
           for p in np.flatnonzero(world.launch_idx > 0)]
    return {
        "seed": world.seed,
        "size": world.size.name,
        "format": fmt,
        "first_week": str(world.weeks[0]),
        "last_week": str(world.weeks[-1]),
        "last_full_month": LAST_FULL_MONTH,
        "n_weeks": int(world.n_weeks),
        "n_customers": int(len(world.customers)),
        "n_products": int(len(world.products)),
        "n_managers": int(len(world.manager_ids)),
        "n_order_lines": int(totals.lines),
        "capped_line_share": totals.capped_lines / totals.lines,
        "rationed_line_share": totals.rationed_lines / totals.lines,
        "key_brand_share": {"value": totals.amount_key / totals.amount,
                            "volume": totals.qty_key / totals.qty},
        "retailer_margin": totals.margin_num / totals.margin_den,
        "spring_festival": {
            "dates": spring_festival_dates(world),
            "uplift": SF_UPLIFT,
            "pre_days": SF_PRE_DAYS,
            "definition": ("weekly demand mean × (1 + uplift × 4 × r_w), r_w = "
                           "calendar.spring_festival_regressor([week], 'W', pre_days=28): the "
                           "share of the 28-day run-up inside the week; a week wholly inside the "
                           "run-up has demand × (1 + uplift)"),
        },
        "manager_forecast_bias": FORECAST_BIAS,
        "manager_forecast_bias_realised": realised,
        "manager_forecast_sigma": FORECAST_SIGMA,
        "cultivation": _cultivation_truth(world),
        "terminal": _terminal_truth(world),
        "placebo": {"customer_ids": [ids[c] for c in world.placebo]},
        "new_products": new,
        "scarce_products": [pids[p] for p in np.flatnonzero(world.scarce)],
        "survey": survey,
        "escape": {"customer_ids": escape_ids,
                   "comments": sorted(set(responses["comment"].dropna()) & set(cat.ESCAPE_COMMENTS))},
        "manager_ids": world.manager_ids.tolist(),
    }

"""The static structure of the synthetic county: calendar, customers, products, the demand
means of every customer × specification, caps, programmes.

Everything here is global and small (customers × specifications at most); the weekly order
lines are drawn chunk by chunk in :mod:`._orders`.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lean_analysis.calendar import spring_festival_date, spring_festival_regressor
from lean_analysis.config import tier_band
from lean_analysis.sample import _catalogue as cat

LAST_WEEK = dt.date(2026, 10, 26)  # Monday of the last order week (period 2026-10)
LAST_FULL_MONTH = "2026-10"

# Planted effects (documented in the package docstring).
SF_UPLIFT = 0.5  # demand multiplier 1 + SF_UPLIFT × 4 × r_w over the 28-day run-up
SF_PRE_DAYS = 28
NB_SHAPE = 3.0  # weekly demand ~ Poisson(μ·G), G ~ Gamma(NB_SHAPE, 1/NB_SHAPE)
FORECAST_BIAS = 0.08
FORECAST_SIGMA = 0.12
P1_START = dt.date(2025, 9, 1)
P1_LIFT = 0.5
P2_START = dt.date(2025, 7, 1)
P2_LIFT = 0.12
KEY_VALUE_SHARE_TARGET = 0.905  # expected key-brand value share before censoring
MEAN_WEEKLY_VOLUME = 45.0  # cartons per customer and week, before trend/season
CARRY_INTERCEPT = 0.5  # logit of carrying a specification of relative volume 1 at tier 12

CLASS_TREND = {1: 0.06, 2: 0.03, 3: 0.0, 4: -0.06, 5: -0.10}  # yearly growth by price class
AREA_AFFINITY = {
    "urban": {1: 1.6, 2: 1.2, 3: 1.0, 4: 0.5, 5: 0.35},
    "rural": {1: 0.45, 2: 0.9, 3: 1.2, 4: 1.5, 5: 1.7},
}


@dataclass(frozen=True)
class SizeSpec:
    name: str  # "small" | "county" | "county*K"
    n_customers: int
    small: bool
    n_weeks: int
    scale: int | None  # K of county*K, None otherwise
    per_manager: int
    visit_share: float
    min_modern: int
    n_placebo: int

    @property
    def chunked(self) -> bool:
        return self.scale is not None


def parse_size(size: str) -> SizeSpec:
    """``small`` | ``county`` | ``county*K`` (K a positive integer scale factor)."""
    s = str(size).strip().lower().replace(" ", "")
    if s == "small":
        return SizeSpec("small", 60, True, 104, None, 15, 0.25, 8, 2)
    m = re.fullmatch(r"county(?:[*x](\d+))?", s)
    if not m:
        raise ValueError(f"size {size!r}: expected small, county or county*K (e.g. county*4)")
    if m.group(1) is None:
        return SizeSpec("county", 1000, False, 156, None, 140, 0.08, 30, 4)
    k = int(m.group(1))
    if k < 1:
        raise ValueError(f"size {size!r}: the scale factor K must be ≥ 1")
    return SizeSpec(f"county*{k}", 1000 * k, False, 156, k, 140, 0.08, 30 * k, 4)


def stream(seed: int, *keys) -> np.random.Generator:
    """An independent, reproducible random stream for ``keys`` (strings or ints)."""
    words = [int(seed)] + [zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in keys]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    w = max(width, len(str(n)))
    return np.array([f"{prefix}{i:0{w}d}" for i in range(1, n + 1)], dtype=object)


def price_class(wholesale: np.ndarray) -> np.ndarray:
    b1, b2, b3, b4 = cat.PRICE_CLASS_BOUNDS
    w = np.asarray(wholesale, dtype=float)
    return np.select([w >= b1, w >= b2, w >= b3, w >= b4], [1, 2, 3, 4], 5).astype(np.int64)


@dataclass
class World:
    seed: int
    size: SizeSpec
    weeks: np.ndarray  # datetime64[D], Mondays
    week_month: np.ndarray  # month index of each week
    months: np.ndarray  # datetime64[M]
    customers: pd.DataFrame
    products: pd.DataFrame
    # customer arrays
    tier: np.ndarray
    urban: np.ndarray
    modern: np.ndarray
    manager: np.ndarray  # manager index
    manager_ids: np.ndarray
    active_start: np.ndarray  # first week index with orders possible
    active_end: np.ndarray  # last week index (inclusive)
    # product arrays
    wholesale: np.ndarray
    retail: np.ndarray
    key: np.ndarray
    pclass: np.ndarray
    launch_idx: np.ndarray  # first orderable week (0 for established products)
    scarce: np.ndarray
    mult: np.ndarray  # P × T demand multiplier (trend × season × Spring Festival × shock)
    sf_reg: np.ndarray  # T, share of the 28-day run-up in each week
    cap: np.ndarray  # P × 31 × T float32 (NaN = not rationed); index by tier
    base: np.ndarray  # C × P float32 weekly base mean (0 = not carried)
    adopt: np.ndarray  # C × P int16 first week the customer orders the product
    cult: int  # product index of the cultivated specification
    focus: list[int]
    p1_targets: list[int]
    p2_targets: list[int]
    placebo: list[int]
    comparison_pool: list[int]
    p1_start_idx: int
    p2_start_idx: int
    lift_rows: dict = field(default_factory=dict)  # (c, p) -> (start_idx, factor)
    visit_plan: dict = field(default_factory=dict)  # c -> [(week index, date)], see _orders

    @property
    def n_weeks(self) -> int:
        return len(self.weeks)

    @property
    def first_week(self) -> dt.date:
        return pd.Timestamp(self.weeks[0]).date()

    def week_index(self, day: dt.date) -> int:
        """Index of the first week whose Monday is on or after ``day``."""
        d = np.datetime64(day, "D")
        return int(np.searchsorted(self.weeks, d, side="left"))


def build_world(seed: int, size: SizeSpec) -> World:
    # ---- calendar -------------------------------------------------------------------------
    last = np.datetime64(LAST_WEEK, "D")
    weeks = last - 7 * np.arange(size.n_weeks - 1, -1, -1).astype("timedelta64[D]")
    wmonth = weeks.astype("datetime64[M]")
    months = np.unique(wmonth)
    week_month = np.searchsorted(months, wmonth)
    T = len(weeks)

    # ---- products -------------------------------------------------------------------------
    specs = [s for s in cat.SPECS if s.small] if size.small else list(cat.SPECS)
    P = len(specs)
    rp = stream(seed, "products")
    margin = np.clip(rp.normal(0.112, 0.012, P), 0.085, 0.14)
    retail = np.array([s.retail for s in specs], dtype=float)
    wholesale = np.round(retail * (1 - margin), 2)
    pclass = price_class(wholesale)
    key = np.array([s.brand in cat.KEY_BRANDS for s in specs])
    scarce = np.array([s.scarce for s in specs])
    volume = np.array([s.volume for s in specs], dtype=float)
    growth = np.array([CLASS_TREND[int(c)] for c in pclass]) + rp.normal(0, 0.02, P)
    launch = [dt.date.fromisoformat(s.launch) if s.launch else None for s in specs]
    launch_idx = np.array(
        [0 if d is None else int(np.searchsorted(weeks, np.datetime64(d, "D"))) for d in launch]
    )
    products = pd.DataFrame({
        "product_id": _ids("P", P, 3),
        "brand": [s.brand for s in specs],
        "product_name": [s.name for s in specs],
        "price_class": pclass,
        "wholesale_price": wholesale,
        "retail_price": retail,
        "is_key_brand": key,
        "launch_date": launch,
    })
    cult = next(i for i, s in enumerate(specs) if s.role == "cultivated")
    focus = [i for i, s in enumerate(specs) if s.role == "focus"]

    # weekly multipliers: trend × annual season × Spring Festival × product shock (AR(1))
    years = (weeks - weeks[0]).astype(float) / 365.25
    doy = (weeks - weeks.astype("datetime64[Y]")).astype(float)
    season = 1 + 0.06 * np.cos(2 * np.pi * (doy - 280) / 365.25)
    sf_reg = spring_festival_regressor(pd.DatetimeIndex(weeks), freq="W", pre_days=SF_PRE_DAYS)
    sf = 1 + SF_UPLIFT * 4 * sf_reg
    eps = rp.normal(0, 0.045, (P, T))
    shock = np.zeros((P, T))
    shock[:, 0] = eps[:, 0] / np.sqrt(1 - 0.7**2)
    for t in range(1, T):
        shock[:, t] = 0.7 * shock[:, t - 1] + eps[:, t]
    var = 0.045**2 / (1 - 0.7**2)
    mult = np.exp(growth[:, None] * years[None, :]) * season * sf * np.exp(shock - var / 2)

    # ---- customers ------------------------------------------------------------------------
    C = size.n_customers
    rc = stream(seed, "customers")
    urban = rc.random(C) < 0.4
    tiers = np.arange(1, 31)
    pu = np.exp(-0.03 * tiers)
    pr = np.exp(-0.075 * tiers)
    tier = np.where(urban, rc.choice(tiers, C, p=pu / pu.sum()), rc.choice(tiers, C, p=pr / pr.sum()))
    fmt_u = rc.choice(len(cat.FORMATS), C, p=cat.FORMAT_P["urban"])
    fmt_r = rc.choice(len(cat.FORMATS), C, p=cat.FORMAT_P["rural"])
    fmt = np.where(urban, fmt_u, fmt_r)
    formats = np.array(cat.FORMATS, dtype=object)[fmt]
    u_status = rc.random(C)
    u_modern = rc.random(C)
    modern_p = np.array([cat.MODERN_P[f] for f in formats])
    modern = urban & (tier >= 6) & (u_modern < modern_p)
    opening = (u_status < 0.02) & ~modern
    closing = (u_status >= 0.02) & (u_status < 0.04) & ~modern
    if modern.sum() < size.min_modern:  # small samples: make sure there are enough
        cand = np.flatnonzero(urban & ~modern & ~opening & ~closing & (tier >= 6))
        cand = cand[np.argsort(u_modern[cand], kind="stable")][: size.min_modern - modern.sum()]
        modern[cand] = True
        formats[cand] = np.where(formats[cand] == "食杂店", "便利店", formats[cand])
    first = weeks[0].astype("datetime64[D]")
    lic_days = rc.integers(0, (first - np.datetime64("2004-01-01")).astype(int) - 30, C)
    active_from = np.datetime64("2004-01-01") + lic_days.astype("timedelta64[D]")
    span = (last - first).astype(int)
    open_days = rc.integers(56, span - 84, C)
    close_days = rc.integers(84, span - 56, C)
    active_from = np.where(opening, first + open_days.astype("timedelta64[D]"), active_from)
    active_to = np.where(closing, first + close_days.astype("timedelta64[D]"),
                         np.datetime64("NaT", "D"))
    active_start = np.where(opening, np.searchsorted(weeks, active_from), 0)
    active_end = np.where(closing, np.searchsorted(weeks, active_to, side="right") - 1, T - 1)
    vol_noise = rc.lognormal(-0.25**2 / 2, 0.25, C)
    v_tier = np.exp(0.11 * (tier - 1))
    V = v_tier * vol_noise * np.where(modern, 1.2, 1.0)

    # managers: customers of an area split evenly over that area's managers
    mgr = np.zeros(C, dtype=np.int64)
    n_mgr = 0
    mgr_area = []
    for area_mask, area in ((urban, "urban"), (~urban, "rural")):
        idx = np.flatnonzero(area_mask)
        k = max(1, int(round(len(idx) / size.per_manager)))
        perm = rc.permutation(idx)
        for j, part in enumerate(np.array_split(perm, k)):
            mgr[part] = n_mgr + j
        mgr_area += [area] * k
        n_mgr += k
    manager_ids = _ids("M", n_mgr, 2)

    # names
    core = rc.integers(0, len(cat.NAME_CORE), C)
    place_u = rc.integers(0, len(cat.NAME_PLACE["urban"]), C)
    place_r = rc.integers(0, len(cat.NAME_PLACE["rural"]), C)
    with_place = rc.random(C) < 0.6
    suffix_pick = rc.integers(0, 12, C)
    names = []
    for i in range(C):
        suf = cat.NAME_SUFFIX[formats[i]]
        place = (cat.NAME_PLACE["urban"][place_u[i]] if urban[i]
                 else cat.NAME_PLACE["rural"][place_r[i]])
        names.append((place if with_place[i] else "") + cat.NAME_CORE[core[i]]
                     + suf[suffix_pick[i] % len(suf)])

    # ---- demand structure: who carries what, and how much ---------------------------------
    aff = np.where(urban[:, None],
                   np.array([AREA_AFFINITY["urban"][int(c)] for c in pclass])[None, :],
                   np.array([AREA_AFFINITY["rural"][int(c)] for c in pclass])[None, :])
    premium = (pclass <= 2)[None, :]
    logit = (CARRY_INTERCEPT + 0.8 * np.log(volume)[None, :] + np.log(aff)
             + 0.08 * (tier[:, None] - 12) + premium * 0.05 * (tier[:, None] - 12)
             + np.where(modern, 0.5, 0.0)[:, None])
    carry_p = 1 / (1 + np.exp(-logit))
    rd = stream(seed, "assortment")
    carried = rd.random((C, P)) < carry_p
    carried[np.arange(C), np.argmax(volume[None, :] * aff, axis=1)] = True
    carried[modern, cult] = True  # every modern terminal carries the cultivated spec
    G = rd.gamma(2.0, 0.5, (C, P))
    taste = np.where(modern[:, None] & premium, 1.4, 1.0)  # modern terminals sell premium
    base = V[:, None] * volume[None, :] * aff * taste * G * carried
    # adoption of new products: from launch, after an exponential delay (mean 6 weeks)
    delay = np.floor(rd.exponential(6.0, (C, P))).astype(np.int64)
    adopt = np.where(launch_idx[None, :] > 0, launch_idx[None, :] + delay, 0)
    adopt = np.minimum(adopt, T).astype(np.int16)

    # plant the key-brand value share (expected, before caps): rescale non-key specifications
    live = np.arange(T)[None, :] >= launch_idx[:, None]
    value_p = (base.sum(axis=0) * (mult * live).sum(axis=1)) * wholesale
    k_val, n_val = value_p[key].sum(), value_p[~key].sum()
    if n_val > 0:
        s = KEY_VALUE_SHARE_TARGET
        base[:, ~key] *= k_val * (1 - s) / (s * n_val)
    scale = MEAN_WEEKLY_VOLUME / base.sum(axis=1).mean()
    base *= scale

    # ---- caps on scarce specifications: per tier and month --------------------------------
    rcap = stream(seed, "caps")
    cap = np.full((P, 31, T), np.nan, dtype=np.float32)
    ref_v = np.exp(0.11 * (tiers - 1)) * scale  # V of a typical customer of each tier × scale
    for p in np.flatnonzero(scarce):
        holders = carried[:, p]
        ratio = np.median(base[holders, p] / (v_tier[holders] * scale)) if holders.any() else 1.0
        kappa = rcap.uniform(1.0, 1.5)
        supply = rcap.uniform(0.85, 1.15, len(months))[week_month]
        level = kappa * ratio * ref_v[:, None] * mult[p].mean() * supply[None, :]
        cap[p, 1:, :] = np.maximum(1.0, np.round(level))

    # ---- programmes -----------------------------------------------------------------------
    rg = stream(seed, "programmes")
    full_time = (active_start == 0) & (active_end == T - 1)
    mt = np.flatnonzero(modern & full_time)
    lo_t, hi_t = (1, 30) if size.small else (8, 24)
    cand = mt[(tier[mt] >= lo_t) & (tier[mt] <= hi_t)]
    if len(cand) < 2 + size.n_placebo:
        cand = mt
    order = cand[np.argsort(base[cand, cult], kind="stable")]

    def at_quantile(f: float) -> int:
        return int(order[min(len(order) - 1, int(round(f * (len(order) - 1))))])

    p1 = []
    for f in (0.4, 0.6):
        c = at_quantile(f)
        if c in p1:
            c = next(int(x) for x in order[::-1] if int(x) not in p1)
        p1.append(c)
    rest = [int(x) for x in order if int(x) not in p1]
    placebo = []
    for f in np.linspace(0.25, 0.75, size.n_placebo):
        c = rest[min(len(rest) - 1, int(round(f * (len(rest) - 1))))]
        if c in placebo:
            c = next(x for x in rest if x not in placebo)
        placebo.append(c)
    p2 = []
    taken = set(p1) | set(placebo)
    for m in range(n_mgr):
        own = np.flatnonzero((mgr == m) & full_time)
        own = np.array([c for c in own if c not in taken], dtype=np.int64)
        if (~modern[own]).sum() >= 4:  # keep the modern terminals as P1's comparison pool
            own = own[~modern[own]]
        if len(own) == 0:
            continue
        k = int(rg.integers(3, 5)) if mgr_area[m] == "urban" else int(rg.integers(1, 3))
        w = tier[own].astype(float) ** 2 * np.where(formats[own] == "食杂店", 0.5, 1.0)
        pick = rg.choice(own, size=min(k, len(own)), replace=False, p=w / w.sum())
        p2 += sorted(int(c) for c in pick)
    p2 = sorted(p2)
    treated = set(p1) | set(p2)
    pool = [int(c) for c in np.flatnonzero(modern & full_time & urban) if int(c) not in treated]
    # escaping: a placebo customer and an urban benchmark terminal get names to be escaped
    names[placebo[0]] = cat.ESCAPE_NAMES[0]
    urban_p2 = [c for c in p2 if urban[c]] or p2
    if urban_p2:
        names[urban_p2[0]] = cat.ESCAPE_NAMES[1]

    p1_start_idx = int(np.searchsorted(weeks, np.datetime64(P1_START, "D")))
    p2_start_idx = int(np.searchsorted(weeks, np.datetime64(P2_START, "D")))
    lift_rows: dict = {}
    for c in p1:
        lift_rows[(c, cult)] = (p1_start_idx, 1 + P1_LIFT)
    for c in p2:
        for p in np.flatnonzero(key & carried[c]):
            lift_rows[(c, int(p))] = (p2_start_idx, 1 + P2_LIFT)

    customers = pd.DataFrame({
        "customer_id": _ids("C", C, 4),
        "customer_name": names,
        "area": np.where(urban, "urban", "rural"),
        "tier": tier.astype(np.int64),
        "format": formats,
        "manager_id": manager_ids[mgr],
        "is_modern_terminal": modern,
        "active_from": pd.to_datetime(active_from).date,
        "active_to": [None if pd.isna(x) else x.date() for x in pd.to_datetime(active_to)],
    })
    customers["tier_band"] = [tier_band(t) for t in tier]  # not written; used by the survey

    return World(
        seed=seed, size=size, weeks=weeks, week_month=week_month, months=months,
        customers=customers, products=products, tier=tier, urban=urban, modern=modern,
        manager=mgr, manager_ids=manager_ids, active_start=active_start.astype(np.int64),
        active_end=active_end.astype(np.int64), wholesale=wholesale, retail=retail, key=key,
        pclass=pclass, launch_idx=launch_idx, scarce=scarce, mult=mult, sf_reg=sf_reg, cap=cap,
        base=base.astype(np.float32), adopt=adopt, cult=cult, focus=focus, p1_targets=sorted(p1),
        p2_targets=p2, placebo=sorted(placebo), comparison_pool=pool,
        p1_start_idx=p1_start_idx, p2_start_idx=p2_start_idx, lift_rows=lift_rows,
    )


def spring_festival_dates(world: World) -> dict[str, str]:
    """Spring Festival dates whose 28-day run-up overlaps the data."""
    first, last = world.first_week, pd.Timestamp(world.weeks[-1]).date() + dt.timedelta(days=6)
    out = {}
    for y in range(first.year, last.year + 2):
        d = spring_festival_date(y)
        if d - dt.timedelta(days=SF_PRE_DAYS) <= last and d > first:
            out[str(y)] = d.isoformat()
    return out

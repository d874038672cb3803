"""One call per programme: the evaluation the brand-cultivation report shows.

:func:`evaluate_programme` chains the steps of the report for one programme up to the
report's month: the customer × month panel of the programme's product(s) (SQL), the matched
comparison customers, the effect (:func:`~lean_analysis.brand.effect.estimate_effect`:
synthetic control for a handful of targets, DiD otherwise), the indicators of targets and
comparison customers, the targets' shelves, and the power of a next programme.
:func:`new_product_status` gives the new specifications against the 100 % targets.
Nothing is printed or plotted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lean_analysis.brand.effect import EffectResult, estimate_effect
from lean_analysis.brand.indicators import (
    indicator_panel,
    latest_shelf_status,
    new_product_launches,
)
from lean_analysis.brand.matching import match_comparison
from lean_analysis.brand.panel import (
    active_before_launch,
    all_products,
    cultivation_panel,
    customer_names,
    launched_products,
    order_lines,
    pre_period_mean,
    product_names,
    product_order_lines,
    product_shelf_checks,
    programme_info,
    programme_product_targets,
    shelf_checks,
)
from lean_analysis.brand.power import (
    mde_from_se,
    panel_variance_inputs,
    required_targets_from_se,
    synth_mde,
    synth_power,
)
from lean_analysis.targets import status as target_status

if TYPE_CHECKING:
    from lean_analysis.data.tables import Tables


@dataclass
class ProgrammeEvaluation:
    """Everything the report shows for one programme (see :func:`evaluate_programme`)."""

    programme_id: str
    name: str
    kind: str
    item: str  # "product_id", "brand" or "scope": the column the programme's item lives in
    items: list
    product_ids: list
    start: pd.Timestamp
    end: pd.Timestamp | None
    as_of: pd.Timestamp
    status: str  # "evaluated" | "not_started" | "too_short"
    reason: str
    targets: list
    comparison: pd.DataFrame
    panel: pd.DataFrame
    effect: EffectResult | None = None
    indicators: pd.DataFrame | None = None
    shelf: pd.DataFrame | None = None
    power: dict = field(default_factory=dict)
    excluded: dict = field(default_factory=dict)
    item_labels: list = field(default_factory=list)  # product names or the brand, for reports
    on_shelf_target: float = 1.0  # every target customer carries the item (DESIGN §2)
    scope: str = "product"  # "product" | "brand" | "key_brands" (panel.programme_scope)
    secondary: dict = field(default_factory=dict)  # {"all_sales": EffectResult} (terminal)
    names: dict = field(default_factory=dict)  # customer_id -> customer_name

    @property
    def group_sizes(self) -> dict:
        """Customers per group: ``{"target": n targets, "comparison": n comparison}``."""
        n_c = int(self.comparison["customer_id"].nunique()) if len(self.comparison) else 0
        return {"target": len(self.targets), "comparison": n_c}

    @property
    def n_on_shelf(self) -> int:
        return int(self.shelf["on_shelf"].fillna(False).astype(bool).sum()) if self.shelf is not None else 0

    @property
    def n_checked(self) -> int:
        """Targets with a shelf check of the item up to ``as_of``."""
        return int(self.shelf["last_check"].notna().sum()) if self.shelf is not None else 0

    @property
    def checked_share(self) -> float:
        """Targets with a shelf check up to ``as_of`` ÷ targets."""
        n = len(self.targets)
        return self.n_checked / n if n and self.shelf is not None else float("nan")

    @property
    def on_shelf_rate(self) -> float:
        """Among the targets checked up to ``as_of``: those whose latest check finds the item
        ÷ those checked (a target never checked is not counted either way;
        :attr:`checked_share` says how many were)."""
        n = self.n_checked
        return self.n_on_shelf / n if n else float("nan")

    @property
    def on_shelf_status(self) -> str:
        """:func:`lean_analysis.targets.status` of :attr:`on_shelf_rate` against
        :attr:`on_shelf_target` (≥): "met", "not_met" or "not_measured" (no shelf data)."""
        return target_status(self.on_shelf_rate, self.on_shelf_target, ">=")


def _month_end(period) -> pd.Timestamp:
    return pd.Period(str(period), freq="M").end_time.normalize()


def evaluate_programme(
    tables: Tables,
    programme_id: str,
    period: str,
    outcome: str = "order_qty",
    method: str = "auto",
    alpha: float = 0.05,
    k: int = 10,
    match_on: Sequence[str] = ("area", "tier_band", "format"),
    pre_months: int = 12,
    event_window: tuple[int, int] | None = (-6, 6),
    max_synth_treated: int = 5,
    power_lift: float = 0.2,
    power: float = 0.8,
    exclude: Sequence | None = None,
    targets: Sequence | None = None,
    normalize: str = "ratio",
    seed: int = 0,
) -> ProgrammeEvaluation:
    """Evaluate programme ``programme_id`` with the data up to the end of month ``period``.

    Steps: the panel of the programme's product(s) (``outcome`` summed per customer and
    month, zeros included) up to ``period`` and the programme's ``end``; ``k`` comparison
    customers per target matched exactly on ``match_on`` and nearest on the mean of the
    ``pre_months`` months before the start (and tier), never a target of any programme
    (``exclude``); the effect on targets + comparison customers; indicators per month for both
    groups from ``pre_months`` before the start; each target's latest shelf check; and power:
    σ, ρ from the comparison customers' pre-period, the minimum detectable effect of this
    design, and the number of targets (with ``k`` comparison customers each) a programme
    needs to detect a lift of ``power_lift`` × the targets' pre-period level. ``normalize``:
    the synthetic control's scale (default "ratio": each store indexed to its pre-period
    mean, since target stores are often larger than any comparison store).

    ``status`` is "not_started" when the programme starts after ``period`` and "too_short"
    when it has fewer than 2 months before its start in the data; then only the programme
    facts are filled in. ``targets`` replaces the programme's target customers (e.g. a
    placebo programme on untreated stores).
    """
    info = programme_info(tables, programme_id)
    as_of = _month_end(period)
    start = pd.Timestamp(info["start"])
    end = info["end"]
    pid = info.get("product_id")
    if pid is not None and pd.notna(pid) and pid != "":
        item, items = "product_id", [pid]
    else:
        item, items = "brand", [info["brand"]]
    scope = info["scope"]
    if scope == "key_brands":
        item, items = "scope", ["key_brands"]
    targets = list(info["targets"]) if targets is None else list(dict.fromkeys(targets))
    if scope == "key_brands":
        labels = ["key_brands"]
    elif item == "product_id":
        names = product_names(tables, items)
        labels = [f"{items[0]} {names[items[0]]}" if items[0] in names else str(items[0])]
    else:
        labels = [str(items[0])]
    base = dict(programme_id=programme_id, name=str(info["name"]), kind=str(info["kind"]),
                item=item, items=items, product_ids=list(info["product_ids"]), start=start,
                end=end, as_of=as_of, targets=targets, item_labels=labels, scope=scope)
    empty = pd.DataFrame()
    if start > as_of:
        return ProgrammeEvaluation(**base, status="not_started",
                                   reason=f"starts {start.date()}, after {period}",
                                   comparison=empty, panel=empty)
    if not targets:
        raise ValueError(f"programme_targets: programme {programme_id!r} has no target customer")

    panel = cultivation_panel(tables, programme_id, outcome=outcome, targets=targets)
    last = min(as_of, end) if end is not None else as_of
    excluded: dict[str, int] = {}
    after = panel["month"] > last
    if after.any():
        excluded["months after the period or the programme end"] = int(panel.loc[after, "month"].nunique())
    panel = panel[~after]
    pre_months_avail = panel.loc[panel["month"] < start, "month"].nunique()
    if pre_months_avail < 2:
        return ProgrammeEvaluation(**base, status="too_short",
                                   reason=f"{pre_months_avail} month(s) of data before the start",
                                   comparison=empty, panel=panel)

    customers = tables["customers"]
    pre = pre_period_mean(panel, "customer_id", "month", outcome, start, n_periods=pre_months)
    never = set(exclude or []) | set(targets)
    comparison = match_comparison(customers, pre, targets, k=k, on=list(match_on),
                                  exclude=sorted(never - set(targets)))
    comp_ids = sorted(comparison["customer_id"].unique())
    sub = panel[panel["customer_id"].isin(set(targets) | set(comp_ids))].copy()
    sub["group"] = np.where(sub["is_target"], "target", "comparison")

    effect = estimate_effect(sub, "customer_id", "month", outcome, "is_target", start,
                             method=method, alpha=alpha, max_synth_treated=max_synth_treated,
                             event_window=event_window, normalize=normalize, seed=seed)

    line_start = start - pd.DateOffset(months=pre_months)
    lines = order_lines(tables, targets + comp_ids, start=line_start - pd.Timedelta(days=6), end=last)
    groups = pd.DataFrame({"customer_id": targets + comp_ids,
                           "group": ["target"] * len(targets) + ["comparison"] * len(comp_ids)})
    lines = lines.merge(groups, on="customer_id", how="left")
    checks = shelf_checks(tables, targets + comp_ids)
    checks = checks[checks["date"] <= last]
    if item == "scope":  # every product of the scope is one item
        in_scope = set(info["product_ids"])
        lines["scope"] = np.where(lines["product_id"].isin(in_scope), "key_brands", "other")
        checks = checks.assign(scope=np.where(checks["product_id"].isin(in_scope), "key_brands", "other"))
    ind = indicator_panel(lines, item=item, by=["group"], freq="MS", checks=checks, targets=groups,
                          items=items)
    ind = ind[ind["period"] >= line_start].reset_index(drop=True)
    shelf = latest_shelf_status(checks, targets, item=item, items=items, as_of=last)

    secondary = {}
    if scope == "key_brands":  # a benchmark store's total sales too, same comparison customers
        tot = cultivation_panel(tables, programme_id, outcome=outcome, targets=targets,
                                product_ids=all_products(tables))
        tot = tot[tot["customer_id"].isin(set(targets) | set(comp_ids)) & (tot["month"] <= last)]
        secondary["all_sales"] = estimate_effect(
            tot, "customer_id", "month", outcome, "is_target", start, method=effect.method,
            alpha=alpha, max_synth_treated=max_synth_treated, event_window=None,
            normalize=normalize, seed=seed)

    pw = _power(effect, sub, outcome, start, targets, comp_ids, k, alpha, power, power_lift, seed)
    names = customer_names(tables, targets + comp_ids)
    return ProgrammeEvaluation(
        **base, status="evaluated", reason=effect.reason, comparison=comparison, panel=sub,
        effect=effect, indicators=ind, shelf=shelf, power=pw,
        excluded={**excluded, **comparison.attrs.get("excluded", {})},
        secondary=secondary, names=names,
    )


def _power(effect: EffectResult, sub: pd.DataFrame, outcome: str, start, targets: list,
           comp_ids: list, k: int, alpha: float, power: float, power_lift: float, seed: int) -> dict:
    """The power of the estimator used, for the report's "how many targets" paragraph.

    DiD: MDE = (t_{1−α/2} + t_power) × its cluster-robust SE (t with clusters − 1 df);
    synthetic control: the smallest effect its placebo distribution detects with ``power``
    (:func:`~lean_analysis.brand.power.synth_mde`: interval above 0 and p ≤ α). For another
    number of targets (k comparison customers each) the SE scales by √(n_now / n_new)
    (:func:`~lean_analysis.brand.power.required_targets_from_se`; for a synthetic control
    the SE equivalent MDE ÷ (z_{1−α/2} + z_power), an approximation). σ and ρ of the
    comparison customers' pre-period are kept for reference.
    """
    pre_cmp = sub[(sub["month"] < start) & ~sub["is_target"]]
    vin = panel_variance_inputs(pre_cmp, "customer_id", "month", outcome)
    n_t = len(targets)
    baseline = float(sub.loc[(sub["month"] < start) & sub["is_target"], outcome].mean())
    pw = {
        "method": effect.method, "sigma": vin["sigma"], "rho": vin["rho"],
        "n_pre": int(sub.loc[sub["month"] < start, "month"].nunique()),
        "n_post": int(sub.loc[sub["month"] >= start, "month"].nunique()),
        "baseline": baseline, "lift": power_lift, "power": power, "alpha": alpha,
        "effect": power_lift * baseline, "n_targets": n_t, "n_comparison": len(comp_ids),
        "controls_per_target": k,
    }
    if effect.method == "did":
        d = effect.detail
        df = (d.n_clusters or d.n_units) - 1
        se = float(d.se)
        pw.update(basis="did_se", se=se, df=df, mde=mde_from_se(se, alpha, power, df))
        se_eq = se
        kk = (len(comp_ids) / n_t) if n_t else k
    else:
        mde = synth_mde(effect.detail, alpha, power, seed=seed)
        pw.update(basis="synth_placebo", mde=mde,
                  n_placebos=int(getattr(effect.detail, "n_interval_placebos", 0)))
        if mde == float("inf"):
            # no effect reaches the power: placebos whose pre-period fit is (near) perfect
            # have RMSPE ratios no planted effect exceeds; the power it levels off at
            big = 1e6 * max(abs(baseline), 1.0)
            pw["power_cap"] = float(synth_power(effect.detail, big, alpha, seed=seed))
            st = effect.detail.placebo_stats
            ratio = st.loc[st["in_p_value"].to_numpy(dtype=bool), "ratio"].to_numpy(dtype=float)
            pw["n_perfect_placebos"] = int(np.sum(ratio > 1e6))
            pw["n_p_value_placebos"] = int(len(ratio))
        se_eq = mde / mde_from_se(1.0, alpha, power) if np.isfinite(mde) else float("nan")
        pw["se"] = se_eq
        kk = None
    pw["mde_lift"] = pw["mde"] / baseline if baseline else float("nan")
    pw["required_targets"] = (required_targets_from_se(power_lift * baseline, se_eq, n_t, alpha,
                                                       power, controls_per_target=kk)
                              if baseline > 0 and np.isfinite(se_eq) else None)
    return pw


def new_product_status(
    tables: Tables, period: str, lookback_months: int = 12, coverage_target: float = 1.0,
    on_shelf_target: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """New specifications launched in the ``lookback_months`` up to the end of ``period``,
    against the coverage and on-shelf targets (100 % by default), with days to shelf.

    Target customers of a new product: the targets of a programme naming it (its
    ``product_id``); otherwise (*assumption*, as ``kpis`` reads "active") every customer
    with an order in the 3 months before its launch month. The per-customer days to shelf
    are the second element of the returned pair ``(table, days)``. Aggregated in SQL; only
    the new products' lines come back to pandas.
    """
    as_of = _month_end(period)
    since = (pd.Period(str(period), freq="M") - (lookback_months - 1)).start_time
    products = launched_products(tables, since, as_of)
    cols = ["product_id", "brand", "product_name", "launch_date", "n_targets", "target_basis"]
    if products.empty:
        return pd.DataFrame(columns=cols), pd.DataFrame(
            columns=["product_id", "customer_id", "first_on_shelf", "days_to_shelf", "n_checks"])
    pids = products["product_id"].tolist()
    prog = programme_product_targets(tables, pids)
    active = active_before_launch(tables, pids, months=3)
    named = set(prog["product_id"])
    targets = pd.concat([prog, active[~active["product_id"].isin(named)]], ignore_index=True)
    lines = product_order_lines(tables, pids, as_of)
    checks = product_shelf_checks(tables, pids, as_of)
    out, days = new_product_launches(products, lines, checks, targets=targets, as_of=as_of,
                                     coverage_target=coverage_target,
                                     on_shelf_target=on_shelf_target, return_days=True)
    out["target_basis"] = np.where(out["product_id"].isin(named), "programme", "active")
    return out, days

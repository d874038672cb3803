"""The figures the brand-cultivation report publishes in its ``metrics.json``.

:func:`figures` turns the programme evaluations (:func:`~lean_analysis.brand.evaluate_programme`)
and the new-product table (:func:`~lean_analysis.brand.new_product_status`) into the published
figures, each built by :func:`lean_analysis.targets.figure` and declared for report
``02_brand_cultivation`` in :data:`lean_analysis.targets.FIGURES` (``target_on_shelf_rate`` is
the one the monthly overview's scorecard reads). The report only writes them.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from lean_analysis.targets import BRAND, figure

REPORT = BRAND  # "02_brand_cultivation"
_SCOPE = {"product": "the programme's product", "brand": "the programme's brand (all its products)",
          "key_brands": "every key-brand product (a benchmark-terminal programme)"}


def _level(alpha: float) -> str:
    """``0.05`` -> ``"95%"`` (the interval's level as the definitions state it)."""
    return f"{(1 - alpha) * 100:g}%"


def figures(evals: Iterable, new_products: pd.DataFrame | None, alpha: float,
            outcome: str = "order_qty") -> dict:
    """The figures of ``metrics.json`` of the brand-cultivation report.

    Per evaluated programme (``status == "evaluated"``; the others publish nothing):
    ``effect_<id>`` (the effect with its interval, p-value, method and relative lift),
    ``lift_<id>`` (effect ÷ the targets' pre-programme monthly mean, with its interval) and
    ``on_shelf_rate_<id>`` (among the targets checked, the share whose latest check finds
    the item) with ``checked_share_<id>``, ``mde_<id>`` (the smallest effect the estimator
    used detects with the stated power) and, for a benchmark-terminal programme,
    ``effect_all_sales_<id>`` (its effect on all products); ``effect`` = the first evaluated
    programme's effect; ``target_on_shelf_rate``, pooled over the cultivation programmes
    among the checked targets (read by the scorecard), with ``target_checked_share``; and, when ``new_products`` has rows,
    ``new_product_target_coverage`` (among each new product's target customers, since launch:
    not the yearly target's figure, which the overview computes over active customers as
    ``scorecard_new_product_coverage``) and ``new_product_on_shelf_rate`` (means over the new
    products).

    Parameters
    ----------
    evals : the :class:`~lean_analysis.brand.ProgrammeEvaluation` of each programme.
    new_products : the first element of :func:`~lean_analysis.brand.new_product_status`
        (or ``None``).
    alpha : 1 − the level of the effects' intervals (stated in the definitions).
    outcome : the evaluated outcome column (names the effects' unit).

    Returns
    -------
    dict
        figure name -> :func:`lean_analysis.targets.figure` (value, unit, definition, extras).
    """
    evals = [e for e in evals if e.status == "evaluated"]
    figs: dict = {}
    unit = "cartons per customer per month" if outcome == "order_qty" else f"{outcome} per customer per month"
    for e in evals:
        row = e.effect.table.set_index("unit").loc["all"]
        figs[f"effect_{e.programme_id}"] = figure(
            float(row["estimate"]), unit,
            f"{e.name}: extra {outcome} of {_SCOPE.get(getattr(e, 'scope', 'product'), 'the item')} "
            "per target customer and month "
            f"since {e.start.date()} ({e.effect.method}; {_level(alpha)} interval)",
            ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]), level=1 - alpha,
            p_value=float(row["p_value"]), method=e.effect.method, lift=float(row["lift"]),
            n_targets=len(e.targets), n_comparison=int(row["n_control"]))
        figs[f"lift_{e.programme_id}"] = figure(
            float(row["lift"]), "share",
            f"{e.name}: effect ÷ the targets' pre-programme monthly mean",
            ci_low=float(row["ci_low"] / row["baseline"]) if row["baseline"] else None,
            ci_high=float(row["ci_high"] / row["baseline"]) if row["baseline"] else None)
        figs[f"on_shelf_rate_{e.programme_id}"] = figure(
            e.on_shelf_rate, "share",
            f"{e.name}: among the target customers checked up to {e.as_of.date()}, those whose "
            "latest shelf check finds the item ÷ those checked (a target never checked is not "
            "counted; checked_share_<programme> says how many were)",
            n_on_shelf=e.n_on_shelf, n_checked=e.n_checked, n_targets=len(e.targets))
        figs[f"checked_share_{e.programme_id}"] = figure(
            e.checked_share, "share",
            f"{e.name}: target customers with a shelf check up to {e.as_of.date()} ÷ target customers",
            n_checked=e.n_checked, n_targets=len(e.targets))
        pw = e.power or {}
        if pw.get("mde") is not None:
            basis = ("(t_{1-a/2} + t_power) x the DiD's cluster-robust SE" if pw.get("basis") == "did_se"
                     else "placebo distribution of the synthetic control (interval above 0 and p <= alpha)")
            figs[f"mde_{e.programme_id}"] = figure(
                float(pw["mde"]), unit,
                f"{e.name}: smallest effect detected with power {pw['power']:g} at level "
                f"{_level(alpha)} by the estimator used ({basis})",
                power=pw["power"], lift=pw.get("mde_lift"), required_targets=pw.get("required_targets"),
                lift_to_detect=pw.get("lift"))
        for key, res in (e.secondary or {}).items():
            srow = res.table.set_index("unit").loc["all"]
            figs[f"effect_{key}_{e.programme_id}"] = figure(
                float(srow["estimate"]), unit,
                f"{e.name}: extra {outcome} of all products per target customer and month since "
                f"{e.start.date()} ({res.method}; {_level(alpha)} interval)",
                ci_low=float(srow["ci_low"]), ci_high=float(srow["ci_high"]), level=1 - alpha,
                p_value=float(srow["p_value"]), method=res.method, lift=float(srow["lift"]))
    if evals:
        figs["effect"] = dict(figs[f"effect_{evals[0].programme_id}"], programme_id=evals[0].programme_id)
    cult = [e for e in evals if e.kind == "cultivation"]
    n_t = sum(len(e.targets) for e in cult)
    n_c = sum(e.n_checked for e in cult)
    figs["target_on_shelf_rate"] = figure(
        sum(e.n_on_shelf for e in cult) / n_c if n_c else None, "share",
        "Among the target customers of the cultivation programmes that were checked, those "
        "carrying the cultivated item at their latest shelf check ÷ those checked (pooled over "
        "programmes; a target never checked is not counted: target_checked_share says how many "
        "were)",
        programmes=[e.programme_id for e in cult], n_targets=n_t, n_checked=n_c)
    figs["target_checked_share"] = figure(
        n_c / n_t if n_t else None, "share",
        "target customers of the cultivation programmes with a shelf check ÷ target customers",
        programmes=[e.programme_id for e in cult], n_targets=n_t, n_checked=n_c)
    if new_products is not None and len(new_products):
        figs["new_product_target_coverage"] = figure(
            float(new_products["coverage"].mean()), "share",
            "mean over the new products of: target customers who ordered it since launch ÷ target customers",
            products=list(new_products["product_id"]))
        figs["new_product_on_shelf_rate"] = figure(
            float(new_products["on_shelf_rate"].mean()), "share",
            "mean over the new products of: among the target customers checked since launch, those "
            "whose latest check finds it ÷ those checked (an unchecked target is not counted)",
            products=list(new_products["product_id"]))
    return figs

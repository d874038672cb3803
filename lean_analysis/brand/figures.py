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


def _level(alpha: float) -> str:
    """``0.05`` -> ``"95%"`` (the interval's level as the definitions state it)."""
    return f"{(1 - alpha) * 100:g}%"


def figures(evals: Iterable, new_products: pd.DataFrame | None, alpha: float,
            outcome: str = "order_qty") -> dict:
    """The figures of ``metrics.json`` of the brand-cultivation report.

    Per evaluated programme (``status == "evaluated"``; the others publish nothing):
    ``effect_<id>`` (the effect with its interval, p-value, method and relative lift),
    ``lift_<id>`` (effect ÷ the targets' pre-programme monthly mean, with its interval) and
    ``on_shelf_rate_<id>`` (the targets' on-shelf rate at their latest check); ``effect`` =
    the first evaluated programme's effect; ``target_on_shelf_rate``, pooled over the
    cultivation programmes (read by the scorecard); and, when ``new_products`` has rows,
    ``new_product_coverage`` and ``new_product_on_shelf_rate`` (means over the new products).

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
            f"{e.name}: extra {outcome} of the programme's item per target customer and month "
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
            f"{e.name}: target customers whose latest shelf check up to {e.as_of.date()} finds "
            "the item ÷ target customers (not checked = not on the shelf)",
            n_on_shelf=e.n_on_shelf, n_targets=len(e.targets))
    if evals:
        figs["effect"] = dict(figs[f"effect_{evals[0].programme_id}"], programme_id=evals[0].programme_id)
    cult = [e for e in evals if e.kind == "cultivation"]
    n_t = sum(len(e.targets) for e in cult)
    figs["target_on_shelf_rate"] = figure(
        sum(e.n_on_shelf for e in cult) / n_t if n_t else None, "share",
        "Target customers of the cultivation programmes who carry the cultivated item at the "
        "latest shelf check ÷ target customers (pooled over programmes; not checked = not on "
        "the shelf)",
        programmes=[e.programme_id for e in cult], n_targets=n_t)
    if new_products is not None and len(new_products):
        figs["new_product_coverage"] = figure(
            float(new_products["coverage"].mean()), "share",
            "mean over the new products of: target customers who ordered it since launch ÷ target customers",
            products=list(new_products["product_id"]))
        figs["new_product_on_shelf_rate"] = figure(
            float(new_products["on_shelf_rate"].mean()), "share",
            "mean over the new products of: target customers whose latest check finds it ÷ target customers",
            products=list(new_products["product_id"]))
    return figs

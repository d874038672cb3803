"""The overview's published figures (``00_monthly_overview.metrics.json``), computed here and
only formatted by the report: the scorecard's ``scorecard_<target>`` and the month's
``month_<indicator>`` figures (declared in :data:`lean_analysis.targets.FIGURES`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lean_analysis.kpis.scorecard import _COMPUTED, DEFAULT_SOURCES, scorecard
from lean_analysis.targets import figure


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or bool(pd.isna(v))


def scorecard_figures(sc: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``scorecard_<target>`` from :func:`lean_analysis.kpis.scorecard`: value (in the
    target's unit), unit, definition, target, direction, status, span, source, the labels
    of the targets file (empty when it gives none: the report then names the target),
    reason, note, and ``order``, the position in the targets file (metrics.json sorts its
    keys); ``ci_low``/``ci_high`` and ``source_wave`` when the source figure gives them. The run index shows the figures with a ``target`` as the scorecard headline."""
    out = {}
    for i, (_, r) in enumerate(sc.iterrows()):
        out[f"scorecard_{r['indicator']}"] = figure(
            None if _missing(r["actual"]) else float(r["actual"]), str(r["unit"]),
            str(r["definition"]), target=float(r["target"]), direction=str(r["direction"]),
            status=str(r["status"]), span=str(r["span"]), source=str(r["source"]),
            label_zh=str(r["label_zh"] or ""), label_en=str(r["label_en"] or ""),
            reason=str(r["reason"]), note=str(r["note"]), order=i,
            **({"ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"])}
               if not (_missing(r.get("ci_low")) or _missing(r.get("ci_high"))) else {}),
            **({"source_wave": str(r["source_wave"])} if r.get("source_wave") else {}),
            **({"n_checked": int(r["n_checked"]), "n_targets": int(r["n_targets"])}
               if not (_missing(r.get("n_checked")) or _missing(r.get("n_targets"))) else {}))
    return out


def headline_figures(head: pd.DataFrame,
                     scores: pd.DataFrame | None = None) -> dict[str, dict[str, Any]]:
    """``month_<indicator>`` from :func:`lean_analysis.kpis.headline`, each with its
    previous-month and previous-year values; with ``scores``
    (:func:`lean_analysis.kpis.manager_scores`) also the managers' mean test score of the
    month."""
    out = {}
    if scores is not None and scores["score"].notna().any():
        tested = scores["score"].dropna()
        out["month_manager_test_mean"] = figure(
            float(tested.mean()), "points", "mean of the month's manager test scores (0–100)",
            n_tested=int(len(tested)))
    for _, r in head.iterrows():
        out[f"month_{r['indicator']}"] = figure(r["value"], r["unit"], r["definition"],
                                                prev_month=r["prev_month"], prev_year=r["prev_year"],
                                                mom=r["mom"], yoy=r["yoy"], change=r["change"])
    return out


def target_figure(tables, period: str, key: str, goals: Mapping[str, Any], **options) -> dict[str, Any]:
    """One computed target's ``scorecard_<key>`` figure, exactly as the overview publishes it.

    Another report that shows the same target (the brand report shows the year's
    new-product coverage beside its own target-customer table) calls this instead of
    computing the figure again, so one figure has one value and one definition on every
    page: the same :func:`lean_analysis.kpis.scorecard` row (``goals`` = the parsed
    ``params/targets.yaml``; ``options`` as for the scorecard, e.g. ``new_product_base``),
    turned into a figure by :func:`scorecard_figures`. No other report's metrics are read:
    ``key`` must be computed from the orders (retailer_margin, key_brand_share,
    new_product_coverage).

    Example (tests): the brand page's new-product coverage equals the overview's
    ``scorecard_new_product_coverage`` of the same run, value and words.
    """
    if key not in _COMPUTED:
        raise ValueError(f"target_figure: {key!r} is not computed from the orders; "
                         f"one of {sorted(_COMPUTED)}")
    if key not in goals:
        raise ValueError(f"target_figure: no target {key!r} in the targets file")
    card = scorecard(tables, period, {key: goals[key]}, {}, sources={}, **options)
    return scorecard_figures(card)[f"scorecard_{key}"]


def fed_figure(tables, period: str, key: str, goals: Mapping[str, Any], report: str,
               figures: Mapping[str, Any]) -> dict[str, Any]:
    """The ``scorecard_<key>`` figure that ``report``'s own ``figures`` (as it is about to
    publish them) feed, exactly as the overview will publish it from that metrics.json:
    the same :func:`lean_analysis.kpis.scorecard` row (its source, ``sources[key]``, must be
    ``report``), so the report's page and the overview show one value in the same words.

    Example (tests): the brand page shows ``scorecard_target_on_shelf_rate`` as the overview
    of the same run does."""
    if key not in goals:
        raise ValueError(f"fed_figure: no target {key!r} in the targets file")
    src = DEFAULT_SOURCES.get(key)
    if not src or src["report"] != report:
        raise ValueError(f"fed_figure: target {key!r} is not fed by report {report!r}")
    doc = {"period": str(period), "figures": dict(figures)}
    card = scorecard(tables, period, {key: goals[key]}, {report: doc}, sources={key: src})
    return scorecard_figures(card)[f"scorecard_{key}"]


def figures(scorecard: pd.DataFrame, head: pd.DataFrame,
            scores: pd.DataFrame | None = None) -> dict[str, dict[str, Any]]:
    """Every figure the monthly overview publishes: :func:`scorecard_figures` and
    :func:`headline_figures`."""
    return {**scorecard_figures(scorecard), **headline_figures(head, scores)}

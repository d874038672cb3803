"""The yearly scorecard: each target of params/targets.yaml against its value to date."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lean_analysis import targets as _targets_core
from lean_analysis.calendar import PeriodNotCovered
from lean_analysis.calendar import month_period as _period
from lean_analysis.data.tables import Tables
from lean_analysis.kpis.customers import new_product_coverage
from lean_analysis.kpis.months import (
    _require,
)
from lean_analysis.kpis.sales import key_brand_share, retailer_margin

# Units and status are decided in lean_analysis.targets; the name stays for callers.
convert_unit = _targets_core.convert

STATUS_MET = _targets_core.MET
STATUS_NOT_MET = _targets_core.NOT_MET
STATUS_NOT_MEASURED = _targets_core.NOT_MEASURED
STATUS_WITHIN_MARGIN = _targets_core.WITHIN_MARGIN

# Where the scorecard finds the targets it does not compute from orders: target key ->
# (report, figure) in that report's metrics.json, from the figures registry
# (lean_analysis.targets.FIGURES, the figures that declare `feeds`). Overridden by the
# `sources` argument.
DEFAULT_SOURCES: dict[str, dict[str, str]] = _targets_core.scorecard_sources()


# --------------------------------------------------------------------------- scorecard


_COMPUTED = {
    "retailer_margin": "Σ qty × (retail − wholesale) ÷ Σ qty × retail, order lines {span}",
    "key_brand_share": "key-brand sales ÷ all sales by {basis}, order lines {span}",
    "new_product_coverage": (
        "{aggregate} over the products launched in {year} up to {period} of: {base} "
        "customers who ordered it {span} ÷ {base} customers"
    ),
}
SCORECARD_COLUMNS = ["indicator", "label_zh", "label_en", "target", "unit", "direction", "actual",
                     "status", "span", "source", "definition", "reason", "note", "ci_low",
                     "ci_high", "source_wave", "n_checked", "n_targets"]
# Codes in the scorecard's ``reason`` column (";"-separated), explained in ``note``.
SCORECARD_REASONS = ("no_metrics", "other_period", "no_figure", "no_source", "no_new_product",
                     "no_base", "products_left_out", "not_covered", "targets_year")


def _external_figure(key: str, src: Mapping[str, str], other_metrics, p: pd.Period):
    """(value, unit, definition, span, source, (reason code, note), (ci_low, ci_high),
    wave) of a figure of another report; the interval is the figure's ``ci_low`` /
    ``ci_high`` (NaN when it publishes none), the wave the metrics' ``wave`` ('' when
    none)."""
    if not isinstance(src, Mapping) or "report" not in src or "figure" not in src:
        raise ValueError(f"scorecard source of {key!r} must be {{report, figure}}, not {src!r}")
    report, figure = str(src["report"]), str(src["figure"])
    source = f"{report}:{figure}"
    doc = other_metrics.get(report)
    none = (math.nan, math.nan)
    if not doc:
        return (math.nan, None, "", str(p), source,
                ("no_metrics", f"no metrics of report {report} for {p}"), none, "", None)
    wave = str(doc.get("wave") or "")
    if str(doc.get("period")) != str(p):
        return (math.nan, None, "", str(p), source,
                ("other_period", f"metrics of report {report} are for {doc.get('period')}, not {p}"),
                none, wave, None)
    fig = (doc.get("figures") or {}).get(figure)
    if not isinstance(fig, Mapping) or fig.get("value") is None:
        return (math.nan, None, "", str(p), source,
                ("no_figure", f"report {report} has no figure {figure}"), none, wave, None)

    def end(k):
        v = fig.get(k)
        return math.nan if v is None else float(v)

    checked = ((int(fig["n_checked"]), int(fig["n_targets"]))
               if fig.get("n_checked") is not None and fig.get("n_targets") is not None else None)
    return (float(fig["value"]), fig.get("unit"), str(fig.get("definition", "")),
            str(fig.get("span", p)), source, ("", ""), (end("ci_low"), end("ci_high")), wave, checked)


def _computed_figure(tables: Tables, key: str, p: pd.Period, basis: str, margin_weighting: str,
                     new_product_base: str, new_product_aggregate: str):
    """(value as a share, definition, (reason code, note)) of a target computed from the
    orders."""
    span = f"{p.year}-01 .. {p}"
    if key == "retailer_margin":
        return (retailer_margin(tables, p, span="ytd", weighting=margin_weighting),
                _COMPUTED[key].format(span=span), ("", ""))
    if key == "key_brand_share":
        return (key_brand_share(tables, p, span="ytd", basis=basis),
                _COMPUTED[key].format(span=span, basis=basis), ("", ""))
    if new_product_aggregate not in ("mean", "min", "pooled"):
        raise ValueError("new_product_aggregate must be 'mean', 'min' or 'pooled', "
                         f"not {new_product_aggregate!r}")
    definition = _COMPUTED[key].format(aggregate=new_product_aggregate, year=p.year, period=p,
                                       base=new_product_base, span=span)
    npc = new_product_coverage(tables, p, base=new_product_base)
    measured = npc[npc["base"] > 0]
    if npc.empty:
        return math.nan, definition, ("no_new_product", f"no new product launched in {p.year} up to {p}")
    if measured.empty:
        return math.nan, definition, ("no_base", f"no {new_product_base} customers for the new products")
    if new_product_aggregate == "mean":
        value = float(measured["coverage"].mean())
    elif new_product_aggregate == "min":
        value = float(measured["coverage"].min())
    else:
        value = float(measured["ordered_in_base"].sum() / measured["base"].sum())
    left_out = len(npc) - len(measured)
    note = (("products_left_out", f"{left_out} new product(s) without {new_product_base} "
             "customers left out") if left_out else ("", ""))
    return value, definition, note


def scorecard(tables: Tables, period: str, targets: Mapping[str, Any],
              other_metrics: Mapping[str, Mapping[str, Any] | None] | None = None,
              sources: Mapping[str, Mapping[str, str]] | None = None,
              key_brand_basis: str | None = None, margin_weighting: str = "volume",
              new_product_base: str = "active", new_product_aggregate: str = "mean"
              ) -> pd.DataFrame:
    """Each yearly target against its value to date (January .. ``period``).

    ``targets``: the parsed params/targets.yaml (``{year, targets: {key: spec}}``) or its
    ``targets`` mapping; each spec ``{value, unit, direction}`` plus optional
    ``label_zh``, ``label_en``, ``definition`` (and ``basis`` for key_brand_share). Units:
    "share" (0–1) or a 0–100 scale ("%", "index", "points"); see :func:`convert_unit`.

    Computed here from the orders, year to date: ``retailer_margin``
    (:func:`retailer_margin`, ``margin_weighting``), ``key_brand_share``
    (:func:`key_brand_share`; basis ``key_brand_basis``, else the target's ``basis``, else
    "value") and ``new_product_coverage`` (:func:`new_product_coverage` with
    ``new_product_base``, over the year's new products by ``new_product_aggregate``:
    "mean", "min" or "pooled" = Σ ordered_in_base ÷ Σ base). Any key in ``sources``
    (default :data:`DEFAULT_SOURCES`: satisfaction, target_on_shelf_rate) is read from
    another report's metrics.json: ``sources[key] = {report, figure}`` and
    ``other_metrics[report]`` = that report's parsed metrics.json (or None).

    "not_measured", with the reason as a code in ``reason`` (:data:`SCORECARD_REASONS`) and
    in words in ``note``: a missing report or figure, metrics of another period, a key with
    neither source nor computation, a computed value the data cannot give (no new product
    this year; months before the data start). ``period``
    itself must be covered by the data (else :class:`PeriodNotCovered`).

    The actual value is shown in the target's unit (0.112 share against a target in "%"
    → 11.2). Status (:func:`lean_analysis.targets.status`): "within_margin" when the figure
    of another report publishes an interval (``ci_low``, ``ci_high``, e.g. the survey's
    satisfaction index) that contains the target, else "met" when ``actual <direction>
    target`` (compared at 9 decimals), else "not_met". Columns: :data:`SCORECARD_COLUMNS`
    (``ci_low``/``ci_high`` in the target's unit, NaN without an interval;
    ``source_wave`` the other report's survey wave, '' when none).

    Example (tests): year-to-date margin 192 ÷ 1,692 = 11.35 % against ≥ 11.2 % → met;
    new-product coverage 3 of 4 active customers = 0.75 against ≥ 1.0 → not met; no
    02_brand_cultivation metrics → target on-shelf rate not measured.
    """
    p = _period(period)
    _require(tables, p, p, "scorecard")
    note_all = ("", "")
    if isinstance(targets, Mapping) and isinstance(targets.get("targets"), Mapping):
        year = targets.get("year")
        if year is not None and int(year) != p.year:
            note_all = ("targets_year", f"targets are for {year}, the period is in {p.year}")
        targets = targets["targets"]
    srcs = dict(DEFAULT_SOURCES if sources is None else sources)
    other_metrics = other_metrics or {}
    ytd_span = f"{p.year}-01 .. {p}"
    rows = []
    for key, spec in targets.items():
        tgt = _targets_core.Target.from_spec(key, spec)
        unit, direction, target = tgt.unit, tgt.direction, tgt.value
        actual, a_unit, definition, note, span = math.nan, "share", "", ("", ""), ytd_span
        ci, wave, checked = (math.nan, math.nan), "", None
        if key in srcs:
            actual, a_unit, definition, span, source, note, ci, wave, checked = _external_figure(
                key, srcs[key], other_metrics, p)
            if a_unit is None:
                a_unit = unit
        elif key in _COMPUTED:
            source = "orders"
            basis = key_brand_basis or spec.get("basis", "value")
            try:
                actual, definition, note = _computed_figure(
                    tables, key, p, basis, margin_weighting, new_product_base, new_product_aggregate)
            except PeriodNotCovered as e:
                note = ("not_covered", str(e))
        else:
            source = ""
            note = ("no_source", f"no source for target {key!r} (not computed here and not in sources)")
        value = math.nan if math.isnan(actual) else convert_unit(actual, a_unit, unit)
        ci = tuple(math.nan if math.isnan(c) or math.isnan(actual) else convert_unit(c, a_unit, unit)
                   for c in ci)
        rows.append({
            "indicator": key, "label_zh": str(spec.get("label_zh", "")),
            "label_en": str(spec.get("label_en", "")), "target": target, "unit": unit,
            "direction": direction, "actual": value,
            "status": tgt.status(value, ci=None if any(math.isnan(c) for c in ci) else ci),
            "span": span, "source": source,
            "definition": definition or str(spec.get("definition", "")),
            "reason": ";".join(c for c, _ in (note, note_all) if c),
            "note": "; ".join(x for _, x in (note, note_all) if x),
            "ci_low": ci[0], "ci_high": ci[1], "source_wave": wave,
            # a rate among the checked (the on-shelf rate): how many were checked, of how many
            "n_checked": checked[0] if checked else None, "n_targets": checked[1] if checked else None,
        })
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)

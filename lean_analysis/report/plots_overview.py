"""Figures, display tables, cards and metrics of the monthly overview and scorecard
(notebooks/00_monthly_overview.ipynb).

Inputs are the DataFrames of :mod:`lean_analysis.kpis` (this module computes nothing new:
it labels, formats and draws). Every reviewer-facing word comes from
``report/texts/overview.yaml`` and ``common.yaml`` in the chosen language. Plots use the
shared theme (:func:`lean_analysis.report.theme.use_theme`, CJK font) and return the
matplotlib figure; the notebook shows it with ``show.figure``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lean_analysis import targets
from lean_analysis.report import show
from lean_analysis.report.texts import keys as text_keys
from lean_analysis.report.texts import t
from lean_analysis.report.theme import PALETTE, STATUS_COLOURS, use_theme

_DIRECTIONS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}

# Headline indicators: text key and card format.
HEADLINE = {
    "sales_cases": ("sales_cases", ",.1f"),
    "sales_cases_per_week": ("ov_cases_per_week", ",.1f"),
    "sales_value_10k": ("sales_value_10k", ",.1f"),
    "value_per_case": ("value_per_case", ",.0f"),
    "key_brand_share": ("key_brand_share", "percent"),
    "retailer_margin": ("retailer_margin", "percent"),
    "active_customers": ("ov_active_customers", "int"),
    "order_fill_rate": ("order_fill_rate", "percent"),
    "stock_out_rate": ("ov_stock_out_lines", "percent"),
    "demand_fill_rate": ("ov_demand_fill_rate", "percent"),
    "order_at_cap_share": ("order_at_cap_share", "percent"),
}


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or bool(pd.isna(v))


# --------------------------------------------------------------------------- labels


def group_label(value: Any, by: str, lang: str = "zh") -> str:
    """The display label of a group value: price class 1 → 一类烟, urban → 城网, …"""
    if _missing(value):
        return "—"
    if by == "price_class":
        return t(f"price_class_{int(value)}", lang)
    if by == "area" and str(value) in ("urban", "rural"):
        return t(str(value), lang)
    if by in ("is_key_brand", "is_modern_terminal"):
        return t("show_yes" if bool(value) else "show_no", lang)
    return str(value)


def target_label(row: Mapping[str, Any], lang: str = "zh") -> str:
    """A scorecard row's label: the targets file's ``label_<lang>``, a report text of the
    indicator's name, or the name."""
    label = row.get(f"label_{lang}")
    if label:
        return str(label)
    key = str(row["indicator"])
    return t(key, lang) if key in text_keys() else key


def _signed(x: float, digits: int) -> str:
    v = round(float(x) * 100, digits)
    return f"{(v if v != 0 else 0.0):+.{digits}f}"       # no "-0.0"


def _share(x: float, digits: int = 1) -> str:
    return "—" if _missing(x) else f"{float(x) * 100:.{digits}f}%"


def _signed_pct(x: float) -> str:
    return "—" if _missing(x) else f"{_signed(x, 1)}%"


def _signed_pp(x: float, lang: str) -> str:
    return "—" if _missing(x) else f"{_signed(x, 2)} {t('ov_pp', lang)}"


def reason_text(row: Mapping[str, Any], lang: str = "zh") -> str:
    """The scorecard row's ``reason`` codes in words of ``lang`` (``note`` when no code)."""
    codes = [c for c in str(row.get("reason") or "").split(";") if c]
    if not codes and not _missing(row.get("n_checked")) and not _missing(row.get("n_targets")):
        return t("checked_of", lang, n=int(row["n_checked"]), m=int(row["n_targets"]))
    if not codes:
        return str(row.get("note") or "")
    report, _, figure = str(row.get("source", "")).partition(":")
    key = f"ov_source_{report}"
    known = set(text_keys())
    name = t(key, lang) if key in known else report
    span = str(row.get("span", ""))
    words = [t(f"ov_reason_{c}", lang, report=name, figure=figure, year=span[:4])
             if f"ov_reason_{c}" in known else c for c in codes]
    return ("；" if lang == "zh" else "; ").join(words)


def source_text(row: Mapping[str, Any], lang: str = "zh") -> str:
    """Where a scorecard row's value comes from, in words: 订单数据, 满意度调查（2026-10
    波次）, 品牌培育评估 … (never the report's file or figure name)."""
    src = str(row.get("source") or "")
    if src == "orders":
        return t("ov_orders_source", lang)
    if not src:
        return "—"
    report = src.partition(":")[0]
    key = f"ov_source_{report}"
    name = t(key, lang) if key in text_keys() else report
    wave = str(row.get("source_wave") or "")
    return t("ov_source_wave", lang, name=name, wave=wave) if wave else name


def format_actual(value: Any, unit: str | None, lang: str = "zh") -> str:
    """A scorecard value as every page writes the figure (:func:`show.figure_number`: two
    decimals; shares as percentages), without the unit's name."""
    if _missing(value):
        return t("not_measured", lang)
    if (unit or "") == "%":
        return f"{float(value):.2f}%"
    return show.figure_number(float(value), unit)


# --------------------------------------------------------------------------- cards


def headline_cards(head: pd.DataFrame, lang: str = "zh") -> list[dict[str, Any]]:
    """Cards for :func:`lean_analysis.report.show.kpi_cards` from :func:`kpis.headline`:
    value with month-on-month and year-on-year change (relative for quantities, in
    percentage points for shares)."""
    cards = []
    weeks = head.attrs.get("weeks", {})
    for _, r in head.iterrows():
        key, fmt = HEADLINE.get(r["indicator"], (r["indicator"], None))
        change = (lambda x: _signed_pct(x)) if r["change"] == "relative" else (lambda x: _signed_pp(x, lang))
        note = (f"{t('ov_vs_prev_month', lang)} {change(r['mom'])} · "
                f"{t('ov_vs_prev_year', lang)} {change(r['yoy'])}")
        if r["indicator"] == "sales_cases" and weeks:
            note = f"{t('ov_raw', lang)}{note}"
        elif r["indicator"] == "sales_cases_per_week" and weeks:
            note = f"{t('ov_weeks_card', lang, n=weeks['value'])} · {note}"
        elif r["indicator"] == "demand_fill_rate" and not _missing(r["value"]):
            note = f"{t('ov_unserved', lang, share=_share(1 - float(r['value'])))} · {note}"
        cards.append({"label": t(key, lang) if key in text_keys() else key,
                      "value": r["value"], "format": fmt, "note": note})
    return cards


def scorecard_cards(sc: pd.DataFrame, lang: str = "zh") -> list[dict[str, Any]]:
    """One card per target of :func:`kpis.scorecard`: actual, target and status."""
    cards = []
    for _, r in sc.iterrows():
        unit = str(r["unit"])
        fmt = "percent2" if targets.is_fraction(unit) else ",.2f"
        cards.append({"label": target_label(r, lang),
                      "value": None if _missing(r["actual"]) else float(r["actual"]),
                      "format": fmt, "unit": "%" if unit == "%" else None,
                      "target": float(r["target"]), "status": r["status"],
                      "note": reason_text(r, lang) or None})
    return cards


# --------------------------------------------------------------------------- tables


def sales_table(df: pd.DataFrame, by: str | None, lang: str = "zh", top: int | None = None,
                total: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`kpis.sales` as a display table (labels, headers in ``lang``) and its
    ``formats`` for ``show.table``. ``top`` keeps the largest groups by cases (the rest
    are summed into one row, so the table still adds up); ``total`` (``kpis.sales`` without
    ``by``) adds a total row."""
    d = df.copy()
    if by is not None and (top is not None or by == "brand"):
        d = d.sort_values(["cases", by], ascending=[False, True], ignore_index=True)
    labels = [group_label(v, by, lang) for v in d[by]] if by is not None else []
    if by is not None and top is not None and len(d) > top:
        labels = [group_label(v, by, lang) for v in d[by]][:top]
        rest, d = d.iloc[top:], d.iloc[:top]
        other: dict[str, Any] = {}
        for m in ("cases", "value_10k"):
            for suffix in ("", "_prev_month", "_prev_year"):
                other[m + suffix] = rest[m + suffix].sum(min_count=1)
        for m in ("cases", "value_10k"):
            for suffix, name in (("_prev_month", "mom"), ("_prev_year", "yoy")):
                prev = other[m + suffix]
                other[f"{m}_{name}"] = other[m] / prev - 1 if prev else math.nan
        vpc = other["value_10k"] * 10_000 / other["cases"] if other["cases"] else math.nan
        vpc_prev = (other["value_10k_prev_year"] * 10_000 / other["cases_prev_year"]
                    if other["cases_prev_year"] else math.nan)
        other["value_per_case"] = vpc
        other["value_per_case_yoy"] = vpc / vpc_prev - 1 if vpc_prev else math.nan
        d = pd.concat([d, pd.DataFrame([other])], ignore_index=True)
        labels.append(t("ov_others", lang, n=len(rest)))
    if by is not None and total is not None:
        d = pd.concat([d, total.assign(**{by: None})], ignore_index=True)
        labels.append(t("ov_total", lang))
    mom, yoy = t("ov_vs_prev_month", lang), t("ov_vs_prev_year", lang)
    cols = {
        "cases": t("sales_cases", lang), "cases_mom": f"{t('sales_cases', lang)} {mom}",
        "cases_yoy": f"{t('sales_cases', lang)} {yoy}",
        "value_10k": t("sales_value_10k", lang), "value_10k_mom": f"{t('sales_value_10k', lang)} {mom}",
        "value_10k_yoy": f"{t('sales_value_10k', lang)} {yoy}",
        "value_per_case": t("value_per_case", lang),
        "value_per_case_yoy": f"{t('value_per_case', lang)} {yoy}",
    }
    out = pd.DataFrame()
    if by is not None:
        head = {"price_class": "ov_price_class", "brand": "ov_brand", "area": "ov_area"}.get(by)
        out[t(head, lang) if head else by] = labels
    for c, name in cols.items():
        out[name] = d[c].to_numpy()
    fmts: dict[str, Any] = {cols["cases"]: ",.1f", cols["value_10k"]: ",.2f",
                            cols["value_per_case"]: ",.0f"}
    for c in ("cases_mom", "cases_yoy", "value_10k_mom", "value_10k_yoy", "value_per_case_yoy"):
        fmts[cols[c]] = _signed_pct
    return out, fmts


def product_table(pi: pd.DataFrame, lang: str = "zh", top: int = 10,
                  worst: int = 5) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`kpis.product_indicators` as a short display table and its formats: the ``top``
    specifications by cases, then the ``worst`` of the rest with the lowest demand fill
    rate (the most demand left unserved), by name; a first column says why each is listed.
    ``attrs["shown"]`` and ``attrs["total"]`` count the rows."""
    names = {
        "product_name": t("ov_product", lang), "brand": t("ov_brand", lang),
        "price_class": t("ov_price_class", lang), "cases": t("sales_cases", lang),
        "coverage": t("coverage", lang), "sell_through": t("sell_through", lang),
        "repurchase_rate": t("repurchase_rate", lang), "order_fill_rate": t("order_fill_rate", lang),
        "demand_fill_rate": t("ov_demand_fill_rate", lang),
        "stock_out_rate": t("ov_stock_out_lines", lang),
    }
    by_cases = pi.sort_values(["cases", "product_id"], ascending=[False, True])
    head = by_cases.head(top)
    rest = by_cases.iloc[top:]
    if "demand_fill_rate" in rest:
        low = rest[rest["demand_fill_rate"].notna()].sort_values(
            ["demand_fill_rate", "product_id"]).head(worst)
    else:
        low = rest.iloc[:0]
    d = pd.concat([head, low])
    cols = [c for c in names if c in d.columns]
    out = d[cols].copy()
    out.insert(0, t("ov_listed", lang), [t("ov_listed_top", lang, n=top)] * len(head)
               + [t("ov_listed_low", lang, n=worst)] * len(low))
    out["price_class"] = [group_label(v, "price_class", lang) for v in out["price_class"]]
    out = out.rename(columns=names).reset_index(drop=True)
    out.attrs.update(shown=len(out), total=len(pi))
    fmts: dict[str, Any] = {names["cases"]: ",.1f"}
    for c in ("coverage", "sell_through", "repurchase_rate", "order_fill_rate",
              "demand_fill_rate", "stock_out_rate"):
        fmts[names[c]] = "percent"
    return out, fmts


def manager_table(ms: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`kpis.manager_scores` as a display table and its formats."""
    names = {"manager_id": "ov_manager", "score": "ov_score", "ytd_mean": "ov_ytd_mean",
             "ytd_tests": "ov_ytd_tests", "latest_month": "ov_latest_month",
             "latest_score": "ov_latest_score"}
    d = ms[list(names)].rename(columns={k: t(v, lang) for k, v in names.items()})
    fmts = {t("ov_score", lang): ",.1f", t("ov_ytd_mean", lang): ",.1f",
            t("ov_ytd_tests", lang): "int", t("ov_latest_score", lang): ",.1f"}
    return d, fmts


def actual_text(row: Mapping[str, Any], lang: str = "zh") -> str:
    """A scorecard row's actual value, with its interval when the source gives one:
    "89.62（95% 区间 89.20–90.00）"."""
    text = format_actual(row["actual"], row["unit"], lang)
    lo, hi = row.get("ci_low"), row.get("ci_high")
    if _missing(row["actual"]) or _missing(lo) or _missing(hi):
        return text
    return t("ov_actual_ci", lang, actual=text, low=format_actual(lo, row["unit"], lang),
             high=format_actual(hi, row["unit"], lang))


def scorecard_table(sc: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """:func:`kpis.scorecard` as a display table (all cells text): target, rule, actual,
    status, span, source and note."""
    rows = []
    for _, r in sc.iterrows():
        rows.append({
            t("ov_indicator", lang): target_label(r, lang),
            t("target", lang): f"{_DIRECTIONS.get(r['direction'], r['direction'])} "
                               f"{format_actual(r['target'], r['unit'], lang)}",
            t("actual", lang): actual_text(r, lang),
            t("ov_status", lang): t(r["status"], lang),
            t("ov_span", lang): r["span"],
            t("ov_source", lang): source_text(r, lang),
            t("ov_note", lang): reason_text(r, lang),
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- texts


def calendar_text(head: pd.DataFrame, lang: str = "zh") -> str:
    """The calendar under the headline: ordering weeks of the month, the previous month and
    the month a year before (``head.attrs["weeks"]`` of :func:`kpis.headline`), and which
    changes are calendar-adjusted."""
    w = head.attrs.get("weeks", {})
    return t("ov_calendar_note", lang, n=w.get("value", "—"), prev=w.get("prev_month", "—"),
             year=w.get("prev_year", "—"))


def scorecard_note(head: pd.DataFrame, year: int, period: str, lang: str = "zh") -> str:
    """The scorecard's note: spans and sources, with the month's demand fill rate and what
    the stock-out rate counts (from :func:`kpis.headline`)."""
    h = head.set_index("indicator")["value"]
    fill = h.get("demand_fill_rate", math.nan)
    return t("ov_scorecard_note", lang, year=year, period=period, fill=_share(fill),
             unserved=_share(1 - fill) if not _missing(fill) else "—",
             stock_out=_share(h.get("stock_out_rate", math.nan)))


def product_table_note(table: pd.DataFrame, lang: str = "zh", top: int = 10,
                       worst: int = 5) -> str:
    """How many specifications :func:`product_table` lists out of how many."""
    return t("ov_product_table_note", lang, total=table.attrs.get("total", len(table)),
             top=top, worst=worst)


# --------------------------------------------------------------------------- summary


def _target_finding(r: Mapping[str, Any], lang: str) -> str:
    label = target_label(r, lang)
    rule = f"{_DIRECTIONS.get(r['direction'], r['direction'])} {format_actual(r['target'], r['unit'], lang)}"
    status = str(r["status"])
    if status == targets.NOT_MEASURED:
        return t("ov_find_not_measured", lang, label=label, rule=rule,
                 reason=reason_text(r, lang) or "—")
    actual = actual_text(r, lang)
    if status == targets.WITHIN_MARGIN:
        return t("ov_find_within", lang, label=label, actual=actual, rule=rule,
                 source=source_text(r, lang))
    gap = float(r["actual"]) - float(r["target"])
    unit = str(r["unit"])
    if targets.is_fraction(unit):
        gap_text = f"{abs(gap) * 100:.2f} {t('ov_pp', lang)}"
    elif unit == "%":
        gap_text = f"{abs(gap):.2f} {t('ov_pp', lang)}"
    else:
        gap_text = f"{abs(gap):.1f}"
    key = f"ov_do_{r['indicator']}"
    todo = t(key, lang) if key in text_keys() else t("ov_do_default", lang)
    return t("ov_find_not_met", lang, label=label, actual=actual, rule=rule, gap=gap_text,
             todo=todo)


def summary_findings(head: pd.DataFrame, card: pd.DataFrame,
                     products: pd.DataFrame | None = None,
                     lang: str = "zh") -> list[dict[str, Any]]:
    """The overview's conclusion for :func:`lean_analysis.report.show.summary`, from the
    computed results: the month's sales with the calendar-adjusted changes
    (:func:`kpis.headline` ``sales_cases_per_week``), the demand fill rate with the
    specification that left most demand unserved (``products``:
    :func:`kpis.product_indicators`), then the scorecard (:func:`kpis.scorecard`): the met
    targets in one line, each other target in its own line with its status, gap and what to
    do. Each finding is ``{"text", "status"}``."""
    h = head.set_index("indicator")
    weeks = head.attrs.get("weeks", {})
    out: list[dict[str, Any]] = []
    if "sales_cases" in h.index and "sales_cases_per_week" in h.index:
        s, w = h.loc["sales_cases"], h.loc["sales_cases_per_week"]
        raw = _signed_pct(s["mom"])
        out.append({"status": None, "text": t(
            "ov_find_sales", lang, cases=f"{s['value']:,.1f}", n=weeks.get("value", "—"),
            per_week=f"{w['value']:,.1f}", mom=_signed_pct(w["mom"]), yoy=_signed_pct(w["yoy"]),
            raw=raw, prev_n=weeks.get("prev_month", "—"))})
    if "demand_fill_rate" in h.index and not _missing(h.loc["demand_fill_rate", "value"]):
        f = float(h.loc["demand_fill_rate", "value"])
        so = h.loc["stock_out_rate", "value"] if "stock_out_rate" in h.index else math.nan
        worst = ""
        if products is not None and len(products) and products["demand_fill_rate"].notna().any():
            p = products[products["demand_fill_rate"].notna()].sort_values(
                ["demand_fill_rate", "product_id"]).iloc[0]
            worst = t("ov_find_worst", lang, name=p["product_name"],
                      rate=_share(p["demand_fill_rate"]))
        out.append({"status": None, "text": t(
            "ov_find_fill", lang, rate=_share(f), unserved=_share(1 - f), stock_out=_share(so),
            worst=worst)})
    met = card[card["status"] == targets.MET]
    if len(met):
        sep = "；" if lang == "zh" else "; "
        items = sep.join(f"{target_label(r, lang)} {actual_text(r, lang)}"
                         f"（{_DIRECTIONS.get(r['direction'], r['direction'])} "
                         f"{format_actual(r['target'], r['unit'], lang)}）"
                         if lang == "zh" else
                         f"{target_label(r, lang)} {actual_text(r, lang)} "
                         f"({_DIRECTIONS.get(r['direction'], r['direction'])} "
                         f"{format_actual(r['target'], r['unit'], lang)})"
                         for _, r in met.iterrows())
        out.append({"status": targets.MET, "text": t("ov_find_met", lang, items=items)})
    for _, r in card[card["status"] != targets.MET].iterrows():
        out.append({"status": str(r["status"]), "text": _target_finding(r, lang)})
    return out


# --------------------------------------------------------------------------- figures


def trend_cases(monthly: pd.DataFrame, lang: str = "zh"):
    """Stacked bars of monthly cases by price class (from ``kpis.monthly_sales(...,
    by="price_class")``), the total at 4.33 ordering weeks (``cases_adjusted``) as a line
    beside them, and each month's ordering weeks under its label."""
    import matplotlib.pyplot as plt

    use_theme()
    wide = monthly.pivot_table(index="month", columns="price_class", values="cases",
                               aggfunc="sum", fill_value=0.0).sort_index()
    fig, ax = plt.subplots()
    x = list(range(len(wide)))
    bottom = pd.Series(0.0, index=wide.index)
    for i, pc in enumerate(wide.columns):
        ax.bar(x, wide[pc].to_numpy(), bottom=bottom.to_numpy(), color=PALETTE[i % len(PALETTE)],
               label=group_label(pc, "price_class", lang))
        bottom += wide[pc]
    labels = list(wide.index)
    if "cases_adjusted" in monthly and "weeks" in monthly:
        adj = monthly.groupby("month")["cases_adjusted"].sum().reindex(wide.index)
        weeks = monthly.groupby("month")["weeks"].first().reindex(wide.index)
        ax.plot(x, adj.to_numpy(), color="black", marker="o", lw=1.5,
                label=t("ov_adjusted_line", lang))
        labels = [t("ov_month_weeks", lang, month=m, n=int(w)) for m, w in zip(
            wide.index, weeks, strict=True)]
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_ylabel(t("sales_cases", lang))
    ax.set_xlabel(t("ov_month", lang))
    ax.legend(ncol=min(6, len(wide.columns) + 1), loc="upper left", bbox_to_anchor=(0, -0.32))
    fig.tight_layout()
    return fig


def trend_mix(ind: pd.DataFrame, lang: str = "zh",
              targets: Mapping[str, float] | None = None):
    """Three panels over the months of ``kpis.monthly_indicators``: value per case,
    key-brand share and retailer margin; ``targets`` (share) draws the yearly targets as
    dashed lines, e.g. ``{"key_brand_share": 0.895, "retailer_margin": 0.112}``."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    use_theme()
    targets = targets or {}
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    panels = [("value_per_case", False), ("key_brand_share", True), ("retailer_margin", True)]
    x = list(range(len(ind)))
    for ax, (col, share), colour in zip(axes, panels, PALETTE, strict=False):
        ax.plot(x, ind[col], marker="o", color=colour)
        if col in targets and targets[col] is not None:
            ax.axhline(targets[col], ls="--", color=STATUS_COLOURS["not_met"], lw=1,
                       label=t("target", lang))
            ax.legend(loc="lower left")
        if share:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
        ax.set_title(t(col, lang))
        step = max(1, len(x) // 6)
        ax.set_xticks(x[::step], list(ind["month"])[::step], rotation=45)
    fig.tight_layout()
    return fig


def sales_compare(df: pd.DataFrame, by: str, lang: str = "zh", top: int = 10):
    """Grouped bars of cases this month, the previous month and a year before, by group
    (``kpis.sales(..., by=...)``; the ``top`` groups by cases)."""
    import matplotlib.pyplot as plt
    import numpy as np

    use_theme()
    d = df.sort_values(["cases", by], ascending=[False, True]).head(top)
    labels = [group_label(v, by, lang) for v in d[by]]
    x = np.arange(len(d))
    w = 0.27
    fig, ax = plt.subplots()
    for i, (col, key) in enumerate([("cases_prev_year", "ov_prev_year"),
                                    ("cases_prev_month", "ov_prev_month"), ("cases", "ov_this_month")]):
        ax.bar(x + (i - 1) * w, d[col].fillna(0.0), width=w, label=t(key, lang),
               color=PALETTE[[5, 1, 0][i]])
    ax.set_xticks(x, labels, rotation=30 if len(d) > 5 else 0, ha="right" if len(d) > 5 else "center")
    ax.set_ylabel(t("sales_cases", lang))
    ax.legend()
    fig.tight_layout()
    return fig


def coverage_bars(pi: pd.DataFrame, lang: str = "zh", n: int = 20):
    """Horizontal bars of coverage and sell-through for the ``n`` specifications with the
    most cases (``kpis.product_indicators``)."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import PercentFormatter

    use_theme()
    d = pi.sort_values(["cases", "product_id"], ascending=[False, True]).head(n).iloc[::-1]
    y = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.28 * len(d) + 1)))
    ax.barh(y + 0.2, d["coverage"].fillna(0.0), height=0.4, label=t("coverage", lang), color=PALETTE[0])
    ax.barh(y - 0.2, d["sell_through"].fillna(0.0), height=0.4, label=t("sell_through", lang),
            color=PALETTE[1])
    ax.set_yticks(y, list(d["product_name"]))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, 1.05)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    fig.tight_layout()
    return fig


def manager_bars(ms: pd.DataFrame, lang: str = "zh"):
    """Horizontal bars of each manager's score this month beside the year-to-date mean
    (``kpis.manager_scores``)."""
    import matplotlib.pyplot as plt
    import numpy as np

    use_theme()
    d = ms.iloc[::-1]
    y = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(d) + 1)))
    ax.barh(y + 0.2, d["score"].fillna(0.0), height=0.4, label=t("ov_score", lang), color=PALETTE[0])
    ax.barh(y - 0.2, d["ytd_mean"], height=0.4, label=t("ov_ytd_mean", lang), color=PALETTE[5])
    ax.set_yticks(y, list(d["manager_id"].astype(str)))
    ax.set_xlim(0, 100)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    fig.tight_layout()
    return fig

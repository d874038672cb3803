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
from lean_analysis.report.texts import keys as text_keys
from lean_analysis.report.texts import t
from lean_analysis.report.theme import PALETTE, STATUS_COLOURS, use_theme

_DIRECTIONS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}

# Headline indicators: text key and card format.
HEADLINE = {
    "sales_cases": ("sales_cases", ",.1f"),
    "sales_value_10k": ("sales_value_10k", ",.1f"),
    "value_per_case": ("value_per_case", ",.0f"),
    "key_brand_share": ("key_brand_share", "percent"),
    "retailer_margin": ("retailer_margin", "percent"),
    "active_customers": ("ov_active_customers", "int"),
    "order_fill_rate": ("order_fill_rate", "percent"),
    "stock_out_rate": ("stock_out_rate", "percent"),
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


def _signed_pct(x: float) -> str:
    return "—" if _missing(x) else f"{_signed(x, 1)}%"


def _signed_pp(x: float, lang: str) -> str:
    return "—" if _missing(x) else f"{_signed(x, 2)} {t('ov_pp', lang)}"


def reason_text(row: Mapping[str, Any], lang: str = "zh") -> str:
    """The scorecard row's ``reason`` codes in words of ``lang`` (``note`` when no code)."""
    codes = [c for c in str(row.get("reason") or "").split(";") if c]
    if not codes:
        return str(row.get("note") or "")
    report, _, figure = str(row.get("source", "")).partition(":")
    span = str(row.get("span", ""))
    known = set(text_keys())
    words = [t(f"ov_reason_{c}", lang, report=report, figure=figure, year=span[:4])
             if f"ov_reason_{c}" in known else c for c in codes]
    return ("；" if lang == "zh" else "; ").join(words)


def format_actual(value: Any, unit: str | None, lang: str = "zh") -> str:
    """A scorecard value in its unit: shares as percentages, 0–100 scales with one decimal."""
    if _missing(value):
        return t("not_measured", lang)
    if targets.is_fraction(unit):
        return f"{float(value) * 100:.2f}%"
    if (unit or "") == "%":
        return f"{float(value):.2f}%"
    return f"{float(value):,.1f}"


# --------------------------------------------------------------------------- cards


def headline_cards(head: pd.DataFrame, lang: str = "zh") -> list[dict[str, Any]]:
    """Cards for :func:`lean_analysis.report.show.kpi_cards` from :func:`kpis.headline`:
    value with month-on-month and year-on-year change (relative for quantities, in
    percentage points for shares)."""
    cards = []
    for _, r in head.iterrows():
        key, fmt = HEADLINE.get(r["indicator"], (r["indicator"], None))
        change = (lambda x: _signed_pct(x)) if r["change"] == "relative" else (lambda x: _signed_pp(x, lang))
        note = (f"{t('ov_vs_prev_month', lang)} {change(r['mom'])} · "
                f"{t('ov_vs_prev_year', lang)} {change(r['yoy'])}")
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


def product_table(pi: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`kpis.product_indicators` as a display table and its formats."""
    names = {
        "product_name": t("ov_product", lang), "brand": t("ov_brand", lang),
        "price_class": t("ov_price_class", lang), "cases": t("sales_cases", lang),
        "coverage": t("coverage", lang), "sell_through": t("sell_through", lang),
        "repurchase_rate": t("repurchase_rate", lang), "order_fill_rate": t("order_fill_rate", lang),
        "order_at_cap_share": t("order_at_cap_share", lang), "stock_out_rate": t("stock_out_rate", lang),
    }
    d = pi[list(names)].copy()
    d["price_class"] = [group_label(v, "price_class", lang) for v in d["price_class"]]
    d = d.rename(columns=names)
    fmts: dict[str, Any] = {names["cases"]: ",.1f"}
    for c in ("coverage", "sell_through", "repurchase_rate", "order_fill_rate",
              "order_at_cap_share", "stock_out_rate"):
        fmts[names[c]] = "percent"
    return d, fmts


def manager_table(ms: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`kpis.manager_scores` as a display table and its formats."""
    names = {"manager_id": "ov_manager", "score": "ov_score", "ytd_mean": "ov_ytd_mean",
             "ytd_tests": "ov_ytd_tests", "latest_month": "ov_latest_month",
             "latest_score": "ov_latest_score"}
    d = ms[list(names)].rename(columns={k: t(v, lang) for k, v in names.items()})
    fmts = {t("ov_score", lang): ",.1f", t("ov_ytd_mean", lang): ",.1f",
            t("ov_ytd_tests", lang): "int", t("ov_latest_score", lang): ",.1f"}
    return d, fmts


def scorecard_table(sc: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """:func:`kpis.scorecard` as a display table (all cells text): target, rule, actual,
    status, span, source and note."""
    rows = []
    for _, r in sc.iterrows():
        rows.append({
            t("ov_indicator", lang): target_label(r, lang),
            t("target", lang): f"{_DIRECTIONS.get(r['direction'], r['direction'])} "
                               f"{format_actual(r['target'], r['unit'], lang)}",
            t("actual", lang): format_actual(r["actual"], r["unit"], lang),
            t("ov_status", lang): t(r["status"], lang),
            t("ov_span", lang): r["span"],
            t("ov_source", lang): t("ov_orders_source", lang) if r["source"] == "orders" else r["source"],
            t("ov_note", lang): reason_text(r, lang),
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- figures


def trend_cases(monthly: pd.DataFrame, lang: str = "zh"):
    """Stacked bars of monthly cases by price class (from ``kpis.monthly_sales(...,
    by="price_class")``)."""
    import matplotlib.pyplot as plt

    use_theme()
    wide = monthly.pivot_table(index="month", columns="price_class", values="cases",
                               aggfunc="sum", fill_value=0.0).sort_index()
    fig, ax = plt.subplots()
    bottom = pd.Series(0.0, index=wide.index)
    for i, pc in enumerate(wide.columns):
        ax.bar(wide.index, wide[pc], bottom=bottom, color=PALETTE[i % len(PALETTE)],
               label=group_label(pc, "price_class", lang))
        bottom += wide[pc]
    ax.set_ylabel(t("sales_cases", lang))
    ax.set_xlabel(t("ov_month", lang))
    ax.tick_params(axis="x", rotation=45)
    ax.legend(ncol=min(5, len(wide.columns)), loc="upper left", bbox_to_anchor=(0, -0.25))
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

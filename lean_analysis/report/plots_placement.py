"""Texts, cards, display tables and charts of the market-placement report
(notebooks/04_market_placement.ipynb).

Inputs are the result objects and DataFrames of :mod:`lean_analysis.placement` and the
figures of :func:`lean_analysis.placement.figures` (this module computes nothing new: it
labels, converts cartons to cases for display, formats and draws; it imports no analysis
module). Every reviewer-facing word comes from ``report/locales/placement.yaml`` and
``common.yaml`` in the chosen language. Tables come back as ``(DataFrame, formats)`` for
``show.table``, at most 15 rows, with specification names instead of ids.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lean_analysis import config
from lean_analysis.report.texts import t
from lean_analysis.report.theme import PALETTE, use_theme

REPORT = "04_market_placement"
MAX_ROWS = 15
POLICY_KEYS = ("actual", "proportional", "demand", "demand_fair")


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _pct(x: Any, digits: int = 1) -> str:
    return "—" if _missing(x) else f"{float(x) * 100:.{digits}f}%"


def _pts(x: Any, digits: int = 2) -> str:
    return "—" if _missing(x) else f"{float(x) * 100:+.{digits}f}"


def _cases(cartons: Any, digits: int = 1) -> str:
    return "—" if _missing(cartons) else f"{float(cartons) / config.CARTONS_PER_CASE:,.{digits}f}"


def _value(figs: Mapping[str, Any], name: str) -> Any:
    f = figs.get(name) or {}
    return f.get("value")


def names(products: pd.DataFrame) -> dict[str, str]:
    """product_id -> product_name (the id where a name is missing)."""
    p = products.set_index("product_id")["product_name"]
    return {str(k): (str(v) if isinstance(v, str) and v else str(k)) for k, v in p.items()}


def policy_label(policy: str, lang: str = "zh") -> str:
    return t(f"pl_policy_{policy}", lang) if policy in POLICY_KEYS else str(policy)


def band_label(band: str, lang: str = "zh") -> str:
    return t("pl_band", lang, band=band)


# --------------------------------------------------------------------------- text
def not_measured_text(reason: str, lang: str = "zh") -> str:
    """One line: why nothing is measured (no ``supply`` table / nothing rationed)."""
    return t(f"pl_{reason}", lang)


def summary_points(figs: Mapping[str, Any], ev, bt_months: int, rec: pd.DataFrame | None,
                   supply_source: str, policy: str, lang: str = "zh") -> list[str]:
    """The findings the report opens with: this month's served share, what the recommended
    caps would have served in the backtest, next month's caps (where they are)."""
    tot = ev.total
    pts = [t("pl_sum_month", lang, share=_pct(_value(figs, "served_share_actual")),
             orders=_cases(tot["orders"]), demand=_cases(tot["demand"]),
             unserved=_cases(tot["unserved"]),
             unused=_pct(_value(figs, "unused_supply_share")))]
    gain = _value(figs, "served_share_gain_backtest")
    key = "pl_sum_backtest_gain" if not _missing(gain) and gain > 0 else "pl_sum_backtest_nogain"
    pts.append(t(key, lang, months=bt_months, policy=policy_label(policy, lang),
                 rec=_pct(_value(figs, "served_share_recommended_backtest")),
                 actual=_pct(_value(figs, "served_share_actual_backtest")),
                 gain=_pts(gain) if key.endswith("nogain") else _pts(gain).lstrip("+")))
    if rec is not None and len(rec):
        pts.append(t("pl_sum_caps", lang, period=rec.attrs.get("period", ""),
                     n=rec["product_id"].nunique(),
                     source=t(f"pl_supply_{supply_source}", lang)))
    pts.append(t("pl_sum_gini", lang, gini=f"{_value(figs, 'placement_gini') or 0:.3f}"))
    return pts


def summary_findings(figs: Mapping[str, Any], ev, bt_months: int, rec: pd.DataFrame | None,
                     supply_source: str, policy: str, lang: str = "zh") -> list[dict[str, Any]]:
    """:func:`summary_points` as the findings of :func:`lean_analysis.report.show.summary`."""
    return [{"text": p} for p in summary_points(figs, ev, bt_months, rec, supply_source, policy, lang)]


def summary_cards(figs: Mapping[str, Any], lang: str = "zh") -> list[dict[str, Any]]:
    """Cards: served share of the month, of the recommended caps in the backtest, the gain,
    unused supply and unserved demand."""
    out = []
    for name, key, fmt, unit in (
            ("served_share_actual", "pl_card_served", "percent1", None),
            ("served_share_recommended_backtest", "pl_card_recommended", "percent1", None),
            ("served_share_gain_backtest", "pl_card_gain", _pts, t("pl_unit_points", lang)),
            ("unused_supply_share", "pl_card_unused", "percent1", None),
            ("unserved_demand_cases", "pl_card_unserved", ",.1f", t("unit_case", lang))):
        out.append({"label": t(key, lang), "value": _value(figs, name), "format": fmt,
                    "unit": unit})
    return out


def intro_text(period: str, months: int, history: int, policy: str, lang: str = "zh") -> str:
    return t("pl_intro", lang, period=period, months=months, history=history,
             policy=policy_label(policy, lang))


def cap_notes(rec: pd.DataFrame, lang: str = "zh") -> list[str]:
    """Warnings on next month's caps: specifications placed proportionally (no demand
    estimate) and those whose supply cannot give every customer the floor."""
    notes = rec.groupby("product_id")["note"].first()
    out = []
    n_fb = int(notes.isin(["no_demand_estimate", "milp_failed"]).sum())
    if n_fb:
        out.append(t("pl_caps_fallback", lang, n=n_fb))
    n_fl = int((notes == "floor_infeasible").sum())
    if n_fl:
        out.append(t("pl_caps_floor", lang, n=n_fl))
    return out


# --------------------------------------------------------------------------- chart
def served_by_band_plot(ev, lang: str = "zh"):
    """Served share (Σ order ÷ Σ demand) by tier band over the month's rationed
    specifications, the demand and orders in cases on the bars."""
    import matplotlib.pyplot as plt

    use_theme()
    g = ev.groups.groupby("tier_band", as_index=False)[["demand", "orders"]].sum()
    g = g.sort_values("tier_band", key=lambda s: s.map(lambda b: int(str(b).split("-")[0])))
    share = g["orders"] / g["demand"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    x = range(len(g))
    bars = ax.bar(x, share, color=PALETTE[0], width=0.6)
    for b, s, d, o in zip(bars, share, g["demand"], g["orders"], strict=True):
        ax.text(b.get_x() + b.get_width() / 2, s + 0.01,
                f"{s:.1%}\n{_cases(o)}/{_cases(d)} {t('unit_case', lang)}",
                ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x), [band_label(b, lang) for b in g["tier_band"]])
    ax.set_ylim(0, 1.15)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_ylabel(t("pl_served_share", lang))
    ax.set_title(t("pl_band_plot_title", lang))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- tables
def backtest_display(bt, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    """One row per policy over all rationed specifications of the backtest."""
    s = bt.summary()
    s = s[s["product_id"] == "all"].copy()
    order = {p: i for i, p in enumerate(POLICY_KEYS)}
    s = s.sort_values("policy", key=lambda c: c.map(lambda p: order.get(p, 99)))
    out = pd.DataFrame({
        t("pl_policy", lang): [policy_label(p, lang) for p in s["policy"]],
        t("pl_demand_cases", lang): s["demand"].to_numpy() / config.CARTONS_PER_CASE,
        t("pl_served_cases", lang): s["served"].to_numpy() / config.CARTONS_PER_CASE,
        t("pl_served_share", lang): s["served_share"].to_numpy(),
        t("pl_unused_share", lang): s["unused_supply_share"].to_numpy(),
        t("pl_gini", lang): s["gini"].to_numpy(),
    }).head(MAX_ROWS)
    fmts = {out.columns[1]: ",.1f", out.columns[2]: ",.1f", out.columns[3]: "percent1",
            out.columns[4]: "percent1", out.columns[5]: ",.3f"}
    return out, fmts


def unserved_display(ev, products: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    """Unserved demand per specification (largest first, at most 15 rows)."""
    nm = names(products)
    p = ev.products.sort_values("unserved", ascending=False).head(MAX_ROWS)
    out = pd.DataFrame({
        t("pl_product", lang): [nm.get(str(i), str(i)) for i in p["product_id"]],
        t("pl_demand_cases", lang): p["demand"].to_numpy() / config.CARTONS_PER_CASE,
        t("pl_order_cases", lang): p["orders"].to_numpy() / config.CARTONS_PER_CASE,
        t("pl_unserved_cases", lang): p["unserved"].to_numpy() / config.CARTONS_PER_CASE,
        t("pl_served_share", lang): p["served_share"].to_numpy(),
        t("pl_unserved_value", lang): p["unserved_value"].to_numpy() / 10_000,
        t("pl_supply_used", lang): p["supply_used"].to_numpy(),
    })
    c = out.columns
    fmts = {c[1]: ",.1f", c[2]: ",.1f", c[3]: ",.1f", c[4]: "percent1", c[5]: ",.1f",
            c[6]: "percent1"}
    return out, fmts


def caps_display(rec: pd.DataFrame, products: pd.DataFrame,
                 lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    """Next month's caps (条 per customer and week) per specification and tier band: the
    band's lowest–highest tier cap; the weekly supply in 条."""
    nm = names(products)
    rows = []
    bands = list(config.TIER_BANDS)
    for pid, g in rec.groupby("product_id", sort=True):
        row = {t("pl_product", lang): nm.get(str(pid), str(pid))}
        for b in bands:
            c = g.loc[g["tier_band"] == b, "cap"]
            lo, hi = int(c.min()), int(c.max())
            row[band_label(b, lang)] = f"{lo}" if lo == hi else f"{lo}–{hi}"
        row[t("pl_weekly_supply", lang)] = float(g["supply"].iloc[0])
        row[t("pl_expected_share", lang)] = (g["expected_served"].sum() / g["expected_demand"].sum()
                                             if g["expected_demand"].sum() > 0 else float("nan"))
        rows.append(row)
    out = pd.DataFrame(rows).head(MAX_ROWS)
    fmts = {t("pl_weekly_supply", lang): ",.0f", t("pl_expected_share", lang): "percent1"}
    return out, fmts

"""Plots, display tables and texts of the brand-cultivation report
(notebooks/02_brand_cultivation.ipynb).

Inputs are the results of :mod:`lean_analysis.brand` (a programme evaluation, effect tables,
event studies, synthetic controls, shelf and new-product tables); this module computes no
statistic and applies no rule of its own (target status, verdicts, pre-trend warnings and
the placebos drawn come with the results): it labels, formats and draws. The published
figures are computed by :func:`lean_analysis.brand.figures`. Wording comes from
``report/texts/brand.yaml`` and ``common.yaml`` in the chosen language; plots use the shared
theme and return the figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from lean_analysis.report import show
from lean_analysis.report.texts import t
from lean_analysis.report.theme import PALETTE, STATUS_COLOURS, use_theme
from lean_analysis.targets import effect_verdict as verdict
from lean_analysis.targets import pretrend_warning
from lean_analysis.targets import status as target_status

GROUP_COLOURS = {"target": PALETTE[1], "comparison": PALETTE[0]}
TARGET_COLOUR = STATUS_COLOURS["not_met"]  # the line an effect is judged against (0)
INDICATORS = [  # column, text key, is a fraction
    ("cartons_per_customer", "br_cartons_per_customer", False),
    ("share", "br_share", True),
    ("coverage", "coverage", True),
    ("sell_through", "sell_through", True),
    ("repurchase_rate", "repurchase_rate", True),
    ("on_shelf_rate", "on_shelf_rate", True),
]


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or bool(pd.isna(v))


def _num(v: Any, digits: int = 1) -> str:
    return "—" if _missing(v) else f"{float(v):,.{digits}f}"


def _pct(v: Any, digits: int = 0, signed: bool = False) -> str:
    if _missing(v):
        return "—"
    return f"{float(v) * 100:{'+' if signed else ''}.{digits}f}%"


def _rate(v: Any) -> str:
    """A published share (the on-shelf rate, the checked share) as every page writes a
    figure: :func:`show.figure_number`, two decimals."""
    return "—" if _missing(v) else show.figure_number(float(v), "share")


def _p(v: Any) -> str:
    if _missing(v):
        return "—"
    return "< 0.001" if float(v) < 0.001 else f"{float(v):.3f}"


def _p_rel(v: Any) -> str:
    """A p value for "p {p}" in a sentence: ``= 0.110`` or ``< 0.001`` (never "p = < 0.001")."""
    p = _p(v)
    return p if p.startswith(("<", "—")) else f"= {p}"


def _date(v: Any) -> str:
    return "—" if _missing(v) else pd.Timestamp(v).date().isoformat()


def level_text(alpha: float) -> str:
    """``0.05`` -> ``"95%"``."""
    return f"{(1 - alpha) * 100:g}%"


def group_label(group: str, lang: str = "zh") -> str:
    return t(f"br_group_{group}", lang)


def method_label(method: str, lang: str = "zh") -> str:
    return t(f"br_method_{method}", lang)


def item_label(ev, lang: str = "zh") -> str:
    """The cultivated item: its brand, the product id and name, or (benchmark terminals)
    the key brands."""
    if getattr(ev, "scope", None) == "key_brands":
        return t("br_scope_key_brands", lang)
    labels = list(getattr(ev, "item_labels", None) or ev.items)
    return "、".join(map(str, labels)) if lang == "zh" else ", ".join(map(str, labels))


def customer_label(ev, customer_id) -> str:
    """The customer's name (its id when the customers table has none)."""
    names = getattr(ev, "names", None) or {}
    name = names.get(customer_id)
    return str(name) if name not in (None, "") and not _missing(name) else str(customer_id)


def reason_text(ev, max_synth: int, lang: str = "zh") -> str:
    """Why the method was chosen, in the report's language."""
    if ev.effect is None:
        return ""
    if "requested" in ev.effect.reason:
        return t("br_reason_requested", lang)
    key = "br_reason_synth" if ev.effect.method == "synth" else "br_reason_did"
    return t(key, lang, n=len(ev.targets), max=max_synth)


# --------------------------------------------------------------------------- overview


def intro_text(evals: Sequence, period: str, alpha: float, max_synth: int, lang: str = "zh") -> str:
    methods = sorted({e.effect.method for e in evals if e.effect is not None}) or ["did", "synth"]
    sep = "、" if lang == "zh" else " and "
    return t("br_intro", lang, n=len(evals), period=period, level=level_text(alpha),
             methods=sep.join(method_label(m, lang) for m in methods), max_synth=max_synth)


def programmes_display(evals: Sequence, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    rows = []
    for e in evals:
        rows.append({
            t("br_col_programme", lang): e.programme_id,
            t("br_col_name", lang): e.name,
            t("br_col_kind", lang): t(f"br_kind_{e.kind}", lang),
            t("br_col_item", lang): item_label(e, lang),
            t("br_col_start", lang): _date(e.start),
            t("br_col_end", lang): _date(e.end) if e.end is not None else t("br_ongoing", lang),
            t("br_col_targets", lang): len(e.targets),
            t("br_col_comparison", lang): (e.comparison["customer_id"].nunique()
                                           if len(e.comparison) else 0),
            t("br_col_status", lang): t(f"br_status_{e.status}", lang),
            t("br_col_method", lang): method_label(e.effect.method, lang) if e.effect else "—",
        })
    return pd.DataFrame(rows), {}


def facts_text(ev, k: int, max_synth: int, lang: str = "zh") -> str:
    n_pre = ev.power.get("n_pre", 0)
    n_post = ev.power.get("n_post", 0)
    return t("br_facts", lang, item=item_label(ev, lang), start=_date(ev.start),
             n_targets=len(ev.targets), n_comparison=ev.comparison["customer_id"].nunique(), k=k,
             n_pre=n_pre, n_post=n_post, as_of=_date(min(ev.as_of, ev.end) if ev.end is not None else ev.as_of),
             method=method_label(ev.effect.method, lang), reason=reason_text(ev, max_synth, lang))


def matched_on_label(value: str, lang: str = "zh") -> str:
    """"area+tier_band+format" -> "区域 + 档位段 + 业态"; "(none)" -> sales and tier only."""
    from lean_analysis.report.texts import keys

    if value in ("(none)", "", None):
        return t("br_match_none", lang)
    known = set(keys())
    return " + ".join(t(f"br_match_{k}", lang) if f"br_match_{k}" in known else k
                      for k in str(value).split("+"))


def comparison_display(ev, lang: str = "zh", max_rows: int = 15) -> tuple[pd.DataFrame, dict]:
    """The matched comparison customers summarised per target customer (names, not ids):
    how many were matched, on what, their mean pre-period sales beside the target's, and the
    mean and largest distance. At most ``max_rows`` rows: the targets with the largest mean
    distance (the weakest matches) when there are more."""
    comp = ev.comparison
    g = comp.groupby("target_id", sort=True)
    df = pd.DataFrame({
        "n": g.size(),
        "matched_on": g["matched_on"].agg(lambda v: v.mode().iloc[0] if len(v) else ""),
        "target_pre": g["target_pre_outcome"].first(),
        "pre": g["pre_outcome"].mean(),
        "dist": g["distance"].mean(),
        "dist_max": g["distance"].max(),
    }).reset_index()
    df = df.sort_values(["dist", "target_id"], ascending=[False, True], kind="mergesort").head(max_rows)
    cols = {k: t(f"br_col_{k}", lang) for k in ("target_id", "n_matched", "matched_on", "target_pre",
                                                 "pre_mean", "distance", "distance_max")}
    out = pd.DataFrame({
        cols["target_id"]: df["target_id"].map(lambda c: customer_label(ev, c)),
        cols["n_matched"]: df["n"].to_numpy(),
        cols["matched_on"]: df["matched_on"].map(lambda v: matched_on_label(v, lang)),
        cols["target_pre"]: df["target_pre"].to_numpy(),
        cols["pre_mean"]: df["pre"].to_numpy(),
        cols["distance"]: df["dist"].to_numpy(),
        cols["distance_max"]: df["dist_max"].to_numpy(),
    }).reset_index(drop=True)
    return out, {cols["target_pre"]: ",.1f", cols["pre_mean"]: ",.1f", cols["distance"]: ",.2f",
                 cols["distance_max"]: ",.2f"}


def comparison_note(ev, pre_months: int, max_rows: int = 15, lang: str = "zh") -> str:
    """How the comparison customers were chosen; says when the table shows only some targets."""
    text = t("br_comparison_note", lang, pre_months=pre_months)
    n = ev.comparison["target_id"].nunique() if len(ev.comparison) else 0
    if n > max_rows:
        text += " " + t("br_comparison_top", lang, n=max_rows, total=n)
    return text


def matching_notes(comparison: pd.DataFrame, k: int, lang: str = "zh") -> list[str]:
    """Warnings about the matching (shortfalls, excluded candidates)."""
    out = []
    short = comparison.attrs.get("shortfall") or {}
    if short:
        out.append(t("br_shortfall", lang, k=k, ids=", ".join(map(str, short))))
    n = (comparison.attrs.get("excluded") or {}).get("no pre-period value", 0)
    if n:
        out.append(t("br_excluded_candidates", lang, n=n))
    return out


# --------------------------------------------------------------------------- indicators


def _with_per_customer(ind: pd.DataFrame, group_sizes: dict) -> pd.DataFrame:
    df = ind.copy()
    size = df["group"].map(group_sizes).astype(float)
    df["cartons_per_customer"] = df["cartons"] / size.where(size > 0)
    return df


def indicator_plot(ind: pd.DataFrame, group_sizes: dict, start, lang: str = "zh"):
    """Small multiples: cartons per customer, share, coverage, sell-through, repurchase and
    on-shelf rate by month, target vs comparison customers; a line at the start."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    use_theme()
    df = _with_per_customer(ind, group_sizes)
    shown = [x for x in INDICATORS if x[0] in df.columns and df[x[0]].notna().any()]
    ncol = 3
    nrow = math.ceil(len(shown) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.6 * nrow), sharex=True, squeeze=False)
    for ax, (col, key, frac) in zip(axes.flat, shown, strict=False):
        for g in ("target", "comparison"):
            s = df[df["group"] == g].sort_values("period")
            ax.plot(s["period"], s[col], marker="o", ms=2.5, lw=1.4, color=GROUP_COLOURS[g],
                    label=group_label(g, lang))
        ax.axvline(pd.Timestamp(start), color="#555555", ls="--", lw=1)
        ax.set_title(t(key, lang), fontsize=11)
        if frac:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            if col != "share":
                ax.set_ylim(0, 1.05)
        if col == "on_shelf_rate" and "checked_share" in df.columns:
            dotted = []
            for g in ("target", "comparison"):
                s = df[df["group"] == g].sort_values("period")
                dotted += ax.plot(s["period"], s["checked_share"], ls=":", lw=1.1, color=GROUP_COLOURS[g],
                                  label=f"{group_label(g, lang)} · {t('br_checked_share', lang)}")
            ax.legend(handles=dotted, loc="center right", fontsize=7)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="best", fontsize=9)
    fig.tight_layout()
    return fig


def indicator_display(ind: pd.DataFrame, group_sizes: dict, n_months: int = 6,
                      lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    df = _with_per_customer(ind, group_sizes)
    last = sorted(df["period"].unique())[-n_months:]
    df = df[df["period"].isin(last)].sort_values(["period", "group"], ascending=[False, False])
    cols = [c for c, _, _ in INDICATORS if c in df.columns]
    extra = [c for c in ("order_fill_rate", "order_at_cap_share") if c in df.columns and df[c].notna().any()]
    out = pd.DataFrame({
        t("br_col_month", lang): df["period"].dt.strftime("%Y-%m"),
        t("br_col_group", lang): df["group"].map(lambda g: group_label(g, lang)),
    })
    fmts: dict = {}
    for c in cols + extra:
        key = next((k for cc, k, _ in INDICATORS if cc == c), c)
        name = t(key, lang)
        out[name] = df[c].to_numpy()
        fmts[name] = ",.1f" if c == "cartons_per_customer" else "percent"
    out[t("sales_cases", lang)] = df["cases"].to_numpy()
    fmts[t("sales_cases", lang)] = ",.2f"
    if "value_per_case" in df.columns:
        name = t("value_per_case", lang)
        out[name] = df["value_per_case"].to_numpy()
        fmts[name] = ",.0f"
    return out.reset_index(drop=True), fmts


def trend_plot(panel: pd.DataFrame, outcome: str, start, lang: str = "zh"):
    """Mean outcome per customer and month, target vs comparison customers; the start as a
    dashed line; the legend outside the axes (it never covers the data)."""
    import matplotlib.pyplot as plt

    use_theme()
    m = panel.groupby(["month", "group"])[outcome].mean().reset_index()
    fig, ax = plt.subplots()
    for g in ("target", "comparison"):
        s = m[m["group"] == g]
        ax.plot(s["month"], s[outcome], marker="o", ms=3, color=GROUP_COLOURS[g],
                label=group_label(g, lang))
    ax.axvline(pd.Timestamp(start), color="#555555", ls="--", lw=1, label=t("br_start_line", lang))
    ax.set_ylabel(t("br_trend_ylabel", lang))
    # outside the axes, right of them: the legend never covers a line or a point
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- effects


def effect_display(table: pd.DataFrame, alpha: float, lang: str = "zh", ev=None) -> tuple[pd.DataFrame, dict]:
    """The effect table; ``ev`` (the evaluation) names the customers of per-target rows."""
    lvl = level_text(alpha)
    out = pd.DataFrame({
        t("br_col_unit", lang): table["unit"].map(
            lambda u: t("br_all", lang) if u == "all" else (customer_label(ev, u) if ev is not None else u)),
        t("br_col_method", lang): table["method"].map(lambda m: method_label(m, lang)),
        t("br_col_estimate", lang): table["estimate"],
        t("br_col_ci_low", lang): table["ci_low"],
        t("br_col_ci_high", lang): table["ci_high"],
        t("br_col_p", lang): table["p_value"].map(_p),
        t("br_col_baseline", lang): table["baseline"],
        t("br_col_lift", lang): table["lift"],
    })
    fmts = {t("br_col_estimate", lang): ",.2f", t("br_col_ci_low", lang): ",.2f",
            t("br_col_ci_high", lang): ",.2f", t("br_col_baseline", lang): ",.1f",
            t("br_col_lift", lang): "percent"}
    if table["method"].eq("synth").any():
        out[t("br_col_pre_rmspe", lang)] = table["pre_rmspe"].to_numpy()
        fmts[t("br_col_pre_rmspe", lang)] = ",.2f"
    else:
        out[t("br_col_pretrend", lang)] = table["pretrend_p"].map(_p).to_numpy()
    out = out.rename(columns={t("br_col_ci_low", lang): f"{lvl} {t('br_col_ci_low', lang)}",
                              t("br_col_ci_high", lang): f"{lvl} {t('br_col_ci_high', lang)}"})
    fmts = {(f"{lvl} {k}" if k in (t("br_col_ci_low", lang), t("br_col_ci_high", lang)) else k): v
            for k, v in fmts.items()}
    return out, fmts


def effect_note(method: str, lang: str = "zh") -> str:
    return t("br_effect_note", lang, interval=t(f"br_interval_{method}", lang))


def event_study_plot(es: pd.DataFrame, lang: str = "zh"):
    """Event-study coefficients with their intervals; the reference month (−1) is 0. The
    zero-effect line (what a lift is judged against) and the start are drawn and labelled
    in a legend outside the axes."""
    import matplotlib.pyplot as plt

    use_theme()
    fig, ax = plt.subplots()
    pre = es["rel_time"] < 0
    for mask, colour in ((pre, PALETTE[0]), (~pre, PALETTE[1])):
        s = es[mask]
        ax.errorbar(s["rel_time"], s["estimate"],
                    yerr=[s["estimate"] - s["ci_low"], s["ci_high"] - s["estimate"]],
                    fmt="o", ms=4, capsize=2, color=colour)
    ax.axhline(0, color=TARGET_COLOUR, lw=1.2, label=t("br_no_effect", lang))
    ax.axvline(-0.5, color="#555555", ls="--", lw=1, label=t("br_start_line", lang))
    ax.set_xlabel(t("br_event_xlabel", lang))
    ax.set_ylabel(t("br_event_ylabel", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    fig.tight_layout()
    return fig


def event_note(pretrend_p: float, alpha: float, lang: str = "zh") -> tuple[str, str | None]:
    """The event-study note and, when :func:`lean_analysis.targets.pretrend_warning` flags
    the pre-trend test (rejects at 10 % or not available), a warning."""
    note = t("br_event_note", lang, level=level_text(alpha), p=_p_rel(pretrend_p))
    flag = pretrend_warning(pretrend_p)
    if flag == "not_available":
        return note, t("br_event_pretrend_na", lang)
    if flag == "rejected":
        return note, t("br_event_pretrend_warn", lang, p=_p_rel(pretrend_p))
    return note, None


def _unit_name(ev, unit) -> str:
    return customer_label(ev, unit) if ev is not None else str(unit)


def _synth_results(res) -> list:
    return list(res.results.values()) if hasattr(res, "results") else [res]


def synth_plot(res, start, lang: str = "zh", placebos: str = "interval", ev=None):
    """Left: treated paths and their synthetic controls. Right: gaps (bold) over the
    placebo customers' gaps (grey): exactly the placebos the result used for its interval
    (``placebos="interval"``: those whose pre-period fit passes the result's ``fit_cap``) or
    for its p-value (``"p_value"``), as :meth:`~lean_analysis.brand.SynthResult.placebo_units`
    gives them. With several treated units the placebos are those of the average effect,
    drawn on the first treated unit's scale. ``ev`` (the evaluation) names the customers."""
    import matplotlib.pyplot as plt

    use_theme()
    results = _synth_results(res)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, r in enumerate(results):
        colour = PALETTE[(i + 1) % len(PALETTE)]
        ax1.plot(r.treated_path.index, r.treated_path.to_numpy(), color=colour, lw=1.8,
                 label=f"{t('br_synth_treated', lang)} {_unit_name(ev, r.treated_unit)}")
        ax1.plot(r.synthetic_path.index, r.synthetic_path.to_numpy(), color=colour, lw=1.2, ls="--",
                 label=f"{t('br_synth_synthetic', lang)} {_unit_name(ev, r.treated_unit)}")
    used = set(res.placebo_units(placebos))
    pg = results[0].placebo_gaps
    if len(pg) and used:
        keep = pg[pg["unit"].isin(used)]
        for j, (_, s) in enumerate(keep.groupby("unit", sort=True)):
            ax2.plot(s["time"], s["gap"], color="#bbbbbb", lw=0.7,
                     label=t("br_synth_placebos", lang) if j == 0 else None)
    for i, r in enumerate(results):
        ax2.plot(r.gap.index, r.gap.to_numpy(), color=PALETTE[(i + 1) % len(PALETTE)], lw=2,
                 label=_unit_name(ev, r.treated_unit))
    if len(results) > 1:
        ax2.plot(res.gap.index, res.gap.to_numpy(), color="#222222", lw=2.4,
                 label=t("br_synth_average", lang))
    for ax in (ax1, ax2):
        ax.axvline(pd.Timestamp(start), color="#555555", ls="--", lw=1)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax2.axhline(0, color=TARGET_COLOUR, lw=1.2, label=t("br_no_effect", lang))
    ax1.set_ylabel(t("br_trend_ylabel", lang))
    ax2.set_ylabel(t("br_synth_gap", lang))
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def weights_display(res, n: int = 10, lang: str = "zh", ev=None) -> tuple[pd.DataFrame, dict]:
    """The largest synthetic-control weights, one column per treated unit (customer names
    when ``ev`` is given)."""
    results = _synth_results(res)
    w = pd.DataFrame({r.treated_unit: r.weights for r in results}).fillna(0.0)
    w = w.loc[w.max(axis=1).sort_values(ascending=False).index[:n]]
    if ev is not None:
        w.columns = [customer_label(ev, c) for c in w.columns]
        w.index = [customer_label(ev, c) for c in w.index]
    else:
        w.columns = [str(c) for c in w.columns]
    w.index.name = t("br_col_donor", lang)
    return w, {c: ",.3f" for c in w.columns}


# --------------------------------------------------------------------------- shelves


def shelf_display(ev, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    """The target customers whose latest check does not find the item or who were never
    checked (names), latest check first; empty when every target was checked and carries it."""
    shelf = ev.shelf
    bad = shelf[~shelf["on_shelf"].fillna(False).astype(bool)]
    bad = bad.sort_values(["last_check", "customer_id"], ascending=[False, True], na_position="last")
    out = pd.DataFrame({
        t("br_col_target_id", lang): bad["customer_id"].map(lambda c: customer_label(ev, c)),
        t("br_col_last_check", lang): bad["last_check"].map(_date),
        t("br_col_on_shelf", lang): bad["on_shelf"].map(
            lambda v: t("br_not_checked", lang) if _missing(v) else t("show_yes" if v else "show_no", lang)),
    })
    return out.reset_index(drop=True), {}


def shelf_cards(ev, lang: str = "zh") -> list[dict]:
    return [
        {"label": t("br_on_shelf_card", lang), "value": ev.on_shelf_rate, "format": "percent2",
         "target": ev.on_shelf_target, "status": ev.on_shelf_status,
         "note": f"{ev.n_on_shelf} / {ev.n_checked}"},
        {"label": t("br_checked_card", lang), "value": ev.checked_share, "format": "percent2",
         "note": f"{ev.n_checked} / {len(ev.targets)}"},
    ]


def shelf_text(ev, lang: str = "zh") -> str:
    """One sentence: the on-shelf rate among the checked targets and how many were checked."""
    return t("br_shelf_text", lang, rate=_rate(ev.on_shelf_rate), n_on=ev.n_on_shelf, n_checked=ev.n_checked,
             n=len(ev.targets), checked=_rate(ev.checked_share), as_of=_date(ev.as_of))


def year_coverage_text(fig: dict, lang: str = "zh") -> str:
    """The yearly target's new-product coverage (``kpis.target_figure``: the overview's
    ``scorecard_new_product_coverage``), in the words of :func:`show.figure_text`, so the
    brand page and the overview show one value with one basis."""
    span = str(fig.get("span") or "")
    return t("br_year_coverage", lang, year=span[:4],
             figure=show.figure_text("scorecard_new_product_coverage", fig, lang, "00_monthly_overview"))


def new_products_display(tab: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    names = tab["product_name"].astype(str) if "product_name" in tab.columns else ""
    out = pd.DataFrame({
        t("br_col_product", lang): (tab["product_id"].astype(str) + " " + names).str.strip(),
        t("br_col_launch", lang): tab["launch_date"].map(_date),
        t("br_col_basis", lang): tab["target_basis"].map(lambda b: t(f"br_basis_{b}", lang)),
        t("br_col_targets", lang): tab["n_targets"],
        t("br_col_n_ordered", lang): tab["n_ordered"],
        t("coverage", lang): tab["coverage"],
        t("br_col_n_checked", lang): tab["n_checked"],
        t("br_col_n_on_shelf", lang): tab["n_on_shelf"],
        t("br_checked_share", lang): tab["checked_share"] if "checked_share" in tab.columns else float("nan"),
        t("on_shelf_rate", lang): tab["on_shelf_rate"],
        t("br_col_median_days", lang): tab["median_days_to_shelf"],
        t("br_col_never", lang): tab["n_never_on_shelf"],
        t("br_col_coverage_met", lang): tab["coverage_met"].map(lambda v: t("met" if v else "not_met", lang)),
        t("br_col_on_shelf_met", lang): tab["on_shelf_met"].map(lambda v: t("met" if v else "not_met", lang)),
    })
    fmts = {t("coverage", lang): "percent", t("on_shelf_rate", lang): "percent",
            t("br_checked_share", lang): "percent",
            t("br_col_median_days", lang): ",.0f"}
    return out, fmts


# --------------------------------------------------------------------------- power, conclusion


def power_text(pw: dict, lang: str = "zh") -> str:
    """What the estimator used can detect (its MDE, from its own SE or placebo
    distribution) and how many targets a next programme needs for the stated lift."""
    if not pw or _missing(pw.get("mde")):
        return ""
    need = pw.get("required_targets")
    key = "br_power_did" if pw.get("basis") == "did_se" else "br_power_synth"
    if key == "br_power_synth" and pw.get("mde") == float("inf"):
        n_perfect = pw.get("n_perfect_placebos") or 0
        why = (t("br_power_cap_perfect", lang, k=n_perfect) if n_perfect
               else t("br_power_cap_few", lang, k=pw.get("n_p_value_placebos", "")))
        return t("br_power_synth_unreachable", lang, n=pw.get("n_targets"),
                 n_placebos=pw.get("n_placebos", ""), power=_pct(pw.get("power")),
                 cap=_pct(pw.get("power_cap")), alpha=_num(pw.get("alpha"), 2), why=why)
    return t(key, lang, power=_pct(pw.get("power")), mde=_num(pw.get("mde")),
             mde_lift=_pct(pw.get("mde_lift")), se=_num(pw.get("se"), 2), n=pw.get("n_targets"),
             n_placebos=pw.get("n_placebos", ""), lift=_pct(pw.get("lift")),
             effect=_num(pw.get("effect")), k=pw.get("controls_per_target"),
             need=need if need is not None else t("br_power_unreachable", lang))


def conclusion_text(ev, alpha: float, lang: str = "zh") -> str:
    """Plain-language verdict for one programme, stating the interval and its caveats.

    The verdict (positive, suggestive, negative, unclear) is
    :func:`lean_analysis.targets.effect_verdict`'s (the rule brand applies)."""
    if ev.effect is None:
        return t("br_not_evaluated", lang, pid=ev.programme_id, reason=ev.reason)
    row = ev.effect.table.set_index("unit").loc["all"]
    lo, hi, est = float(row["ci_low"]), float(row["ci_high"]), float(row["estimate"])
    args = dict(name=ev.name, item=item_label(ev, lang), est=_num(abs(est) if lo > 0 or hi < 0 else est),
                lift=_pct(row["lift"]), lo=_num(lo), hi=_num(hi), level=level_text(alpha),
                p=_p_rel(row["p_value"]))
    text = t(f"br_conc_{verdict(ev.effect.method, lo, hi, row['p_value'], alpha)}", lang, **args)
    if ev.effect.method == "synth":
        detail = ev.effect.detail
        n_pl = getattr(detail, "n_interval_placebos", 0)
        text += " " + t("br_conc_synth_caveat", lang, n=len(ev.targets), n_placebos=n_pl)
    else:
        text += " " + t("br_conc_did_caveat", lang, n_c=int(row["n_control"]), p=_p_rel(row["p_value"]))
        _, warn = event_note(row["pretrend_p"], alpha, lang)
        if warn:
            text += " " + warn
    for key, res in (getattr(ev, "secondary", None) or {}).items():
        r2 = res.table.set_index("unit").loc["all"]
        text += " " + t(f"br_conc_secondary_{key}", lang, est=_num(r2["estimate"]), lo=_num(r2["ci_low"]),
                        hi=_num(r2["ci_high"]), level=level_text(alpha), lift=_pct(r2["lift"]))
    if ev.shelf is not None and len(ev.targets):
        text += " " + t("br_conc_shelf", lang, rate=_rate(ev.on_shelf_rate), n_on=ev.n_on_shelf,
                        n_checked=ev.n_checked, n=len(ev.targets),
                        status=t("br_shelf_met" if ev.on_shelf_status == "met" else "br_shelf_not_met",
                                 lang))
    return text


# --------------------------------------------------------------------------- summary


def _points(diff: float, lang: str) -> str:
    """A difference of two rates in percentage points ("个百分点" in zh)."""
    return t("br_points", lang, n=f"{abs(float(diff)) * 100:.0f}")


def summary_findings(evals: Sequence, new_products: pd.DataFrame | None, alpha: float,
                     lang: str = "zh", coverage_target: float = 1.0,
                     on_shelf_target: float = 1.0) -> list[dict]:
    """The report's findings for :func:`lean_analysis.report.show.summary`, one sentence
    each with its number, its interval and what to do: per evaluated programme its effect
    (the verdict of :func:`lean_analysis.targets.effect_verdict` picks the advice; a
    programme whose interval contains 0 gets the number of targets a next programme needs,
    from the estimator's own power) and its targets' on-shelf rate (status from
    :func:`lean_analysis.targets.status`); then the new products against their targets."""
    out: list[dict] = []
    lvl = level_text(alpha)
    for ev in evals:
        if ev.status != "evaluated" or ev.effect is None:
            out.append({"text": t("br_sum_not_evaluated", lang, pid=ev.programme_id, name=ev.name,
                                  reason=t(f"br_status_{ev.status}", lang)), "status": "not_measured"})
            continue
        row = ev.effect.table.set_index("unit").loc["all"]
        v = verdict(ev.effect.method, row["ci_low"], row["ci_high"], row["p_value"], alpha)
        pw = ev.power or {}
        need = pw.get("required_targets")
        args = dict(pid=ev.programme_id, name=ev.name, item=item_label(ev, lang),
                    est=_num(row["estimate"]), lo=_num(row["ci_low"]), hi=_num(row["ci_high"]),
                    level=lvl, lift=_pct(row["lift"], signed=True), p=_p_rel(row["p_value"]),
                    mde=_num(pw.get("mde")), power=_pct(pw.get("power")),
                    lift_next=_pct(pw.get("lift")),
                    need=need if need is not None else t("br_power_unreachable", lang))
        text = t(f"br_sum_{v}", lang, **args)
        for key, res in (getattr(ev, "secondary", None) or {}).items():
            r2 = res.table.set_index("unit").loc["all"]
            text += t(f"br_sum_secondary_{key}", lang, est=_num(r2["estimate"]), lo=_num(r2["ci_low"]),
                      hi=_num(r2["ci_high"]))
        out.append({"text": text, "status": None})
        if ev.shelf is not None and len(ev.targets):
            st = target_status(ev.on_shelf_rate, on_shelf_target, ">=")
            gap = "" if st != "not_met" else t("br_sum_shelf_gap", lang,
                                               pts=_points(on_shelf_target - ev.on_shelf_rate, lang))
            out.append({"text": t("br_sum_shelf", lang, pid=ev.programme_id, rate=_rate(ev.on_shelf_rate),
                                  n_on=ev.n_on_shelf, n_checked=ev.n_checked, n=len(ev.targets),
                                  target=_rate(on_shelf_target), gap=gap), "status": st})
    if new_products is not None and len(new_products):
        cov = float(new_products["coverage"].mean())
        shelf = float(new_products["on_shelf_rate"].mean())
        st = target_status(min(cov, shelf), min(coverage_target, on_shelf_target), ">=")
        n_bad = int((~new_products["coverage_met"].astype(bool) | ~new_products["on_shelf_met"].astype(bool)).sum())
        out.append({"text": t("br_sum_new_products", lang, n=len(new_products), cov=_rate(cov), shelf=_rate(shelf),
                              n_bad=n_bad), "status": st})
    return out

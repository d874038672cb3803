"""Figures, display tables, cards and metrics of the satisfaction-survey report
(notebooks/03_satisfaction_survey.ipynb).

Inputs are the DataFrames and result objects of :mod:`lean_analysis.survey` (this module
computes nothing new: it labels, formats and draws; of the analysis it imports only the
vocabulary :data:`lean_analysis.config.SURVEY_DIMENSIONS` for the dimensions' labels). The
published figures of ``metrics.json`` are computed by :func:`lean_analysis.survey.figures`. Every
reviewer-facing word comes from ``report/texts/survey.yaml`` and ``common.yaml`` in the
chosen language. Plots use the shared theme and return the figure; tables come back as
``(DataFrame, formats)`` for ``show.table``, which escapes every cell (comments included).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lean_analysis.config import SURVEY_DIMENSIONS as DIMENSION_KEYS
from lean_analysis.report.texts import t
from lean_analysis.report.theme import PALETTE, STATUS_COLOURS, use_theme

REPORT = "03_satisfaction_survey"
# Comment themes (survey.comments.THEMES) -> text key.
THEME_KEYS = {"货源紧张": "sv_theme_supply", "订货不便": "sv_theme_ordering",
              "配送问题": "sv_theme_delivery", "客户经理": "sv_theme_manager",
              "品牌宣传": "sv_theme_promotion", "投诉处理": "sv_theme_complaints",
              "市场秩序": "sv_theme_market"}
QUADRANT_COLOURS = {"fix_first": STATUS_COLOURS["not_met"], "keep_up": STATUS_COLOURS["met"],
                    "low_priority": "#8c8c8c", "possible_overkill": PALETTE[0]}


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


# --------------------------------------------------------------------------- labels
def dim_label(name: str, lang: str = "zh") -> str:
    """A dimension's label: the DESIGN §7 word in ``lang`` for the seven standard
    dimensions, else the name as given."""
    key = DIMENSION_KEYS.get(str(name))
    return t(f"dim_{key}", lang) if key else str(name)


def theme_label(name: str, lang: str = "zh") -> str:
    key = THEME_KEYS.get(str(name))
    return t(key, lang) if key else str(name)


def variable_label(name: str, lang: str = "zh") -> str:
    """index / satisfied / overall_score / a dimension."""
    fixed = {"index": "satisfaction_index", "satisfied": "satisfied_share",
             "overall_score": "sv_overall_score"}
    return t(fixed[name], lang) if name in fixed else dim_label(name, lang)


def segment_label(value: Any, by: str, lang: str = "zh") -> str:
    if by == "area" and str(value) in ("urban", "rural"):
        return t(str(value), lang)
    if by == "is_modern_terminal":
        return t("show_yes" if bool(value) else "show_no", lang)
    return str(value)


def segment_title(by: str, lang: str = "zh") -> str:
    """The heading of a segment table: "By area" …"""
    key = f"sv_segment_by_{by}"
    from lean_analysis.report.texts import keys

    return t(key, lang) if key in keys() else str(by)


def _pct(x: float, digits: int = 0) -> str:
    return "—" if _missing(x) else f"{x * 100:.{digits}f}%"


def _level(level: float) -> str:
    return f"{level * 100:g}%"


# --------------------------------------------------------------------------- counts
def count_text(n: int, unit: str = "response", lang: str = "zh") -> str:
    """``n`` with its unit in ``lang``: "25 份" / "25 responses", "1 response" (English
    singular for 1). ``unit``: response, retailer, stratum or comment."""
    n = int(n)
    key = f"sv_unit_{unit}_one" if n == 1 else f"sv_unit_{unit}"
    return t(key, lang, n=n)


def n_text(n: int, base: str, lang: str = "zh") -> str:
    """A count labelled with its base: "n = 26 份（至少作答一项指数题项）" /
    "n = 26 responses (at least one index item answered)"; ``base`` is a key of
    ``sv_base_*`` (received, respondents, index, complete, satisfied, drivers, dimension,
    reliability)."""
    return t("sv_n_base", lang, count=count_text(n, "response", lang), base=t(f"sv_base_{base}", lang))


def n_column(base: str, lang: str = "zh") -> str:
    """The header of a table's count column, with its base: "样本数（该维度至少作答一题）"."""
    return t("sv_n_col", lang, base=t(f"sv_base_{base}", lang))


def _reasons(acc, lang: str) -> str:
    sep = "；" if lang == "zh" else "; "
    return sep.join(t(f"sv_rule_{rule}", lang, n=count_text(n, "response", lang))
                    for rule, n in acc.excluded.items() if n)


def accounting_text(acc, n_strata: int, lang: str = "zh") -> str:
    """The sample note from ``survey.response_accounting``: received, excluded by rule,
    used, and the frame they represent."""
    reasons = _reasons(acc, lang)
    return t("sv_sample_note", lang, received=count_text(acc.received, "response", lang),
             excluded=count_text(acc.n_excluded, "response", lang),
             reasons=t("sv_excluded_reasons", lang, reasons=reasons) if reasons else "",
             respondents=count_text(acc.respondents, "response", lang),
             N=count_text(acc.frame, "retailer", lang), k=count_text(n_strata, "stratum", lang))


def excluded_warning(acc, lang: str = "zh") -> str | None:
    """The warning naming the responses left out and the rule of each (None when none)."""
    if not acc.n_excluded:
        return None
    return t("sv_excluded_warning", lang, n=count_text(acc.n_excluded, "response", lang),
             reasons=_reasons(acc, lang))


def accounting_display(acc, lang: str = "zh"):
    """The accounting as a table: each count, its base and what it is used for."""
    rows = [("received", acc.received, "received")]
    rows += [(rule, n, "excluded") for rule, n in acc.excluded.items()]
    rows += [(k, getattr(acc, k), k) for k in ("respondents", "index", "complete", "satisfied",
                                                 "drivers")]
    out = pd.DataFrame({
        t("sv_accounting_count", lang): [t(f"sv_base_{k}", lang) for k, _, _ in rows],
        t("sv_n", lang): [int(n) for _, n, _ in rows],
        t("sv_accounting_used_for", lang): [t(f"sv_used_{u}", lang) for _, _, u in rows],
    })
    return out, {}


# --------------------------------------------------------------------------- text
def intro_text(wave: str, prev: str | None, weights: str, level: float, lang: str) -> str:
    w = t(f"sv_weights_{weights}", lang) if weights in ("items", "equal", "drivers") else weights
    return t("sv_intro", lang, wave=wave, prev=prev or t("sv_no_prev", lang), weights=w,
             level=_level(level))


def definitions_text(items: pd.DataFrame, lang: str = "zh") -> str:
    """The scoring definitions, with the overall question's top two boxes."""
    o = items[items["item_id"] == "overall"].iloc[0]
    hi = int(o["scale_max"])
    return t("sv_definitions", lang, top=f"{hi - 1}–{hi}")


def target_text(cmp: Mapping[str, Any], compared: str, target_spec: Mapping[str, Any],
                level: float, lang: str = "zh") -> str:
    """Which figure the target is compared with, and the comparison in words."""
    share = compared == "satisfied_share"
    def fmt(x):
        return _fmt_target(x, share)
    unit = str(target_spec.get("unit", ""))
    tv = target_spec.get("value")
    target_raw = f"{tv:g}" + ("%" if unit in ("%",) else "") if tv is not None else "—"
    label = target_spec.get(f"label_{lang}") or t("satisfaction_index", lang)
    sym = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
    head = t("sv_compared_share" if share else "sv_compared_index", lang,
             target_text=f"{label} {sym.get(target_spec.get('direction', '>='), '≥')} "
                         f"{target_raw}")
    body = t("sv_target_result", lang,
             figure=t("satisfied_share" if share else "satisfaction_index", lang),
             actual=fmt(cmp["actual"]), level=_level(level), low=fmt(cmp["ci_low"]),
             high=fmt(cmp["ci_high"]), direction=cmp["direction"].replace(">=", "≥")
             .replace("<=", "≤"), target=fmt(cmp["target"]),
             status=t(f"sv_status_{cmp['status']}", lang),
             where=t(f"sv_where_{cmp['interval']}", lang), prob=_pct(cmp["prob_meeting"]))
    return f"{head}\n\n{body}"


def unreliable_text(rel: pd.DataFrame, threshold: float, lang: str = "zh") -> tuple[str, bool]:
    """(text, any_unreliable) for the reliability table of ``survey.reliability_table``."""
    bad = rel[rel["unreliable"]]
    if len(bad):
        return t("sv_unreliable", lang, dims="、".join(dim_label(d, lang)
                                                        for d in bad["dimension"])), True
    return t("sv_all_reliable", lang, threshold=threshold), False


def fix_first_text(ipa: pd.DataFrame, lang: str = "zh") -> str:
    fix = ipa[ipa["quadrant"] == "fix_first"]
    if fix.empty:
        return t("sv_fix_first_none", lang)
    sep = "、" if lang == "zh" else ", "
    return t("sv_fix_first", lang, dims=sep.join(dim_label(d, lang) for d in fix["dimension"]))


def comments_text(themes: pd.DataFrame, lang: str = "zh", acc=None) -> str:
    """The comments note; its base is the responses used in the estimates (``acc`` of
    ``survey.response_accounting``; without it, the responses the themes were counted on)."""
    a = themes.attrs
    n, empty = int(a.get("n_comments", 0)), int(a.get("n_empty", 0))
    base = n_text(acc.respondents if acc is not None else n + empty, "respondents", lang)
    return t("sv_comments_note", lang, base=base, n=count_text(n, "comment", lang),
             empty=count_text(empty, "response", lang), unthemed=int(a.get("n_unthemed", 0)))


def drivers_text(drivers, lang: str = "zh") -> str:
    """The key-driver note: R², the complete cases used (with their base) and the method."""
    return t("sv_drivers_note", lang, r2=f"{drivers.r2:.2f}", n=n_text(drivers.n, "drivers", lang),
             method=t(f"sv_method_{drivers.method}", lang))


def missing_note(acc, lang: str = "zh") -> str:
    """The note above the answers-per-item table, with its base."""
    return t("sv_missing_note", lang, base=n_text(acc.respondents, "respondents", lang))


# --------------------------------------------------------------------------- cards
def headline_cards(idx, share, cmp: Mapping[str, Any], compared: str, level: float,
                   lang: str = "zh") -> list[dict[str, Any]]:
    """Cards: the index and the satisfied share with intervals and their n (with its base:
    the index over responses with an index item answered, the share over those answering
    the overall question); the one the target is compared with carries target, status and
    the probability of meeting it."""
    cards = []
    for key, est, fmt, is_share, base in (("satisfaction_index", idx, ",.1f", False, "index"),
                                          ("satisfied_share", share, "percent", True, "satisfied")):
        if key == compared:  # the target's figure: as every page writes it
            lo, hi = _fmt_target(est.ci_low, is_share), _fmt_target(est.ci_high, is_share)
            fmt = "percent2" if is_share else ",.2f"
        else:
            lo, hi = _fmt_est(est.ci_low, is_share), _fmt_est(est.ci_high, is_share)
        card: dict[str, Any] = {"label": t(key, lang), "value": est.estimate, "format": fmt,
                                "note": f"{_level(level)} {t('sv_interval', lang)} {lo} – {hi}"
                                        f" · {n_text(est.n, base, lang)}"}
        if key == compared:
            card["target"] = cmp["target"]
            card["status"] = cmp["status"]
            card["note"] += f" · {t('sv_prob_meeting', lang)} {_pct(cmp['prob_meeting'])}"
        cards.append(card)
    return cards


# --------------------------------------------------------------------------- tables
def strata_display(strata: pd.DataFrame, cols: list[str], lang: str = "zh"):
    label = [" / ".join(segment_label(r[c], c, lang) for c in cols) for _, r in strata.iterrows()]
    out = pd.DataFrame({t("sv_stratum", lang): label,
                        t("sv_population", lang): strata["N_h"].to_numpy(),
                        t("sv_respondents", lang): strata["n_h"].to_numpy(),
                        t("sv_fraction", lang): strata["fraction"].to_numpy(),
                        t("sv_weight", lang): strata["weight"].to_numpy()})
    return out, {t("sv_fraction", lang): "percent", t("sv_weight", lang): ",.2f"}


def response_display(counts, items: pd.DataFrame, lang: str = "zh"):
    """Answers per item: ``survey.response_counts`` or the ``per_item`` of
    ``survey.response_accounting`` (pass the accounting itself)."""
    counts = getattr(counts, "per_item", counts)
    labels = items.set_index("item_id")[f"label_{lang}"]
    out = pd.DataFrame({
        t("sv_item", lang): [labels.get(i, i) for i in counts["item_id"]],
        t("sv_dimension", lang): [variable_label("overall_score", lang) if d == "overall"
                                  else dim_label(d, lang) for d in counts["dimension"]],
        t("sv_answered", lang): counts["answered"].to_numpy(),
        t("sv_missing", lang): counts["missing"].to_numpy(),
        t("sv_missing_share", lang): counts["missing_share"].to_numpy(),
    })
    return out, {t("sv_missing_share", lang): "percent"}


def estimate_display(est: pd.DataFrame, lang: str = "zh", label_col: str = "variable"):
    """Rows of ``survey.design_means`` / ``design_by`` (estimate, se, ci, n, deff)."""
    out = pd.DataFrame({
        t("sv_dimension", lang): [variable_label(v, lang) for v in est[label_col]],
        t("sv_estimate", lang): est["estimate"].to_numpy(),
        t("sv_se", lang): est["se"].to_numpy(),
        t("sv_ci_low", lang): est["ci_low"].to_numpy(),
        t("sv_ci_high", lang): est["ci_high"].to_numpy(),
        n_column("dimension", lang): est["n"].to_numpy(),
        t("sv_deff", lang): est["deff"].to_numpy(),
    })
    fm = {t(k, lang): ",.1f" for k in ("sv_estimate", "sv_ci_low", "sv_ci_high")}
    fm.update({t("sv_se", lang): ",.2f", t("sv_deff", lang): ",.2f"})
    return out, fm


def change_display(changes: pd.DataFrame, lang: str = "zh"):
    rows = []
    for _, r in changes.iterrows():
        share = r["variable"] == "satisfied"
        f = (lambda x: _pct(x, 1)) if share else (lambda x: f"{x:.1f}")
        d = ((lambda x: f"{x * 100:+.1f} {t('sv_pp', lang)}") if share
             else (lambda x: f"{x:+.1f}"))
        rows.append({t("sv_figure", lang): variable_label(r["variable"], lang),
                     t("sv_prev_value", lang) + f" ({r['prev_wave']})": f(r["prev"]),
                     t("sv_curr_value", lang) + f" ({r['wave']})": f(r["curr"]),
                     t("sv_change", lang): d(r["estimate"]),
                     t("sv_interval", lang): f"{d(r['ci_low'])} … {d(r['ci_high'])}",
                     t("sv_p_value", lang): r["p_value"]})
    return pd.DataFrame(rows), {t("sv_p_value", lang): ",.3f"}


def reliability_display(rel: pd.DataFrame, lang: str = "zh"):
    out = pd.DataFrame({
        t("sv_dimension", lang): [dim_label(d, lang) for d in rel["dimension"]],
        t("sv_k", lang): rel["k"].to_numpy(), n_column("reliability", lang): rel["n"].to_numpy(),
        t("sv_alpha", lang): rel["alpha"].to_numpy(),
        t("sv_ci_low", lang): rel["ci_low"].to_numpy(),
        t("sv_ci_high", lang): rel["ci_high"].to_numpy(),
        t("sv_flag", lang): [t("sv_single_item", lang) if note == "single item" else
                             t("show_yes" if bad else "show_no", lang)
                             for bad, note in zip(rel["unreliable"], rel["note"], strict=True)],
    })
    return out, {t(k, lang): ",.3f" for k in ("sv_alpha", "sv_ci_low", "sv_ci_high")}


def item_display(per_item: pd.DataFrame, items: pd.DataFrame, lang: str = "zh"):
    labels = items.set_index("item_id")[f"label_{lang}"]
    out = pd.DataFrame({
        t("sv_dimension", lang): [dim_label(d, lang) for d in per_item["dimension"]],
        t("sv_item", lang): [labels.get(i, i) for i in per_item["item_id"]],
        t("sv_item_total", lang): per_item["item_total_r"].to_numpy(),
        t("sv_alpha_if_deleted", lang): per_item["alpha_if_deleted"].to_numpy(),
        t("sv_raises_alpha", lang): per_item["raises_alpha"].to_numpy(),
    })
    return out, {t("sv_item_total", lang): ",.3f", t("sv_alpha_if_deleted", lang): ",.3f"}


def driver_display(ipa: pd.DataFrame, lang: str = "zh"):
    out = pd.DataFrame({
        t("sv_priority", lang): ipa["priority"].to_numpy(),
        t("sv_dimension", lang): [dim_label(d, lang) for d in ipa["dimension"]],
        t("sv_importance", lang): ipa["importance"].to_numpy(),
        t("sv_performance", lang): ipa["performance"].to_numpy(),
        t("sv_quadrant", lang): [t(f"sv_q_{q}", lang) for q in ipa["quadrant"]],
    })
    return out, {t("sv_importance", lang): "percent", t("sv_performance", lang): ",.1f"}


def segment_display(dom: pd.DataFrame, diffs: pd.DataFrame, by: str, lang: str = "zh"):
    """Domain estimates of ``survey.design_by`` joined to ``segment_differences`` (vs rest)."""
    d = diffs.set_index("segment")
    keys = [str(v) for v in dom[by]]
    out = pd.DataFrame({
        t("sv_segment", lang): [segment_label(v, by, lang) for v in dom[by]],
        t("sv_estimate", lang): dom["estimate"].to_numpy(),
        t("sv_ci_low", lang): dom["ci_low"].to_numpy(),
        t("sv_ci_high", lang): dom["ci_high"].to_numpy(),
        n_column("index", lang): dom["n"].to_numpy(),
        t("sv_vs_rest", lang): [d["difference"].get(k, math.nan) for k in keys],
        t("sv_p_adjusted", lang): [d["p_adjusted"].get(k, math.nan) for k in keys],
        t("sv_significant", lang): [bool(d["significant"].get(k, False)) for k in keys],
    })
    fm = {t(k, lang): ",.1f" for k in ("sv_estimate", "sv_ci_low", "sv_ci_high")}
    fm[t("sv_vs_rest", lang)] = "{:+.1f}"
    fm[t("sv_p_adjusted", lang)] = ",.3f"
    return out, fm


def league_display(league: pd.DataFrame, manager: str = "manager_id", lang: str = "zh"):
    out = pd.DataFrame({
        t("sv_rank", lang): league["rank"].to_numpy(),
        t("sv_manager", lang): league[manager].to_numpy(),
        n_column("index", lang): league["n"].to_numpy(),
        t("sv_raw_mean", lang): league["raw_mean"].to_numpy(),
        t("sv_shrunk", lang): league["shrunk"].to_numpy(),
        t("sv_ci_low", lang): league["ci_low"].to_numpy(),
        t("sv_ci_high", lang): league["ci_high"].to_numpy(),
        t("sv_shrinkage", lang): league["shrinkage"].to_numpy(),
        t("sv_rank_raw", lang): league["rank_raw"].to_numpy(),
    })
    fm = {t(k, lang): ",.1f" for k in ("sv_raw_mean", "sv_shrunk", "sv_ci_low", "sv_ci_high")}
    fm[t("sv_shrinkage", lang)] = ",.2f"
    return out, fm


def theme_display(themes: pd.DataFrame, lang: str = "zh"):
    """``survey.theme_counts`` as a table: the complaint theme (货源紧张, 订货不便 …) with its
    complaints, beside the praise and neutral mentions of the same topic and their total."""
    out = pd.DataFrame({
        t("sv_theme", lang): [theme_label(x, lang) for x in themes["theme"]],
        t("sv_dimension", lang): [dim_label(d, lang) for d in themes["dimension"]],
        t("sv_complaints", lang): themes["complaints"].to_numpy(),
        t("sv_praise", lang): themes["praise"].to_numpy(),
        t("sv_neutral", lang): themes["neutral"].to_numpy(),
        t("sv_mentions", lang): themes["mentions"].to_numpy(),
        t("sv_complaint_share", lang): themes["complaint_share"].to_numpy(),
    })
    return out, {t("sv_complaint_share", lang): "percent"}


def keyword_display(kw: pd.DataFrame, lang: str = "zh"):
    """One row per dimension: its frequent words with counts ("送货 (12)、太慢 (9)")."""
    sep = "、" if lang == "zh" else ", "
    rows = []
    for dim, g in kw.groupby("dimension", sort=False):
        words = sep.join(f"{w} ({n})" for w, n in zip(g["token"], g["comments"], strict=True))
        rows.append({t("sv_dimension", lang): dim_label(dim, lang), t("sv_token", lang): words})
    return pd.DataFrame(rows, columns=[t("sv_dimension", lang), t("sv_token", lang)]), {}


def example_display(ex: pd.DataFrame, lang: str = "zh"):
    """Example comments as RAW text: ``show.table`` escapes every cell."""
    out = pd.DataFrame({
        t("sv_theme", lang): [theme_label(x, lang) for x in ex["theme"]],
        t("sv_sentiment", lang): [t(f"sv_sentiment_{x}", lang) for x in (
            ex["sentiment"] if "sentiment" in ex else
            ex["complaint"].map({True: "complaint", False: "neutral"}))],
        t("sv_comment", lang): ex["comment"].to_numpy(),
    })
    return out, {t("sv_comment", lang): "text"}


# --------------------------------------------------------------------------- figures
def dimension_plot(est: pd.DataFrame, lang: str = "zh"):
    """Horizontal bars of the dimension scores with their intervals (``design_means``)."""
    import matplotlib.pyplot as plt

    use_theme()
    d = est.sort_values("estimate")
    y = range(len(d))
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(d) + 1.2))
    ax.barh(list(y), d["estimate"], color=PALETTE[0], alpha=0.8)
    ax.errorbar(d["estimate"], list(y), xerr=[d["estimate"] - d["ci_low"],
                                              d["ci_high"] - d["estimate"]],
                fmt="none", ecolor="#333333", capsize=3, lw=1)
    for yi, v in zip(y, d["estimate"], strict=True):
        ax.text(v + 0.3, yi + 0.25, f"{v:.1f}", va="center", fontsize=9)
    ax.set_yticks(list(y), [variable_label(v, lang) for v in d["variable"]])
    lo = max(0.0, math.floor(float(d["ci_low"].min()) / 5) * 5 - 5)
    ax.set_xlim(lo, 100)
    ax.set_xlabel(t("sv_performance", lang))
    fig.tight_layout()
    return fig


def ipa_plot(ipa: pd.DataFrame, lang: str = "zh"):
    """Importance (share of R²) against performance (score), quadrants split at the cuts
    stored in ``ipa.attrs`` (``survey.ipa_table``)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    use_theme()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for q, colour in QUADRANT_COLOURS.items():
        g = ipa[ipa["quadrant"] == q]
        if len(g):
            ax.scatter(g["importance"], g["performance"], s=80, color=colour,
                       label=t(f"sv_q_{q}", lang), zorder=3)
    ax.margins(x=0.15, y=0.08)
    ci, cp = ipa.attrs.get("importance_cut"), ipa.attrs.get("performance_cut")
    if ci is not None:
        ax.axvline(ci, ls="--", color="#777777", lw=1)
    if cp is not None:
        ax.axhline(cp, ls="--", color="#777777", lw=1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(t("sv_importance", lang))
    ax.set_ylabel(t("sv_performance", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    order = ipa.sort_values("performance", ascending=False)
    _place_labels(fig, ax, order["importance"], order["performance"],
                  [dim_label(d, lang) for d in order["dimension"]],
                  hlines=[cp] if cp is not None else [], vlines=[ci] if ci is not None else [])
    return fig


def _label_spots():
    """Candidate offsets (points) around a point, nearest first: 8 directions on growing
    rings, each with the alignment that keeps the text on the far side of the point, and
    centred spots above and below slid sideways."""
    dirs = [(1, 1), (-1, 1), (1, -1), (-1, -1), (0, 1), (0, -1), (1, 0), (-1, 0)]
    out = []
    for r in (9, 15, 24, 36, 50):
        for dx, dy in dirs:
            k = 0.75 if dx and dy else 1.0
            out.append((dx * r * k, dy * r * k,
                        {1: "left", -1: "right", 0: "center"}[dx],
                        {1: "bottom", -1: "top", 0: "center"}[dy]))
    # centred above or below, slid sideways: a long label between a point and a line
    for dy in (10, -10, 20, -20, 32, -32):
        for dx in range(-90, 91, 10):
            if dx:
                out.append((dx, dy, "center", "bottom" if dy > 0 else "top"))
    return sorted(out, key=lambda o: math.hypot(o[0], o[1]))


def _place_labels(fig, ax, xs, ys, labels, hlines=(), vlines=(), marker_pt: float = 5.0) -> None:
    """Annotate points so that no label overlaps another label, a point's marker or a
    reference line (``hlines`` / ``vlines`` in data units), and each stays inside the axes:
    for each point the first candidate spot (:func:`_label_spots`) that collides with
    nothing; when every spot collides, the one with the fewest collisions."""
    renderer = fig.canvas.get_renderer()
    xs, ys = list(xs), list(ys)
    pad = 2.0 * fig.dpi / 72  # pixels kept clear around a label
    px = [ax.transData.transform((x, y)) for x, y in zip(xs, ys, strict=True)]
    r = marker_pt * fig.dpi / 72
    marks = [(x - r, y - r, x + r, y + r) for x, y in px]
    ys_line = [ax.transData.transform((0, v))[1] for v in hlines]
    xs_line = [ax.transData.transform((v, 0))[0] for v in vlines]
    frame = ax.get_window_extent(renderer)
    boxes: list = []
    line = {"arrowstyle": "-", "lw": 0.6, "color": "#888888", "shrinkA": 0, "shrinkB": 5}

    def collisions(b) -> int:
        x0, y0, x1, y1 = b.x0 - pad, b.y0 - pad, b.x1 + pad, b.y1 + pad
        n = sum(not (x1 < o.x0 or x0 > o.x1 or y1 < o.y0 or y0 > o.y1) for o in boxes)
        n += sum(not (x1 < m[0] or x0 > m[2] or y1 < m[1] or y0 > m[3]) for m in marks)
        n += sum(y0 <= v <= y1 for v in ys_line) + sum(x0 <= v <= x1 for v in xs_line)
        n += 3 * int(b.x0 < frame.x0 or b.x1 > frame.x1 or b.y0 < frame.y0 or b.y1 > frame.y1)
        return n

    for x, y, text in zip(xs, ys, labels, strict=True):
        ann = ax.annotate(text, (x, y), xytext=(0, 0), textcoords="offset points",
                          fontsize=10, arrowprops=line)
        best = None
        for dx, dy, ha, va in _label_spots():
            ann.xyann = (dx, dy)
            ann.set_ha(ha)
            ann.set_va(va)
            n = collisions(_text_box(ann, renderer))
            if best is None or n < best[0]:
                best = (n, dx, dy, ha, va)
            if n == 0:
                break
        _, dx, dy, ha, va = best
        ann.xyann = (dx, dy)
        ann.set_ha(ha)
        ann.set_va(va)
        boxes.append(_text_box(ann, renderer))


def _text_box(ann, renderer):
    """The window extent of an annotation's words (without its leader line)."""
    from matplotlib.text import Text

    ann.update_positions(renderer)  # place the words at the current offset
    return Text.get_window_extent(ann, renderer)


_SYM = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
TARGET_COLOUR = STATUS_COLOURS["not_met"]


def index_target(cmp: Mapping[str, Any], compared: str) -> float | None:
    """The target a plot of the satisfaction index draws: the yearly target when it is
    compared with the index (``cmp`` of ``survey.headline_comparison``), else None (a
    satisfied-share target is not on the index's scale)."""
    if compared != "satisfaction_index" or _missing(cmp.get("target")):
        return None
    return float(cmp["target"])


def _reference_lines(ax, lang: str, target: float | None, direction: str,
                     mean: float | None, mean_key: str) -> None:
    """The dashed mean line and the target line of a forest plot, each labelled in a legend
    outside the axes (so neither label sits on the data)."""
    if mean is not None:
        ax.axvline(mean, ls="--", color="#777777", lw=1,
                   label=t(mean_key, lang, value=f"{mean:.1f}"))
    if target is not None:
        ax.axvline(target, ls="-", color=TARGET_COLOUR, lw=1.4, label=t(
            "sv_target_line", lang, direction=_SYM.get(direction, direction),
            target=f"{target:g}"))
    if mean is not None or target is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)


def segment_plot(dom: pd.DataFrame, by: str, overall: float | None = None, lang: str = "zh",
                 target: float | None = None, direction: str = ">="):
    """Point and interval per segment (``survey.design_by``); ``overall`` as a dashed line and
    the satisfaction ``target`` (:func:`index_target`) as a solid line, both labelled."""
    import matplotlib.pyplot as plt

    use_theme()
    d = dom.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(d) + 1.4))
    y = list(range(len(d)))
    ax.errorbar(d["estimate"], y, xerr=[d["estimate"] - d["ci_low"], d["ci_high"] - d["estimate"]],
                fmt="o", color=PALETTE[0], ecolor=PALETTE[0], capsize=3)
    _reference_lines(ax, lang, target, direction, overall, "sv_overall_line")
    ax.set_yticks(y, [segment_label(v, by, lang) for v in d[by]])
    ax.set_xlabel(t("satisfaction_index", lang))
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def league_plot(league: pd.DataFrame, manager: str = "manager_id", lang: str = "zh",
                target: float | None = None, direction: str = ">="):
    """Managers ordered by the shrunk index: shrunk value with interval, raw mean as a
    hollow dot (the arrow of the shrinkage); the overall mean (dashed) and the satisfaction
    ``target`` (:func:`index_target`, solid) labelled in the legend."""
    import matplotlib.pyplot as plt

    use_theme()
    d = league.sort_values("rank").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(d) + 1.4))
    y = list(range(len(d)))
    ax.errorbar(d["shrunk"], y, xerr=[d["shrunk"] - d["ci_low"], d["ci_high"] - d["shrunk"]],
                fmt="o", color=PALETTE[0], capsize=2, label=t("sv_shrunk", lang))
    ax.scatter(d["raw_mean"], y, facecolors="none", edgecolors=PALETTE[1],
               label=t("sv_raw_mean", lang), zorder=3)
    mu = league.attrs.get("mu")
    _reference_lines(ax, lang, target, direction, mu, "sv_mu_line")
    ax.set_yticks(y, [f"{m} (n={n})" for m, n in zip(d[manager], d["n"], strict=True)])
    ax.invert_yaxis()
    ax.set_xlabel(t("satisfaction_index", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    fig.tight_layout()
    return fig


def theme_plot(themes: pd.DataFrame, lang: str = "zh"):
    """Stacked bars per dimension of the comments' mentions: complaints, praise and neutral
    (``survey.theme_counts``); labelled by the dimension, not by the complaint theme."""
    import matplotlib.pyplot as plt

    use_theme()
    d = themes.reset_index(drop=True)
    y = list(range(len(d)))
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(d) + 1.2))
    left = [0.0] * len(d)
    for col, key, colour in (("complaints", "sv_sentiment_complaint", STATUS_COLOURS["not_met"]),
                             ("praise", "sv_sentiment_praise", STATUS_COLOURS["met"]),
                             ("neutral", "sv_sentiment_neutral", "#8c8c8c")):
        vals = d[col].astype(float).tolist()
        ax.barh(y, vals, left=left, height=0.6, color=colour, label=t(key, lang))
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.set_yticks(y, [dim_label(x, lang) for x in d["dimension"]])
    ax.invert_yaxis()
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- summary
def _fmt_est(x: float, share: bool) -> str:
    return _pct(x, 1) if share else ("—" if _missing(x) else f"{x:.1f}")


def _fmt_target(x: float, share: bool) -> str:
    """The figure compared with the yearly target (and its interval and target) as the index,
    the overview and the history page write it (:func:`show.figure_number`: two decimals)."""
    from lean_analysis.report import show

    return "—" if _missing(x) else show.figure_number(float(x), "share" if share else "score")


def summary_findings(idx, share, cmp: Mapping[str, Any], compared: str, level: float,
                     ipa: pd.DataFrame, dims: pd.DataFrame, themes: pd.DataFrame,
                     changes: pd.DataFrame | None = None,
                     lang: str = "zh") -> list[dict[str, Any]]:
    """The survey's conclusion for :func:`lean_analysis.report.show.summary`, from the
    computed results: the target figure with its interval and status (``cmp`` of
    ``survey.headline_comparison``: within margin when the interval holds the target) and
    the first improvement (``ipa``: ``survey.ipa_table``); the first improvement's score and
    importance (``dims``: ``survey.design_means`` of the dimensions); the most frequent
    complaint theme (``themes``: ``survey.theme_counts``); the change since the previous
    wave (``changes``) when there is one, else the satisfied share. 4 findings, each
    ``{"text", "status"}``."""
    is_share = compared == "satisfied_share"
    lv = _level(level)
    fix = ipa[ipa["quadrant"] == "fix_first"].sort_values("priority") if len(ipa) else ipa
    first = fix.iloc[0] if len(fix) else None
    todo = (t("sv_find_todo_fix", lang, dim=dim_label(first["dimension"], lang))
            if first is not None else t("sv_find_todo_none", lang))
    sym = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
    out = [{"status": str(cmp["status"]), "text": t(
        "sv_find_target", lang, figure=t(compared, lang), actual=_fmt_target(cmp["actual"], is_share),
        level=lv, low=_fmt_target(cmp["ci_low"], is_share), high=_fmt_target(cmp["ci_high"], is_share),
        direction=sym.get(cmp["direction"], cmp["direction"]),
        target=_fmt_target(cmp["target"], is_share),
        where=t(f"sv_find_where_{cmp['interval']}", lang), todo=todo)}]
    est = dims.set_index("variable")
    if first is not None and first["dimension"] in est.index:
        e = est.loc[first["dimension"]]
        out.append({"status": None, "text": t(
            "sv_find_driver", lang, dim=dim_label(first["dimension"], lang),
            score=f"{e['estimate']:.1f}", level=lv, low=f"{e['ci_low']:.1f}",
            high=f"{e['ci_high']:.1f}", importance=_pct(first["importance"], 0))})
    elif len(ipa):
        top = ipa.sort_values("importance", ascending=False).iloc[0]
        out.append({"status": None, "text": t(
            "sv_find_driver_none", lang, dim=dim_label(top["dimension"], lang),
            importance=_pct(top["importance"], 0), score=f"{top['performance']:.1f}")})
    praise = int(themes["praise"].sum()) if "praise" in themes else 0
    if len(themes) and int(themes["complaints"].max()) > 0:
        top = themes.sort_values(["complaints", "mentions"], ascending=False, kind="stable").iloc[0]
        out.append({"status": None, "text": t(
            "sv_find_comments", lang, theme=theme_label(top["theme"], lang),
            n=int(top["complaints"]), share=_pct(top["complaint_share"], 0), praise=praise)})
    else:
        out.append({"status": None, "text": t("sv_find_no_complaints", lang, praise=praise)})
    ch = None
    if changes is not None and len(changes):
        c = changes.set_index("variable")
        ch = c.loc["index"] if "index" in c.index else None
    if ch is not None:
        sig = not _missing(ch["p_value"]) and float(ch["p_value"]) < 1 - level
        out.append({"status": None, "text": t(
            "sv_find_change", lang, prev=ch["prev_wave"], change=f"{ch['estimate']:+.1f}",
            level=lv, low=f"{ch['ci_low']:+.1f}", high=f"{ch['ci_high']:+.1f}",
            p=f"{float(ch['p_value']):.3f}",
            verdict=t("sv_find_change_sig" if sig else "sv_find_change_ns", lang))})
    else:
        out.append({"status": None, "text": t(
            "sv_find_share", lang, share=_pct(share.estimate, 1), level=lv,
            low=_pct(share.ci_low, 1), high=_pct(share.ci_high, 1))})
    return out

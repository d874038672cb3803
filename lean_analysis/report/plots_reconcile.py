"""Report pieces of the coherent-forecast section (forecast reconciliation across levels).

Takes the per-level table of :func:`lean_analysis.forecast.reconcile_levels` (a plain
DataFrame: ``level, n_series, n_windows, mase_<method>, accuracy_<method>, recommended,
mase_recommended, base_better``; ``attrs``: ``overall``, ``overall_mase_geomean``,
``min_history``, ``windows``, ``excluded``, ``model``). Words come from
``locales/reconcile.yaml``; the report package imports no analysis module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lean_analysis.report.plots_forecast import level_label, model_label
from lean_analysis.report.texts import t

RECONCILERS = ("bottom_up", "mint_shrink", "erm")


def method_label(method: str, lang: str = "zh") -> str:
    """``bottom_up`` -> 自下而上 / bottom-up; ``base`` -> the level's own forecast."""
    try:
        return t(f"rc_method_{method}", lang)
    except KeyError:
        return str(method)


def _num(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{float(v):.3f}"


def _methods(table: pd.DataFrame) -> list[str]:
    return [m for m in RECONCILERS if f"mase_{m}" in table.columns]


def levels_display(table: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    """The per-level table for the page: level, series, MASE before (each level's own
    forecast), MASE of each reconciliation, the recommended method, its MASE and weighted
    accuracy. Returns ``(frame, formats)`` for :func:`lean_analysis.report.show.table`.
    ``table`` may also be the result object itself (its ``.table`` is used)."""
    table = getattr(table, "table", table)
    out = pd.DataFrame({
        t("rc_col_level", lang): [level_label(v, lang) for v in table["level"]],
        t("rc_col_n_series", lang): table["n_series"].to_numpy(),
        t("rc_col_mase_before", lang): table["mase_base"].to_numpy(),
    })
    fmts: dict[str, Any] = {t("rc_col_n_series", lang): "int", t("rc_col_mase_before", lang): ".3f"}
    for m in _methods(table):
        col = t("rc_col_mase_method", lang, method=method_label(m, lang))
        out[col] = table[f"mase_{m}"].to_numpy()
        fmts[col] = ".3f"
    rec = table["recommended"].tolist()
    out[t("rc_col_recommended", lang)] = [method_label(m, lang) if isinstance(m, str) else "—"
                                          for m in rec]
    out[t("rc_col_mase_after", lang)] = table["mase_recommended"].to_numpy()
    fmts[t("rc_col_mase_after", lang)] = ".3f"
    acc = [table.loc[i, f"accuracy_{m}"] if isinstance(m, str) else float("nan")
           for i, m in zip(table.index, rec, strict=True)]
    out[t("rc_col_accuracy_after", lang)] = acc
    fmts[t("rc_col_accuracy_after", lang)] = "percent"
    return out, fmts


def note_text(table: pd.DataFrame, lang: str = "zh") -> str:
    """The section's note: the methods, the model, and the ``min_history`` rule (the first
    windows are history only; every method is scored on the same later windows)."""
    table = getattr(table, "table", table)
    attrs: Mapping[str, Any] = table.attrs
    n_windows = int(table["n_windows"].max()) if len(table) else 0
    n_ex = len(attrs.get("excluded", []) or [])
    excluded = t("rc_excluded", lang, n=n_ex) if n_ex else ""
    model = model_label(str(attrs.get("model", "")), lang)
    upper = attrs.get("upper_model")
    if upper and upper != attrs.get("model"):
        model = t("rc_models_mixed", lang, model=model, upper=model_label(str(upper), lang))
    elif attrs.get("upper_fallback"):
        model = t("rc_models_fallback", lang, model=model,
                  upper=model_label(str(attrs["upper_fallback"]), lang))
    return t("rc_note", lang, model=model,
             min_history=int(attrs.get("min_history", 3)),
             windows=t("rc_windows", lang, n=n_windows), excluded=excluded)


def levels_text(table: pd.DataFrame, lang: str = "zh") -> str:
    """One sentence per level on its recommendation, with the numbers it rests on, and one
    on the single method that keeps all levels coherent (``attrs["overall"]``)."""
    table = getattr(table, "table", table)
    sep = t("rc_list_sep", lang)
    out = []
    methods = _methods(table)
    for _, r in table.iterrows():
        lv = level_label(r["level"], lang)
        lv = lv[:1].upper() + lv[1:] if lang == "en" else lv
        m = r["recommended"]
        if not isinstance(m, str):
            continue
        if m == "bottom_up":
            others = sep.join(f"{method_label(o, lang)} {_num(r[f'mase_{o}'])}"
                              for o in methods if o != "bottom_up")
            s = t("rc_level_sentence_bu", lang, level=lv, mase=_num(r["mase_bottom_up"]),
                  others=others)
        else:
            s = t("rc_level_sentence", lang, level=lv, method=method_label(m, lang),
                  mase=_num(r["mase_recommended"]), bu=_num(r.get("mase_bottom_up")),
                  base=_num(r["mase_base"]))
        if bool(r.get("base_better")):
            s += ("" if lang == "zh" else " ") + t("rc_base_better", lang, base=_num(r["mase_base"]))
        out.append(s)
    overall = table.attrs.get("overall")
    gm = table.attrs.get("overall_mase_geomean", {}) or {}
    if overall == "bottom_up":
        out.append(t("rc_overall_bu", lang, gm=_num(gm.get("bottom_up"))))
    elif overall:
        out.append(t("rc_overall", lang, method=method_label(overall, lang), gm=_num(gm.get(overall)),
                     bu=_num(gm.get("bottom_up"))))
    return ("" if lang == "zh" else " ").join(out)


# --------------------------------------------------------------------------- one table
def choice_label(row: Mapping[str, Any], model: str, bottom: bool, lang: str = "zh") -> str:
    """A level's recommended option in words: the best model's sums (at the bottom level the
    model's own forecasts), or a reconciliation of ``model``."""
    choice = row.get("choice")
    if not isinstance(choice, str):
        return "—"
    if choice == "sum":
        name = model_label(str(row["best_model"]), lang)
        return name if bottom else t("rc_choice_sum", lang, model=name)
    return t("rc_choice_method", lang, model=model_label(model, lang), method=method_label(choice, lang))


def combined_display(table: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, dict]:
    """The one per-level table of the forecast page (:func:`lean_analysis.forecast.combine_levels`):
    level, series, the best model's sums and their MASE, the recommended model reconciled by
    each method, the level's recommendation with its MASE and weighted accuracy, and
    seasonal naive's MASE; every number on the same points. ``(frame, formats)``."""
    model = str(table.attrs.get("model", ""))
    methods = _methods(table)
    last = len(table) - 1
    out = pd.DataFrame({
        t("rc_col_level", lang): [level_label(v, lang) for v in table["level"]],
        t("rc_col_n_series", lang): table["n_series"].to_numpy(),
        t("rc_col_best_model", lang): [model_label(m, lang) if isinstance(m, str) else "—"
                                       for m in table["best_model"]],
        t("rc_col_mase_best", lang): table["mase_best"].to_numpy(),
    })
    fmts: dict[str, Any] = {t("rc_col_n_series", lang): "int", t("rc_col_mase_best", lang): ".3f"}
    for m in methods:
        col = t("rc_col_mase_method", lang, method=method_label(m, lang))  # of the recommended model
        out[col] = table[f"mase_{m}"].to_numpy()
        fmts[col] = ".3f"
    out[t("rc_col_choice", lang)] = [choice_label(r, model, i == last, lang)
                                     for i, r in enumerate(table.to_dict("records"))]
    out[t("rc_col_mase_choice", lang)] = table["mase_choice"].to_numpy()
    out[t("rc_col_accuracy_choice", lang)] = table["accuracy_choice"].to_numpy()
    out[t("fc_col_baseline_mase", lang)] = table["baseline_mase"].to_numpy()
    fmts.update({t("rc_col_mase_choice", lang): ".3f", t("rc_col_accuracy_choice", lang): "percent",
                 t("fc_col_baseline_mase", lang): ".3f"})
    return out, fmts


def combined_text(table: pd.DataFrame, lang: str = "zh") -> str:
    """One sentence per level on its recommendation and the options it beat (all on the same
    points), then the one reconciliation that keeps every level adding up (``attrs["overall"]``)."""
    model = str(table.attrs.get("model", ""))
    methods = _methods(table)
    sep = t("rc_list_sep", lang)
    last = len(table) - 1
    out = []
    for i, r in enumerate(table.to_dict("records")):
        if not isinstance(r.get("choice"), str):
            continue
        lv = level_label(r["level"], lang)
        lv = lv[:1].upper() + lv[1:] if lang == "en" else lv
        others = []
        if r["choice"] != "sum" and isinstance(r.get("best_model"), str):
            others.append(f"{choice_label({**r, 'choice': 'sum'}, model, i == last, lang)} {_num(r['mase_best'])}")
        others += [f"{t('rc_choice_method', lang, model=model_label(model, lang), method=method_label(m, lang))} "
                   f"{_num(r[f'mase_{m}'])}" for m in methods
                   if m != r["choice"] and not (i == last and m == "bottom_up")]  # bottom: its own sums
        out.append(t("rc_combined_sentence", lang, level=lv, choice=choice_label(r, model, i == last, lang),
                     mase=_num(r["mase_choice"]), others=sep.join(others), snaive=_num(r["baseline_mase"])))
    overall = table.attrs.get("overall")
    gm = table.attrs.get("overall_mase_geomean", {}) or {}
    if overall:
        out.append(t("rc_combined_overall", lang, model=model_label(model, lang),
                     method=method_label(overall, lang), gm=_num(gm.get(overall)),
                     bu=_num(gm.get("bottom_up"))))
    return ("" if lang == "zh" else " ").join(out)

"""``outputs/history.html``: every target and headline figure, month by month.

Read from the ``metrics.json`` files of the period folders of ``outputs/`` only (nothing is
recomputed): the scorecard's figures (those that carry a ``target``) and the headline
figures of :data:`HEADLINE`, one small chart each (matplotlib with the report theme, one
embedded PNG: value per period, the interval as a bar when the figure has one, the target
as a dashed line) and one table (figure × period, values written by
:func:`lean_analysis.report.show.format_metric`).

The runner calls :func:`write_history` after it has written ``outputs/index.html``; every
period index and ``outputs/index.html`` link the page.
"""

from __future__ import annotations

import base64
import json
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lean_analysis import targets
from lean_analysis.report.texts import keys, t

HISTORY_FILE = "history.html"
# (report, figure) shown besides the figures with a target, in this order
HEADLINE: list[tuple[str, str]] = [
    (targets.OVERVIEW, "month_sales_cases"),
    (targets.OVERVIEW, "month_sales_value_10k"),
    (targets.OVERVIEW, "month_value_per_case"),
    (targets.OVERVIEW, "month_key_brand_share"),
    (targets.OVERVIEW, "month_retailer_margin"),
    (targets.OVERVIEW, "month_order_fill_rate"),
    (targets.OVERVIEW, "month_stock_out_rate"),
    (targets.OVERVIEW, "month_active_customers"),
    (targets.FORECAST, "forecast_accuracy"),
    (targets.FORECAST, "bias_pct"),
    (targets.BRAND, "target_on_shelf_rate"),
    (targets.SURVEY, "satisfaction_index"),
    (targets.SURVEY, "satisfied_share"),
]


@dataclass
class Series:
    """One figure over the periods: ``points`` maps a period to its metrics entry."""

    report: str
    name: str
    points: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def last(self) -> dict[str, Any]:
        return self.points[max(self.points)]


def _read(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("figures"), dict) else None


def collect(out_root: str | Path) -> tuple[list[str], list[Series]]:
    """(periods, series) from ``<out_root>/<YYYY-MM>/*.metrics.json``: the figures with a
    target first (in their ``order``), then :data:`HEADLINE`; numbers only."""
    from lean_analysis.report.index_pages import PERIOD_DIR

    root = Path(out_root)
    periods = sorted(d.name for d in root.iterdir() if d.is_dir() and PERIOD_DIR.match(d.name)) \
        if root.is_dir() else []
    found: dict[tuple[str, str], Series] = {}
    for period in periods:
        for path in sorted((root / period).glob("*.metrics.json")):
            doc = _read(path)
            if doc is None:
                continue
            report = str(doc.get("report") or path.name.removesuffix(".metrics.json"))
            for name, fig in doc["figures"].items():
                if not isinstance(fig, dict):
                    continue
                wanted = "target" in fig or (report, name) in HEADLINE
                value = fig.get("value")
                numeric = value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool))
                if wanted and numeric:
                    s = found.setdefault((report, name), Series(report, name))
                    s.points[period] = fig
    # a figure the scorecard reads from another report (source "<report>:<figure>") is shown
    # once, as the scorecard's
    sources = {tuple(str(s.last.get("source")).split(":", 1)) for s in found.values()
               if ":" in str(s.last.get("source", ""))}
    found = {k: s for k, s in found.items() if k not in sources}
    with_target = sorted((s for s in found.values() if "target" in s.last),
                         key=lambda s: (s.last.get("order", 99) if isinstance(s.last.get("order"), int)
                                        else 99, s.name))
    rank = {k: i for i, k in enumerate(HEADLINE)}
    others = sorted((s for k, s in found.items() if "target" not in s.last), key=lambda s: rank[(s.report, s.name)])
    return periods, [*with_target, *others]


def label(s: Series, lang: str) -> str:
    """The figure's label: its own (``label_<lang>``), else a report text of its name."""
    from lean_analysis.report.show import figure_label

    fig = s.last
    known = set(keys())
    base = s.name.removeprefix("scorecard_").removeprefix("month_")
    if not (fig.get(f"label_{lang}") or fig.get("label")):
        if f"hist_{base}" in known:
            return t(f"hist_{base}", lang)
        if base in known:
            return t(base, lang)
    return figure_label(s.name, fig, lang)


def _scale(fig: dict[str, Any]) -> float:
    return 100.0 if targets.is_fraction(fig.get("unit")) else 1.0


def _axis_unit(fig: dict[str, Any], lang: str) -> str:
    from lean_analysis.report.show import unit_text

    unit = fig.get("unit")
    return "%" if targets.is_fraction(unit) else unit_text(unit, lang) if unit else ""


def chart_png(periods: list[str], series: list[Series], lang: str) -> bytes:
    """The small multiples: one panel per figure, periods on the x axis."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from lean_analysis.report.show import figure_png
    from lean_analysis.report.theme import PALETTE, STATUS_COLOURS, use_theme

    use_theme()
    ncols = 3
    nrows = max(1, math.ceil(len(series) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(10.5, 2.35 * nrows), squeeze=False)
    x = list(range(len(periods)))
    for ax, s in zip(axes.flat, series, strict=False):
        k = _scale(s.last)
        xs, ys, lo, hi = [], [], [], []
        for i, p in enumerate(periods):
            f = s.points.get(p)
            if f is None or f.get("value") is None:
                continue
            v = float(f["value"]) * k
            xs.append(i)
            ys.append(v)
            a, b = f.get("ci_low"), f.get("ci_high")
            ok = isinstance(a, numbers.Real) and isinstance(b, numbers.Real)
            lo.append(v - float(a) * k if ok else 0.0)
            hi.append(float(b) * k - v if ok else 0.0)
        if ys:
            ax.errorbar(xs, ys, yerr=[lo, hi] if any(lo) or any(hi) else None, marker="o", ms=4,
                        lw=1.6, color=PALETTE[0], capsize=3)
        tgt = s.last.get("target")
        if isinstance(tgt, numbers.Real):
            ax.axhline(float(tgt) * k, ls="--", lw=1, color=STATUS_COLOURS["not_met"])
        if not ys:
            ax.text(0.5, 0.5, t("not_measured", lang), ha="center", va="center",
                    transform=ax.transAxes, color="#757575")
        unit = _axis_unit(s.last, lang)
        if label(s, lang).endswith(("）", ")")):  # the label names its unit: 销量（箱）
            unit = ""
        ax.set_title(label(s, lang) + (f"（{unit}）" if unit and lang == "zh" else f" ({unit})" if unit else ""),
                     fontsize=10.5)
        ax.set_xticks(x)
        step = max(1, math.ceil(len(periods) / 6))
        ax.set_xticklabels([p if i % step == 0 or i == len(periods) - 1 else "" for i, p in enumerate(periods)],
                           fontsize=8)
        ax.set_xlim(-0.5, len(periods) - 0.5)
        ax.tick_params(axis="y", labelsize=8)
    for ax in list(axes.flat)[len(series):]:
        ax.set_visible(False)
    fig.tight_layout()
    data = figure_png(fig)
    plt.close(fig)
    return data


def history_html(out_root: str | Path, lang: str = "zh") -> str:
    """The page (see the module's docstring)."""
    from lean_analysis.report.html import HTML_LANG, css, embed_cjk_font
    from lean_analysis.report.index_pages import _env
    from lean_analysis.report.show import basis_text, figure_basis, format_metric

    periods, series = collect(out_root)
    rows = []
    for s in series:
        values = []
        for p in periods:
            f = s.points.get(p)
            values.append("" if f is None else format_metric(f.get("value"), f.get("unit"), lang))
        tgt = s.last.get("target")
        rows.append({"label": label(s, lang),
                     "basis": basis_text(figure_basis(s.name, s.last, s.report), lang),
                     "target": "" if tgt is None else format_metric(tgt, s.last.get("unit"), lang),
                     "values": values})
    chart = base64.b64encode(chart_png(periods, series, lang)).decode("ascii") if series else ""
    labels = {"figure": t("run_figure", lang), "basis": t("run_basis", lang),
              "target": t("target", lang), "note": t("run_history_note", lang),
              "none": t("run_history_none", lang), "all_periods": t("run_all_periods", lang)}
    page = _env().get_template("history.html.j2").render(
        html_lang=HTML_LANG.get(lang, lang), title=t("run_history_title", lang), css=css(),
        periods=periods, rows=rows, chart=chart, labels=labels, footer="lean-analysis")
    return embed_cjk_font(page)


def write_history(out_root: str | Path, lang: str = "zh") -> Path:
    """(Re)write ``<out_root>/history.html`` atomically and return its path."""
    from lean_analysis.report.index_pages import _write_atomic

    path = Path(out_root) / HISTORY_FILE
    _write_atomic(path, history_html(out_root, lang))
    return path

"""Display helpers for the notebooks: headings, notes, tables, figures, KPI cards, boxes.

The reviewer HTML shows a notebook's *outputs* only (no code, no markdown cells), so every
reviewer-facing word is emitted from here, in the report's language, with texts from
:func:`lean_analysis.report.texts.t`. Each helper displays HTML in the notebook and has a
``*_html`` twin that returns the HTML string (for tests and for the runner).

Safety: every value that comes from data (a customer's name, a survey comment, a column
name) is HTML-escaped. :func:`table_html` builds the table itself and escapes every cell and
header; it never goes through ``DataFrame.style`` (a pandas Styler does *not* escape by
default).

A table shows its first :data:`TABLE_ROWS` rows on the page; the whole table travels with
the display output (mime type ``application/vnd.lean-analysis.table+json``) and the runner
collects every table of the report into ``<report>.xlsx`` (:mod:`lean_analysis.report.workbook`),
which the page links. A published figure reads the same everywhere through
:func:`figure_text` / :func:`figure_parts` (value in its unit, its basis, its interval, its
status against a target). :func:`summary` makes the report's opening block.

Example (in a notebook)::

    from lean_analysis.report import show
    from lean_analysis.report.texts import t
    show.heading(t("sales_cases", lang))
    show.table(df, formats={"share": "percent", "cases": "int"}, lang=lang)
    show.figure(fig, caption=t("key_brand_share", lang))
    show.summary([{"text": "...", "name": "satisfaction_index", "fig": figs["satisfaction_index"],
                   "action": "..."}], lang, targets=figs)
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lean_analysis import targets
from lean_analysis.report.texts import t

# Units (fractions print as percentages) and statuses are those of lean_analysis.targets.
STATUSES = targets.STATUSES

MISSING = "—"
TABLE_ROWS = 15  # rows of a table shown on the page; the rest are in the workbook
WIDE_COLUMNS = 11  # a table with this many columns (index included) is marked la-wide: it prints smaller
WORKBOOK_ROWS = 100_000  # rows of a table kept for the workbook

Formatter = str | Callable[[Any], str] | None


def esc(value: Any) -> str:
    """``value`` as text, HTML-escaped (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


# --------------------------------------------------------------------------- formatting
def _is_missing(v: Any) -> bool:
    """None, NaN, NaT or pd.NA."""
    if v is None:
        return True
    import pandas as pd

    try:
        return bool(pd.api.types.is_scalar(v) and pd.isna(v))
    except (TypeError, ValueError):
        return False


def format_value(v: Any, fmt: Formatter = None, *, digits: int = 2, lang: str = "zh") -> str:
    """Format one value for a table or card (plain text, *not* escaped).

    ``fmt`` is ``None`` (by type: ``1,234`` for integers, ``1,234.57`` for floats with
    ``digits`` decimals, ISO dates), ``"percent"`` (fraction → ``12.3%``; ``"percent0"``,
    ``"percent2"`` set the decimals), ``"int"`` (rounded, thousands separators), ``"money"``
    (two decimals), ``"text"``, a format spec such as ``",.1f"`` / ``"{:.1%}"``, or a callable.
    Missing values (None, NaN, NaT) print as ``—``.
    """
    if callable(fmt):
        return str(fmt(v))
    if _is_missing(v):
        return MISSING
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, bool):
        return t("show_yes" if v else "show_no", lang)
    if fmt == "text":
        return str(v)
    if isinstance(fmt, str) and fmt.startswith("percent"):
        d = int(fmt[7:]) if fmt[7:] else 1
        return f"{float(v) * 100:,.{d}f}%"
    if fmt == "int":
        return f"{round(float(v)):,}"
    if fmt == "money":
        return f"{float(v):,.2f}"
    if isinstance(fmt, str) and fmt:
        return fmt.format(v) if "{" in fmt else format(v, fmt)
    if isinstance(v, numbers.Integral):
        return f"{v:,}"
    if isinstance(v, numbers.Real):
        return f"{float(v):,.{digits}f}"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v == dt.datetime(v.year, v.month, v.day) else v.isoformat(" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def unit_text(unit: str, lang: str = "zh") -> str:
    """A metrics.json unit in the report language (text ``unit_<unit>``), else as written."""
    from lean_analysis.report.texts import keys

    key = f"unit_{unit}"
    return t(key, lang) if key in keys() else unit


def format_metric(value: Any, unit: str | None, lang: str = "zh") -> str:
    """A metrics.json figure as text, the one rendering of a published figure on every page
    (index, history, the reports' summaries and scorecards): fractions
    (:func:`lean_analysis.targets.is_fraction`: share, fraction, rate, …) as percentages
    with two decimals (``11.46%``), otherwise the number with two decimals followed by its
    unit (``89.62 分``). Two decimals, because the yearly targets are that close: a key-brand
    share of 89.46% against 89.50% would read "89.5%, not met" with one."""
    if _is_missing(value):
        return t("not_measured", lang)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if targets.is_fraction(unit):
            return format_value(value, "percent2")
        text = format_value(value, None if isinstance(value, numbers.Integral) else ",.2f")
        return f"{text} {unit_text(unit, lang)}" if unit else text
    return format_value(value, lang=lang)


def figure_number(v: Any, unit: str | None) -> str:
    """A figure's number as :func:`format_metric` writes it, without the unit's name
    (``89.62``, ``11.46%``): for cards and tables that give the unit elsewhere."""
    return t("not_measured") if _is_missing(v) else _number(v, unit)


def _number(v: Any, unit: str | None) -> str:
    """A number in ``unit`` without the unit's name (fractions as percentages), with the
    decimals of :func:`format_metric`."""
    if targets.is_fraction(unit):
        return format_value(v, "percent2")
    return format_value(v, None if isinstance(v, numbers.Integral) else ",.2f")


def figure_basis(name: str, fig: Mapping[str, Any], report: str | None = None) -> str:
    """What a published figure covers (``ytd``, ``month``, ``wave``, ``check``,
    ``backtest``, …): its own ``basis`` field, else that of the figure it is read from
    (``source: "<report>:<figure>"``, e.g. a scorecard figure fed by the survey's wave),
    else the declaration's in :data:`lean_analysis.targets.FIGURES`; ``""`` when unknown."""
    if fig.get("basis") and isinstance(fig.get("basis"), str) and f"basis_{fig['basis']}" in _keys():
        return fig["basis"]
    source = fig.get("source")
    if isinstance(source, str) and ":" in source:
        src_report, src_name = source.split(":", 1)
        spec = targets.lookup(src_name, src_report)
        if spec is not None and spec.basis:
            return spec.basis
    spec = targets.lookup(name, report)
    return spec.basis if spec is not None else ""


def _keys() -> set[str]:
    from lean_analysis.report.texts import keys

    return set(keys())


def basis_text(basis: str, lang: str = "zh", span: str | None = None) -> str:
    """The basis in words (text ``basis_<basis>``, else as written), with its span of months
    when given (``本年累计 2026-01 .. 2026-10``)."""
    if not basis:
        return span or ""
    key = f"basis_{basis}"
    words = t(key, lang) if key in _keys() else basis
    return f"{words} {span}" if span else words


def figure_parts(name: str, fig: Mapping[str, Any], lang: str = "zh",
                 report: str | None = None) -> dict[str, str | None]:
    """A published figure (a ``metrics.json`` entry) taken apart for a page: ``value`` (in
    its unit), ``interval`` (``95% 区间 88.1%–90.9%``, when the figure has ``ci_low`` and
    ``ci_high``; else ``""``), ``basis`` (:func:`figure_basis` in words, with the figure's
    ``span``), ``target`` (``""`` without one), ``status`` (the figure's own, else
    :func:`lean_analysis.targets.status` of value against target with the interval, so
    an interval that straddles the target gives ``within_margin``) and ``status_text``."""
    unit = fig.get("unit")
    value = fig.get("value")
    lo, hi = fig.get("ci_low"), fig.get("ci_high")
    interval = ""
    if not _is_missing(lo) and not _is_missing(hi) and not _is_missing(value):
        level = fig.get("level")
        pct = (f"{float(level) * 100:g}" if isinstance(level, numbers.Real) and level <= 1
               else f"{level:g}" if isinstance(level, numbers.Real) else "95")
        interval = f"{t('ci_level', lang, level=pct)} {_number(lo, unit)}–{_number(hi, unit)}"
    span = fig.get("span") if isinstance(fig.get("span"), str) else None
    target = fig.get("target")
    status = fig.get("status") if fig.get("status") in STATUSES else None
    if status is None and target is not None:
        try:
            ci = (lo, hi) if interval else None
            status = targets.status(value, float(target), fig.get("direction", ">="), ci)
        except (TypeError, ValueError):
            status = None
    basis = basis_text(figure_basis(name, fig, report), lang, span)
    if fig.get("n_checked") is not None and fig.get("n_targets") is not None:
        # a rate among the checked: how many were, beside it (the on-shelf rate)
        checked = t("checked_of", lang, n=int(fig["n_checked"]), m=int(fig["n_targets"]))
        basis = f"{basis} · {checked}" if basis else checked
    return {
        "value": format_metric(value, unit, lang),
        "interval": interval,
        "basis": basis,
        "target": "" if target is None else format_metric(target, unit, lang),
        "status": status,
        "status_text": t(status, lang) if status else "",
    }


def figure_text(name: str, fig: Mapping[str, Any], lang: str = "zh",
                report: str | None = None) -> str:
    """One published figure as one line of text, the same on every page: value, then in
    brackets its interval and basis (``91.21 分（95% 区间 89.57–92.86，本期调查 2026-10）``);
    with a target, ``目标值 90.00 分 · 达成`` after it."""
    parts = figure_parts(name, fig, lang, report)
    inner = [p for p in (parts["interval"], parts["basis"]) if p]
    sep = "，" if lang == "zh" else "; "
    text = parts["value"] + ((f"（{sep.join(inner)}）" if lang == "zh" else f" ({sep.join(inner)})")
                             if inner else "")
    if parts["target"]:
        text += f" · {t('target', lang)} {parts['target']}"
        if parts["status_text"]:
            text += f" · {parts['status_text']}"
    return text


def figure_label(name: str, fig: Mapping[str, Any], lang: str = "zh") -> str:
    """A figure's label: its ``label_<lang>`` / ``label``, else the report text of its name
    (without a ``scorecard_`` prefix), else its name."""
    label = fig.get(f"label_{lang}") or fig.get("label")
    if isinstance(label, dict):
        label = label.get(lang)
    if label:
        return str(label)
    base = name.removeprefix("scorecard_")
    return t(base, lang) if base in _keys() else base


# --------------------------------------------------------------------------- HTML builders
def heading_html(text: str, level: int = 2) -> str:
    if level not in (1, 2, 3, 4):
        raise ValueError(f"heading level must be 1–4, not {level!r}")
    return f'<h{level} class="la-heading">{esc(text)}</h{level}>'


def note_html(text: str, kind: str = "note") -> str:
    """Paragraph(s) of narrative; ``kind`` is note, info, warning or error (a coloured box)."""
    if kind not in ("note", "info", "warning", "error"):
        raise ValueError(f"kind must be note, info, warning or error, not {kind!r}")
    paras = [p.strip() for p in str(text).split("\n\n") if p.strip()]
    body = "".join(f"<p>{esc(p).replace(chr(10), '<br>')}</p>" for p in paras)
    if kind == "note":
        return f'<div class="la-note">{body}</div>'
    style = {
        "info": "border-left:4px solid #3b6ea5;background:#eef3f9",
        "warning": "border-left:4px solid #c9a227;background:#fbf6e3",
        "error": "border-left:4px solid #c62828;background:#fbeaea",
    }[kind]
    return f'<div class="la-box la-{kind}" role="note" style="{style};padding:0.5em 1em">{body}</div>'


def _header_text(col: Any) -> str:
    if isinstance(col, tuple):
        return " / ".join(str(c) for c in col if str(c) != "")
    return str(col)


def table_html(
    df,
    *,
    formats: Mapping[Any, Formatter] | None = None,
    percent: Iterable[Any] = (),
    digits: int = 2,
    index: bool | None = None,
    caption: str | None = None,
    max_rows: int = TABLE_ROWS,
    lang: str = "zh",
) -> str:
    """A DataFrame as an HTML table with every header and value escaped.

    ``formats`` maps a column to a formatter (see :func:`format_value`); ``percent`` lists
    columns holding fractions to show as percentages. ``index`` shows the index (default:
    when it is not a plain 0..n-1 range). Rows beyond ``max_rows`` (default
    :data:`TABLE_ROWS`) are not shown, and a line under the table says how many more rows the
    report's workbook holds. A table of :data:`WIDE_COLUMNS` columns or more (index
    included) gets the class ``la-wide``, which the print stylesheet sets smaller so that it
    fits the width of an A4 page.
    """
    import pandas as pd

    if isinstance(df, pd.Series):
        df = df.to_frame()
    fmts: dict[Any, Formatter] = {c: "percent" for c in percent}
    fmts.update(formats or {})
    unknown = [c for c in fmts if c not in df.columns]
    if unknown:
        raise KeyError(f"table formats name columns that are not in the table: {unknown}")
    if index is None:
        index = not (isinstance(df.index, pd.RangeIndex) and df.index.name is None)
    shown = df.iloc[:max_rows]
    numeric = {c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])}

    index_names = [n for n in (df.index.names if index else [])]
    head = ["<thead><tr>"]
    for n in index_names:
        head.append(f"<th>{esc('' if n is None else n)}</th>")
    for c in df.columns:
        cls = ' class="la-num"' if c in numeric else ""
        head.append(f"<th{cls}>{esc(_header_text(c))}</th>")
    head.append("</tr></thead>")

    body = ["<tbody>"]
    for idx, row in zip(shown.index, shown.itertuples(index=False, name=None), strict=True):
        body.append("<tr>")
        if index:
            for v in (idx if isinstance(idx, tuple) else (idx,)):
                body.append(f"<th>{esc(format_value(v, digits=digits, lang=lang))}</th>")
        for c, v in zip(df.columns, row, strict=True):
            cls = ' class="la-num"' if c in numeric else ""
            body.append(f"<td{cls}>{esc(format_value(v, fmts.get(c), digits=digits, lang=lang))}</td>")
        body.append("</tr>")
    body.append("</tbody>")

    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    wide = " la-wide" if len(index_names) + len(df.columns) >= WIDE_COLUMNS else ""
    out = f'<table class="la-table{wide}">{cap}{"".join(head)}{"".join(body)}</table>'
    if len(df) > max_rows:
        out += (f'<p class="la-rows-more">'
                f'{esc(t("show_rows_more", lang, more=len(df) - max_rows, total=len(df)))}</p>')
    return f'<div class="la-table-wrap" style="overflow-x:auto">{out}</div>'


def _cell_value(v: Any) -> Any:
    """A table value as JSON for the workbook: numbers, booleans, text; missing as None."""
    if _is_missing(v):
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, bool | int | str):
        return v
    if isinstance(v, numbers.Real):
        f = float(v)
        return None if f != f or f in (float("inf"), float("-inf")) else f
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v == dt.datetime(v.year, v.month, v.day) else v.isoformat(" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _excel_format(fmt: Formatter) -> str | None:
    if not isinstance(fmt, str):
        return None
    if fmt.startswith("percent"):
        d = int(fmt[7:]) if fmt[7:] else 1
        return "0." + "0" * d + "%" if d else "0%"
    return {"int": "#,##0", "money": "#,##0.00"}.get(fmt)


def table_payload(df, *, formats: Mapping[Any, Formatter] | None = None, percent: Iterable[Any] = (),
                  index: bool | None = None, caption: str | None = None, **_: Any) -> dict[str, Any]:
    """The whole table (up to :data:`WORKBOOK_ROWS` rows) as JSON for the report's workbook:
    ``{"caption", "columns", "formats" (Excel number formats or None), "rows", "total"}``;
    takes the arguments of :func:`table_html`."""
    import pandas as pd

    if isinstance(df, pd.Series):
        df = df.to_frame()
    fmts: dict[Any, Formatter] = {c: "percent" for c in percent}
    fmts.update(formats or {})
    if index is None:
        index = not (isinstance(df.index, pd.RangeIndex) and df.index.name is None)
    names = [("" if n is None else str(n)) for n in df.index.names] if index else []
    columns = names + [_header_text(c) for c in df.columns]
    xl = [None] * len(names) + [_excel_format(fmts.get(c)) for c in df.columns]
    rows = []
    kept = df.iloc[:WORKBOOK_ROWS]
    for idx, row in zip(kept.index, kept.itertuples(index=False, name=None), strict=True):
        head = [_cell_value(v) for v in (idx if isinstance(idx, tuple) else (idx,))] if index else []
        rows.append(head + [_cell_value(v) for v in row])
    return {"caption": caption or "", "columns": columns, "formats": xl, "rows": rows,
            "total": len(df)}


def summary_html(findings: Iterable[Mapping[str, Any]], lang: str = "zh", *,
                 targets: Mapping[str, Mapping[str, Any]] | None = None,
                 report: str | None = None, title: str | None = None,
                 cards: Iterable[Mapping[str, Any]] = ()) -> str:
    """The report's summary block (see :func:`summary`), every text escaped."""
    items = []
    for f in findings:
        fig = f.get("fig")
        if fig is None and "value" in f:
            fig = f
        name = str(f.get("name", ""))
        number = ""
        parts: dict[str, Any] = {}
        if fig is not None:
            parts = figure_parts(name, fig, lang, report)
            number = parts["value"]
        uncertainty = f.get("uncertainty") or parts.get("interval") or (
            t("run_no_interval", lang) if fig is not None else "")
        meta = []
        if uncertainty:
            colon_u = "：" if lang == "zh" else ": "
            meta.append(f'<span class="la-finding-uncertainty">{esc(t("run_uncertainty", lang))}'
                        f"{colon_u}{esc(uncertainty)}</span>")
        if f.get("status") and not parts.get("status"):
            if f["status"] not in STATUSES:
                raise ValueError(f"status must be one of {STATUSES}, not {f['status']!r}")
            parts = {**parts, "status": f["status"], "status_text": t(f["status"], lang)}
        if parts.get("basis"):
            meta.append(f'<span class="la-finding-basis">{esc(parts["basis"])}</span>')
        if parts.get("status"):
            meta.append(f'<span class="la-badge la-badge-{esc(parts["status"])}">'
                        f'{esc(parts["status_text"])}</span>')
        colon = "：" if lang == "zh" else ": "
        action = (f'<p class="la-finding-action"><strong>{esc(t("run_action", lang))}{colon}</strong>'
                  f'{esc(f["action"])}</p>') if f.get("action") else ""
        num = f' <strong class="la-finding-number">{esc(number)}</strong>' if number else ""
        meta_html = f'<p class="la-finding-meta">{" · ".join(meta)}</p>' if meta else ""
        items.append(f'<li class="la-finding"><p class="la-finding-text">{esc(f.get("text", ""))}{num}</p>'
                     f'{meta_html}{action}</li>')
    fed = ""
    rows = [(n, fg) for n, fg in (targets or {}).items() if isinstance(fg, Mapping) and "target" in fg]
    if rows:
        body = []
        for n, fg in rows:
            p = figure_parts(n, fg, lang, report)
            value = esc(p["value"]) + (f'<br><small>{esc(p["interval"])}</small>' if p["interval"] else "")
            badge = (f'<span class="la-badge la-badge-{esc(p["status"])}">{esc(p["status_text"])}</span>'
                     if p["status"] else "")
            body.append(f"<tr><td>{esc(figure_label(n, fg, lang))}</td><td class=\"la-num\">{value}</td>"
                        f'<td class="la-num">{esc(p["target"])}</td><td>{esc(p["basis"])}</td>'
                        f"<td>{badge}</td></tr>")
        head = "".join(f"<th>{esc(h)}</th>" for h in (
            t("run_figure", lang), t("actual", lang), t("target", lang), t("run_basis", lang),
            t("run_status", lang)))
        fed = (f'<h3 class="la-summary-sub">{esc(t("run_targets_fed", lang))}</h3>'
               f'<table class="la-table la-targets-fed"><thead><tr>{head}</tr></thead>'
               f'<tbody>{"".join(body)}</tbody></table>')
    heading = esc(title or t("run_summary", lang))
    cards = list(cards)
    return (f'<div class="la-summary" data-la-summary="1">'
            f'<h2 class="la-summary-title">{heading}</h2>'
            f'{kpi_cards_html(cards, lang) if cards else ""}'
            f'<ol class="la-findings">{"".join(items)}</ol>{fed}</div>')


def figure_png(fig) -> bytes:
    """The figure as PNG bytes (no timestamp/software metadata: same figure, same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def figure_html(fig, caption: str | None = None, alt: str | None = None) -> str:
    data = base64.b64encode(figure_png(fig)).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="la-figure" style="margin:0.5em 0">'
        f'<img style="max-width:100%;height:auto" alt="{esc(alt or caption or "")}" '
        f'src="data:image/png;base64,{data}"/>{cap}</figure>'
    )


def kpi_cards_html(items: Iterable[Mapping[str, Any]], lang: str = "zh") -> str:
    """Cards, one per figure. Each item: ``label``, ``value`` (number or text), optional
    ``format`` (see :func:`format_value`), ``unit``, ``target``, ``status`` (met, not_met,
    not_measured) and ``note``."""
    from lean_analysis.report.theme import STATUS_COLOURS

    cards = []
    for it in items:
        fmt = it.get("format")
        value = it.get("value")
        text = t("not_measured", lang) if _is_missing(value) else format_value(value, fmt, lang=lang)
        unit = it.get("unit")
        unit_html = f' <span class="la-kpi-unit">{esc(unit)}</span>' if unit and not _is_missing(value) else ""
        status = it.get("status")
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        colour = STATUS_COLOURS.get(status or "", "#3b6ea5")
        parts = [
            f'<div class="la-kpi la-kpi-{esc(status or "plain")}" style="display:inline-block;'
            f'vertical-align:top;min-width:11em;margin:0.3em;padding:0.6em 0.9em;'
            f'border:1px solid #ddd;border-top:4px solid {colour}">',
            f'<div class="la-kpi-label">{esc(it.get("label", ""))}</div>',
            f'<div class="la-kpi-value" style="font-size:1.5em">{esc(text)}{unit_html}</div>',
        ]
        if it.get("target") is not None:
            target = format_value(it["target"], fmt, lang=lang)
            parts.append(f'<div class="la-kpi-target">{esc(t("target", lang))}: {esc(target)}</div>')
        if status:
            parts.append(f'<div class="la-kpi-status" style="color:{colour}">{esc(t(status, lang))}</div>')
        if it.get("note"):
            parts.append(f'<div class="la-kpi-note">{esc(it["note"])}</div>')
        parts.append("</div>")
        cards.append("".join(parts))
    return f'<div class="la-kpis">{"".join(cards)}</div>'


# --------------------------------------------------------------------------- display
def _display_html(markup: str) -> None:
    from IPython.display import HTML, display

    display(HTML(markup))


def heading(text: str, level: int = 2) -> None:
    """A section heading; h2/h3 headings make the reviewer HTML's table of contents."""
    _display_html(heading_html(text, level))


def note(text: str) -> None:
    """Narrative text (blank lines separate paragraphs)."""
    _display_html(note_html(text, "note"))


def info(text: str) -> None:
    _display_html(note_html(text, "info"))


def warning(text: str) -> None:
    """A yellow box: something the reader must know (excluded rows, a short series…)."""
    _display_html(note_html(text, "warning"))


def error(text: str) -> None:
    """A red box: a figure could not be produced."""
    _display_html(note_html(text, "error"))


def table(df, **kwargs: Any) -> None:
    """Display :func:`table_html` (same arguments): the first :data:`TABLE_ROWS` rows on
    the page; the whole table (:func:`table_payload`) rides along in the output for the
    report's workbook."""
    from lean_analysis.report.html import TABLE_MIME

    _display_bundle({"text/html": table_html(df, **kwargs),
                     TABLE_MIME: table_payload(df, **kwargs)})


def _display_bundle(bundle: dict[str, Any]) -> None:
    from IPython.display import display

    display(bundle, raw=True)


def summary(findings: Iterable[Mapping[str, Any]], lang: str = "zh", *,
            targets: Mapping[str, Mapping[str, Any]] | None = None,
            report: str | None = None, title: str | None = None,
            cards: Iterable[Mapping[str, Any]] = ()) -> None:
    """The report's opening block: the month's findings, then the yearly targets it feeds.

    Each finding is a mapping: ``text`` (the finding in words), its number as a published
    figure, ``name`` + ``fig`` (a ``metrics.json`` entry: shown with :func:`figure_parts`:
    value, interval, basis, status; a mapping with a ``value`` is its own figure),
    ``uncertainty`` (words; default the figure's interval) and ``action`` (what to do).
    ``targets``: the figures (name -> entry) the report compares with a target; those with a
    ``target`` are listed with met / not met / within margin. Call it anywhere in the
    notebook (typically last, once the figures are known): the reviewer HTML moves it right
    under the header, as ``<section id="summary">``."""
    _display_html(summary_html(findings, lang, targets=targets, report=report, title=title,
                               cards=cards))


def figure(fig, caption: str | None = None, alt: str | None = None, close: bool = True) -> None:
    """Embed the figure as a PNG (base64) and close it, so it is not shown twice."""
    markup = figure_html(fig, caption, alt)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    _display_html(markup)


def kpi_cards(items: Iterable[Mapping[str, Any]], lang: str = "zh") -> None:
    _display_html(kpi_cards_html(items, lang))

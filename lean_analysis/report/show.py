"""Display helpers for the notebooks: headings, notes, tables, figures, KPI cards, boxes.

The reviewer HTML shows a notebook's *outputs* only (no code, no markdown cells), so every
reviewer-facing word is emitted from here, in the report's language, with texts from
:func:`lean_analysis.report.texts.t`. Each helper displays HTML in the notebook and has a
``*_html`` twin that returns the HTML string (for tests and for the runner).

Safety: every value that comes from data (a customer's name, a survey comment, a column
name) is HTML-escaped. :func:`table_html` builds the table itself and escapes every cell and
header; it never goes through ``DataFrame.style`` (a pandas Styler does *not* escape by
default).

Example (in a notebook)::

    from lean_analysis.report import show
    from lean_analysis.report.texts import t
    show.heading(t("sales_cases", lang))
    show.table(df, formats={"share": "percent", "cases": "int"}, lang=lang)
    show.figure(fig, caption=t("key_brand_share", lang))
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
    """A metrics.json figure as text: fractions (:func:`lean_analysis.targets.is_fraction`:
    share, fraction, rate, …) as percentages,
    otherwise the number followed by its unit."""
    if _is_missing(value):
        return t("not_measured", lang)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if targets.is_fraction(unit):
            return format_value(value, "percent")
        text = format_value(value, None if isinstance(value, numbers.Integral) else ",.2f")
        return f"{text} {unit_text(unit, lang)}" if unit else text
    return format_value(value, lang=lang)


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
    max_rows: int = 500,
    lang: str = "zh",
) -> str:
    """A DataFrame as an HTML table with every header and value escaped.

    ``formats`` maps a column to a formatter (see :func:`format_value`); ``percent`` lists
    columns holding fractions to show as percentages. ``index`` shows the index (default:
    when it is not a plain 0..n-1 range). Rows beyond ``max_rows`` are not shown, and a line
    under the table says how many were left out.
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
    out = f'<table class="la-table">{cap}{"".join(head)}{"".join(body)}</table>'
    if len(df) > max_rows:
        out += note_html(t("show_rows_cut", lang, shown=max_rows, total=len(df)), "info")
    return f'<div class="la-table-wrap" style="overflow-x:auto">{out}</div>'


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
    """Display :func:`table_html` (same arguments)."""
    _display_html(table_html(df, **kwargs))


def figure(fig, caption: str | None = None, alt: str | None = None, close: bool = True) -> None:
    """Embed the figure as a PNG (base64) and close it, so it is not shown twice."""
    markup = figure_html(fig, caption, alt)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    _display_html(markup)


def kpi_cards(items: Iterable[Mapping[str, Any]], lang: str = "zh") -> None:
    _display_html(kpi_cards_html(items, lang))


def summary_html(title: str, points: Iterable[str], cards: Iterable[Mapping[str, Any]] = (),
                 lang: str = "zh") -> str:
    """The report's opening ``<section id="summary">``: a heading, optional KPI cards and the
    findings as a list (each escaped)."""
    items = "".join(f"<li>{esc(p)}</li>" for p in points)
    cards = list(cards)
    return (f'<section id="summary">{heading_html(title, 2)}'
            f'{kpi_cards_html(cards, lang) if cards else ""}<ul>{items}</ul></section>')


def summary(title: str, points: Iterable[str], cards: Iterable[Mapping[str, Any]] = (),
            lang: str = "zh") -> None:
    """Display :func:`summary_html`."""
    _display_html(summary_html(title, points, cards, lang))

"""The reviewer HTML of a report (the index pages of a run: ``report/index_pages.py``).

:func:`render_report` turns an executed notebook into one self-contained HTML file with our
nbconvert template (``templates/lean``): outputs only (no code, no markdown cells, no
injected-parameters cell, no stderr/warning streams), a header (title, period, run time,
code version, parameters, data fingerprint), a table of contents built from the h2/h3
headings of the outputs (``show.heading``), figures embedded as base64, the error at the top
when the run failed, nothing loaded from the network, print CSS.

The header keeps one line in view (period, data fingerprint, status and, when the report
shows tables, the link to its workbook ``<report>.xlsx``); the run time, code version, data
folder and the parameters, each under its label (texts ``param_<name>``; an unknown
parameter keeps its name), are folded in a ``<details>``. The report's summary
(``show.summary``: a block marked ``data-la-summary``) is moved right after the header,
before the table of contents, as ``<section id="summary">``.

Markdown cells are left out on purpose: they are the analyst's working notes and are
written in one language; everything a reviewer reads is an output of ``report.show`` in the
report's language. Code cells tagged ``remove_cell`` or ``hide`` are left out too (e.g. a
check an analyst keeps for herself); errors of cells tagged ``raises-exception`` are expected
and do not mark the report as failed.
"""

from __future__ import annotations

import copy
import functools
import html as _html
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lean_analysis.report.failure import ReportFailed, code_cell_number
from lean_analysis.report.texts import t

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_NAME = "lean"
HTML_LANG = {"zh": "zh-CN", "en": "en"}

_HEADING = re.compile(r"<h([23])((?:\s[^>]*)?)>(.*?)</h\1>", re.S | re.I)
_ID_ATTR = re.compile(r"""\bid\s*=\s*(["'])(.*?)\1""", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
# text/plain-only results that are object reprs, not content: "[<matplotlib.lines.Line2D at
# 0x7f...>]", "<Axes: ...>", "<Figure size 800x450 with 1 Axes>", "PosixPath('...')" (the
# value of a last line such as write_metrics(...))
_NOISE = re.compile(
    r"^\s*(\[?\s*<[^<>]*( at 0x[0-9a-fA-F]+|Figure size [^<>]*|Axes:[^<>]*)>\s*\]?"
    r"|(Posix|Windows)Path\(.*\))\s*$", re.S)

HIDDEN_TAGS = {"injected-parameters", "parameters", "remove_cell", "hide"}
SUMMARY_MARK = "data-la-summary"  # the attribute of show.summary's block
TABLE_MIME = "application/vnd.lean-analysis.table+json"  # a full table (show.table), for the workbook


@functools.cache
def css() -> str:
    """The stylesheet inlined in every page."""
    return (TEMPLATES / "lean.css").read_text(encoding="utf-8")


FONT_FAMILY = "LA Noto Sans CJK"  # the name the embedded subset goes by in the stylesheet
_DATA_URI = re.compile(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+")


def embed_cjk_font(page: str) -> str:
    """Embed the subset of the CJK font that ``page`` uses, as a base64 ``@font-face``.

    The page then renders its Chinese on any machine, offline and in print, even where no
    CJK font is installed (the stylesheet lists the system fonts first and this one after
    them). Only the glyphs of the page's own non-ASCII characters are kept (typically
    100–300 KB). Returns ``page`` unchanged when the font package is missing.
    """
    chars = frozenset(ord(c) for c in _DATA_URI.sub("", page) if ord(c) > 127)
    if not chars or "</head>" not in page:
        return page
    try:
        data = _cjk_subset(chars)
    except (ImportError, FileNotFoundError):  # pragma: no cover - both ship with the package
        return page
    face = (f'<style>@font-face {{ font-family: "{FONT_FAMILY}"; '
            f'src: url(data:font/otf;base64,{data}) format("opentype"); }}</style>\n')
    return page.replace("</head>", face + "</head>", 1)


@functools.cache
def _cjk_font_bytes() -> bytes:
    """The 16 MB CJK font file, read once per process (its bytes never change; every subset
    parses its own TTFont from them, as subsetting mutates the font)."""
    from lean_analysis.report.theme import cjk_font_path

    return cjk_font_path().read_bytes()


@functools.lru_cache(maxsize=16)
def _cjk_subset(chars: frozenset[int]) -> str:
    """Base64 of the CJK font subset to the code points ``chars`` (with every layout feature,
    so vertical and contextual forms come along). Cached: pages with the same characters
    (the index pages of a run, re-renders) share one subset.

    Loaded as ``pyftsubset`` does (``subset.load_font``: font bounds and timestamp kept
    from the full font, not recomputed from the subset's glyphs), which saves a second pass
    over every glyph and makes the subset the same bytes on every run."""
    import base64
    import io

    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.notdef_outline = True
    font = subset.load_font(io.BytesIO(_cjk_font_bytes()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=chars)
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _text(x: Any) -> str:
    return x if isinstance(x, str) else "".join(x)


def notebook_error(nb) -> ReportFailed | None:
    """The first error of an executed notebook (an error of a cell tagged
    ``raises-exception`` is expected and skipped), with the position of the failing cell
    among the code cells of the source notebook (1-based)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return ReportFailed.from_output(out.get("ename", "Error"), out.get("evalue", ""),
                                                out.get("traceback", []),
                                                code_cell_number(nb.cells, index))
    return None


def prepare(nb) -> tuple[Any, list[tuple[int, str, str]], ReportFailed | None]:
    """A copy of ``nb`` ready for the reviewer: hidden cells, stderr streams, error outputs
    and object-repr noise removed; ids added to the h2/h3 headings of HTML outputs.

    Returns (notebook, table of contents as (level, id, text), first error or None).
    """
    nb, toc, error, _ = prepare_page(nb)
    return nb, toc, error


def prepare_page(nb) -> tuple[Any, list[tuple[int, str, str]], ReportFailed | None, list[str]]:
    """:func:`prepare`, and the summary blocks (``show.summary``) taken out of the outputs:
    (notebook, table of contents, first error or None, summary HTML blocks)."""
    nb = copy.deepcopy(nb)
    error = notebook_error(nb)
    nb.metadata.pop("widgets", None)
    toc: list[tuple[int, str, str]] = []
    summary: list[str] = []
    used: set[str] = set()
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & HIDDEN_TAGS or cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error" or (kind == "stream" and out.get("name") == "stderr"):
                continue
            data = out.get("data", {})
            if kind in ("execute_result", "display_data"):
                if set(data) == {"text/plain"} and _NOISE.match(_text(data["text/plain"])):
                    continue
                if "text/html" in data and SUMMARY_MARK in _text(data["text/html"]):
                    summary.append(_text(data["text/html"]))
                    continue
                if "text/html" in data:
                    data["text/html"] = _add_heading_ids(_text(data["text/html"]), toc, used)
                data.pop(TABLE_MIME, None)  # the full table goes to the workbook, not the page
            outputs.append(out)
        cell.outputs = outputs
        cells.append(cell)
    nb.cells = cells
    return nb, toc, error, summary


def has_tables(nb) -> bool:
    """Whether the executed notebook shows a table through ``show.table`` (it then has a
    workbook, :mod:`lean_analysis.report.workbook`)."""
    return any(TABLE_MIME in (out.get("data") or {})
               for cell in (nb.cells if nb is not None else []) if cell.get("cell_type") == "code"
               for out in cell.get("outputs", []))


def default_workbook_name(nb) -> str | None:
    """``<report>.xlsx`` beside the executed notebook (papermill's output path), when the
    notebook shows tables; else None."""
    if nb is None or not has_tables(nb):
        return None
    out = ((nb.metadata.get("papermill") or {}).get("output_path") or "")
    return f"{Path(out).stem}.xlsx" if out else None


def _add_heading_ids(markup: str, toc: list, used: set[str]) -> str:
    def repl(m: re.Match) -> str:
        level, attrs, inner = int(m.group(1)), m.group(2) or "", m.group(3)
        found = _ID_ATTR.search(attrs)
        if found:
            anchor = _html.unescape(found.group(2))
        else:
            anchor = f"sec-{len(toc) + 1}"
            while anchor in used:
                anchor += "-"
            attrs = f' id="{anchor}"' + attrs
        used.add(anchor)
        text = " ".join(_html.unescape(_TAG.sub("", inner)).split())
        toc.append((level, anchor, text))
        return f"<h{level}{attrs}>{inner}</h{level}>"

    return _HEADING.sub(repl, markup)


@functools.cache
def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        exclude_raw=True,
        exclude_unknown=True,
    )


def _param_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _value_label(value: str, lang: str, known: set[str]) -> str:
    """An identifier among the parameter values (``tier_band``, ``conformal``, ``ets``,
    ``product_id``) in words: the text ``pv_<value>``, else the forecast's own label of a
    model (``fc_model_<value>``) or a level (``fc_level_<value>``), else the value as
    written (paths, periods, ids)."""
    for key in (f"pv_{value}", f"fc_model_{value}", f"fc_level_{value}"):
        if key in known:
            return t(key, lang)
    return value


def parameter_rows(parameters: dict[str, Any] | None, lang: str) -> list[tuple[str, str, bool]]:
    """The header's parameters as (label, value text, labelled): the label is the text
    ``param_<name>`` in ``lang``, else the parameter's name (``labelled`` False); values are
    read as a person writes them (lists joined, booleans yes/no, empty as —, identifiers in
    words through the texts ``pv_<value>``)."""
    from lean_analysis.report.texts import keys

    known = set(keys())
    rows = []
    for name, value in (parameters or {}).items():
        key = f"param_{name}"
        if key not in known:
            rows.append((str(name), _param_text(value), False))
            continue
        if isinstance(value, bool):
            text = t("show_yes" if value else "show_no", lang)
        elif value in ("", None, [], {}):
            text = "—"
        elif isinstance(value, str):
            text = _value_label(value, lang, known)
        elif isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
            text = ("、" if lang == "zh" else ", ").join(
                _value_label(v, lang, known) if isinstance(v, str) else str(v) for v in value)
        else:
            text = _param_text(value)
        rows.append((t(key, lang), text, True))
    return rows


def render_report(
    nb,
    *,
    title: str,
    period: str,
    lang: str = "zh",
    parameters: dict[str, Any] | None = None,
    data_path: str = "",
    fingerprint: str = "",
    run_time: str = "",
    commit: str = "",
    status: str = "ok",
    error: ReportFailed | dict[str, Any] | None = None,
    embed_font: bool = True,
    workbook: str | None = None,
) -> str:
    """The reviewer HTML of an executed notebook ``nb`` (a NotebookNode; ``None`` when the
    notebook never ran, e.g. the kernel did not start, then ``error`` says why).

    ``parameters`` are shown escaped in the header; ``error`` (a :class:`ReportFailed`, or
    its mapping) overrides the error found in the notebook. ``embed_font`` embeds the subset of
    the CJK font the page uses (:func:`embed_cjk_font`). ``workbook``: the name of the
    report's workbook of tables to link (default :func:`default_workbook_name`: the
    notebook's name with ``.xlsx`` when it shows tables; ``""`` for no link).
    """
    import nbformat

    if nb is None:
        nb = nbformat.v4.new_notebook()
    if workbook is None:
        workbook = default_workbook_name(nb)
    nb, toc, found, summary = prepare_page(nb)
    failure = ReportFailed.of(error) or found
    shown_error = None
    if failure is not None:
        status = "failed"
        shown_error = {**asdict(failure),
                       "where": t("run_failed_at", lang, cell=failure.cell) if failure.cell else ""}
    line = [
        (t("period", lang), period),
        (t("run_data_fingerprint", lang), fingerprint or "—"),
        (t("run_status", lang), t(f"run_status_{status}", lang)),
    ]
    meta = [
        (t("run_run_time", lang), run_time),
        (t("run_commit", lang), commit or "—"),
        (t("run_data", lang), data_path),
    ]
    params = parameter_rows(parameters, lang)
    resources = {
        "lean": {
            "title": title,
            "period": period,
            "html_lang": HTML_LANG.get(lang, lang),
            "css": css(),
            "status": status,
            "line": line,
            "meta": meta,
            "parameters": params,
            "summary": summary,
            "workbook": workbook or "",
            "toc": toc,
            "error": shown_error,
            "labels": {
                "parameters": t("run_parameters_of", lang, n=len(params)),
                "summary": t("run_summary", lang),
                "workbook": t("run_workbook", lang),
                "contents": t("run_contents", lang),
                "failed": t("run_failed_title", lang),
                "details": t("run_error_details", lang),
            },
            "footer": f"lean-analysis · {title} · {period} · {run_time}",
        },
        "metadata": {"name": title},
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return embed_cjk_font(body) if embed_font else body

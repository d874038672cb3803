"""``<report>.xlsx``: every table a report shows, in full, one sheet per table.

``show.table`` puts the first rows of a table on the page and the whole table in the same
display output (mime type :data:`lean_analysis.report.html.TABLE_MIME`), so a notebook needs
no extra call: after the notebook has run, :func:`write_workbook` reads those outputs from
the executed notebook and writes the workbook beside it (openpyxl). The reviewer HTML links
it (``render_report``'s header) whenever the notebook shows a table.

Sheets are named after the table's caption, else the heading the table stands under
(``show.heading``), shortened to Excel's 31 characters and made unique; a first sheet lists
them (sheet, heading, rows).
"""

from __future__ import annotations

import html as _html
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lean_analysis.report.html import TABLE_MIME, _text
from lean_analysis.report.texts import t

_HEADING = re.compile(r"<h([1-4])[^>]*>(.*?)</h\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def tables_of(nb) -> Iterator[tuple[str, dict[str, Any]]]:
    """(heading the table stands under, payload) for every ``show.table`` output of the
    executed notebook ``nb``, in page order (hidden cells included: what the runner shows
    is decided by the page, the workbook keeps every table the notebook displayed through
    ``show.table``, except cells tagged ``remove_cell``/``hide``)."""
    from lean_analysis.report.html import HIDDEN_TAGS

    heading = ""
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        if set(cell.get("metadata", {}).get("tags", [])) & HIDDEN_TAGS:
            continue
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            markup = _text(data.get("text/html", ""))
            if TABLE_MIME in data:
                yield heading, data[TABLE_MIME]
            if "data-la-summary" in markup:
                continue
            for m in _HEADING.finditer(markup):
                heading = " ".join(_html.unescape(_TAG.sub("", m.group(2))).split())


def _sheet_name(title: str, n: int, used: set[str], lang: str) -> str:
    base = _BAD_SHEET.sub(" ", title).strip().strip("'")
    prefix = f"{n} " if base else ""
    base = base or t("show_table_sheet", lang, n=n)
    name = (prefix + base)[:31]
    k = 2
    while name.lower() in used:
        name = f"{prefix}{base}"[:28] + f"~{k}"
        k += 1
    used.add(name.lower())
    return name


def write_workbook(nb, path: str | os.PathLike, lang: str = "zh") -> Path | None:
    """Write the workbook of the executed notebook ``nb`` (a NotebookNode, or the path of an
    ``.ipynb``) to ``path`` atomically; returns the path, or None (nothing written, a stale
    file removed) when the notebook shows no table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    if isinstance(nb, str | os.PathLike):
        import nbformat

        nb = nbformat.read(str(nb), as_version=4)
    path = Path(path)
    found = list(tables_of(nb))
    if not found:
        path.unlink(missing_ok=True)
        return None
    wb = Workbook()
    contents = wb.active
    contents.title = t("run_contents", lang)[:31]
    contents.append(["工作表", "标题", "行数"] if lang == "zh" else ["sheet", "heading", "rows"])
    for c in contents[1]:
        c.font = Font(bold=True)
    used = {contents.title.lower()}
    bold = Font(bold=True)
    for n, (heading, table) in enumerate(found, 1):
        title = table.get("caption") or heading
        name = _sheet_name(title, n, used, lang)
        ws = wb.create_sheet(name)
        columns = table.get("columns", [])
        formats = table.get("formats") or [None] * len(columns)
        ws.append(columns)
        for c in ws[1]:
            c.font = bold
            c.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.get("rows", []):
            ws.append(row)
        for j, fmt in enumerate(formats, 1):
            width = max([len(str(columns[j - 1])) * 2] + [len(str(r[j - 1])) for r in
                                                           table.get("rows", [])[:200]
                                                           if j - 1 < len(r)]) + 2
            ws.column_dimensions[get_column_letter(j)].width = min(max(width, 8), 50)
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = fmt
        ws.freeze_panes = "A2"
        contents.append([name, title, table.get("total", len(table.get("rows", [])))])
    contents.column_dimensions["A"].width = 34
    contents.column_dimensions["B"].width = 50
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".xlsx")
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def write_report_workbook(folder: str | os.PathLike, report: str, lang: str = "zh") -> str | None:
    """The runner's call: ``<folder>/<report>.xlsx`` from ``<folder>/<report>.ipynb``;
    returns the file's name (for the manifest's outputs) or None when the report has no
    notebook or shows no table."""
    folder = Path(folder)
    ipynb = folder / f"{report}.ipynb"
    if not ipynb.exists():  # the notebook never ran: no tables, and no stale workbook
        (folder / f"{report}.xlsx").unlink(missing_ok=True)
        return None
    done = write_workbook(ipynb, folder / f"{report}.xlsx", lang)
    return done.name if done else None

"""Executing one report: its notebook with papermill in a kernel of this environment, then
its reviewer HTML, its log (``logs/<report>.log``: each cell's streams and errors) and its
:class:`~lean_analysis.runner.results.ReportResult`.

A failing report does not raise: papermill's ``PapermillExecutionError`` (or a kernel that
did not start) becomes a :class:`~lean_analysis.report.failure.ReportFailed`
(:func:`failure_of`), which the HTML shows at the top of the page and the manifest keeps.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from pathlib import Path
from typing import Any

from lean_analysis.params import DataInfo, ReportSpec, rel
from lean_analysis.report.failure import ReportFailed, code_cell_number, strip_ansi
from lean_analysis.runner.kernel import KERNEL_NAME, kernel_manager_class
from lean_analysis.runner.plan import report_title
from lean_analysis.runner.provenance import now, shown_parameters
from lean_analysis.runner.publish import write_text
from lean_analysis.runner.results import ReportResult

log = logging.getLogger("lean_analysis.runner")


def execute_notebook(input_path: Path, output_path: Path, parameters: dict[str, Any],
                     cwd: Path, progress: dict | bool, kernel_log: Path | None = None) -> Any:
    """Run one notebook with papermill in a kernel of this environment (the one place a
    kernel starts; tests replace it to prove that bad parameters start none)."""
    import papermill as pm

    return pm.execute_notebook(
        str(input_path), str(output_path), parameters=parameters,
        kernel_name=KERNEL_NAME, language="python", cwd=str(cwd),
        progress_bar=progress, log_output=False, request_save_on_cell_execute=False,
        start_timeout=180, kernel_manager_class=kernel_manager_class(kernel_log),
        # every output has arrived when the last cell ends: stop the kernel at once rather
        # than wait for its graceful exit
        shutdown_kernel="immediate",
    )


def run_report(spec: ReportSpec, params: dict[str, Any], staging: Path, *, lang: str,
               period: str, data: DataInfo, fingerprint: str, commit: str,
               progress: dict | bool = False) -> ReportResult:
    """Execute one report into ``staging`` and render its HTML; never raises for a failing
    notebook (the result says failed, the HTML shows the error)."""
    import nbformat

    from lean_analysis.report.html import render_report

    title = report_title(spec, lang)
    started = now()
    ipynb, html_path = staging / f"{spec.name}.ipynb", staging / f"{spec.name}.html"
    for stale in (ipynb, html_path, staging / f"{spec.name}.metrics.json"):
        stale.unlink(missing_ok=True)
    shown = shown_parameters(params, data.display_path)
    res = ReportResult(spec.name, title, rel(spec.notebook), "ok", parameters=shown,
                       started=started.isoformat())
    log.info("report %s: start (%s)", spec.name, rel(spec.notebook))
    t0 = time.perf_counter()
    nb = None
    try:
        nb = execute_notebook(spec.notebook, ipynb, params, spec.notebook.parent, progress,
                              kernel_log=staging / "logs" / f"{spec.name}.kernel.log")
    except Exception as e:  # a failing cell, or a kernel that did not start or died
        res.status = "failed"
        if ipynb.exists():
            nb = nbformat.read(ipynb, as_version=4)
        res.error = failure_of(e, nb)
        log.error("report %s: failed: %s", spec.name, res.error.message)
    t1 = time.perf_counter()
    klog = staging / "logs" / f"{spec.name}.kernel.log"
    if klog.exists() and klog.stat().st_size == 0:
        klog.unlink()
    if nb is not None:
        res.timings.update(_timings_from_nb(nb))
    try:
        body = render_report(
            nb, title=title, period=period, lang=lang, parameters=shown,
            data_path=data.display_path, fingerprint=fingerprint,
            run_time=started.isoformat(sep=" "), commit=commit, status=res.status, error=res.error,
        )
    except Exception as e:  # the HTML must exist even when rendering fails
        log.exception("report %s: rendering failed", spec.name)
        res.status = "failed"
        res.error = res.error or ReportFailed.from_exception(e, f"rendering failed: {e}")
        body = _fallback_html(title, period, res.error)
    html_path.write_text(body, encoding="utf-8")
    t2 = time.perf_counter()
    res.timings.update({"execute_s": round(t1 - t0, 3), "render_s": round(t2 - t1, 3),
                        "total_s": round(t2 - t0, 3)})
    res.outputs = {"html": html_path.name}
    if ipynb.exists():
        res.outputs["ipynb"] = ipynb.name
    if (staging / f"{spec.name}.metrics.json").exists():
        res.outputs["metrics"] = f"{spec.name}.metrics.json"
    elif res.status == "ok":
        res.note = "no metrics.json written"
    if res.error:
        res.note = res.error.message[:300]
    head = [f"report {spec.name} ({rel(spec.notebook)})", f"status {res.status}",
            f"timings {json.dumps(res.timings)}",
            f"parameters {json.dumps(shown, ensure_ascii=False, default=str)}"]
    write_text(staging / "logs" / f"{spec.name}.log",
                "\n".join(head) + "\n" + (_cell_log(nb) if nb is not None else res.note + "\n"))
    log.info("report %s: %s in %.1f s", spec.name, res.status, res.timings["total_s"])
    return res


def failure_of(exc: BaseException, nb) -> ReportFailed:
    """Why the report failed, from what :func:`execute_notebook` raised and the executed
    notebook ``nb`` (``None`` when papermill wrote none).

    A failing cell (``PapermillExecutionError``: ``cell_index``, ``ename``, ``evalue``,
    ``traceback``) gives its error and its position among the code cells of the source
    notebook; anything else (a kernel that did not start or died, an error papermill found
    in a cell tagged ``raises-exception``, a cell that failed without an error output) gives
    the exception's type and message, with no cell.
    """
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import ERROR_MARKER_TAG

    if isinstance(exc, PapermillExecutionError) and nb is not None:
        # cell_index counts the cells before papermill added its two error-marker cells
        cells = [c for c in nb.cells if ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])]
        if _cell_error(exc, cells):
            return ReportFailed.from_output(exc.ename, exc.evalue, exc.traceback or [],
                                            code_cell_number(cells, exc.cell_index))
    return ReportFailed.from_exception(exc)


def _cell_error(exc, cells) -> bool:
    """Whether ``exc`` is the error output of a code cell whose errors are not expected."""
    index = exc.cell_index
    if not isinstance(index, int) or not 0 <= index < len(cells):
        return False
    cell = cells[index]
    if cell.get("cell_type") != "code":
        return False
    if "raises-exception" in cell.get("metadata", {}).get("tags", []):
        return False
    return not (exc.ename == "CellExecutionError" and not exc.traceback)


def _iso(ts: str | None) -> dt.datetime | None:
    if not ts:
        return None
    try:
        return dt.datetime.fromisoformat(ts)
    except ValueError:
        return None


def _timings_from_nb(nb) -> dict[str, float]:
    """Kernel start (notebook start → first cell start) and cell execution, from the
    timestamps papermill writes in the notebook's metadata."""
    pm = nb.metadata.get("papermill", {})
    start = _iso(pm.get("start_time"))
    cells = [c.metadata.get("papermill", {}) for c in nb.cells if c.cell_type == "code"]
    firsts = [_iso(c.get("start_time")) for c in cells if c.get("start_time")]
    ends = [_iso(c.get("end_time")) for c in cells if c.get("end_time")]
    out: dict[str, float] = {}
    if start and firsts:
        out["kernel_start_s"] = round((min(firsts) - start).total_seconds(), 3)
    if firsts and ends:
        out["cells_s"] = round((max(ends) - min(firsts)).total_seconds(), 3)
    return out


def _fallback_html(title: str, period: str, error: ReportFailed) -> str:
    """A minimal page when the reviewer HTML itself could not be rendered."""
    import html

    e = html.escape
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        f"{e(title)} · {e(period)}</title></head><body>"
        f"<h1>{e(title)} · {e(period)}</h1>"
        "<p><strong>报告生成失败 / the report could not be produced</strong></p>"
        f"<p>{e(str(error.ename))}: {e(str(error.evalue))}</p>"
        f"<pre>{e(str(error.traceback or ''))}</pre></body></html>\n"
    )


def _cell_log(nb) -> str:
    lines = []
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        label = "injected parameters" if "injected-parameters" in tags else f"code cell {n + 1}"
        if "injected-parameters" not in tags:
            n += 1
        pm = cell.get("metadata", {}).get("papermill", {})
        dur = pm.get("duration")
        lines.append(f"--- {label}" + (f" ({dur:.2f} s)" if isinstance(dur, int | float) else ""))
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                text = out.get("text", "")
                text = text if isinstance(text, str) else "".join(text)
                lines.append(f"[{out.get('name')}] " + text.rstrip("\n"))
            elif kind == "error":
                lines.append("[error] " + strip_ansi("\n".join(out.get("traceback", []))))
    return "\n".join(lines) + "\n"

"""Executing one report: its notebook with papermill in a kernel of this environment, then
its reviewer HTML, its log (``logs/<report>.log``: each cell's streams and errors) and its
:class:`~lean_analysis.runner.results.ReportResult`.

A failing report does not raise: papermill's ``PapermillExecutionError`` (or a kernel that
did not start) becomes a :class:`~lean_analysis.report.failure.ReportFailed`
(:func:`failure_of`), which the HTML shows at the top of the page and the manifest keeps.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import logging
import time
from pathlib import Path
from typing import Any

from lean_analysis.params import DataInfo, ReportSpec, rel
from lean_analysis.redact import mask_secrets, mask_secrets_in
from lean_analysis.report.failure import ReportFailed, code_cell_number, strip_ansi
from lean_analysis.runner.kernel import KERNEL_NAME, kernel_manager_class, kernelspec_metadata
from lean_analysis.runner.plan import report_title
from lean_analysis.runner.provenance import now, shown_data_path, shown_parameters
from lean_analysis.runner.publish import write_text
from lean_analysis.runner.results import ReportResult

# errors of writing, not of the report: the run stops (exit 3) and publishes nothing
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def write_error(exc: BaseException) -> OSError | None:
    """The OSError of writing (:data:`WRITE_ERRNOS`) behind ``exc`` (itself, its cause or
    context), or ``None``."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None

log = logging.getLogger("lean_analysis.runner")


def start_kernel(notebook: Path, cwd: Path, kernel_log: Path | None = None):
    """Start the kernel that will run ``notebook`` (the one place a kernel starts; tests
    replace it to prove that bad parameters start none) and return its manager.

    The kernel runs in ``cwd`` and imports, as it starts, the modules the notebook imports
    (:mod:`lean_analysis.runner.preload`). This returns once the kernel's process is
    launched; the kernel boots and imports in the background, and :func:`execute_notebook`
    waits for it to be ready. The batch starts the next report's kernel this way while
    the current report runs."""
    from jupyter_core.utils import run_sync

    from lean_analysis.runner.preload import notebook_modules, startup_code

    km = kernel_manager_class(kernel_log)(kernel_name=KERNEL_NAME)
    code = startup_code(notebook_modules(notebook))
    run_sync(km.start_kernel)(cwd=str(cwd), extra_arguments=[
        "--HistoryManager.hist_file=:memory:",  # as nbclient's own kernels
        f"--IPKernelApp.exec_lines={json.dumps([code])}",
    ])
    return km


def kernel_log_path(staging: Path, spec: ReportSpec) -> Path:
    """Where the kernel of report ``spec`` writes its own stdout and stderr."""
    return staging / "logs" / f"{spec.name}.kernel.log"


def stop_kernel(km) -> None:
    """Stop a kernel of :func:`start_kernel` at once, if it still runs (idempotent)."""
    from jupyter_core.utils import run_sync

    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # already gone
        log.debug("kernel already stopped", exc_info=True)


def execute_notebook(input_path: Path, output_path: Path, parameters: dict[str, Any],
                     cwd: Path, progress: dict | bool, kernel_log: Path | None = None,
                     km=None) -> Any:
    """Run one notebook with papermill in ``km``, a kernel of :func:`start_kernel` (one is
    started when none is given), and stop that kernel when the notebook ends."""
    import papermill as pm

    if km is None:
        km = start_kernel(input_path, cwd, kernel_log)
    try:
        return pm.execute_notebook(
            str(input_path), str(output_path), parameters=parameters,
            kernel_name=KERNEL_NAME, language="python", cwd=str(cwd),
            progress_bar=progress, log_output=False, request_save_on_cell_execute=False,
            start_timeout=180, engine_name=_register_engine(), km=km,
        )
    finally:
        stop_kernel(km)


_ENGINE = "lean_analysis"


def _register_engine() -> str:
    """papermill's nbclient engine, for a kernel started before the run: the client stops
    that kernel (at once: every output has arrived when the last cell ends) and its
    channels when the notebook ends, as it does with a kernel of its own."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class StartedKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            from papermill.engines import logger

            kwargs.pop("input_path", None)
            for k in ("timeout", "startup_timeout"):
                kwargs.pop(k, None)
            client = PapermillNotebookClient(
                nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file,
                shutdown_kernel="immediate", **kwargs)
            return client.execute(cleanup_kc=True)

    papermill_engines.register(_ENGINE, StartedKernelEngine)
    return _ENGINE


def run_report(spec: ReportSpec, params: dict[str, Any], staging: Path, *, lang: str,
               period: str, data: DataInfo, fingerprint: str, commit: str,
               progress: dict | bool = False, km=None) -> ReportResult:
    """Execute one report into ``staging`` and render its HTML; never raises for a failing
    notebook (the result says failed, the HTML shows the error). ``km``: its kernel,
    started before (:func:`start_kernel` with :func:`kernel_log_path`), or ``None``."""
    import nbformat

    from lean_analysis.report.html import render_report

    title = report_title(spec, lang)
    started = now()
    ipynb, html_path = staging / f"{spec.name}.ipynb", staging / f"{spec.name}.html"
    for stale in (ipynb, html_path, staging / f"{spec.name}.metrics.json"):
        stale.unlink(missing_ok=True)
    data_shown = shown_data_path(data)
    shown = shown_parameters(params, data_shown)
    res = ReportResult(spec.name, title, rel(spec.notebook), "ok", parameters=shown,
                       started=started.isoformat())
    log.info("report %s: start (%s)", spec.name, rel(spec.notebook))
    t0 = time.perf_counter()
    nb = None
    try:
        nb = execute_notebook(spec.notebook, ipynb, params, spec.notebook.parent, progress,
                              kernel_log=kernel_log_path(staging, spec), km=km)
    except Exception as e:  # a failing cell, or a kernel that did not start or died
        cannot = write_error(e)
        if cannot is not None:  # the disk, not the report: the run stops
            raise cannot from (None if cannot is e else e)
        res.status = "failed"
        nb = _read_notebook(ipynb)
        res.error = _masked_failure(failure_of(e, nb))
        log.error("report %s: failed: %s", spec.name, res.error.message)
    t1 = time.perf_counter()
    klog = kernel_log_path(staging, spec)
    if klog.exists():
        if klog.stat().st_size == 0:
            klog.unlink()
        else:
            write_text(klog, mask_secrets(klog.read_text(encoding="utf-8", errors="replace")))
    if nb is not None:
        res.timings.update(_timings_from_nb(nb))
        # the kernel had the real values; what is written shows them masked
        mask_notebook(nb)
        nb.metadata["kernelspec"] = kernelspec_metadata()
        write_text(ipynb, nbformat.writes(nb))
    else:
        ipynb.unlink(missing_ok=True)  # unreadable (cut short): nothing to show or rerun
    try:
        body = render_report(
            nb, title=title, period=period, lang=lang, parameters=shown,
            data_path=data_shown, fingerprint=fingerprint,
            run_time=started.isoformat(sep=" "), commit=commit, status=res.status, error=res.error,
        )
    except Exception as e:  # the HTML must exist even when rendering fails
        log.exception("report %s: rendering failed", spec.name)
        res.status = "failed"
        res.error = res.error or ReportFailed.from_exception(e, f"rendering failed: {e}")
        body = _fallback_html(title, period, res.error)
    write_text(html_path, body)
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
    write_text(staging / "logs" / f"{spec.name}.log", mask_secrets(
        "\n".join(head) + "\n" + (_cell_log(nb) if nb is not None else res.note + "\n")))
    log.info("report %s: %s in %.1f s", spec.name, res.status, res.timings["total_s"])
    return res


def _read_notebook(path: Path):
    """The executed notebook papermill wrote, or ``None`` when there is none or it cannot be
    read (cut short by a full disk or a killed kernel)."""
    import nbformat

    if not path.exists():
        return None
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - NotJSONError, a truncated file, a bad encoding
        log.warning("could not read %s", rel(path))
        return None


def _masked_failure(error: ReportFailed) -> ReportFailed:
    return dataclasses.replace(error, ename=mask_secrets(error.ename),
                               evalue=mask_secrets(error.evalue),
                               traceback=mask_secrets(error.traceback or ""))


def mask_notebook(nb) -> None:
    """Mask the secrets (:func:`~lean_analysis.redact.mask_secrets`) of an executed notebook
    in place: the injected parameters cell, papermill's metadata (parameters, paths), and the
    text the cells printed (streams, errors, plain-text results). Images and HTML outputs are
    left as they are."""
    pm = nb.metadata.get("papermill")
    if pm is not None:
        nb.metadata["papermill"] = mask_secrets_in(dict(pm))
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = mask_secrets(cell.source)
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                text = out.get("text", "")
                out["text"] = mask_secrets(text if isinstance(text, str) else "".join(text))
            elif kind == "error":
                out["ename"] = mask_secrets(out.get("ename", ""))
                out["evalue"] = mask_secrets(out.get("evalue", ""))
                out["traceback"] = [mask_secrets(x) for x in out.get("traceback", [])]
            elif kind in ("execute_result", "display_data") and "text/plain" in out.get("data", {}):
                text = out["data"]["text/plain"]
                out["data"]["text/plain"] = mask_secrets(text if isinstance(text, str) else "".join(text))


def point_at(path: Path, staging: Path, folder: Path) -> None:
    """Make the executed notebook ``path`` re-runnable where it is published: its injected
    ``output_dir`` (the cell and ``metadata.papermill``) names ``folder`` instead of the
    staging folder it ran in."""
    import nbformat

    nb = _read_notebook(path)
    if nb is None:
        return
    old, new = str(staging), str(folder)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = cell.source.replace(old, new)
    pm = nb.metadata.get("papermill", {})
    params = pm.get("parameters", {})
    if isinstance(params.get("output_dir"), str):
        params["output_dir"] = params["output_dir"].replace(old, new)
    if isinstance(pm.get("output_path"), str):
        pm["output_path"] = pm["output_path"].replace(old, new)
    write_text(path, nbformat.writes(nb))


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

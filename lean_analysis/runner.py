"""The monthly run: ``lean-analysis run`` and ``lean-analysis list``.

``run_batch`` reads the batch file (``params/monthly.yaml``), checks everything it can
before any kernel starts (the batch, each notebook's parameters cell, each params file's
keys and types, the data's tables and the period's order weeks: a problem ends the run with
a message naming the file and key), then executes each report with papermill in a kernel of
*this* Python environment, renders its reviewer HTML, and writes the period's index and
manifest.

Outputs of a period (``outputs/<period>/``)::

    <report>.ipynb          the executed notebook
    <report>.html           the reviewer HTML (report/html.py)
    <report>.metrics.json   the report's key figures, written by the notebook itself
    index.html              the reports with their status and the scorecard headline
    manifest.json           statuses, durations, parameters, data fingerprint, commit, versions
    logs/run.log            the runner's log; logs/<report>.log: each cell's streams and errors

and ``outputs/index.html`` lists the periods.

Publishing. A run is built in a staging folder ``outputs/.staging-<period>-<random>/`` and
moved into place only when it has finished, so a reader never sees a half-written period:

* every report ok (or skipped): the staging folder replaces ``outputs/<period>/`` (the old
  folder is renamed aside, the new one renamed in, the old one deleted);
* a report failed and ``outputs/<period>/`` holds a good run (its manifest says ok): the
  good run stays untouched and the failed run is kept as
  ``outputs/<period>.failed-<YYYYmmddTHHMMSS>/`` (listed under "failed runs" in
  ``outputs/index.html``);
* a report failed and there is no good run of that period: the failed run is published as
  ``outputs/<period>/`` (its index shows which report failed; the others are readable).

``--only NAME`` reruns some reports of a period: the staging folder starts as a copy of the
published period, so the other reports (and their metrics, which the overview reads) are
kept. A report with ``months:`` runs only in those months, unless named with ``--only``.

The executed notebooks carry the staging folder as their ``output_dir`` parameter; the
manifest and HTML headers leave that path out. Run time and commit go in the manifest and
the HTML, never in ``metrics.json``: the same data and parameters give the same bytes.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from lean_analysis import config
from lean_analysis.params import (
    COMMON_PARAMETERS,
    Batch,
    DataInfo,
    ParamError,
    ReportSpec,
    check_period,
    check_report,
    check_tables,
    inspect_data,
    load_batch,
    mask_secrets,
    notebook_parameters,
    rel,
)
from lean_analysis.report.texts import t

log = logging.getLogger("lean_analysis.runner")

KERNEL_NAME = "lean-analysis-python"
STATUSES = ("ok", "failed", "skipped")
VERSIONED = ("lean-analysis", "pandas", "numpy", "duckdb", "pyarrow", "statsforecast",
             "statsmodels", "scipy", "pyfixest", "pysyncon", "pingouin", "matplotlib", "seaborn",
             "papermill", "nbconvert", "nbclient", "ipykernel", "jupyter_client")
_PERIOD_DIR = re.compile(r"^\d{4}-\d{2}$")
_FAILED_DIR = re.compile(r"^(\d{4}-\d{2})\.failed-(\d{8}T\d{6})(-\d+)?$")
EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


# --------------------------------------------------------------------------- kernel
def kernel_manager_class(kernel_log: Path | None = None):
    """A jupyter_client kernel manager whose every kernel is ``sys.executable -m
    ipykernel_launcher``: the current environment's Python, whatever kernelspecs the machine
    has installed (a user's ``python3`` kernelspec may point at another Python). Kernels talk
    over Unix sockets on POSIX systems. The kernel process's own stdout/stderr (start-up and
    shutdown messages, not the cells' outputs) go to ``kernel_log`` when given."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class _HereSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                name=kernel_name, display_name=f"Python ({sys.prefix})", language="python",
                resource_dir=str(Path(sys.executable).parent), metadata={},
            )

        def find_kernel_specs(self) -> dict[str, str]:
            return {KERNEL_NAME: str(Path(sys.executable).parent)}

    class HereKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return _HereSpecs(data_dir=self.data_dir)

        @default("transport")
        def _transport_default(self):
            # Unix sockets: no TCP port is opened (and no "running over TCP without
            # encryption" warning); Windows has no IPC transport.
            return "ipc" if os.name == "posix" else "tcp"

        @default("ip")
        def _ip_default(self):
            if self.transport != "ipc":
                return super()._ip_default()
            # one socket prefix per kernel in the user's private runtime folder: the stock
            # default ("kernel-ipc" in the working folder) collides when kernels start at once
            from jupyter_core.paths import jupyter_runtime_dir

            folder = Path(jupyter_runtime_dir())
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            return str(folder / f"lean-{uuid.uuid4().hex[:16]}-ipc")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if kernel_log is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            kernel_log.parent.mkdir(parents=True, exist_ok=True)
            with open(kernel_log, "ab") as f:  # the child keeps its own copy of the handle
                kw.setdefault("stdout", f)
                kw.setdefault("stderr", f)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return HereKernelManager


# --------------------------------------------------------------------------- results
@dataclass
class ReportResult:
    name: str
    title: str
    notebook: str
    status: str  # ok | failed | skipped
    note: str = ""
    error: dict[str, Any] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    started: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    carried_over: bool = False


@dataclass
class RunResult:
    period: str
    status: str  # ok | failed
    exit_code: int
    folder: Path  # where the run was written: outputs/<period> or outputs/<period>.failed-…
    published: bool  # True when folder is outputs/<period>
    reports: list[ReportResult]
    manifest: dict[str, Any]

    @property
    def index(self) -> Path:
        return self.folder / "index.html"

    def report(self, name: str) -> ReportResult:
        return next(r for r in self.reports if r.name == name)


# --------------------------------------------------------------------------- helpers
def _now() -> dt.datetime:
    return dt.datetime.now().astimezone().replace(microsecond=0)


def git_commit(root: Path | None = None) -> str:
    """``git rev-parse --short=12 HEAD`` (+ ``-dirty`` with uncommitted changes), or ""."""
    root = root or config.PROJECT_ROOT
    try:
        rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                             capture_output=True, text=True, timeout=20)
        if rev.returncode != 0:
            return ""
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return ""
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def package_versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in VERSIONED:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pass
    return out


def report_title(spec: ReportSpec, lang: str) -> str:
    if spec.title and spec.title.get(lang):
        return spec.title[lang]
    from lean_analysis.report.texts import keys

    key = f"run_title_{spec.name}"
    return t(key, lang) if key in keys() else spec.name


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once, at import: setting it is not thread-safe


def _umask() -> int:
    return _UMASK


def _open_permissions(folder: Path) -> None:
    """Give the run's files the usual permissions (temporary files and folders are created
    private; reviewers, or a web server, must be able to read the published ones)."""
    mask = _umask()
    os.chmod(folder, 0o777 & ~mask)
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o777 & ~mask)
        for f in files:
            os.chmod(os.path.join(root, f), 0o666 & ~mask)


def _write_text(path: Path, text: str) -> None:
    """Write ``path`` atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


def _shown_parameters(params: dict[str, Any], data_display: str) -> dict[str, Any]:
    """The parameters as shown to readers: no staging path, the data path masked/relative."""
    shown = {k: v for k, v in params.items() if k != "output_dir"}
    if "data_dir" in shown:
        shown["data_dir"] = data_display
    return shown


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


def _fallback_html(title: str, period: str, error: dict[str, Any]) -> str:
    """A minimal page when the reviewer HTML itself could not be rendered."""
    import html

    e = html.escape
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        f"{e(title)} · {e(period)}</title></head><body>"
        f"<h1>{e(title)} · {e(period)}</h1>"
        "<p><strong>报告生成失败 / the report could not be produced</strong></p>"
        f"<p>{e(str(error.get('ename')))}: {e(str(error.get('evalue')))}</p>"
        f"<pre>{e(str(error.get('traceback') or ''))}</pre></body></html>\n"
    )


def _cell_log(nb) -> str:
    from lean_analysis.report.html import strip_ansi

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


# --------------------------------------------------------------------------- one report
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

    from lean_analysis.report.html import notebook_error, render_report

    title = report_title(spec, lang)
    started = _now()
    ipynb, html_path = staging / f"{spec.name}.ipynb", staging / f"{spec.name}.html"
    for stale in (ipynb, html_path, staging / f"{spec.name}.metrics.json"):
        stale.unlink(missing_ok=True)
    shown = _shown_parameters(params, data.display_path)
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
        found = notebook_error(nb) if nb is not None else None
        res.error = found or {"ename": type(e).__name__, "evalue": str(e), "traceback": "",
                              "cell": None}
        log.error("report %s: failed: %s: %s", spec.name, res.error["ename"], res.error["evalue"])
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
        res.error = res.error or {"ename": type(e).__name__, "evalue": f"rendering failed: {e}",
                                  "traceback": "", "cell": None}
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
        res.note = f"{res.error['ename']}: {res.error['evalue']}"[:300]
    head = [f"report {spec.name} ({rel(spec.notebook)})", f"status {res.status}",
            f"timings {json.dumps(res.timings)}",
            f"parameters {json.dumps(shown, ensure_ascii=False, default=str)}"]
    _write_text(staging / "logs" / f"{spec.name}.log",
                "\n".join(head) + "\n" + (_cell_log(nb) if nb is not None else res.note + "\n"))
    log.info("report %s: %s in %.1f s", spec.name, res.status, res.timings["total_s"])
    return res


# --------------------------------------------------------------------------- the batch
@dataclass
class _Plan:
    batch: Batch
    period: str
    lang: str
    data: DataInfo
    run: list[tuple[ReportSpec, dict[str, Any]]]  # reports to execute, with their parameters
    skipped: list[tuple[ReportSpec, str]]  # (report, note)
    kept: list[ReportSpec]  # --only: reports not selected, their previous outputs kept
    notes: list[str] = field(default_factory=list)  # for the run log


def plan_batch(batch_path: str | Path | None, period: str, data: str | Path | None = None,
               only: list[str] | None = None, lang: str | None = None) -> _Plan:
    """Every check that needs no kernel. Raises :class:`ParamError` naming file and key."""
    from lean_analysis.calendar import parse_period
    from lean_analysis.data.schemas import REQUIRED_TABLES

    try:
        p = parse_period(period)
    except ValueError as e:
        raise ParamError(None, "--period", str(e)) from None
    period_s = str(p)
    batch = load_batch(batch_path)
    if only:
        for name in only:
            batch.get(name)  # unknown names fail here
    if lang is not None and lang not in ("zh", "en"):
        raise ParamError(None, "--lang", f"must be zh or en, not {lang!r}")
    lang = lang or batch.defaults.get("lang", "zh")
    info = inspect_data(data if data is not None else config.data_dir(), "--data")
    check_tables(info, REQUIRED_TABLES, info.display_path, "tables")
    check_period(info, period_s)
    run, skipped, kept, notes = [], [], [], []
    for spec in batch.reports:
        if only and spec.name not in only:
            kept.append(spec)
            continue
        if not only and not spec.runs_in(p.month):
            skipped.append((spec, t("run_skipped_months", lang,
                                    months=", ".join(map(str, spec.months or [])))))
            continue
        declared, values = check_report(spec, batch.path)
        check_tables(info, spec.tables, rel(batch.path), f"{spec.name}.tables")
        params = {k: v for k, v in values.items() if k not in COMMON_PARAMETERS}
        params.update(period=period_s, data_dir=str(info.path), lang=lang)
        for k in values:
            if k in COMMON_PARAMETERS and k != "output_dir" and values[k] != params[k]:
                notes.append(f"report {spec.name}: {k}={values[k]!r} of "
                             f"{rel(spec.params_file)} is set by the runner to {params[k]!r}")
        run.append((spec, params))
    return _Plan(batch, period_s, lang, info, run, skipped, kept, notes)


def run_batch(batch_path: str | Path | None = None, period: str = "last-month",
              data: str | Path | None = None, only: list[str] | None = None,
              lang: str | None = None, jobs: int | None = None,
              outputs: str | Path | None = None, progress: bool | None = None) -> RunResult:
    """Run the batch for ``period`` and publish it (see the module's docstring).

    ``jobs``: reports executed at once (default 1); reports marked ``runs_last`` always run
    after the others. ``progress``: show progress bars (default: when stderr is a terminal).
    Raises :class:`ParamError` before any kernel starts when a check fails.
    """
    plan = plan_batch(batch_path, period, data, only, lang)
    if jobs is not None and jobs < 1:
        raise ParamError(None, "--jobs", f"must be 1 or more, not {jobs}")
    out_root = Path(outputs) if outputs else config.OUTPUTS_DIR
    out_root = out_root.resolve()
    out_root.mkdir(parents=True, exist_ok=True)
    final = out_root / plan.period
    lock = _lock(out_root, plan.period)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{plan.period}-", dir=out_root))
        handler = None
        try:
            if plan.kept and final.is_dir():
                shutil.copytree(final, staging, dirs_exist_ok=True)
            (staging / "logs").mkdir(exist_ok=True)
            handler = _attach_log(staging / "logs" / "run.log")
            for note in plan.notes:
                log.info(note)
            return _run_in(plan, staging, out_root, final, jobs or 1, progress)
        except BaseException:  # interrupted or crashed: the published outputs stay as they were
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            if handler is not None:
                _detach_log(handler)
    finally:
        lock.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name != "posix":
        return True  # cannot tell: assume it runs (remove the lock file by hand)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock(out_root: Path, period: str) -> Path:
    """``outputs/.lock-<period>``: one run of a period at a time. A lock left by a process
    that no longer runs is taken over, and that run's staging folders removed."""
    path = out_root / f".lock-{period}"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(path.read_text(encoding="utf-8").strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if _pid_alive(pid):
                raise ParamError(None, "--period",
                                 f"another run of {period} is in progress (process {pid}; "
                                 f"lock file {rel(path)})") from None
            path.unlink(missing_ok=True)
            for stale in out_root.glob(f".staging-{period}-*"):
                shutil.rmtree(stale, ignore_errors=True)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(str(os.getpid()))
        return path
    raise ParamError(None, "--period", f"cannot take the lock file {rel(path)}")


_LOGGERS = ("lean_analysis.runner", "papermill")


def _attach_log(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    handler.previous_levels = {}  # type: ignore[attr-defined]
    for name in _LOGGERS:
        lg = logging.getLogger(name)
        lg.addHandler(handler)
        handler.previous_levels[name] = lg.level  # type: ignore[attr-defined]
        if lg.level == logging.NOTSET or lg.level > logging.INFO:
            lg.setLevel(logging.INFO)
    return handler


def _detach_log(handler: logging.Handler) -> None:
    for name in _LOGGERS:
        lg = logging.getLogger(name)
        lg.removeHandler(handler)
        lg.setLevel(handler.previous_levels.get(name, lg.level))  # type: ignore[attr-defined]
    handler.close()


def _run_in(plan: _Plan, staging: Path, out_root: Path, final: Path, jobs: int,
            progress: bool | None) -> RunResult:
    from tqdm.auto import tqdm

    started = _now()
    commit = git_commit()
    fingerprint = plan.data.fingerprint
    log.info("run %s: batch %s, data %s (fingerprint %s, order weeks %s .. %s), lang %s, "
             "commit %s", plan.period, rel(plan.batch.path), plan.data.display_path, fingerprint,
             plan.data.first_week, plan.data.last_week, plan.lang, commit or "-")
    show = progress if progress is not None else sys.stderr.isatty()
    bar = tqdm(total=len(plan.run), desc=f"reports {plan.period}", unit="report",
               disable=not show, position=0)
    common = dict(lang=plan.lang, period=plan.period, data=plan.data, fingerprint=fingerprint,
                  commit=commit)

    def one(spec, params, cell_bar):
        params = {**params, "output_dir": str(staging)}
        pb = {"desc": spec.name, "leave": False, "position": 1, "disable": not show} if cell_bar else False
        res = run_report(spec, params, staging, progress=pb, **common)
        bar.update(1)
        bar.set_postfix_str(f"{spec.name}: {res.status}")
        return res

    first = [(s, p) for s, p in plan.run if not s.runs_last]
    last = [(s, p) for s, p in plan.run if s.runs_last]
    results: dict[str, ReportResult] = {}
    if jobs > 1 and len(first) > 1:
        with cf.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(one, s, p, False): s.name for s, p in first}
            for fut in cf.as_completed(futures):
                results[futures[fut]] = fut.result()
    else:
        for s, p in first:
            results[s.name] = one(s, p, True)
    for s, p in last:
        results[s.name] = one(s, p, True)
    bar.close()

    previous = _read_manifest(staging) if plan.kept else None
    ordered: list[ReportResult] = []
    skipped = {s.name: note for s, note in plan.skipped}
    for spec in plan.batch.reports:
        if spec.name in results:
            ordered.append(results[spec.name])
        elif spec.name in skipped:
            ordered.append(ReportResult(spec.name, report_title(spec, plan.lang), rel(spec.notebook),
                                        "skipped", note=skipped[spec.name]))
        else:  # --only: not selected
            ordered.append(_carried(spec, previous, staging, plan.lang))
    run_failed = any(r.status == "failed" for r in results.values())
    status = "failed" if any(r.status == "failed" for r in ordered) else "ok"
    finished = _now()
    manifest = {
        "period": plan.period,
        "status": status,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "duration_s": round((finished - started).total_seconds(), 1),
        "lang": plan.lang,
        "batch": rel(plan.batch.path),
        "only": [s.name for s, _ in plan.run] if plan.kept else None,
        "commit": commit,
        "data": {
            "path": plan.data.display_path,
            "kind": plan.data.kind,
            "fingerprint": fingerprint,
            "tables": plan.data.tables,
            "first_week": str(plan.data.first_week),
            "last_week": str(plan.data.last_week),
        },
        "versions": package_versions(),
        "reports": [asdict(r) for r in ordered],
    }
    _write_text(staging / "manifest.json",
                json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n")
    _write_text(staging / "index.html", _period_index_html(plan, staging, ordered, manifest))
    folder, published = _publish(staging, out_root, final, plan.period, run_failed)
    log.info("run %s: %s, written to %s", plan.period, status, folder)
    try:
        write_periods_index(out_root, plan.lang)
    except OSError as e:  # the period is published; a stale list of periods is not fatal
        log.warning("could not write %s: %s", out_root / "index.html", e)
    return RunResult(plan.period, status, EXIT_FAILED if run_failed else EXIT_OK, folder,
                     published, ordered, manifest)


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _carried(spec: ReportSpec, previous: dict | None, staging: Path, lang: str) -> ReportResult:
    for r in (previous or {}).get("reports", []):
        if r.get("name") == spec.name and r.get("status") in STATUSES:
            fields = {k: r[k] for k in ReportResult.__dataclass_fields__ if k in r}
            res = ReportResult(**{**fields, "carried_over": True})
            if res.outputs.get("html") and not (staging / res.outputs["html"]).exists():
                res.outputs = {}
            return res
    return ReportResult(spec.name, report_title(spec, lang), rel(spec.notebook), "skipped",
                        note=t("run_not_selected", lang), carried_over=True)


def _publish(staging: Path, out_root: Path, final: Path, period: str,
             failed: bool) -> tuple[Path, bool]:
    """Move the finished staging folder into place (see the module's docstring)."""
    _open_permissions(staging)
    old = _read_manifest(final) if final.exists() else None
    previous_good = final.exists() and (old is None or old.get("status") == "ok")
    if failed and previous_good:
        stamp = _now().strftime("%Y%m%dT%H%M%S")
        target = out_root / f"{period}.failed-{stamp}"
        n = 1
        while target.exists():
            target = out_root / f"{period}.failed-{stamp}-{n}"
            n += 1
        staging.rename(target)
        return target, False
    aside = None
    if final.exists():
        aside = Path(tempfile.mkdtemp(prefix=f".old-{period}-", dir=out_root))
        aside.rmdir()
        final.rename(aside)
    staging.rename(final)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    return final, True


# --------------------------------------------------------------------------- index pages
def scorecard_rows(metrics: dict[str, Any] | None, lang: str) -> list[dict[str, Any]]:
    """The scorecard headline: every figure of the scorecard report's metrics that carries a
    ``target``, in the order of their ``order`` field (the targets file's order), else of the file. Label: the figure's ``label_<lang>``/``label``, a
    report text of the same name, or the name. Status: the figure's ``status``, else
    value against target with its ``direction`` (default >=)."""
    from lean_analysis.report.show import format_metric
    from lean_analysis.report.texts import keys
    from lean_analysis.targets import STATUSES as FIG_STATUSES

    rows = []
    known = set(keys())
    figures = ((metrics or {}).get("figures") or {}).items()
    ordered = sorted(figures, key=lambda kv: (not isinstance(kv[1], dict)
                                              or not isinstance(kv[1].get("order"), int),
                                              kv[1].get("order", 0) if isinstance(kv[1], dict) else 0))
    for name, fig in ordered:
        if not isinstance(fig, dict) or "target" not in fig:
            continue
        label = fig.get(f"label_{lang}") or fig.get("label")
        if isinstance(label, dict):
            label = label.get(lang)
        if not label:
            base = name.removeprefix("scorecard_")
            label = t(base, lang) if base in known else base
        value, target, unit = fig.get("value"), fig.get("target"), fig.get("unit")
        status = fig.get("status")
        if status not in FIG_STATUSES:
            status = _compare(value, target, fig.get("direction", ">="))
        rows.append({"label": label, "actual": format_metric(value, unit, lang),
                     "target": format_metric(target, unit, lang), "status": status})
    return rows


def _compare(value: Any, target: Any, direction: str) -> str | None:
    """:func:`lean_analysis.targets.status` of a figure read back from metrics.json (None when
    its target or direction cannot be read)."""
    from lean_analysis import targets

    try:
        return targets.status(value, float(target), direction)
    except (TypeError, ValueError):
        return None


def _period_index_html(plan: _Plan, folder: Path, reports: list[ReportResult],
                       manifest: dict[str, Any]) -> str:
    from lean_analysis.report.html import render_period_index
    from lean_analysis.report.metrics import read_metrics

    lang = plan.lang
    rows = []
    for r in reports:
        dur = r.timings.get("total_s")
        rows.append({"name": r.name, "title": r.title, "status": r.status,
                     "html": r.outputs.get("html"), "duration": f"{dur:.1f}" if dur else "",
                     "note": r.note})
    score_spec = next((s for s in plan.batch.reports if s.scorecard), None)
    scorecard, link, title = [], None, None
    if score_spec is not None:
        scorecard = scorecard_rows(read_metrics(folder, score_spec.name), lang)
        res = next((r for r in reports if r.name == score_spec.name), None)
        if res is not None and res.outputs.get("html"):
            link, title = res.outputs["html"], res.title
    meta = [
        (t("run_status", lang), t(f"run_status_{manifest['status']}", lang)),
        (t("run_run_time", lang), manifest["started"].replace("T", " ")),
        (t("run_commit", lang), manifest["commit"] or "—"),
        (t("run_data", lang), manifest["data"]["path"]),
        (t("run_data_fingerprint", lang), manifest["data"]["fingerprint"]),
        (t("run_batch", lang), manifest["batch"]),
    ]
    return render_period_index(period=plan.period, lang=lang, reports=rows, scorecard=scorecard,
                               meta=meta, scorecard_link=link, scorecard_title=title,
                               footer=f"lean-analysis · {plan.period} · {manifest['finished']}")


def write_periods_index(out_root: Path, lang: str = "zh") -> Path:
    """(Re)write ``outputs/index.html`` from the period folders and failed runs present."""
    from lean_analysis.report.html import render_periods_index

    periods, failed = [], []
    for d in sorted(out_root.iterdir(), reverse=True) if out_root.is_dir() else []:
        if not d.is_dir():
            continue
        m = _read_manifest(d) or {}
        reports = m.get("reports", [])
        ok = sum(1 for r in reports if r.get("status") == "ok")
        counts = f"{ok} / {len(reports)}" if reports else ""
        if _PERIOD_DIR.match(d.name):
            periods.append({"period": d.name, "href": f"{d.name}/index.html",
                            "status": m.get("status", "ok") if m.get("status") in STATUSES else "ok",
                            "counts": counts,
                            "finished": str(m.get("finished", "")).replace("T", " ")})
        elif _FAILED_DIR.match(d.name):
            failed.append({"folder": d.name, "href": f"{d.name}/index.html", "counts": counts})
    path = out_root / "index.html"
    _write_text(path, render_periods_index(lang=lang, periods=periods, failed=failed,
                                           footer="lean-analysis"))
    return path


# --------------------------------------------------------------------------- commands
def cli_run(args) -> int:
    """``lean-analysis run``: exit 0 when every report is ok, 1 when one failed, 2 when a check
    failed before any kernel started."""
    import signal
    import threading

    def _terminate(signum, frame):  # cron or a user stopping the run: clean up, then exit
        raise SystemExit(128 + signum)

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        result = run_batch(args.batch, period=args.period, data=args.data, only=args.only,
                           lang=args.lang, jobs=args.jobs, outputs=args.outputs)
    except ParamError as e:
        print(f"lean-analysis run: error: {e}", file=sys.stderr)
        return EXIT_INVALID
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    for r in result.reports:
        dur = r.timings.get("total_s")
        extra = f"  {dur:.1f} s" if dur else ""
        note = f"  {r.note}" if r.note and r.status != "ok" else ""
        print(f"{r.status:8s} {r.name}{extra}{note}")
    if not result.published:
        print(f"a report failed: the previous good run of {result.period} is kept; this run is in "
              f"{result.folder}", file=sys.stderr)
    print(result.index)
    return result.exit_code


def cli_list(args) -> int:
    """``lean-analysis list``: the batch's reports and every notebook's parameters (name,
    type, notebook default, value in the params file)."""
    batch_path = getattr(args, "batch", None) or config.BATCH_FILE
    try:
        batch = load_batch(batch_path)
    except ParamError as e:
        print(f"lean-analysis list: {e}", file=sys.stderr)
        batch = None
    listed: dict[Path, ReportSpec] = {s.notebook.resolve(): s for s in (batch.reports if batch else [])}
    notebooks = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")) if config.NOTEBOOKS_DIR.is_dir() else []
    paths = list(dict.fromkeys([*listed, *(p.resolve() for p in notebooks)]))
    status = EXIT_OK
    for nb in paths:
        spec = listed.get(nb)
        head = f"{nb.stem}  ({rel(nb)})"
        if spec is None:
            head += "  [not in the batch]"
        else:
            extras = []
            if spec.params_file:
                extras.append(f"params {rel(spec.params_file)}")
            if spec.months:
                extras.append(f"months {spec.months}")
            if spec.runs_last:
                extras.append("runs last")
            if extras:
                head += "  " + ", ".join(extras)
        print(head)
        if not nb.exists():
            print("    MISSING: the notebook does not exist")
            status = EXIT_FAILED
            continue
        try:
            declared = notebook_parameters(nb)
            values = {}
            if spec is not None:
                from lean_analysis.params import load_report_params

                values = load_report_params(spec)
        except ParamError as e:
            print(f"    error: {e}")
            status = EXIT_FAILED
            continue
        for p in declared.values():
            line = f"    {p.name}: {p.type_name} = {p.default!r}"
            if p.name in COMMON_PARAMETERS:
                line += "  (set by the runner)"
            elif p.name in values and values[p.name] != p.default:
                line += f"  -> {values[p.name]!r} (params file)"
            if p.help:
                line += f"  # {p.help}"
            print(line)
        unknown = [k for k in values if k not in declared]
        for k in unknown:
            print(f"    UNKNOWN in params file: {k}")
            status = EXIT_FAILED
    return status


__all__ = ["run_batch", "plan_batch", "run_report", "execute_notebook", "cli_run", "cli_list",
           "RunResult", "ReportResult", "ParamError", "mask_secrets", "write_periods_index",
           "scorecard_rows", "kernel_manager_class", "git_commit"]

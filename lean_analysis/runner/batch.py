"""The monthly run of a batch: :func:`run_batch`.

It plans the run (:func:`~lean_analysis.runner.plan.plan_batch`: every check before any
kernel), takes the period's lock, executes the reports into a staging folder
(:func:`~lean_analysis.runner.execute.run_report`; ``--jobs`` at once, those marked
``runs_last`` after the others), writes the manifest and the period's index, publishes the
folder (:mod:`lean_analysis.runner.publish`) and rewrites ``outputs/index.html``.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import logging
import shutil
import sys
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lean_analysis import config
from lean_analysis.data.tables import remove_spill_folders
from lean_analysis.params import ParamError, rel
from lean_analysis.redact import mask_secrets, mask_secrets_in
from lean_analysis.report.history import write_history
from lean_analysis.report.index_pages import period_index_html, write_periods_index
from lean_analysis.report.workbook import write_report_workbook
from lean_analysis.runner import run_log
from lean_analysis.runner.execute import (
    kernel_log_path,
    point_at,
    run_report,
    start_kernel,
    stop_kernel,
)
from lean_analysis.runner.plan import _Plan, plan_batch, report_title
from lean_analysis.runner.provenance import (
    data_record,
    git_commit,
    now,
    package_versions,
    shown_data_path,
)
from lean_analysis.runner.publish import (
    carried,
    destination,
    journal_path,
    lock,
    publish,
    read_manifest,
    recover,
    remove_leftovers,
    write_text,
)
from lean_analysis.runner.results import (
    EXIT_FAILED,
    EXIT_OK,
    OutputsError,
    ReportResult,
    RunResult,
)

log = logging.getLogger("lean_analysis.runner")


def run_batch(batch_path: str | Path | None = None, period: str = "last-month",
              data: str | Path | None = None, only: list[str] | None = None,
              lang: str | None = None, jobs: int | None = None,
              outputs: str | Path | None = None, progress: bool | None = None,
              lines: bool | None = None) -> RunResult:
    """Run the batch for ``period`` and publish it (see the module's docstring).

    ``jobs``: reports executed at once (default 1); reports marked ``runs_last`` always run
    after the others. ``progress``: show progress bars (default: when stderr is a terminal).
    ``lines``: print one line when each report starts and one when it ends, on stdout,
    flushed (default: when stdout is not a terminal, e.g. under cron).
    Raises :class:`ParamError` before any kernel starts when a check fails (or when
    ``--only`` would mix the published period's data with other data), and
    :class:`OutputsError` when the outputs cannot be written (nothing is published then).
    """
    plan = plan_batch(batch_path, period, data, only, lang)
    if jobs is not None and jobs < 1:
        raise ParamError(None, "--jobs", f"must be 1 or more, not {jobs}")
    out_root = Path(outputs) if outputs else config.OUTPUTS_DIR
    out_root = out_root.resolve()
    try:
        return _locked(plan, out_root, jobs or 1, progress, lines)
    except OSError as e:
        raise OutputsError(cannot_write(e, out_root)) from e
    finally:  # the kernels have ended: their DuckDB spill folders go
        remove_spill_folders()


def cannot_write(e: OSError, out_root: Path) -> str:
    """The one line saying which outputs could not be written, and why."""
    why = e.strerror or str(e) or type(e).__name__
    where = f" ({mask_secrets(rel(str(e.filename)))})" if e.filename else ""
    return (f"cannot write outputs in {mask_secrets(rel(out_root))}: {why}{where}; the "
            "period keeps its last complete run")


def _locked(plan: _Plan, out_root: Path, jobs: int, progress: bool | None,
            lines: bool | None) -> RunResult:
    out_root.mkdir(parents=True, exist_ok=True)
    final = out_root / plan.period
    lock_file = lock(out_root, plan.period)
    try:
        recovered = recover(out_root, plan.period)  # a publish that was interrupted
        remove_leftovers(out_root, plan.period)
        if recovered:
            plan.notes.insert(0, f"an interrupted publish of {plan.period} was {recovered}")
        if plan.kept:
            _same_data(plan, final)
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{plan.period}-", dir=out_root))
        handler = None
        try:
            if plan.kept and final.is_dir():
                shutil.copytree(final, staging, dirs_exist_ok=True)
            (staging / "logs").mkdir(exist_ok=True)
            handler = run_log.attach(staging / "logs" / "run.log")
            for note in plan.notes:
                log.info(note)
            return _run_in(plan, staging, out_root, final, jobs, progress, lines)
        except BaseException:  # interrupted or crashed: the published outputs stay as they were
            _abandon(out_root, plan.period, staging)
            raise
        finally:
            if handler is not None:
                run_log.detach(handler)
    finally:
        lock_file.unlink(missing_ok=True)


def _abandon(out_root: Path, period: str, staging: Path) -> None:
    """A run that stops on an error: its staging folder goes, unless publishing had begun
    (the journal names it), in which case the publish is completed, or left for the next
    run to complete (:func:`~lean_analysis.runner.publish.recover`)."""
    journal = journal_path(out_root, period)
    if journal.exists():
        try:
            entry = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entry = {}
        if entry.get("staging") == staging.name:
            try:
                recover(out_root, period)
            except Exception:  # noqa: BLE001 - the next run of the period recovers
                log.exception("could not complete the interrupted publish of %s", period)
            return
    shutil.rmtree(staging, ignore_errors=True)


def _same_data(plan: _Plan, final: Path) -> None:
    """``--only`` keeps reports of the published period: refuse when they were made from
    other data than ``--data`` (one period, one data set)."""
    previous = read_manifest(final) if final.is_dir() else None
    old = ((previous or {}).get("data") or {}).get("fingerprint")
    new = plan.data.fingerprint
    if old and new and old != new:
        raise ParamError(None, "--only", f"would mix two data sets in {plan.period}: the "
                         f"published reports were made from data fingerprint {old}, --data "
                         f"{shown_data_path(plan.data)} has fingerprint {new}; rerun the "
                         "whole period (without --only) to use this data")


class _Lines:
    """One line per report start and end on stdout, flushed (``lines=True``)."""

    def __init__(self, on: bool, period: str, total: int):
        self.on, self.period, self.total, self.ended = on, period, total, 0
        self._lock = threading.Lock()

    def start(self, name: str) -> None:
        self._say(f"{name}: start")

    def end(self, res: ReportResult) -> None:
        with self._lock:
            self.ended += 1
        self._say(f"{res.name}: {res.status} in {res.timings.get('total_s', 0):.1f} s "
                  f"({self.ended}/{self.total} done)")

    def _say(self, text: str) -> None:
        if self.on:
            with self._lock:
                print(f"[{now().strftime('%H:%M:%S')}] run {self.period}: {mask_secrets(text)}",
                      flush=True)


def _run_in(plan: _Plan, staging: Path, out_root: Path, final: Path, jobs: int,
            progress: bool | None, lines: bool | None) -> RunResult:
    from tqdm.auto import tqdm

    started = now()
    commit = git_commit()
    fingerprint = plan.data.fingerprint
    log.info("run %s: batch %s, data %s (fingerprint %s, order weeks %s .. %s), lang %s, "
             "commit %s", plan.period, rel(plan.batch.path), shown_data_path(plan.data),
             fingerprint, plan.data.first_week, plan.data.last_week, plan.lang, commit or "-")
    show = progress if progress is not None else sys.stderr.isatty()
    say = _Lines(lines if lines is not None else not sys.stdout.isatty(), plan.period,
                 len(plan.run))
    bar = tqdm(total=len(plan.run), desc=f"reports {plan.period}", unit="report",
               disable=not show, position=0)
    common = dict(lang=plan.lang, period=plan.period, data=plan.data, fingerprint=fingerprint,
                  commit=commit)

    def one(spec, params, cell_bar, km=None):
        params = {**params, "output_dir": str(staging)}
        pb = {"desc": spec.name, "leave": False, "position": 1, "disable": not show} if cell_bar else False
        say.start(spec.name)
        res = run_report(spec, params, staging, progress=pb, km=km, **common)
        try:  # every table the page shows, in full, as <report>.xlsx beside it
            xlsx = write_report_workbook(staging, spec.name, plan.lang)
            if xlsx:
                res.outputs["xlsx"] = xlsx
        except OSError:
            raise  # cannot write outputs: the run stops with its own exit code
        except Exception:
            log.exception("report %s: workbook not written", spec.name)
        say.end(res)
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
        one_by_one = last
    else:
        one_by_one = first + last
    # one report at a time: the next report's kernel starts (and imports) while this runs
    kernels = [None] * len(one_by_one)
    try:
        for i, (s, p) in enumerate(one_by_one):
            kernels[i] = kernels[i] or _start(s, staging)
            if i + 1 < len(one_by_one):
                kernels[i + 1] = _start(one_by_one[i + 1][0], staging)
            results[s.name] = one(s, p, True, km=kernels[i])
            kernels[i] = None  # stopped by its run
    finally:
        for km in kernels:
            if km is not None:
                stop_kernel(km)
    bar.close()

    previous = read_manifest(staging) if plan.kept else None
    ordered: list[ReportResult] = []
    skipped = {s.name: note for s, note in plan.skipped}
    for spec in plan.batch.reports:
        if spec.name in results:
            ordered.append(results[spec.name])
        elif spec.name in skipped:
            ordered.append(ReportResult(spec.name, report_title(spec, plan.lang), rel(spec.notebook),
                                        "skipped", note=skipped[spec.name]))
        else:  # --only: not selected
            ordered.append(carried(spec, previous, staging, plan.lang))
    run_failed = any(r.status == "failed" for r in results.values())
    status = "failed" if any(r.status == "failed" for r in ordered) else "ok"
    target = destination(out_root, final, plan.period, run_failed)
    for name in results:  # re-runnable where published: output_dir names the final folder
        if (staging / f"{name}.ipynb").exists():
            point_at(staging / f"{name}.ipynb", staging, target)
    manifest = mask_secrets_in(_manifest(plan, status, started, now(), commit, ordered))
    write_text(staging / "manifest.json",
               json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n")
    write_text(staging / "index.html",
               period_index_html(manifest, staging, plan.scorecard_report))
    folder, published = publish(staging, out_root, final, plan.period, target)
    log.info("run %s: %s, written to %s", plan.period, status, folder)
    try:
        write_periods_index(out_root, plan.lang)
    except OSError as e:  # the period is published; a stale list of periods is not fatal
        log.warning("could not write %s: %s", out_root / "index.html", e)
    try:  # each target and headline figure month by month, from every period's metrics.json
        write_history(out_root, plan.lang)
    except Exception as e:
        log.warning("could not write %s: %s", out_root / "history.html", e)
    return RunResult(plan.period, status, EXIT_FAILED if run_failed else EXIT_OK, folder,
                     published, ordered, manifest)


def _start(spec, staging: Path):
    """The report's kernel (:func:`~lean_analysis.runner.execute.start_kernel`), or ``None``
    when it cannot start now: the report's run then starts one and says why it failed."""
    try:
        return start_kernel(spec.notebook, spec.notebook.parent, kernel_log_path(staging, spec))
    except Exception:
        log.warning("report %s: kernel not started ahead", spec.name, exc_info=True)
        return None


def _manifest(plan: _Plan, status: str, started: dt.datetime, finished: dt.datetime,
              commit: str, reports: list[ReportResult]) -> dict[str, Any]:
    """``manifest.json``: the run's status, times, batch, commit, data, package versions and
    every report's entry (status, note, error, parameters, timings, outputs)."""
    return {
        "period": plan.period,
        "status": status,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "duration_s": round((finished - started).total_seconds(), 1),
        "lang": plan.lang,
        "batch": rel(plan.batch.path),
        "only": [s.name for s, _ in plan.run] if plan.kept else None,
        "commit": commit,
        "data": data_record(plan.data),
        "versions": package_versions(),
        "reports": [asdict(r) for r in reports],
    }

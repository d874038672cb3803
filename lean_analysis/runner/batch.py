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
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lean_analysis import config
from lean_analysis.params import ParamError, rel
from lean_analysis.report.index_pages import period_index_html, write_periods_index
from lean_analysis.runner import run_log
from lean_analysis.runner.execute import run_report
from lean_analysis.runner.plan import _Plan, plan_batch, report_title
from lean_analysis.runner.provenance import data_record, git_commit, now, package_versions
from lean_analysis.runner.publish import carried, lock, publish, read_manifest, write_text
from lean_analysis.runner.results import EXIT_FAILED, EXIT_OK, ReportResult, RunResult

log = logging.getLogger("lean_analysis.runner")


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
    lock_file = lock(out_root, plan.period)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{plan.period}-", dir=out_root))
        handler = None
        try:
            if plan.kept and final.is_dir():
                shutil.copytree(final, staging, dirs_exist_ok=True)
            (staging / "logs").mkdir(exist_ok=True)
            handler = run_log.attach(staging / "logs" / "run.log")
            for note in plan.notes:
                log.info(note)
            return _run_in(plan, staging, out_root, final, jobs or 1, progress)
        except BaseException:  # interrupted or crashed: the published outputs stay as they were
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            if handler is not None:
                run_log.detach(handler)
    finally:
        lock_file.unlink(missing_ok=True)


def _run_in(plan: _Plan, staging: Path, out_root: Path, final: Path, jobs: int,
            progress: bool | None) -> RunResult:
    from tqdm.auto import tqdm

    started = now()
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
    manifest = _manifest(plan, status, started, now(), commit, ordered)
    write_text(staging / "manifest.json",
               json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n")
    write_text(staging / "index.html",
               period_index_html(manifest, staging, plan.scorecard_report))
    folder, published = publish(staging, out_root, final, plan.period, run_failed)
    log.info("run %s: %s, written to %s", plan.period, status, folder)
    try:
        write_periods_index(out_root, plan.lang)
    except OSError as e:  # the period is published; a stale list of periods is not fatal
        log.warning("could not write %s: %s", out_root / "index.html", e)
    return RunResult(plan.period, status, EXIT_FAILED if run_failed else EXIT_OK, folder,
                     published, ordered, manifest)


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

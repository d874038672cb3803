"""Writing a run so that a reader never sees half of it.

A run is built in a staging folder ``outputs/.staging-<period>-<random>/`` and moved into
place only when it has finished (:func:`publish`):

* every report ok (or skipped): the staging folder replaces ``outputs/<period>/`` (a
  journal is written, the old folder is renamed aside, the new one renamed in, the old one
  deleted, the journal removed; a run interrupted in between is completed by the next run of
  the period: :func:`recover`);
* a report failed and ``outputs/<period>/`` holds a good run (its manifest says ok): the
  good run stays untouched and the failed run is kept as
  ``outputs/<period>.failed-<YYYYmmddTHHMMSS>/`` (listed under "failed runs" in
  ``outputs/index.html``);
* a report failed and there is no good run of that period: the failed run is published as
  ``outputs/<period>/`` (its index shows which report failed; the others are readable).

Also here: the lock file that lets one run of a period go at a time (:func:`lock`),
atomic writes (:func:`write_text`), the previous run's manifest (:func:`read_manifest`) and
the reports ``--only`` leaves as they were (:func:`carried`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from lean_analysis.params import ParamError, ReportSpec, rel
from lean_analysis.report.texts import t
from lean_analysis.runner.plan import report_title
from lean_analysis.runner.provenance import now
from lean_analysis.runner.results import STATUSES, ReportResult


# --------------------------------------------------------------------------- files
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


def write_text(path: Path, text: str) -> None:
    """Write ``path`` atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:  # a full disk: no half-written file left behind
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- lock
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


def lock(out_root: Path, period: str) -> Path:
    """``outputs/.lock-<period>``: one run of a period at a time. A lock left by a process
    that no longer runs is taken over (what that run left: :func:`recover`)."""
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
            path.unlink(missing_ok=True)  # its folders: recover() and remove_leftovers()
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(str(os.getpid()))
        return path
    raise ParamError(None, "--period", f"cannot take the lock file {rel(path)}")


# --------------------------------------------------------------------------- publishing
def read_manifest(folder: Path) -> dict[str, Any] | None:
    """``folder/manifest.json``, or ``None`` when it is missing or unreadable."""
    path = folder / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def carried(spec: ReportSpec, previous: dict | None, staging: Path, lang: str) -> ReportResult:
    """A report ``--only`` did not select: its entry in the previous run's manifest (its
    outputs kept in ``staging``, a copy of the published period), else skipped."""
    for r in (previous or {}).get("reports", []):
        if r.get("name") == spec.name and r.get("status") in STATUSES:
            res = ReportResult.from_manifest(r, carried_over=True)
            if res.outputs.get("html") and not (staging / res.outputs["html"]).exists():
                res.outputs = {}
            return res
    return ReportResult(spec.name, report_title(spec, lang), rel(spec.notebook), "skipped",
                        note=t("run_not_selected", lang), carried_over=True)


def _checkpoint(step: str) -> None:
    """A point between two steps of publishing (``journal``, ``aside``, ``renamed``,
    ``removed``): does nothing; the fault tests stop the process here."""


def journal_path(out_root: Path, period: str) -> Path:
    """``outputs/.publish-<period>.json``: written before the first rename of a publish,
    removed after the last step; while it exists a publish of the period is under way or
    was interrupted (:func:`recover`)."""
    return out_root / f".publish-{period}.json"


def destination(out_root: Path, final: Path, period: str, failed: bool) -> Path:
    """Where a finished run goes: ``final`` (``outputs/<period>``), or, when a report failed
    and ``final`` holds a good run, a new ``outputs/<period>.failed-<time>``."""
    old = read_manifest(final) if final.exists() else None
    previous_good = final.exists() and (old is None or old.get("status") == "ok")
    if not (failed and previous_good):
        return final
    stamp = now().strftime("%Y%m%dT%H%M%S")
    target = out_root / f"{period}.failed-{stamp}"
    n = 1
    while target.exists():
        target = out_root / f"{period}.failed-{stamp}-{n}"
        n += 1
    return target


def publish(staging: Path, out_root: Path, final: Path, period: str,
            target: Path) -> tuple[Path, bool]:
    """Move the finished staging folder to ``target`` (:func:`destination`).

    A failed run beside a good one is one rename. Replacing ``outputs/<period>`` takes
    two: first the journal (:func:`journal_path`: the staging and aside folders' names) is
    written, then the old folder is renamed aside, the staging folder renamed in, the old
    one deleted and the journal removed. A crash at any point leaves enough to finish the
    job (:func:`recover`, at the start of the next run of the period)."""
    _open_permissions(staging)
    if target != final:
        staging.rename(target)
        return target, False
    journal = journal_path(out_root, period)
    aside = out_root / f".old-{period}-{uuid.uuid4().hex[:8]}"
    write_text(journal, json.dumps({"period": period, "staging": staging.name,
                                    "aside": aside.name}) + "\n")
    _checkpoint("journal")
    if final.exists():
        final.rename(aside)
    _checkpoint("aside")
    staging.rename(final)
    _checkpoint("renamed")
    shutil.rmtree(aside, ignore_errors=True)
    _checkpoint("removed")
    journal.unlink()
    return final, True


def recover(out_root: Path, period: str) -> str | None:
    """Finish a publish of ``period`` that was interrupted (the process killed, the machine
    stopped, an error between two renames), under the period's lock. Returns what was done
    ("completed", "restored") or ``None`` when there was nothing to do.

    With the journal: while the staging folder (complete: the journal is written after its
    last file) still exists, the publish is completed (the old folder, if still in place, is
    moved aside, the staging folder renamed in); once the staging folder is in, only the old
    folder and the journal are left to remove. Should both the staging folder and
    ``outputs/<period>`` be missing, the old folder is put back. Without a journal (a run of
    an earlier version): a missing period whose old folder ``.old-<period>-*`` survives is
    restored from it.
    """
    final = out_root / period
    journal = journal_path(out_root, period)
    entry = None
    if journal.exists():
        try:
            entry = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entry = None
    outcome = None
    if entry and entry.get("staging") and entry.get("aside"):
        staging, aside = out_root / entry["staging"], out_root / entry["aside"]
        if staging.is_dir():
            if final.exists():
                if aside.exists():  # cannot happen in a publish: keep both old folders
                    aside = out_root / f".old-{period}-{uuid.uuid4().hex[:8]}"
                final.rename(aside)
            staging.rename(final)
            outcome = "completed"
        elif not final.exists() and aside.is_dir():
            aside.rename(final)
            outcome = "restored"
        elif final.exists():
            outcome = "completed"
        shutil.rmtree(aside, ignore_errors=True)
    if not final.exists():
        olds = sorted(out_root.glob(f".old-{period}-*"), key=lambda p: p.stat().st_mtime)
        if olds:
            olds[-1].rename(final)
            outcome = "restored"
    journal.unlink(missing_ok=True)
    return outcome


def remove_leftovers(out_root: Path, period: str, keep: Path | None = None) -> None:
    """After :func:`recover`, under the lock: staging and old folders of ``period`` that no
    run will use (those of runs that were killed)."""
    for pattern in (f".staging-{period}-*", f".old-{period}-*"):
        for p in out_root.glob(pattern):
            if p != keep:
                shutil.rmtree(p, ignore_errors=True)

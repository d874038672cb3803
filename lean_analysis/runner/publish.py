"""Writing a run so that a reader never sees half of it.

A run is built in a staging folder ``outputs/.staging-<period>-<random>/`` and moved into
place only when it has finished (:func:`publish`):

* every report ok (or skipped): the staging folder replaces ``outputs/<period>/`` (the old
  folder is renamed aside, the new one renamed in, the old one deleted);
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
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


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


def publish(staging: Path, out_root: Path, final: Path, period: str,
            failed: bool) -> tuple[Path, bool]:
    """Move the finished staging folder into place (see the module's docstring)."""
    _open_permissions(staging)
    old = read_manifest(final) if final.exists() else None
    previous_good = final.exists() and (old is None or old.get("status") == "ok")
    if failed and previous_good:
        stamp = now().strftime("%Y%m%dT%H%M%S")
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

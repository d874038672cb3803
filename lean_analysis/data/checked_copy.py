"""A checked copy of the tables: what ``data.load`` keeps so that the next load of the same
bytes neither checks them again nor parses the CSV again.

A monthly run opens the same folder once per report, and each report used to check and
parse it anew (on the county sample: 2–3 s of checks, then about 1 s per query that reads
the 97 MB of orders.csv). Now the first load that finds no error in a source keeps:

- each table as typed (the view ``data.load`` returns) in a Parquet file, and
- what the checks found (the warnings, the row counts),

in a folder named after a SHA-256 of (a) every byte of every table at the source, with its
path (the data fingerprint, :attr:`Tables.fingerprint` over all tables present), and (b)
the source of the modules that read, type and check tables (``lean_analysis/data/*.py``,
``lean_analysis/calendar.py``) and the DuckDB version. Any change of a data byte, of a rule
or of the reader names another folder: a kept copy is never used for other bytes or other
rules. A load of some tables (``tables=[...]``) is served from the copy of all the source's
tables: it gets those tables and the warnings about them.

Only a source without errors is kept (errors raise ``ValidationError`` each time, with every
row named). A load that finds no copy checks all the source's tables (not only those asked
for) so that the copy serves every later load; when some other table has an error it falls
back to checking only those asked for, as before, and keeps nothing.

Where: ``$LEAN_ANALYSIS_LOAD_CACHE``, else ``checked/`` in the cache folder of database
snapshots (``$LEAN_ANALYSIS_CACHE``, else ``data/.cache``). ``LEAN_ANALYSIS_LOAD_CACHE=off``
turns it off. The newest :data:`KEEP` copies are kept, older ones removed unless a live
process still reads them (``.in-use-<pid>`` files). A copy that
cannot be written (read-only or full disk) is logged and skipped: the load goes on.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

import duckdb

from lean_analysis.data.problems import Problem
from lean_analysis.data.schemas import SCHEMAS
from lean_analysis.data.sqltypes import typed_select
from lean_analysis.data.tables import Tables

log = logging.getLogger(__name__)

ENV = "LEAN_ANALYSIS_LOAD_CACHE"
OFF = ("0", "off", "no", "false")
KEEP = 3  # copies kept (the newest used first)
FORMAT = 1  # of meta.json


def root() -> Path | None:
    """The folder of the checked copies, or None when they are turned off."""
    env = os.environ.get(ENV, "").strip()
    if env.lower() in OFF:
        return None
    if env:
        return Path(env)
    from lean_analysis.data.database import cache_dir

    return cache_dir() / "checked"


_CODE: str | None = None


def code_digest() -> str:
    """SHA-256 of what reads, types and checks tables: the modules of ``lean_analysis.data``,
    ``lean_analysis.calendar`` and the DuckDB version (computed once per process)."""
    global _CODE
    if _CODE is None:
        here = Path(__file__).resolve().parent
        h = hashlib.sha256(duckdb.__version__.encode())
        for p in [*sorted(here.glob("*.py")), here.parent / "calendar.py"]:
            h.update(p.name.encode() + b"\0" + p.read_bytes())
        _CODE = h.hexdigest()
    return _CODE


def key(full: Tables) -> str:
    """The name of the copy of ``full`` (all tables of a source): its fingerprint's bytes and
    the code digest."""
    return hashlib.sha256(f"{code_digest()}\0{full.fingerprint}".encode()).hexdigest()[:24]


def attach(t: Tables, folder: Path) -> bool:
    """Serve the tables of ``t`` from the copy in ``folder``: each view reads its Parquet
    file, ``t.warnings`` gets the warnings of those tables and the row counts are those
    counted by the checks. False (and ``t`` untouched) when the copy lacks a table of ``t``
    or cannot be read."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if meta.get("format") != FORMAT or any(n not in meta["n_rows"] for n in t.names):
        return False
    try:
        for name in t.names:
            path = str(folder / f"{name}.parquet").replace("'", "''")
            t.con.execute(f"CREATE OR REPLACE VIEW \"{name}\" AS SELECT * FROM read_parquet('{path}')")
    except duckdb.Error as e:  # a damaged copy: the caller checks the source itself
        log.warning("checked copy %s unreadable (%s); checking the source", folder.name, e)
        for name in t.names:  # the views the caller would have checked
            t.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS '
                          f'{typed_select(SCHEMAS[name], t.raw[name])}')
        return False
    t.warnings = [Problem(**p) for p in meta["warnings"]
                  if p["table"] in t.names or p["table"] not in SCHEMAS]
    for name in t.names:
        t.raw[name].n_rows = int(meta["n_rows"][name])
    t.checked_copy = folder
    _lease(folder)
    return True


_LEASED: set[Path] = set()


def _lease(folder: Path) -> None:
    """Mark ``folder`` used (its meta.json's time: the newest used are kept longest) and in
    use by this process (``.in-use-<pid>``, removed at exit): a copy that a live process
    reads is never pruned."""
    try:
        os.utime(folder / "meta.json")
        if folder not in _LEASED:
            lease = folder / f".in-use-{os.getpid()}"
            lease.touch()
            _LEASED.add(folder)
            atexit.register(lease.unlink, True)
    except OSError:
        pass


def _in_use(folder: Path) -> bool:
    from lean_analysis.data.tables import _pid_alive

    for lease in folder.glob(".in-use-*"):
        pid = lease.name.rsplit("-", 1)[1]
        if pid.isdigit() and (int(pid) == os.getpid() or _pid_alive(int(pid))):
            return True
    return False


def keep(full: Tables, problems: list[Problem], n_rows: dict[str, int], base: Path,
         name: str) -> Path | None:
    """Write the checked tables of ``full`` (no error among ``problems``) as the copy
    ``base/name``: into a temporary folder, then renamed into place (a concurrent load that
    wrote it first wins). Older copies beyond :data:`KEEP` are removed. Returns the folder,
    or None when it could not be written (logged)."""
    dest = base / name
    if (dest / "meta.json").exists():
        return dest
    tmp = base / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir(parents=True)
        for table in full.names:
            path = str(tmp / f"{table}.parquet").replace("'", "''")
            full.con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{path}' (FORMAT parquet)")
        meta = {"format": FORMAT, "fingerprint": full.fingerprint, "code": code_digest(),
                "n_rows": {n: int(n_rows.get(n, full.raw[n].n_rows)) for n in full.names},
                "warnings": [dataclasses.asdict(p) for p in problems]}
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        try:
            tmp.rename(dest)
        except OSError:  # written meanwhile by another load
            shutil.rmtree(tmp, ignore_errors=True)
    except (OSError, duckdb.Error) as e:
        log.warning("checked copy of the tables not kept (%s): the next load checks them again", e)
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    _prune(base)
    return dest if (dest / "meta.json").exists() else None


def _prune(base: Path) -> None:
    """Remove all but the :data:`KEEP` most recently used copies, except those a live process
    reads."""
    def used(p: Path) -> float:
        try:
            return (p / "meta.json").stat().st_mtime
        except OSError:
            return 0.0

    copies = sorted((p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")),
                    key=used, reverse=True)
    for old in copies[KEEP:]:
        if not _in_use(old):
            shutil.rmtree(old, ignore_errors=True)
